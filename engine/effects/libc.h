// The libc.* effects (kinds 32-63, specs/trace-format.md §13.8): the calls
// of a program that was not written for tape, made at the C library's
// boundary and recorded by tape's interposition library (preload/).
//
// Each effect is declared once in its family's file: libc_world.cc (the
// process's world: libc.start, getpid, getppid, uname), libc_time.cc (the
// clocks and sleeping), libc_random.cc (getrandom), libc_files.cc (open,
// read, write and their positioned forms), libc_paths.cc (stat, statx,
// getdents, readlink, access) and libc_calls.cc (libc.syscall and
// libc.change, the other system calls, by the shapes of libc_calls.h).
//
// LibcEffects is how the interposer performs them: one method per effect,
// which encodes the call's args by the effect's fields, performs it through
// the runtime (recording: for real, by its live implementation; replaying:
// answered from the trace after the call is matched) and decodes the
// result. Views in the results stay valid until the next effect call.
//
// The live implementations make their system calls through Libc(), which
// the interposer points at a path its seccomp filter lets through; in any
// other process it is glibc's.

#ifndef TAPE_ENGINE_EFFECTS_LIBC_H_
#define TAPE_ENGINE_EFFECTS_LIBC_H_

#include <time.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/effects/effect.h"
#include "tape/runtime.h"

namespace tape::engine {

struct CallShape;

// How live libc effects reach the kernel. `syscall` returns the kernel's
// value: -errno on failure (not glibc's -1 and errno).
struct LibcCalls {
  long (*syscall)(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
  int (*clock_gettime)(clockid_t clock, timespec* ts);
  int (*gettimeofday)(timeval* tv, void* tz);
  time_t (*time)(time_t* t);
};
const LibcCalls& Libc();
// Replaces the calls (the interposer, before it records anything).
void SetLibcCalls(const LibcCalls& calls);
inline long SysCall(long nr, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0,
                    long a6 = 0) {
  return Libc().syscall(nr, a1, a2, a3, a4, a5, a6);
}

// The first file descriptor of the range the interposer keeps for tape's own
// files (the trace, its copies of stdout and stderr), above those a program
// normally gets: 64 below the soft RLIMIT_NOFILE, at most 960. The
// libc.start event lists the descriptors below it.
int InterposerFdBase();
// The descriptors open in this process below `limit`, ascending (from
// /proc/self/fd; empty when it cannot be read).
std::vector<int> OpenFdsBelow(int limit);

// A regular file a program opens read-only is served from the trace when it
// has at most this many bytes; a larger one has each read recorded instead.
inline constexpr uint64_t kMaxServedFileBytes = uint64_t(256) << 20;
// A recorded read (libc.read, libc.pread) returns at most this many bytes: a
// larger request reads short, which read(2) allows.
inline constexpr uint64_t kMaxLibcReadBytes = uint64_t(64) << 20;
// A generic call's buffer (libc.syscall, libc.change), a directory listing
// or a link's target is recorded up to this many bytes.
inline constexpr uint32_t kMaxCallBufferBytes = 1u << 20;

// libc.clock_gettime's result when the call failed (EINVAL).
inline constexpr int64_t kClockFailed = INT64_MIN;

// An errno and, when it is 0, the bytes the call returned (an errno+data
// field).
struct ErrnoBytes {
  int error = 0;
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

// A libc.start result as the program's world; false when it does not have
// libc.start's layout or lists a descriptor that is not a number. (tape
// replay reads the recorded one to start the program as it was started.)
bool DecodeStartWorld(Bytes result, StartWorld* world);

class LibcEffects {
 public:
  explicit LibcEffects(Runtime* rt) : rt_(rt) {}

