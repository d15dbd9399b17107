// libtape-interposer.so's entry points (interposer.h): the libc functions
// that never reach the kernel (the vDSO's clocks) and pthread_create, which
// the seccomp filter cannot tell from tape's own threads.

#include "preload/interposer.h"

#include <bit>
#include <cerrno>

#include "engine/effects/libc.h"
#include "format/bytes.h"
#include "preload/guard.h"
#include "preload/real_libc.h"
#include "preload/session.h"
#include "preload/vdso.h"

#define TAPE_ENTRY extern "C" __attribute__((visibility("default")))

namespace tape::preload {
namespace {

// The clocks glibc reads from the vDSO, without a system call. The others
// (CPU-time clocks) are system calls, which the filter traps.
bool VdsoClock(clockid_t clock) {
  switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
    case CLOCK_TAI:
      return true;
    default:
      return false;
  }
}

// The session that records this call, or nullptr when the call is tape's
// own or nothing is recorded.
Session* ProgramCall() {
  Session* s = Session::Current();
  return s != nullptr && !t_in_tape ? s : nullptr;
}

timespec FromNs(int64_t ns) {
  int64_t sec = ns / 1000000000, rest = ns % 1000000000;
  if (rest < 0) {
    rest += 1000000000;
    --sec;
  }
  return {time_t(sec), long(rest)};
}

struct ThreadStart {
  void* (*start)(void*);
  void* arg;
};

// tape's own threads (the trace writer's encoder) are in tape for life.
void* TapeThread(void* p) {
  ThreadStart s = *static_cast<ThreadStart*>(p);
  delete static_cast<ThreadStart*>(p);
  t_in_tape = true;
  return s.start(s.arg);
}

}  // namespace
}  // namespace tape::preload

using namespace tape::preload;
using tape::Site;

TAPE_ENTRY void tape_interposer_start(int argc, char** argv, char** envp) {
  Session::Start(argc, argv, envp);
}

namespace tape::preload {
namespace {

// A clock read when the recording cannot take the fast path (chaos,
// redaction) or is a replay: through the effect table.
[[gnu::noinline]] int ClockGettimeEffect(Session* s, clockid_t clock, timespec* ts,
                                         void* caller) {
  InTape in_tape;
  try {
    const Site& site = s->callers().OfReturnAddress(reinterpret_cast<uintptr_t>(caller));
    int64_t ns = s->effects().ClockGettime(site, uint32_t(clock));
    if (ns == tape::engine::kClockFailed) {
      errno = EINVAL;
      return -1;
    }
    *ts = FromNs(ns);
    return 0;
  } catch (...) {
    s->Fail();
  }
}

}  // namespace
}  // namespace tape::preload

TAPE_ENTRY int tape_interposer_clock_gettime(clockid_t clock, struct timespec* ts, void* caller) {
  Session* s = Session::Current();
  if (s == nullptr || t_in_tape || !VdsoClock(clock)) [[unlikely]] {
    return RealClockGettime(clock, ts);
  }
  tape::engine::Recorder* r = s->plain_recorder();
  if (r == nullptr) [[unlikely]] return ClockGettimeEffect(s, clock, ts, caller);
  // The hot path: read the clock from the vDSO, record it (the event
  // libc.clock_gettime would record through the effect table, without the
  // indirection).
  InTape in_tape;
  try {
    const Site& site = s->callers().OfReturnAddress(reinterpret_cast<uintptr_t>(caller));
    int rc = g_vdso_clock_gettime(clock, ts);
    // The args and result as format::StoreU32 and StoreU64 lay them out:
    // little-endian, which on x86-64 (the only target the interposer has) is
    // the integers' own bytes, stored whole.
    static_assert(std::endian::native == std::endian::little);
    uint32_t args = uint32_t(clock);
    int64_t result = rc == 0 ? int64_t(ts->tv_sec) * 1000000000 + ts->tv_nsec
                             : tape::engine::kClockFailed;
    r->RecordPerformed(site, tape::EffectKind::kLibcClockGettime,
                       {reinterpret_cast<const uint8_t*>(&args), sizeof args},
                       {reinterpret_cast<const uint8_t*>(&result), sizeof result});
    // As the replay answers a failed reading (libc.clock_gettime's effect).
    if (rc != 0) [[unlikely]] {
      errno = EINVAL;
      return -1;
    }
    return 0;
  } catch (...) {
    s->Fail();
  }
}

TAPE_ENTRY int tape_interposer_gettimeofday(struct timeval* tv, void* tz, void* caller) {
  Session* s = ProgramCall();
  if (s == nullptr || tv == nullptr) [[unlikely]] return RealGettimeofday(tv, tz);
  InTape in_tape;
  try {
    const Site& site = s->callers().OfReturnAddress(reinterpret_cast<uintptr_t>(caller));
    timespec ts = FromNs(s->effects().Gettimeofday(site));
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
    // The obsolete timezone is always zero on Linux systems tape runs on.
    if (tz != nullptr) *static_cast<struct timezone*>(tz) = {0, 0};
    return 0;
  } catch (...) {
    s->Fail();
  }
}

TAPE_ENTRY time_t tape_interposer_time(time_t* t, void* caller) {
  Session* s = ProgramCall();
  if (s == nullptr) [[unlikely]] return RealTime(t);
  InTape in_tape;
  try {
    const Site& site = s->callers().OfReturnAddress(reinterpret_cast<uintptr_t>(caller));
    time_t now = FromNs(s->effects().Time(site)).tv_sec;
    if (t != nullptr) *t = now;
    return now;
  } catch (...) {
    s->Fail();
  }
}

TAPE_ENTRY int tape_interposer_timespec_get(struct timespec* ts, int base, void* caller) {
  if (base != TIME_UTC || ProgramCall() == nullptr) return RealTimespecGet(ts, base);
  return tape_interposer_clock_gettime(CLOCK_REALTIME, ts, caller) == 0 ? base : 0;
}

TAPE_ENTRY pid_t tape_interposer_fork(void* caller) {
  Session* s = ProgramCall();
  if (s == nullptr) return RealFork();
  InTape in_tape;
  s->Refuse(s->callers().OfReturnAddress(reinterpret_cast<uintptr_t>(caller)),
            "starts a child process (fork)",
            "tape records programs that run one process with one thread (see README, "
            "\"Recording any program\")");
}

TAPE_ENTRY int tape_interposer_pthread_create(pthread_t* thread, const pthread_attr_t* attr,
                                              void* (*start)(void*), void* arg, void* caller) {
  if (t_in_tape) {
    auto* s = new ThreadStart{start, arg};
    int r = RealPthreadCreate(thread, attr, TapeThread, s);
    if (r != 0) delete s;
    return r;
  }
  Session* s = ProgramCall();
  if (s == nullptr) return RealPthreadCreate(thread, attr, start, arg);
  InTape in_tape;
  s->Refuse(s->callers().OfReturnAddress(reinterpret_cast<uintptr_t>(caller)),
            "starts a thread (pthread_create)",
            "tape records programs that run one thread; programs written for tape record "
            "threads with tape::Thread (README, \"Threads\")");
}
