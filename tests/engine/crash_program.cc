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
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

#include "tape/embed.h"

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

int Crash(tape::Runtime& rt) {
  const char* env = std::getenv("TAPE_TEST_MODE");
  std::string mode = env ? env : "";
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
