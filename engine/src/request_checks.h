// What makes an HTTP request or a command line malformed: checked before the
// effect is performed (and recorded), on record and replay alike, so a bad
// request is the program's error, never a recorded event.

#ifndef TAPE_ENGINE_REQUEST_CHECKS_H_
#define TAPE_ENGINE_REQUEST_CHECKS_H_

#include <string>

#include "tape/services.h"

namespace tape::engine {

// "" when the request can be sent, else what is wrong with it.
std::string CheckHttpRequest(const HttpRequest& request);
std::string CheckProcRequest(const ProcRequest& request);

}  // namespace tape::engine

#endif  // TAPE_ENGINE_REQUEST_CHECKS_H_
