// The effects a tape program may perform. Every interaction with the world
// goes through one of them, so that recording them is enough to replay a run.

#ifndef TAPE_EFFECTS_H_
#define TAPE_EFFECTS_H_

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tape {

// The built-in effects: name and the byte stored in a trace's KINDS column
// (specs/trace-format.md §13). Append only: the numbers are part of the
// trace format. Each effect is declared once, with its layout, live
// implementation, chaos perturbations and script binding, in its file under
// engine/effects/; the engine finds the declaration named k<Name> through
// this list.
#define TAPE_BUILTIN_EFFECTS(X) \
  X(ClockNow, 1)                \
  X(RandomBits, 2)              \
  X(IoWrite, 3)                 \
  X(FsRead, 4)                  \
  X(FsWrite, 5)                 \
  X(EnvGet, 6)                  \
  X(ArgsGet, 7)                 \
  X(TimeSleep, 8)               \
  X(IoError, 9)    /* writes to standard error */ \
  X(FsExists, 10)               \
  X(FsList, 11)                 \
  X(FsAppend, 12)               \
  X(HttpRequest, 13)            \
  X(ProcRun, 14)                \
  /* Control effects (tape/thread.h): their place in the global order of \
     events is what they record, so replay can run threads in that order. */ \
  X(ThreadStart, 15) /* a tape::Thread is created; result: the new thread's lane */ \
  X(ThreadEnd, 16)   /* a tape::Thread's function returned (the lane's last event) */ \
  X(MutexLock, 17)   /* a tape::Mutex was acquired */ \
  X(DnsResolve, 18)             \
  X(FsStat, 19)                 \
  X(VersionMarker, 20) /* which version of a change the run took (Runtime::Version) */ \
  X(IoReadLine, 21)    /* the next line of standard input */ \
  X(IoReadAll, 22)     /* the rest of standard input */ \
  /* Kinds 32-63: the calls of a program that was not written for tape, made \
     at the C library's boundary and recorded by tape's interposition library \
     (preload/; engine/effects/libc.h; specs/trace-format.md §13.8). Named \
     after the libc function or system call the program made. */ \
  X(LibcStart, 32)         /* the process's world at start: argv, environ, cwd, open fds */ \
  X(LibcClockGettime, 33)  /* clock_gettime of a clock the vDSO serves */ \
  X(LibcGettimeofday, 34)       \
  X(LibcTime, 35)               \
  X(LibcGetrandom, 36)     /* getrandom, getentropy */ \
  X(LibcOpen, 37)          /* open, openat, creat: a regular file's bytes are served from the trace */ \
  X(LibcRead, 38)          /* read, readv from a descriptor whose reads are recorded */ \
  X(LibcPread, 39)         /* pread, preadv */ \
  X(LibcWrite, 40)         /* write, writev to a descriptor other than stdout and stderr */ \
  X(LibcPwrite, 41)        /* pwrite, pwritev */ \
  X(LibcStat, 42)          /* stat, lstat, fstat, fstatat */ \
  X(LibcStatx, 43)              \
  X(LibcGetdents, 44)      /* getdents64 (readdir) */ \
  X(LibcReadlink, 45)           \
  X(LibcAccess, 46)        /* access, faccessat */ \
  X(LibcUname, 47)         /* uname, gethostname */ \
  X(LibcGetpid, 48)             \
  X(LibcGetppid, 49)            \
  X(LibcSleep, 50)         /* nanosleep, clock_nanosleep, sleep, usleep */ \
  X(LibcSyscall, 51)       /* another call whose answer is recorded (ioctl, lseek, fcntl, ...) */ \
  X(LibcChange, 52)        /* a call that changes the world outside the process (unlink, rename, ...) */

enum class EffectKind : uint8_t {
#define TAPE_EFFECT_KIND_(name, number) k##name = number,
  TAPE_BUILTIN_EFFECTS(TAPE_EFFECT_KIND_)
#undef TAPE_EFFECT_KIND_
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
