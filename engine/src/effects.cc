#include "tape/effects.h"

namespace tape {

std::string_view EffectName(EffectKind kind) {
  switch (kind) {
    case EffectKind::kClockNow: return "clock.now";
    case EffectKind::kRandomBits: return "random.bits";
    case EffectKind::kIoWrite: return "io.write";
    case EffectKind::kFsRead: return "fs.read";
    case EffectKind::kFsWrite: return "fs.write";
    case EffectKind::kEnvGet: return "env.get";
    case EffectKind::kArgsGet: return "args.get";
    case EffectKind::kTimeSleep: return "time.sleep";
  }
  return "unknown";
}

bool IsKnownEffect(uint8_t kind) { return kind >= 1 && kind <= kEffectKindCount; }

bool ParseEffectName(std::string_view name, EffectKind* kind) {
  for (int k = 1; k <= kEffectKindCount; ++k) {
    std::string_view full = EffectName(EffectKind(k));
    if (name == full || name == full.substr(0, full.find('.'))) {
      *kind = EffectKind(k);
      return true;
    }
  }
  return false;
}

}  // namespace tape
