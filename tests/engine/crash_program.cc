// A test program built on tape::Main whose behaviour is chosen by the
// TAPE_TEST_MODE environment variable (read directly, not through the
// runtime, so that record and replay run the same mode):
//   segv      a few effects, then a null pointer write (SIGSEGV)
//   abort     a few effects, then std::abort() (SIGABRT)
//   terminate a few effects, then an exception escaping a noexcept function
//   throw     a few effects, then an uncaught std::runtime_error
//   slow      forever: sleep 5 ms, clock, write a line (a slow program to kill)
//   fast      forever: clock readings in a tight loop, a line every 4096
//   thread    a few effects, then one from a raw std::thread (misuse)
//   flaky     exits 3 ("flaked") one run in four, else 0 (for `crash hunt`)
//   exit      5000 effects, then std::exit(3) from the main thread (see Exits)
//   quick_exit  the same with std::quick_exit(4)
//   thread_exit a tape::Thread makes 5000 effects, then calls std::exit(5)
//   _exit     100 effects, waits until the trace ($TAPE_TEST_TRACE) holds
//             them, then _exit(6)
//   deadlock  two tape::Threads take tape::Mutexes in opposite orders and
//             deadlock; "deadlocked" is written once both hold one
#include <unistd.h>

#include <cstdlib>
#include <latch>
#include <stdexcept>
#include <string>
#include <thread>

#include "format/clock.h"
#include "format/trace_reader.h"
#include "tape/embed.h"
#include "tape/thread.h"

namespace {

// Throws through a noexcept boundary at run time (hidden from the compiler,
// which would otherwise warn that the throw always terminates).
void Thrower(bool really) {
  if (really) throw std::runtime_error("escaped a noexcept function");
}
void Escapes() noexcept { Thrower(std::getenv("TAPE_TEST_MODE") != nullptr); }

// A real invalid write. Excluded from UBSan, which would report the null
// store itself instead of letting it fault.
__attribute__((no_sanitize("undefined"))) void WriteNowhere() {
  volatile int* nowhere = nullptr;
  *nowhere = 1;
}

// Waits until the trace at `path` holds `events` events in its chunks
// (what an interrupted recording keeps), for at most 60 s.
bool WaitUntilSealed(const char* path, uint64_t events) {
  uint64_t deadline = tape::MonotonicNs() + 60'000'000'000ull;
  while (tape::MonotonicNs() < deadline) {
    auto reader = tape::format::TraceReader::Open(path);
    if (reader.has_value() && (*reader)->event_count() >= events) return true;
    std::this_thread::yield();
  }
  return false;
}

// $TAPE_TEST_CALLS clock readings (default 4999) after the line, then
// exit($TAPE_TEST_CODE) (default 3 for exit, 4 for quick_exit): a replay
// can end earlier or with another code than its recording.
int Exits(tape::Runtime& rt, const std::string& mode) {
  const char* calls = std::getenv("TAPE_TEST_CALLS");
  const char* code = std::getenv("TAPE_TEST_CODE");
  int n = calls ? std::atoi(calls) : 4999;
  int status = code ? std::atoi(code) : mode == "quick_exit" ? 4 : 3;
  rt.IoWrite("before " + mode + "\n");
  for (int i = 0; i < n; ++i) rt.ClockNow();
  if (mode == "quick_exit") std::quick_exit(status);
  std::exit(status);
}

int Deadlock(tape::Runtime& rt) {
  tape::Mutex a(rt, "a"), b(rt, "b");
  std::latch both_hold(3);
  tape::Thread first(rt, [&](tape::Runtime&) {
    std::lock_guard hold_a(a);
    both_hold.arrive_and_wait();
    std::lock_guard hold_b(b);
  });
  tape::Thread second(rt, [&](tape::Runtime&) {
    std::lock_guard hold_b(b);
    both_hold.arrive_and_wait();
    std::lock_guard hold_a(a);
  });
  both_hold.arrive_and_wait();
  rt.IoWrite("deadlocked\n");
  first.join();
  second.join();
  return 0;
}

int Crash(tape::Runtime& rt) {
  const char* env = std::getenv("TAPE_TEST_MODE");
  std::string mode = env ? env : "";
  if (mode == "exit" || mode == "quick_exit") return Exits(rt, mode);
  if (mode == "thread_exit") {
    tape::Thread t(rt, [](tape::Runtime& lane) {
      lane.IoWrite("before exit in a thread\n");
      for (int i = 0; i < 4999; ++i) lane.ClockNow();
      std::exit(5);
    });
    t.join();
    return 0;
  }
  if (mode == "_exit") {
    rt.IoWrite("before _exit\n");
    for (int i = 0; i < 99; ++i) rt.ClockNow();
    const char* trace = std::getenv("TAPE_TEST_TRACE");
    ::_exit(trace != nullptr && WaitUntilSealed(trace, 100) ? 6 : 7);
  }
  if (mode == "deadlock") return Deadlock(rt);
  if (mode == "slow") {
    for (long i = 0;; ++i) {
      rt.TimeSleep(5);
      rt.IoWrite("tick " + std::to_string(i) + " " + std::to_string(rt.ClockNow()) + "\n");
    }
  }
  if (mode == "fast") {
    for (long i = 0;; ++i) {
      int64_t now = rt.ClockNow();
      if ((i & 4095) == 0) rt.IoWrite("at " + std::to_string(i) + " " + std::to_string(now) + "\n");
    }
  }
  if (mode == "flaky") {
    if (static_cast<unsigned char>(rt.RandomBits(1)[0]) < 64) {
      rt.IoWrite("flaked\n");
      return 3;
    }
    rt.IoWrite("fine\n");
    return 0;
  }
  rt.IoWrite("before the crash\n");
  rt.RandomBits(4);
  if (mode == "segv") {
    WriteNowhere();
  } else if (mode == "abort") {
    std::abort();
  } else if (mode == "terminate") {
    Escapes();
  } else if (mode == "thread") {
    std::thread t([&rt] { rt.ClockNow(); });
    t.join();
  } else if (mode == "throw") {
    throw std::runtime_error("the program gave up");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return tape::Main(argc, argv, {tape::ProgramKind::kEmbedded, "crash", "crash-v1", "", Crash});
}
