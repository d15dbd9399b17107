// The bytes of each effect's args and result (specs/trace-format.md §13),
// and their human-readable forms for drift reports, inspect and diff.
//
// Encoders append to a caller-owned scratch string so that the recorder's
// hot path reuses one buffer instead of allocating per call.

#ifndef TAPE_ENGINE_EFFECT_CODEC_H_
#define TAPE_ENGINE_EFFECT_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "format/bytes.h"
#include "tape/effects.h"

namespace tape::engine {

using format::Bytes;

// --- encoders ------------------------------------------------------------

void AppendU32(std::string* out, uint32_t v);
void AppendU64(std::string* out, uint64_t v);
void AppendI32(std::string* out, int32_t v);

void EncodeFsWriteArgs(std::string* out, std::string_view path, std::string_view data);
void EncodeEnvResult(std::string* out, const std::optional<std::string>& value);
void EncodeArgsResult(std::string* out, const std::vector<std::string>& args);
void EncodeFsReadResult(std::string* out, int error, std::string_view data);

// --- decoders: return false when the bytes do not have the kind's shape ---

bool DecodeI64(Bytes b, int64_t* v);
bool DecodeI32(Bytes b, int32_t* v);
bool DecodeFsReadResult(Bytes b, int* error, std::string_view* data);
bool DecodeEnvResult(Bytes b, std::optional<std::string>* value);
bool DecodeArgsResult(Bytes b, std::vector<std::string>* args);

// --- descriptions ----------------------------------------------------------

// A payload as text when it is printable (quoted, escaped), else as hex;
// shortened to about `limit` characters with the total length noted.
// `missing` counts bytes of the payload left out of `bytes` (the caller
// passed a prefix of a long payload).
std::string Printable(Bytes bytes, size_t limit = 48, uint64_t missing = 0);

// "random.bits(8)", "fs.read(\"data.txt\")", "io.write(\"hello\\n\")".
// `missing` as for Printable: the payload was cut at its end.
std::string DescribeCall(uint8_t kind, Bytes args, size_t limit = 48, uint64_t missing = 0);
// "1700000000.123456789", "8 bytes 1f2e…", "errno 2 (No such file or directory)".
std::string DescribeResult(uint8_t kind, Bytes result, size_t limit = 48, uint64_t missing = 0);
// The name of an effect kind byte, "kind 42" for an unknown one.
std::string KindName(uint8_t kind);

}  // namespace tape::engine

#endif  // TAPE_ENGINE_EFFECT_CODEC_H_
