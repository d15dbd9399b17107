// The clocks and sleeping of a program not written for tape:
// libc.clock_gettime (a clock the vDSO serves), libc.gettimeofday,
// libc.time and libc.sleep (nanosleep, clock_nanosleep, sleep, usleep; not
// slept on replay).

#include <sys/syscall.h>
#include <time.h>

#include <cerrno>

#include "engine/effects/clock_jump.h"
#include "engine/effects/libc.h"
#include "engine/effects/registry.h"

namespace tape::engine {

namespace {

int64_t Ns(int64_t sec, int64_t nsec) { return sec * 1000000000 + nsec; }

struct ClockArgs {
  uint32_t clock;
};
constexpr Fields<ClockArgs> kClockArgs{Field<&ClockArgs::clock>(FieldType::kU32, "clock")};
constexpr Fields<int64_t> kReading{Whole<int64_t>(FieldType::kTimeNs, "ns")};
// The interposer records libc.clock_gettime itself on its hot path
// (preload/interposer.cc): the clock as 4 bytes, the reading as 8.
static_assert(kClockArgs.layout.count == 1 && kClockArgs.layout.fields[0].type == FieldType::kU32);
static_assert(kReading.layout.count == 1 && kReading.layout.fields[0].type == FieldType::kTimeNs);

int64_t ClockGettime(LiveEnv&, const ClockArgs& a) {
  timespec ts;
  int rc = Libc().clock_gettime(clockid_t(a.clock), &ts);
  return rc == 0 ? Ns(ts.tv_sec, ts.tv_nsec) : kClockFailed;
}

int64_t Gettimeofday(LiveEnv&, const NoArgs&) {
  timeval tv{};
  Libc().gettimeofday(&tv, nullptr);
  return Ns(tv.tv_sec, int64_t(tv.tv_usec) * 1000);
}

int64_t Time(LiveEnv&, const NoArgs&) { return Ns(Libc().time(nullptr), 0); }

// As clock.now's (clock_jump.h); a failed reading stays one.
constexpr Perturbation kClockChaos[] = {
    ChangeResult<kReading>(
        "forward",
        [](int64_t& ns, ChaosDraw& d) { return ns != kClockFailed && ClockJump<1>(ns, d); }),
    ChangeResult<kReading>(
        "backward",
        [](int64_t& ns, ChaosDraw& d) { return ns != kClockFailed && ClockJump<-1>(ns, d); }),
};

// --- libc.sleep -------------------------------------------------------------------

struct SleepArgs {
  uint32_t clock;
  uint32_t flags;  // TIMER_ABSTIME: `ns` is a time on the clock, not a duration
  uint64_t ns;
};
constexpr Fields<SleepArgs> kSleepArgs{Field<&SleepArgs::clock>(FieldType::kU32, "clock"),
                                       Field<&SleepArgs::flags>(FieldType::kU32, "flags"),
                                       Field<&SleepArgs::ns>(FieldType::kU64, "ns")};
constexpr Fields<WriteResult> kSleepResult = CountResult("remaining_ns");

WriteResult Sleep(LiveEnv&, const SleepArgs& a) {
  timespec req{time_t(a.ns / 1000000000), long(a.ns % 1000000000)};
  timespec rem{};
  long r = SysCall(SYS_clock_nanosleep, long(a.clock), long(a.flags), long(&req), long(&rem));
  return {r < 0 ? int(-r) : 0, r == -EINTR ? uint64_t(Ns(rem.tv_sec, rem.tv_nsec)) : 0};
}

}  // namespace

int64_t LibcEffects::ClockGettime(const Site& site, uint32_t clock) {
  return Perform<kClockArgs, kReading>(site, EffectKind::kLibcClockGettime, {clock});
}

int64_t LibcEffects::Gettimeofday(const Site& site) {
  return Perform<kNoArgs, kReading>(site, EffectKind::kLibcGettimeofday, {});
}

int64_t LibcEffects::Time(const Site& site) {
  return Perform<kNoArgs, kReading>(site, EffectKind::kLibcTime, {});
}

WriteResult LibcEffects::Sleep(const Site& site, uint32_t clock, uint32_t flags, uint64_t ns) {
  return Perform<kSleepArgs, kSleepResult>(site, EffectKind::kLibcSleep, {clock, flags, ns});
}

constinit const EffectSpec kLibcClockGettime = {
    .kind = EffectKind::kLibcClockGettime,
    .name = "libc.clock_gettime",
    .direction = Direction::kInput,
    .args = kClockArgs,
    .result = kReading,
    .live = LiveTyped<kClockArgs, kReading, ClockGettime>,
    .chaos = kClockChaos,
};

constinit const EffectSpec kLibcGettimeofday = {
    .kind = EffectKind::kLibcGettimeofday,
    .name = "libc.gettimeofday",
    .direction = Direction::kInput,
    .args = kNoArgs,
    .result = kReading,
    .live = LiveTyped<kNoArgs, kReading, Gettimeofday>,
    .chaos = kClockChaos,
};

constinit const EffectSpec kLibcTime = {
    .kind = EffectKind::kLibcTime,
    .name = "libc.time",
    .direction = Direction::kInput,
    .args = kNoArgs,
    .result = kReading,
    .live = LiveTyped<kNoArgs, kReading, Time>,
    .chaos = kClockChaos,
};

constinit const EffectSpec kLibcSleep = {
    .kind = EffectKind::kLibcSleep,
    .name = "libc.sleep",
    .direction = Direction::kInput,
    .args = kSleepArgs,
    .result = kSleepResult,
    .measured = true,
    .live = LiveTyped<kSleepArgs, kSleepResult, Sleep>,
};

}  // namespace tape::engine
