// Threads in a tape program: tape::Thread and tape::Mutex.
//
// A recorded program may run threads, each in a lane of its own: lane 0 is
// the thread that runs the program, and each tape::Thread gets the next lane
// number when it is created (thread.start, an event of its creator's lane).
// Recording lets the threads run in parallel and stores the global order in
// which their effect calls completed; replay serves each thread its lane's
// events in that same order (a thread whose next event is not yet due
// waits for it).
//
//   tape::Mutex m(rt);
//   std::vector<tape::Thread> workers;
//   for (int w = 0; w < 4; ++w)
//     workers.emplace_back(rt, [&, w](tape::Runtime& rt) {
//       std::string b = rt.RandomBits(1);
//       std::lock_guard g(m);   // acquired in the recorded order on replay
//       log.push_back(...);
//     });
//   for (auto& t : workers) t.join();
//
// What replay reproduces: the effects' results and the order in which lanes
// acquire tape::Mutexes. Memory the threads share without a tape::Mutex is
// outside it (a data race replays as it happens to run).
//
// An effect called from a thread tape does not know (a raw std::thread) is
// misuse: the trace is finished with that error and the process exits with
// tape::kMisuseExitCode (83).

#ifndef TAPE_THREAD_H_
#define TAPE_THREAD_H_

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>

#include "tape/runtime.h"

namespace tape {

// A std::thread look-alike whose function gets the runtime and may call
// effects. The destructor joins (it does not terminate the program as
// std::thread's does); join() rethrows what the function threw.
class Thread {
 public:
  Thread() = default;
  // Starts `fn(rt)` (or `fn()`) on a new thread in the next lane. The creation is an
  // event (thread.start) at the caller's location, in the caller's lane
  // (through vector::emplace_back, the location is inside the standard
  // library; push_back(tape::Thread(...)) keeps the program's).
  template <typename F>
  Thread(Runtime& rt, F&& fn, SourceLocation loc = SourceLocation::current());
  Thread(Thread&&) noexcept = default;
  Thread& operator=(Thread&& other) noexcept {
    if (this != &other) {
      JoinQuietly();
      state_ = std::move(other.state_);
      thread_ = std::move(other.thread_);
    }
    return *this;
  }
  ~Thread() { JoinQuietly(); }

  bool joinable() const { return thread_.joinable(); }
  // The thread's lane: the same number on record and on replay.
  uint32_t lane() const { return state_ ? state_->lane : 0; }
  // Waits for the function to return; rethrows what it threw (including a
  // replay's tape::DriftError).
  void join() {
    if (!thread_.joinable()) throw std::logic_error("tape::Thread::join: not joinable");
    Wait();
    std::exception_ptr e = std::exchange(state_->error, nullptr);
    if (e) std::rethrow_exception(e);
  }

 private:
  struct State {
    Runtime* rt = nullptr;
    uint32_t lane = 0;
    Site site;
    std::atomic<bool> done{false};
    std::exception_ptr error;
  };
  template <typename F>
  static void Run(State* state, F fn);
  void Wait() {
    state_->rt->WaitOutside(state_->done);
    thread_.join();
  }
  void JoinQuietly() noexcept {
    if (!thread_.joinable()) return;
    try {
      Wait();
    } catch (...) {
    }
  }

  std::unique_ptr<State> state_;
  std::thread thread_;
};

// A mutex whose acquisitions are effects (mutex.lock, with the mutex's
// name): recording stores the order in which lanes got it, replay grants it
// in that order, so critical sections run in the recorded order. Meets
// Lockable (std::lock_guard, std::unique_lock). Unlocking is not an event.
//
// The site of its mutex.lock events is where the mutex was constructed
// (std::lock_guard hides the place of each lock() call).
class Mutex {
 public:
  // `name` appears in the trace (inspect shows mutex.lock("queue")).
  explicit Mutex(Runtime& rt, std::string name = "",
                 SourceLocation loc = SourceLocation::current())
      : rt_(&rt), name_(std::move(name)), loc_(loc) {}
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() { rt_->LockMutex(rt_->SiteOf(loc_), name_, m_); }
  void unlock() { rt_->UnlockMutex(m_); }
  const std::string& name() const { return name_; }

 private:
  Runtime* rt_;
  std::string name_;
  SourceLocation loc_;
  std::mutex m_;
};

// --- implementation ----------------------------------------------------------

template <typename F>
Thread::Thread(Runtime& rt, F&& fn, SourceLocation loc) : state_(std::make_unique<State>()) {
  state_->rt = &rt;
  state_->site = rt.SiteOf(loc);
  state_->lane = rt.StartThread(state_->site);
  thread_ = std::thread(&Thread::Run<std::decay_t<F>>, state_.get(), std::decay_t<F>(std::forward<F>(fn)));
}

template <typename F>
void Thread::Run(State* state, F fn) {
  Runtime& rt = *state->rt;
  rt.EnterThread(state->lane);
  // The end is recorded when the function returned or threw an exception of
  // the program's (a std::exception); tape's own errors (a drift, a trace
  // that cannot be written) are not std::exceptions and end the lane without
  // an event: replay stops there anyway.
  bool record_end = true;
  try {
    if constexpr (std::is_invocable_v<F&, Runtime&>) {
      fn(rt);
    } else {
      fn();
    }
  } catch (const std::exception&) {
    state->error = std::current_exception();
  } catch (...) {
    state->error = std::current_exception();
    record_end = false;
  }
  try {
    rt.ExitThread(state->site, record_end, &state->done);
  } catch (...) {
    if (!state->error) state->error = std::current_exception();
  }
}

}  // namespace tape

#endif  // TAPE_THREAD_H_
