#include "format/status.h"

#include <fmt/core.h>

#include <cstring>

namespace tape {

Status Status::FromErrno(const std::string& what, int err) {
  return IoError(fmt::format("{}: {} (errno {})", what, std::strerror(err), err));
}

Status Status::WithContext(const std::string& context) const {
  if (ok()) return *this;
  return Status(code_, context + ": " + message_);
}

}  // namespace tape
