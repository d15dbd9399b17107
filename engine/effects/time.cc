// time.sleep: waits; replay returns at once.

#include <time.h>

#include <cerrno>

#include "engine/effects/bind.h"
#include "engine/effects/registry.h"
#include "engine/effects/script.h"

namespace tape::engine {

namespace {

struct Request {
  uint64_t ms;
};
constexpr Fields<Request> kRequest{Field<&Request::ms>(FieldType::kU64, "ms")};

// time.sleep(ms) accepts ms up to one day in scripts.
constexpr int64_t kMaxScriptSleepMs = 86'400'000;

NoResult Sleep(LiveEnv&, const Request& r) {
  timespec ts{time_t(r.ms / 1000), long(r.ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
  return {};
}

constexpr Perturbation kChaos[] = {
    // The sleep is cut short.
    ChangeArgs<kRequest>("early",
                         [](Request& r, ChaosDraw& draw) {
                           if (r.ms == 0) return false;  // nothing to cut short
                           r.ms = draw.Next() % r.ms;
                           return true;
                         }),
};

Value SleepValue(ScriptCall& c) {
  int64_t ms = IntRangeArg("time.sleep", c.args[0], kMaxScriptSleepMs, "milliseconds");
  c.rt.TimeSleepAt(c.site, static_cast<uint64_t>(ms));
  return Value();
}
constexpr ScriptBinding kScript[] = {{"time", "sleep", 1, SleepValue}};

}  // namespace

constinit const EffectSpec kTimeSleep = {
    .kind = EffectKind::kTimeSleep,
    .name = "time.sleep",
    .direction = Direction::kInput,
    .args = kRequest,
    .result = kNoResult,
    .measured = true,
    .live = LiveTyped<kRequest, kNoResult, Sleep>,
    .chaos = kChaos,
    .script = kScript,
};

}  // namespace tape::engine

namespace tape {

void Runtime::TimeSleepAt(const Site& site, uint64_t ms) {
  engine::EffectCall::Perform<engine::kRequest, engine::kNoResult>(*this, site,
                                                                   EffectKind::kTimeSleep, {ms});
}

}  // namespace tape
