// clock.now: wall-clock time, nanoseconds since the Unix epoch.

#include "engine/effects/bind.h"
#include "engine/effects/clock_jump.h"
#include "engine/effects/registry.h"
#include "engine/effects/script.h"
#include "engine/effects/wall_clock.h"

namespace tape::engine {

namespace {

constexpr Fields<int64_t> kReading{Whole<int64_t>(FieldType::kTimeNs, "ns")};
// Runtime::ClockNowAt (tape/runtime.h, inline: the hottest call) and the
// replayer's integer runs read the result as these 8 bytes.
static_assert(kReading.layout.count == 1 && kReading.layout.fields[0].type == FieldType::kTimeNs);

std::string_view Live(LiveEnv& env, Bytes, std::string*) {
  format::StoreU64(reinterpret_cast<uint8_t*>(env.small), uint64_t(WallClockNs()));
  return {env.small, 8};
}

constexpr Perturbation kChaos[] = {
    ChangeResult<kReading>("forward",
                           [](int64_t& ns, ChaosDraw& d) { return ClockJump<1>(ns, d); }),
    ChangeResult<kReading>("backward",
                           [](int64_t& ns, ChaosDraw& d) { return ClockJump<-1>(ns, d); }),
};

Value Now(ScriptCall& c) { return Value::Int(c.rt.ClockNowAt(c.site)); }
constexpr ScriptBinding kScript[] = {{"clock", "now", 0, Now}};

}  // namespace

constinit const EffectSpec kClockNow = {
    .kind = EffectKind::kClockNow,
    .name = "clock.now",
    .direction = Direction::kInput,
    .args = kNoArgs,
    .result = kReading,
    .live = Live,
    .chaos = kChaos,
    .script = kScript,
};

}  // namespace tape::engine
