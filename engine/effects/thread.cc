// The control effects of tape::Thread and tape::Mutex (tape/thread.h):
// thread.start, thread.end and mutex.lock. They record scheduling, not data
// (specs/trace-format.md §13.5): their caller's action (a LiveCall: number
// the new lane, acquire the mutex) runs on record and on replay, at the
// event's place in the recorded order. The runtime performs them
// (runtime.cc); they have no live implementation, chaos or script binding.

#include "engine/effects/bind.h"
#include "engine/effects/registry.h"

namespace tape::engine {

namespace {

constexpr Fields<uint32_t> kLane{Whole<uint32_t>(FieldType::kU32, "lane")};
constexpr Fields<std::string_view> kMutexName{Whole<std::string_view>(FieldType::kText, "name")};

}  // namespace

constinit const EffectSpec kThreadStart = {
    .kind = EffectKind::kThreadStart,
    .name = "thread.start",
    .direction = Direction::kControl,
    .args = kNoArgs,
    .result = kLane,
};

constinit const EffectSpec kThreadEnd = {
    .kind = EffectKind::kThreadEnd,
    .name = "thread.end",
    .direction = Direction::kControl,
    .args = kNoArgs,
    .result = kNoResult,
};

constinit const EffectSpec kMutexLock = {
    .kind = EffectKind::kMutexLock,
    .name = "mutex.lock",
    .direction = Direction::kControl,
    .args = kMutexName,
    .result = kNoResult,
};

}  // namespace tape::engine
