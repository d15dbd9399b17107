// The HTTP client behind http.request (http.cc): libcurl, loaded on first
// use (http_client.cc says why).

#ifndef TAPE_ENGINE_EFFECTS_HTTP_CLIENT_H_
#define TAPE_ENGINE_EFFECTS_HTTP_CLIENT_H_

#include <string>

#include "format/status.h"
#include "tape/services.h"

namespace tape::engine {

// Parses `url` as the client will: OK with its scheme ("http") in
// `*scheme`, InvalidArgument with why it is malformed, or IoError when
// the client cannot be loaded.
Status CheckUrl(const std::string& url, std::string* scheme);

// Performs the exchange: the final response, or why there was none (an
// error text the program can show; also when the client cannot be loaded).
HttpResponse PerformHttp(const HttpRequest& request);

}  // namespace tape::engine

#endif  // TAPE_ENGINE_EFFECTS_HTTP_CLIENT_H_
