// Rerunner: threads (specs/rerun.md §7). Each tape::Thread is served from
// the recorded lane its creation matched, and the threads take their turns
// in the recorded order; see rerunner.h.

#include <chrono>

#include "engine/src/mutex_action.h"
#include "engine/src/rerunner.h"
#include "engine/src/unlocked.h"

namespace tape::engine {

// --- threads -------------------------------------------------------------------

void Rerunner::OnThreadsStart() {
  // From here on the lanes share the reader under mu_: the open run reads
  // the current chunk, which another lane's read may release.
  SettleRun();
  if (out_ != nullptr) {
    out_->EnableLanes();
    main_.queue = out_->AcquireLaneQueue();
  }
}

std::unique_ptr<Runtime::LaneContext> Rerunner::NewLaneContext(uint32_t lane) {
  auto context = std::make_unique<Lane>();
  context->env.stdout_fd = options_.stdout_fd;
  context->env.stderr_fd = options_.stderr_fd;
  context->env.trace = out_;
  std::lock_guard lock(mu_);
  auto it = lane_map_.find(lane);
  context->recorded = &LaneOf(it != lane_map_.end() ? it->second : next_unrecorded_++);
  if (out_ != nullptr) context->queue = out_->AcquireLaneQueue();
  return context;
}

void Rerunner::OnLaneEnd(LaneContext* context) {
  Lane& lane = *static_cast<Lane*>(context);
  std::lock_guard lock(mu_);
  // What the thread did not ask for is known now.
  CloseLane(*lane.recorded);
  if (out_ != nullptr && lane.queue != nullptr) out_->ReleaseLaneQueue(lane.queue);
  live_.erase(lane.recorded->id);
  turn_cv_.notify_all();
}

int64_t Rerunner::CallingLane() {
  int64_t lane = CurrentLane();
  if (lane <= 0) return lane;
  auto it = lane_map_.find(uint32_t(lane));
  return it == lane_map_.end() ? -1 : int64_t(it->second);
}

void Rerunner::WaitOutside(const std::atomic<bool>& done) {
  std::unique_lock lock(mu_);
  int64_t lane = CallingLane();
  if (lane >= 0) ++joining_[uint32_t(lane)];
  turn_cv_.notify_all();
  while (!done.load()) turn_cv_.wait_for(lock, std::chrono::milliseconds(20));
  if (lane >= 0 && --joining_[uint32_t(lane)] == 0) joining_.erase(uint32_t(lane));
}

void Rerunner::AcquireMutex(Lane& lane, void* context, std::unique_lock<std::mutex>& lock) {
  // Acquired in this lane's turn, so in the recorded order. A mutex that is
  // held is waited for without mu_ (its holder may need mu_ to get to its
  // unlock), and the wait is known: when the holder itself waits for its
  // turn, the two would wait for each other (see WaitForTurn).
  auto* action = static_cast<MutexAction*>(context);
  const uint32_t id = lane.recorded->id;
  if (!action->m->try_lock()) {
    acquiring_[id] = action->m;
    turn_cv_.notify_all();
    {
      Unlocked unlocked(lock);
      action->m->lock();
    }
    acquiring_.erase(id);
  }
  action->locked = true;
  holders_[action->m] = id;
}

void Rerunner::OnMutexUnlock(const std::mutex* m) {
  std::lock_guard lock(mu_);
  holders_.erase(m);
  turn_cv_.notify_all();
}

bool Rerunner::Blocked(uint32_t id, int depth) const {
  if (waiting_.contains(id) || joining_.contains(id)) return true;
  auto a = acquiring_.find(id);
  if (a == acquiring_.end()) return false;  // running
  auto h = holders_.find(a->second);
  if (h == holders_.end()) return false;  // the mutex is free: it gets it now
  // Waiting for a mutex held in a cycle of such waits is blocked, too.
  return depth > 64 || h->second == id || Blocked(h->second, depth + 1);
}

int64_t Rerunner::DueLane() {
  for (;;) {
    uint64_t first = UINT64_MAX;
    int64_t due = -1;
    for (const auto& [id, lane] : recorded_) {
      if (lane.closed || !lane.mapped) continue;
      // Its next event: the first unconsumed one it has not gone past.
      for (const Recorded& e : lane.window) {
        if (e.consumed || e.index < lane.frontier) continue;
        if (e.seq < first) {
          first = e.seq;
          due = id;
        }
        break;
      }
    }
    // Events not read yet come after every event read: read on until a
    // lane served has one (or the held events reach their bound).
    if (due >= 0 || held_events_ >= kMaxHeldEvents || held_bytes_ >= kMaxHeldBytes ||
        !ReadOne()) {
      return due;
    }
  }
}

void Rerunner::WaitForTurn(std::unique_lock<std::mutex>& lock, const RecordedLane& lane) {
  if (!lane.mapped) return;  // a thread the recording does not have: no turns
  waiting_.insert(lane.id);
  struct Leave {
    std::unordered_set<uint32_t>& waiting;
    uint32_t id;
    ~Leave() { waiting.erase(id); }
  } leave{waiting_, lane.id};
  for (;;) {
    int64_t due = DueLane();
    if (due < 0 || due == int64_t(lane.id)) return;
    bool stuck = !waiting_.contains(uint32_t(due));
    for (uint32_t id : live_) stuck = stuck && Blocked(id);
    if (stuck) {
      // Every thread waits, and the due one will not make its call now (the
      // changed program waits elsewhere). One goes out of turn: the holder
      // of the mutex the due thread waits for, if it waits for its turn,
      // else this one.
      auto a = acquiring_.find(uint32_t(due));
      auto h = a == acquiring_.end() ? holders_.end() : holders_.find(a->second);
      if (h == holders_.end() || h->second == lane.id || !waiting_.contains(h->second)) {
        ++out_of_turn_;
        return;
      }
    }
    // Timed: a thread blocked outside tape that comes back is seen by the
    // check above on the next round.
    turn_cv_.wait_for(lock, std::chrono::milliseconds(100));
    if (drift_) throw DriftError(*drift_);
  }
}

}  // namespace tape::engine
