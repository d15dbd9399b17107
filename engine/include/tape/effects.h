// The effects a tape program may perform. Every interaction with the world
// goes through one of them, so that recording them is enough to replay a run.

#ifndef TAPE_EFFECTS_H_
#define TAPE_EFFECTS_H_

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tape {

// The byte stored in a trace's KINDS column (specs/trace-format.md §13).
// Append only: the numbers are part of the trace format. Each kind is
// declared once, with its layout and live implementation, in the engine's
// effect table (engine/src/effect_table.cc).
enum class EffectKind : uint8_t {
  kClockNow = 1,
  kRandomBits = 2,
  kIoWrite = 3,
  kFsRead = 4,
  kFsWrite = 5,
  kEnvGet = 6,
  kArgsGet = 7,
  kTimeSleep = 8,
  kIoError = 9,      // writes to standard error
  kFsExists = 10,
  kFsList = 11,
  kFsAppend = 12,
  kHttpRequest = 13,
  kProcRun = 14,
  // Control effects (tape/thread.h): their place in the global order of
  // events is what they record, so replay can run threads in that order.
  kThreadStart = 15,  // a tape::Thread is created; result: the new thread's lane
  kThreadEnd = 16,    // a tape::Thread's function returned (the lane's last event)
  kMutexLock = 17,    // a tape::Mutex was acquired
  // Kinds 32-63: the calls of a program that was not written for tape, made
  // at the C library's boundary and recorded by tape's interposition library
  // (preload/; specs/trace-format.md §13.7). Named after the libc function or
  // system call the program made.
  kLibcStart = 32,         // the process's world at start: argv, environ, cwd, open fds
  kLibcClockGettime = 33,  // clock_gettime of a clock the vDSO serves
  kLibcGettimeofday = 34,
  kLibcTime = 35,
  kLibcGetrandom = 36,     // getrandom, getentropy
  kLibcOpen = 37,          // open, openat, creat: a regular file's bytes are served from the trace
  kLibcRead = 38,          // read, readv from a descriptor whose reads are recorded
  kLibcPread = 39,         // pread, preadv
  kLibcWrite = 40,         // write, writev to a descriptor other than stdout and stderr
  kLibcPwrite = 41,        // pwrite, pwritev
  kLibcStat = 42,          // stat, lstat, fstat, fstatat
  kLibcStatx = 43,
  kLibcGetdents = 44,      // getdents64 (readdir)
  kLibcReadlink = 45,
  kLibcAccess = 46,        // access, faccessat
  kLibcUname = 47,         // uname, gethostname
  kLibcGetpid = 48,
  kLibcGetppid = 49,
  kLibcSleep = 50,         // nanosleep, clock_nanosleep, sleep, usleep
  kLibcSyscall = 51,       // another call whose answer is recorded (ioctl, lseek, fcntl, ...)
  kLibcChange = 52,        // a call that changes the world outside the process (unlink, rename, ...)
};

// Kinds kFirstUserKind..255 are user-defined effects (Runtime::Effect): each
// trace maps them to effect names ("db.query") in its kind-name table.
inline constexpr uint8_t kFirstUserKind = 128;
inline constexpr int kMaxUserEffectNames = 256 - kFirstUserKind;
// An effect name: 1 to kMaxEffectNameBytes printable ASCII bytes.
inline constexpr size_t kMaxEffectNameBytes = 128;

// "clock.now", "random.bits", ...; "kind N" for a byte that names no
// built-in effect (including user kinds, whose names live in each trace).
std::string EffectName(EffectKind kind);
// True if `kind` is one of tape's built-in effects.
bool IsKnownEffect(uint8_t kind);
// Parses "clock.now" (also "clock") into a built-in kind.
bool ParseEffectName(std::string_view name, EffectKind* kind);

// Thrown by Runtime::Effect when the effect's function threw: on record (the
// function's exception is stored in the trace, then this is thrown) and on
// replay (at the same call, from the stored type name and message), so a
// program's error path runs the same way in both.
class EffectError : public std::runtime_error {
 public:
  EffectError(std::string effect, std::string type, std::string message)
      : std::runtime_error(effect + " failed: " + type + ": " + message),
        effect_(std::move(effect)),
        type_(std::move(type)),
        message_(std::move(message)) {}
  const std::string& effect() const { return effect_; }
  // The demangled type name of the exception the function threw.
  const std::string& type() const { return type_; }
  const std::string& message() const { return message_; }

 private:
  std::string effect_, type_, message_;
};

}  // namespace tape

#endif  // TAPE_EFFECTS_H_