  // libc_world.cc
  StartWorld Start(const Site& site);
  uint32_t Getpid(const Site& site);
  uint32_t Getppid(const Site& site);
  // The six fields of struct utsname, or an errno.
  int Uname(const Site& site, std::vector<std::string>* fields);
  // libc_time.cc
  int64_t ClockGettime(const Site& site, uint32_t clock);  // kClockFailed on EINVAL
  int64_t Gettimeofday(const Site& site);
  int64_t Time(const Site& site);
  WriteResult Sleep(const Site& site, uint32_t clock, uint32_t flags, uint64_t ns);
  // libc_random.cc
  ErrnoBytes Getrandom(const Site& site, uint32_t n, uint32_t flags);
  // libc_files.cc
  OpenResult Open(const Site& site, int dirfd, uint32_t flags, uint32_t mode,
                  std::string_view path);
  ErrnoBytes Read(const Site& site, int fd, uint64_t count);
  ErrnoBytes Pread(const Site& site, int fd, uint64_t count, uint64_t offset);
  WriteResult Write(const Site& site, int fd, std::string_view data);
  WriteResult Pwrite(const Site& site, int fd, uint64_t offset, std::string_view data);
  // io.write (stream 1) or io.error (stream 2); returns 0 or an errno.
  int StreamWrite(const Site& site, int stream, std::string_view data) {
    return stream == 1 ? rt_->IoWriteAt(site, data) : rt_->IoErrorAt(site, data);
  }
  // libc_paths.cc
  ErrnoBytes Stat(const Site& site, int dirfd, uint32_t flags, std::string_view path);
  ErrnoBytes Statx(const Site& site, int dirfd, uint32_t flags, uint32_t mask,
                   std::string_view path);
  ErrnoBytes Getdents(const Site& site, int fd, uint32_t count);
  ErrnoBytes Readlink(const Site& site, int dirfd, uint64_t size, std::string_view path);
  int Access(const Site& site, int dirfd, uint32_t mode, uint32_t flags, std::string_view path);
  // libc_calls.cc: libc.syscall or libc.change. Performs the call `shape`
  // with registers `regs`, fills the buffers they point at and returns the
  // call's value (-errno on failure).
  long Call(const Site& site, const CallShape& shape, const long regs[6]);

  // A recorded result that has the effect's layout but not its sense (more
  // bytes than were asked for): the trace is damaged.
  [[noreturn]] void BadResult(EffectKind kind);

 private:
  template <const auto& kArgs, const auto& kResult>
  StructOf<kResult> Perform(const Site& site, EffectKind kind, const StructOf<kArgs>& args) {
    return EffectCall::Perform<kArgs, kResult>(*rt_, site, kind, args);
  }
  // Checks that an errno+data result holds at most `most` bytes.
  ErrnoBytes AtMost(EffectKind kind, ErrnoBytes r, uint64_t most) {
    if (r.data.size() > most) BadResult(kind);
    return r;
  }

  Runtime* rt_;
};

// --- for the family's files ----------------------------------------------------------

// An errno+data result named `name` ("data", "stat"), bound to ErrnoBytes.
constexpr Fields<ErrnoBytes> ErrnoBytesResult(const char* name) {
  return {Field<&ErrnoBytes::error, &ErrnoBytes::data>(FieldType::kErrnoData, name)};
}
// An errno and a count (the writes: bytes written; libc.sleep: the time left).
constexpr Fields<WriteResult> CountResult(const char* name) {
  return {Field<&WriteResult::error>(FieldType::kErrno, "errno"),
          Field<&WriteResult::count>(FieldType::kU64, name)};
}

// A live implementation whose result's views point into a buffer it fills:
// Fn(env, args, &buffer) returns the result, which is encoded while the
// buffer lives.
template <const auto& kArgs, const auto& kResult, auto Fn>
std::string_view LiveBuffered(LiveEnv& env, Bytes args, std::string* scratch) {
  StructOf<kArgs> a{};
  bool ok = Decode(kArgs, args, &a);
  assert(ok && "the runtime encoded these args");
  (void)ok;
  std::string buffer;
  StructOf<kResult> r = Fn(env, a, &buffer);
  scratch->clear();
  Encode(kResult, r, scratch);
  return *scratch;
}

// The result of a call that returns bytes in `buffer`: `r` is the kernel's
// value (-errno, or the number of bytes).
inline ErrnoBytes ErrnoBytesOf(long r, const std::string& buffer) {
  if (r < 0) return {int(-r), {}};
  return {0, std::string_view(buffer.data(), size_t(r))};
}

// A path or other text as the NUL-terminated string a system call reads.
inline std::string CString(std::string_view text) { return std::string(text); }

}  // namespace tape::engine

#endif  // TAPE_ENGINE_EFFECTS_LIBC_H_
