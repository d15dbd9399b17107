// workers: threads that take turns at a shared log. Each worker draws random
// bytes and appends to the log under a tape::Mutex; the log's order depends
// on the scheduler when recorded, and is the recorded order on replay.
// Arguments: [workers (1..64, default 4)] [rounds per worker (1..100000000,
// default 1000)].
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "engine/programs/programs.h"
#include "tape/thread.h"

namespace tape::programs {

namespace {

// args[i] as a number in [lo, hi], or `fallback` when absent or not one.
int Arg(const std::vector<std::string>& args, size_t i, int lo, int hi, int fallback) {
  if (i >= args.size()) return fallback;
  char* end = nullptr;
  long v = std::strtol(args[i].c_str(), &end, 10);
  if (end == args[i].c_str() || *end != '\0' || v < lo || v > hi) return fallback;
  return int(v);
}

}  // namespace

int Workers(Runtime& rt) {
  std::vector<std::string> args = rt.ArgsGet();
  int workers = Arg(args, 0, 1, 64, 4);
  int rounds = Arg(args, 1, 1, 100000000, 1000);
  tape::Mutex m(rt, "log");
  std::vector<std::string> log;
  std::vector<tape::Thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.push_back(tape::Thread(rt, [&, w] {
      for (int i = 0; i < rounds; ++i) {
        std::string b = rt.RandomBits(1);
        std::lock_guard g(m);
        log.push_back(std::to_string(w) + ":" + std::to_string(uint8_t(b[0])));
      }
    }));
  }
  for (auto& t : threads) t.join();
  std::string out;
  for (const std::string& line : log) out += line + "\n";
  rt.IoWrite(out);
  return 0;
}

}  // namespace tape::programs
