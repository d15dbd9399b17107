// The host calls that talk to other programs, http.request and proc.run
// (specs/language.md §8.2, §8.3): script values in, tape::HttpRequest and
// tape::ProcRequest out, and the answers back as maps. Every check that can
// be made on the script's values is made here, before the effect, with a
// message that names the call and the argument.

#ifndef TAPE_LANG_HOST_SERVICES_H_
#define TAPE_LANG_HOST_SERVICES_H_

#include "engine/lang/value.h"
#include "tape/runtime.h"

namespace tape::lang {

// http.request(method, url, headers, body[, options]): `options` may be
// null. Faults on a value of the wrong type or an option out of range.
HttpRequest HttpRequestOf(const Value& method, const Value& url, const Value& headers,
                          const Value& body, const Value* options);
// http.get(url[, options]).
HttpRequest HttpGetOf(const Value& url, const Value* options);
// {"status", "error", "headers", "header_list", "body"}.
Value HttpResponseValue(HttpResponse response);

// proc.run(argv[, options]).
ProcRequest ProcRequestOf(const Value& argv, const Value* options);
// {"status", "signal", "timed_out", "error", "stdout", "stderr"}.
Value ProcResultValue(ProcResult result);

}  // namespace tape::lang

#endif  // TAPE_LANG_HOST_SERVICES_H_
