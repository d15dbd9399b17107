// Interpreter overhead (specs/language.md §13).
//
// BM_ClockNowLoop: a script loop of clock.now() calls against a runtime
// whose effects do nothing, so the time per call is the interpreter's own
// (loop step, host call dispatch, the virtual call, the pop). Compare it with
// the recorder's per-event cost.
// BM_Fib: recursive fib(27), for script calls and int arithmetic.

#include <benchmark/benchmark.h>

#include <string>

#include "engine/lang/script.h"
#include "tape/runtime.h"

namespace {

// Every effect returns at once, with a result of its effect's layout (an
// 8-byte clock reading; for the other effects the benchmarks do not call,
// four zero bytes).
class NoopRuntime : public tape::Runtime {
 public:
  std::string_view Perform(const tape::Site&, tape::EffectKind kind, std::string_view,
                           const tape::LiveCall&) override {
    ++calls_;
    return kind == tape::EffectKind::kClockNow ? std::string_view(kZeros, 8)
                                               : std::string_view(kZeros, 4);
  }
  uint64_t seq() const override { return static_cast<uint64_t>(calls_); }

 protected:
  void OnUserKind(tape::EffectKind, std::string_view) override {}

 private:
  static constexpr char kZeros[8] = {};
  int64_t calls_ = 0;
};

std::shared_ptr<const tape::lang::Script> MustCompile(const std::string& source) {
  auto script = tape::lang::Script::Compile("bench.tape", source);
  if (!script.has_value()) {
    fprintf(stderr, "%s\n", script.error().message().c_str());
    std::abort();
  }
  return *script;
}

// Runs `source`, a loop of n effect calls, and reports the cost per call.
void RunEffectLoop(benchmark::State& state, const std::string& source) {
  const int64_t n = state.range(0);
  auto script = MustCompile(source);
  NoopRuntime rt;
  for (auto _ : state) benchmark::DoNotOptimize(script->Run(rt));
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["ns_per_call"] = benchmark::Counter(
      static_cast<double>(state.iterations() * n),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_ClockNowLoop(benchmark::State& state) {
  RunEffectLoop(state, "for i in 0.." + std::to_string(state.range(0)) + " { clock.now(); }");
}
BENCHMARK(BM_ClockNowLoop)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

// The same loop, keeping each reading: a typical "measure elapsed" pattern.
void BM_ClockNowElapsed(benchmark::State& state) {
  RunEffectLoop(state, "let t0 = clock.now();\nlet total = 0;\nfor i in 0.." +
                           std::to_string(state.range(0)) +
                           " {\n  total = total + (clock.now() - t0);\n}\n");
}
BENCHMARK(BM_ClockNowElapsed)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

void BM_Fib(benchmark::State& state) {
  auto script = MustCompile(
      "fn fib(n) {\n"
      "  if (n < 2) { return n; }\n"
      "  return fib(n - 1) + fib(n - 2);\n"
      "}\n"
      "if (fib(" + std::to_string(state.range(0)) + ") != 196418) { return 1; }\n");
  NoopRuntime rt;
  for (auto _ : state) {
    if (script->Run(rt) != 0) state.SkipWithError("wrong fib result");
  }
}
BENCHMARK(BM_Fib)->Arg(27)->Unit(benchmark::kMillisecond);

// Compiling a mid-sized script (what `tape run` pays once).
void BM_Compile(benchmark::State& state) {
  std::string source;
  for (int i = 0; i < 1000; ++i) {
    source += "fn f" + std::to_string(i) + "(a, b) {\n  let c = a * 2 + b;\n"
              "  if (c > 10) { print(c); }\n  return [c, \"s\", {\"k\": c}];\n}\n";
  }
  for (auto _ : state) benchmark::DoNotOptimize(tape::lang::Script::Compile("c.tape", source));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(source.size()));
}
BENCHMARK(BM_Compile)->Unit(benchmark::kMillisecond);

}  // namespace
