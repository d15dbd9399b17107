// The effects a tape program may perform. Every interaction with the world
// goes through one of them, so that recording them is enough to replay a run.

#ifndef TAPE_EFFECTS_H_
#define TAPE_EFFECTS_H_

#include <cstdint>
#include <string_view>

namespace tape {

// The byte stored in a trace's KINDS column (specs/trace-format.md §13).
// Append only: the numbers are part of the trace format.
enum class EffectKind : uint8_t {
  kClockNow = 1,
  kRandomBits = 2,
  kIoWrite = 3,
  kFsRead = 4,
  kFsWrite = 5,
  kEnvGet = 6,
  kArgsGet = 7,
  kTimeSleep = 8,
};
inline constexpr int kEffectKindCount = 8;

// "clock.now", "random.bits", ...; "kind N" for a byte that names no effect.
std::string_view EffectName(EffectKind kind);
// True if `kind` is one of the effects above.
bool IsKnownEffect(uint8_t kind);
// Parses "clock.now" (also "clock") into a kind.
bool ParseEffectName(std::string_view name, EffectKind* kind);

}  // namespace tape

#endif  // TAPE_EFFECTS_H_
