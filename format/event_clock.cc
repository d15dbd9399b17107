#include "format/event_clock.h"

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "format/clock.h"

namespace tape::format {

namespace {

// CLOCK_REALTIME - CLOCK_MONOTONIC, from a wall-clock reading taken between
// two monotonic ones that are close together: a thread preempted between
// the two reads (a loaded machine) would otherwise shift every event time of
// the recording by as long as it waited. A few tries of ~50 ns each.
int64_t WallMinusMonotonic() {
  int64_t best_gap = INT64_MAX, offset = 0;
  for (int i = 0; i < 16 && best_gap > 20'000; ++i) {
    int64_t before = int64_t(MonotonicNs());
    int64_t wall = int64_t(WallClockNs());
    int64_t after = int64_t(MonotonicNs());
    if (after - before < best_gap) {
      best_gap = after - before;
      offset = wall - (before + best_gap / 2);
    }
  }
  return offset;
}

}  // namespace

EventClock::EventClock(std::function<uint64_t()> activity, int64_t frozen_ns)
    : offset_(WallMinusMonotonic()),
      frozen_(frozen_ns > 0 ? frozen_ns & ~kIdleMark : 0),
      activity_(std::move(activity)),
      published_(Read()) {
  if (frozen_ == 0) ticker_ = std::thread([this] { Tick(); });
}

EventClock::~EventClock() {
  if (!ticker_.joinable()) return;  // frozen
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  ticker_.join();
}

int64_t EventClock::Read() const {
  if (frozen_ != 0) return frozen_;
  return (int64_t(MonotonicNs()) + offset_) & ~kIdleMark;
}

void EventClock::Publish(int64_t t, bool idle) {
  int64_t cur = published_.load(std::memory_order_relaxed);
  for (;;) {
    int64_t desired = std::max(cur & ~kIdleMark, t) | (idle ? kIdleMark : 0);
    if (desired == cur ||
        published_.compare_exchange_weak(cur, desired, std::memory_order_relaxed)) {
      return;
    }
  }
}

int64_t EventClock::Precise() {
  int64_t t = Read();
  // Keep the idle mark as it is: only the ticker clears it, when it runs.
  Publish(t, published_.load(std::memory_order_relaxed) & kIdleMark);
  return t;
}

int64_t EventClock::WakeUp() {
  int64_t t = Precise();
  if (!wake_requested_.exchange(true, std::memory_order_acq_rel)) {
    // Under the lock, so that the ticker is either about to check the flag
    // or already waiting for this notification.
    std::lock_guard lock(mu_);
    cv_.notify_one();
  }
  return t;
}

void EventClock::Tick() {
  const auto tick = std::chrono::nanoseconds(kTickNs);
  uint64_t last = activity_();
  int quiet = 0;
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (cv_.wait_for(lock, tick, [&] { return stop_; })) break;
    uint64_t now = activity_();
    if (now != last) {
      last = now;
      quiet = 0;
    } else if (++quiet >= kIdleTicks) {
      // Clear the request before marking the time idle: a Now() that sees
      // the mark then always finds the flag clear and wakes the ticker.
      wake_requested_.store(false, std::memory_order_release);
      Publish(Read(), /*idle=*/true);
      cv_.wait(lock, [&] { return stop_ || wake_requested_.load(std::memory_order_acquire); });
      if (stop_) break;
      quiet = 0;
      last = activity_();
    }
    Publish(Read(), /*idle=*/false);
  }
}

}  // namespace tape::format
