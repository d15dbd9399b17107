// The adapter between the interposer and tape's runtime: one function per
// effect of kinds 32-63 (specs/trace-format.md §13.7). Each encodes the
// call's args by the effect's layout, performs the effect through the
// runtime (recording: for real, by the effect's live implementation;
// replaying: answered from the trace, after the call is matched) and decodes
// the result. The rest of the interposer never touches payload bytes, so
// this file is all that changes when effects are declared as modules
// (engine/effects/, one declaration with request and result structs each).
//
// Views in the results stay valid until the next effect call.

#ifndef TAPE_PRELOAD_LIBC_EFFECTS_H_
#define TAPE_PRELOAD_LIBC_EFFECTS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/src/effect_table.h"
#include "engine/src/libc_calls.h"
#include "tape/runtime.h"

namespace tape::preload {

struct ErrnoBytes {
  int error = 0;  // 0 or an errno
  std::string_view data;
};

struct OpenResult {
  int error = 0;
  int fd = -1;
  bool served = false;    // a regular file whose bytes follow
  std::string_view stat;  // served: the kernel's struct stat
  std::string_view data;  // served: the file's bytes
};

struct WriteResult {
  int error = 0;
  uint64_t count = 0;  // bytes written; libc.sleep: the time left, in ns
};

// The process's world when it started (libc.start).
struct StartWorld {
  std::vector<std::string> argv, env;
  std::string cwd;
  std::vector<int> fds;
};

class LibcEffects {
 public:
  explicit LibcEffects(Runtime* rt) : rt_(rt) {}

  StartWorld Start(const Site& site);
  int64_t ClockGettime(const Site& site, uint32_t clock);  // engine::kClockFailed on EINVAL
  int64_t Gettimeofday(const Site& site);
  int64_t Time(const Site& site);
  ErrnoBytes Getrandom(const Site& site, uint32_t n, uint32_t flags);
  OpenResult Open(const Site& site, int dirfd, uint32_t flags, uint32_t mode, std::string_view path);
  ErrnoBytes Read(const Site& site, int fd, uint64_t count);
  ErrnoBytes Pread(const Site& site, int fd, uint64_t count, uint64_t offset);
  WriteResult Write(const Site& site, int fd, std::string_view data);
  WriteResult Pwrite(const Site& site, int fd, uint64_t offset, std::string_view data);
  // io.write (stream 1) or io.error (stream 2); returns 0 or an errno.
  int StreamWrite(const Site& site, int stream, std::string_view data);
  ErrnoBytes Stat(const Site& site, int dirfd, uint32_t flags, std::string_view path);
  ErrnoBytes Statx(const Site& site, int dirfd, uint32_t flags, uint32_t mask,
                   std::string_view path);
  ErrnoBytes Getdents(const Site& site, int fd, uint32_t count);
  ErrnoBytes Readlink(const Site& site, int dirfd, uint64_t size, std::string_view path);
  int Access(const Site& site, int dirfd, uint32_t mode, uint32_t flags, std::string_view path);
  // The six fields of struct utsname, or an errno.
  int Uname(const Site& site, std::vector<std::string_view>* fields);
  uint32_t Getpid(const Site& site);
  uint32_t Getppid(const Site& site);
  WriteResult Sleep(const Site& site, uint32_t clock, uint32_t flags, uint64_t ns);
  // libc.syscall or libc.change: performs the call `shape` with registers
  // `regs`, fills the buffers they point at and returns the call's value
  // (-errno on failure).
  long Call(const Site& site, const engine::CallShape& shape, const long regs[6]);

 private:
  std::string_view Perform(const Site& site, EffectKind kind);
  // The result split by the kind's layout; a trace error when it is not.
  const engine::ParsedPayload& Parse(EffectKind kind, std::string_view result);
  [[noreturn]] void BadResult(EffectKind kind);

  Runtime* rt_;
  std::string args_;  // the args being built
  engine::ParsedPayload parsed_;
};

}  // namespace tape::preload

#endif  // TAPE_PRELOAD_LIBC_EFFECTS_H_
