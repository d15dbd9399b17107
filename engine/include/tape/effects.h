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
  X(FsStat, 19)

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
