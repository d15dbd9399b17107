// What the interposer knows of each of the program's file descriptors, and
// so what it does with a call on one (specs/trace-format.md §13.8).

#ifndef TAPE_PRELOAD_FD_TABLE_H_
#define TAPE_PRELOAD_FD_TABLE_H_

#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tape::preload {

// A regular file served from the trace: what fstat answers for it.
struct ServedFile {
  std::string path;
  struct stat st;
};

struct FdInfo {
  enum class Kind : uint8_t {
    // Not opened through the interposer (by the dynamic loader, or never):
    // calls on it go to the kernel.
    kUnknown,
    // A regular file whose bytes the trace holds: the descriptor is a
    // read-only memory file with those bytes, so the kernel answers reads,
    // seeks and mmap alike when recording and replaying; fstat answers the
    // recorded stat.
    kServed,
    // Every call on it is recorded (a pipe, a terminal, a device, a
    // directory, a socket, a file opened for writing). When replaying, the
    // descriptor is a placeholder and the calls are answered from the trace.
    kRecorded,
    // A memory file the program made (memfd_create): the program wrote
    // what it reads, so the kernel answers.
    kPrivate,
    // The interposer's own (the trace, its copies of stdout and stderr): the
    // program is told it is not open.
    kTape,
  };
  Kind kind = Kind::kUnknown;
  // 1 or 2 for the program's standard output or error as it started (and
  // their duplicates): writes to it are io.write or io.error.
  uint8_t stream = 0;
  std::shared_ptr<const ServedFile> served;  // kServed
};

class FdTable {
 public:
  const FdInfo& Get(long fd) const {
    static const FdInfo unknown;
    return fd >= 0 && size_t(fd) < fds_.size() ? fds_[size_t(fd)] : unknown;
  }
  void Set(long fd, FdInfo info);
  void Forget(long fd) { Set(fd, FdInfo{}); }
  // A duplicate of `from` at `to` (dup, dup2, dup3, F_DUPFD).
  void Copy(long from, long to) { Set(to, Get(from)); }
  // One past the largest descriptor the table has seen.
  size_t size() const { return fds_.size(); }

 private:
  std::vector<FdInfo> fds_;
};

}  // namespace tape::preload

#endif  // TAPE_PRELOAD_FD_TABLE_H_
