// Benchmarks of the rows of the README's performance table that involve the
// runtime and the tools: record and replay through a real trace file, and
// `tape inspect --since`, `tape stats` and `tape diff` on generated traces
// of growing size (run in-process, output sent to /dev/null).
//
//   build/release/bench/engine_bench --benchmark_min_time=0.2

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "engine/internal/chaos.h"
#include "format/trace_writer.h"
#include "tape/session.h"
#include "tape/thread.h"
#include "tools/cli.h"

namespace tape {
namespace {

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("tape-engine-bench-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

Program Loop(const std::string& effect, int64_t n) {
  Program p;
  p.kind = ProgramKind::kEmbedded;
  p.name = "engine-bench-" + effect;
  p.main = [effect, n](Runtime& rt) {
    int64_t sink = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (effect == "clock") {
        sink ^= rt.ClockNow();
      } else if (effect == "random") {
        sink += int64_t(rt.RandomBits(8).size());
      } else {
        sink += rt.IoWrite("tick\n");
      }
    }
    return sink == 42 ? 1 : 0;
  };
  return p;
}

int DevNull() {
  static int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  return fd;
}

void Record(benchmark::State& state, const std::string& effect, const std::string& chaos = "") {
  std::string path = TempPath("record-" + effect);
  Program p = Loop(effect, state.range(0));
  for (auto _ : state) {
    RecordOptions o;
    o.trace_path = path;
    o.stdout_fd = DevNull();
    o.chaos = chaos;
    RunReport r = tape::Record(p, o);
    if (r.status != RunReport::Status::kOk) state.SkipWithError(r.error.c_str());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["bytes_per_event"] = double(std::filesystem::file_size(path)) / double(state.range(0));
  std::filesystem::remove(path);
}
void BM_RecordClock(benchmark::State& state) { Record(state, "clock"); }
void BM_RecordRandom(benchmark::State& state) { Record(state, "random"); }
void BM_RecordWrite(benchmark::State& state) { Record(state, "write"); }
BENCHMARK(BM_RecordClock)->Arg(1000000)->Arg(10000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RecordRandom)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RecordWrite)->Arg(1000000)->Unit(benchmark::kMillisecond);

// Chaos mode on, nothing perturbed: against BM_RecordClock/10000000, the per-event
// cost of asking the generator. "Other": the spec names another effect (one
// load and compare per call); "Idle": it names clock.now with a probability
// so small that nothing fires (a generator step per call).
void BM_RecordClockChaosOther(benchmark::State& state) { Record(state, "clock", "fs.read=0.5"); }
void BM_RecordClockChaosIdle(benchmark::State& state) {
  Record(state, "clock", "clock.now=1e-15");
}
BENCHMARK(BM_RecordClockChaosOther)->Arg(10000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RecordClockChaosIdle)->Arg(10000000)->Unit(benchmark::kMillisecond);

// Chaos::Draw alone, as above (0: another effect named; 1: a draw that does not fire).
void BM_ChaosDraw(benchmark::State& state) {
  engine::Chaos chaos(*engine::ParseChaosSpec(state.range(0) ? "clock.now=1e-15" : "fs.read=0.5"),
                      1);
  for (auto _ : state) benchmark::DoNotOptimize(chaos.Draw(EffectKind::kClockNow));
}
BENCHMARK(BM_ChaosDraw)->Arg(0)->Arg(1);

void BM_ReplayClock(benchmark::State& state) {
  std::string path = TempPath("replay-clock");
  Program p = Loop("clock", state.range(0));
  RecordOptions ro;
  ro.trace_path = path;
  (void)tape::Record(p, ro);
  for (auto _ : state) {
    ReplayOptions o;
    o.trace_path = path;
    RunReport r = tape::Replay(p, o);
    if (r.status != RunReport::Status::kOk) state.SkipWithError("replay drifted");
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  std::filesystem::remove(path);
}
BENCHMARK(BM_ReplayClock)->Arg(1000000)->Unit(benchmark::kMillisecond);

// Threads: `lanes` tape::Threads each read the clock n / lanes times (lanes
// = 0: the program's own thread reads it n times, no threads at all).
Program LanesLoop(int64_t lanes, int64_t n) {
  Program p;
  p.kind = ProgramKind::kEmbedded;
  p.name = "engine-bench-lanes";
  p.main = [lanes, n](Runtime& rt) {
    std::atomic<int64_t> sink{0};
    auto work = [&](int64_t count) {
      int64_t local = 0;
      for (int64_t i = 0; i < count; ++i) local ^= rt.ClockNow();
      sink ^= local;
    };
    if (lanes == 0) {
      work(n);
    } else {
      std::vector<tape::Thread> threads;
      for (int64_t l = 0; l < lanes; ++l) {
        threads.push_back(tape::Thread(rt, [&] { work(n / lanes); }));
      }
      for (auto& t : threads) t.join();
    }
    return sink.load() == 42 ? 1 : 0;
  };
  return p;
}

// Record cost per clock.now with the events spread over `lanes` threads.
// items/s counts events of all lanes together.
void BM_RecordClockLanes(benchmark::State& state) {
  std::string path = TempPath("record-lanes");
  int64_t lanes = state.range(0), n = state.range(1);
  Program p = LanesLoop(lanes, n);
  for (auto _ : state) {
    RecordOptions o;
    o.trace_path = path;
    o.stdout_fd = DevNull();
    RunReport r = tape::Record(p, o);
    if (r.status != RunReport::Status::kOk) state.SkipWithError(r.error.c_str());
  }
  state.SetItemsProcessed(state.iterations() * n);
  std::filesystem::remove(path);
}
BENCHMARK(BM_RecordClockLanes)
    ->ArgsProduct({{0, 1, 2, 4}, {2000000}})
    ->ArgNames({"lanes", "events"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Replay cost with lanes: the recorded order is enforced across threads.
void BM_ReplayClockLanes(benchmark::State& state) {
  std::string path = TempPath("replay-lanes");
  int64_t lanes = state.range(0), n = state.range(1);
  Program p = LanesLoop(lanes, n);
  RecordOptions ro;
  ro.trace_path = path;
  ro.stdout_fd = DevNull();
  (void)tape::Record(p, ro);
  for (auto _ : state) {
    ReplayOptions o;
    o.trace_path = path;
    o.stdout_fd = DevNull();
    RunReport r = tape::Replay(p, o);
    if (r.status != RunReport::Status::kOk) state.SkipWithError("replay drifted");
  }
  state.SetItemsProcessed(state.iterations() * n);
  std::filesystem::remove(path);
}
BENCHMARK(BM_ReplayClockLanes)
    ->ArgsProduct({{0, 1, 2, 4}, {200000}})
    ->ArgNames({"lanes", "events"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// A deterministic clock trace of n events (cached per size); with
// `change_last`, the final reading differs.
const std::string& ClockTrace(int64_t n, bool change_last) {
  static std::map<std::pair<int64_t, bool>, std::string> made;
  auto key = std::make_pair(n, change_last);
  auto it = made.find(key);
  if (it != made.end()) return it->second;
  std::string path = TempPath("trace-" + std::to_string(n) + (change_last ? "-last" : ""));
  format::TraceHeader h;
  h.program_name = "engine-bench";
  auto w = format::TraceWriter::Create(path, h, format::WriterOptions());
  uint64_t t = 1764000000000000000ull, x = 88172645463325252ull;
  for (int64_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    t += 25 + x % 16;
    uint8_t r[8];
    format::StoreU64(r, (change_last && i + 1 == n) ? t + 1 : t);
    (*w)->Append(0xc10c, 1, {}, {r, 8});
  }
  (void)(*w)->Finish(format::Outcome::Exited(0));
  return made[key] = path;
}

// Runs a verb with its standard output sent to /dev/null.
template <typename F>
int Quietly(F verb) {
  std::fflush(stdout);
  int saved = ::dup(1);
  ::dup2(DevNull(), 1);
  int code = verb();
  std::fflush(stdout);
  ::dup2(saved, 1);
  ::close(saved);
  return code;
}

void BM_InspectSince(benchmark::State& state) {
  cli::InspectArgs args;
  args.file = ClockTrace(state.range(0), false);
  args.select.since = uint64_t(state.range(0)) - 10;
  args.limit = 10;
  for (auto _ : state) Quietly([&] { return cli::RunInspect(args); });
}
BENCHMARK(BM_InspectSince)->Arg(1000000)->Arg(10000000)->Unit(benchmark::kMillisecond);

void BM_Stats(benchmark::State& state) {
  cli::StatsArgs args;
  args.file = ClockTrace(state.range(0), false);
  for (auto _ : state) Quietly([&] { return cli::RunStats(args); });
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Stats)->Arg(1000000)->Arg(10000000)->Unit(benchmark::kMillisecond);

void BM_DiffLastEvent(benchmark::State& state) {
  cli::DiffArgs args;
  args.a = ClockTrace(state.range(0), false);
  args.b = ClockTrace(state.range(0), true);
  for (auto _ : state) {
    if (Quietly([&] { return cli::RunDiff(args); }) != cli::kExitDifferent) {
      state.SkipWithError("the traces should differ");
    }
  }
}
BENCHMARK(BM_DiffLastEvent)->Arg(1000000)->Arg(10000000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tape

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::temp_directory_path())) {
    if (entry.path().filename().string().starts_with("tape-engine-bench-" + std::to_string(::getpid()))) {
      std::filesystem::remove(entry.path());
    }
  }
  return 0;
}
