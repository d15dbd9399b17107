// EventClock: the time stamped on every recorded event (§7.8), for the cost
// of one relaxed atomic load on the recorded program's thread.
//
// A ticker thread reads the clock every kTickNs while events are being
// recorded and publishes the reading; Now() returns the last one, so an
// event's time is at most one tick (plus scheduling delay) early. Reading
// the clock itself for every event would cost about as much as recording a
// clock.now does (bench: `tape bench --effect clock`); a coarse kernel clock
// (CLOCK_*_COARSE) is as cheap to read but only advances every few
// milliseconds.
//
// A ticker that woke every tick forever would burn CPU under a program that
// records nothing for hours. So the ticker watches an activity counter (the
// writer's published event count) and, after kIdleTicks ticks without new
// events, marks the published time idle and sleeps until woken. The first
// Now() that sees the mark reads the clock itself (the event gets an exact
// time), wakes the ticker, and every Now() reads the clock until the ticker
// publishes again: a burst after a pause costs one wake-up.
//
// Times are nanoseconds since the Unix epoch: CLOCK_MONOTONIC anchored to
// CLOCK_REALTIME once, when the clock is made. They never decrease (an NTP
// step during the recording does not reorder events) and are always even
// (the low bit of the published value is the idle mark).
//
// A frozen clock (made with a time) has no ticker and always reads that
// time: recording the same program on the same inputs then writes the same
// bytes (tests compare such recordings with committed golden files).
//
// Thread-safety: Now() and Precise() may be called from any thread.

#ifndef TAPE_FORMAT_EVENT_CLOCK_H_
#define TAPE_FORMAT_EVENT_CLOCK_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace tape::format {

class EventClock {
 public:
  // Measured on the build machine (README, "Performance"): a tick costs the
  // ticker thread a few microseconds of CPU, so 100 µs keeps it to a few
  // percent of the other core while the program records, and an event's time
  // within about 0.1 ms.
  static constexpr int64_t kTickNs = 100'000;
  // Ticks without a new event before the ticker sleeps.
  static constexpr int kIdleTicks = 4;

  // `activity` is polled once per tick; the ticker goes idle when it returns
  // the same value kIdleTicks ticks in a row. It must be cheap and
  // thread-safe (an atomic load).
  // With `frozen_ns` > 0, the clock is frozen: no ticker, and Now() and
  // Precise() return `frozen_ns` (made even).
  explicit EventClock(std::function<uint64_t()> activity, int64_t frozen_ns = 0);
  ~EventClock();  // stops the ticker
  EventClock(const EventClock&) = delete;
  EventClock& operator=(const EventClock&) = delete;

  // The time of an event recorded now. Hot path.
  int64_t Now() {
    int64_t t = published_.load(std::memory_order_relaxed);
    if (t & kIdleMark) [[unlikely]] return WakeUp();
    return t;
  }
  // Now() when the ticker is running: false, leaving `t` alone, when the
  // clock is idle (the caller then calls Now(), which wakes it). For a hot
  // path that keeps every call out of its common case.
  bool NowIfTicking(int64_t* t) const {
    int64_t v = published_.load(std::memory_order_relaxed);
    *t = v;
    return (v & kIdleMark) == 0;
  }
  // Reads the clock now (exact, ~30 ns) and publishes the reading, so that no
  // later Now() returns an earlier time. For the start and end of an effect
  // that takes time.
  int64_t Precise();

  // True while the next Now() will read the clock itself: the ticker has gone
  // idle (no events for kIdleTicks ticks) and no Now() has seen it since. A
  // Now() that finds the clock idle wakes the ticker, which clears the mark
  // when the scheduler runs it: until then the mark is still set, but a Now()
  // after the ticker ran would return its reading, so idle() is false. For
  // tests, which wait for it instead of sleeping and hoping the ticker ran.
  bool idle() const {
    return (published_.load(std::memory_order_relaxed) & kIdleMark) &&
           !wake_requested_.load(std::memory_order_acquire);
  }

 private:
  static constexpr int64_t kIdleMark = 1;
  int64_t Read() const;  // the clock, even
  // Raises the published time to `t` (never lowers it), with or without the
  // idle mark.
  void Publish(int64_t t, bool idle);
  int64_t WakeUp();
  void Tick();

  const int64_t offset_;  // CLOCK_REALTIME - CLOCK_MONOTONIC when made
  const int64_t frozen_ = 0;  // non-zero: the only time this clock reads
  std::function<uint64_t()> activity_;
  std::atomic<int64_t> published_;
  std::atomic<bool> wake_requested_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread ticker_;
};

}  // namespace tape::format

#endif  // TAPE_FORMAT_EVENT_CLOCK_H_
