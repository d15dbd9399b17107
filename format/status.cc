#include "format/status.h"

#include <cstring>

namespace tape {

Status Status::FromErrno(const std::string& what, int err) {
  return IoError(what + ": " + std::strerror(err) + " (errno " + std::to_string(err) + ")");
}

Status Status::WithContext(const std::string& context) const {
  if (ok()) return *this;
  return Status(code_, context + ": " + message_);
}

}  // namespace tape
