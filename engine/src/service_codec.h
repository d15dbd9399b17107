// The payloads of http.request and proc.run (specs/trace-format.md §13):
// encoders for the side that produces each payload, decoders (through the
// effect table's layouts, so they check what they read) for the other.

#ifndef TAPE_ENGINE_SERVICE_CODEC_H_
#define TAPE_ENGINE_SERVICE_CODEC_H_

#include <string>

#include "format/bytes.h"
#include "tape/services.h"

namespace tape::engine {

using format::Bytes;

void EncodeHttpRequest(const HttpRequest& request, std::string* out);
bool DecodeHttpRequest(Bytes args, HttpRequest* request);
void EncodeHttpResponse(const HttpResponse& response, std::string* out);
bool DecodeHttpResponse(Bytes result, HttpResponse* response);

void EncodeProcRequest(const ProcRequest& request, std::string* out);
bool DecodeProcRequest(Bytes args, ProcRequest* request);
void EncodeProcResult(const ProcResult& result, std::string* out);
bool DecodeProcResult(Bytes bytes, ProcResult* result);

}  // namespace tape::engine

#endif  // TAPE_ENGINE_SERVICE_CODEC_H_
