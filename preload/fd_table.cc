#include "preload/fd_table.h"

namespace tape::preload {

void FdTable::Set(long fd, FdInfo info) {
  if (fd < 0) return;
  if (size_t(fd) >= fds_.size()) {
    if (info.kind == FdInfo::Kind::kUnknown) return;
    fds_.resize(size_t(fd) + 1);
  }
  fds_[size_t(fd)] = std::move(info);
}

}  // namespace tape::preload
