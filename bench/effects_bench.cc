// Benchmarks of effects beyond the eight built-in ones, each beside the
// baseline it is judged against:
//
// - A user-defined effect (Runtime::Effect) with an 8-byte result, recorded
//   and replayed, against clock.now through the same loop. The target is a
//   record cost within 1.5x of clock.now's, not counting the user's function
//   (which here only returns a counter).
// - HTTP: a GET against a local server performed for real (what `tape record`
//   pays) against its replay from the trace (no network at all).
// - tape rerun of an unchanged program (every input matched by site) against
//   strict replay of the same trace.
//
//   build/release/bench/effects_bench --benchmark_min_time=0.2

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <httplib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "tape/session.h"

namespace tape {
namespace {

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("tape-effects-bench-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

int DevNull() {
  static int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  return fd;
}

// Times `run` (one whole record, replay or rerun returning its RunReport)
// once per iteration; items are the `events` each run makes.
template <typename Run>
void TimeRuns(benchmark::State& state, int64_t events, Run run) {
  for (auto _ : state) {
    RunReport r = run();
    if (r.status != RunReport::Status::kOk || r.exit_code > 1) {
      state.SkipWithError(r.error.empty() ? "the run failed" : r.error.c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * events);
}

// n calls of clock.now, or of a user effect "counter.read" whose function
// returns an incrementing uint64_t (8 bytes in the trace).
Program Loop(bool user_effect, int64_t n) {
  Program p;
  p.kind = ProgramKind::kEmbedded;
  p.name = user_effect ? "effects-bench-user" : "effects-bench-clock";
  p.main = [user_effect, n](Runtime& rt) {
    uint64_t sink = 0, counter = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (user_effect) {
        sink ^= rt.Effect<uint64_t>("counter.read", std::string_view(), [&] { return ++counter; });
      } else {
        sink ^= uint64_t(rt.ClockNow());
      }
    }
    return sink == 42 ? 1 : 0;
  };
  return p;
}

void RecordLoop(benchmark::State& state, bool user_effect) {
  std::string path = TempPath(user_effect ? "record-user" : "record-clock");
  Program p = Loop(user_effect, state.range(0));
  RecordOptions o;
  o.trace_path = path;
  o.stdout_fd = DevNull();
  TimeRuns(state, state.range(0), [&] { return tape::Record(p, o); });
  std::filesystem::remove(path);
}

void BM_RecordClockBaseline(benchmark::State& state) { RecordLoop(state, false); }
void BM_RecordUserEffect(benchmark::State& state) { RecordLoop(state, true); }
void ReplayOrRerun(benchmark::State& state, bool user_effect, bool rerun);
void BM_ReplayClockBaseline(benchmark::State& state) { ReplayOrRerun(state, false, false); }
void BM_ReplayUserEffect(benchmark::State& state) { ReplayOrRerun(state, true, false); }
BENCHMARK(BM_RecordClockBaseline)->Arg(1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RecordUserEffect)->Arg(1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReplayClockBaseline)->Arg(1000000)->Arg(10000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReplayUserEffect)->Arg(1000000)->Unit(benchmark::kMillisecond);

// A local HTTP server answering GET /item with a 1 KiB body.
class LocalServer {
 public:
  LocalServer() {
    server_.Get("/item", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(1024, 'x'), "application/octet-stream");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~LocalServer() {
    server_.stop();
    thread_.join();
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/item"; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

Program HttpLoop(const std::string& url, int64_t n) {
  Program p;
  p.kind = ProgramKind::kEmbedded;
  p.name = "effects-bench-http";
  p.main = [url, n](Runtime& rt) {
    size_t bytes = 0;
    for (int64_t i = 0; i < n; ++i) {
      HttpResponse r = rt.HttpGet(url);
      if (!r.ok() || r.status != 200) return 2;
      bytes += r.body.size();
    }
    return bytes == 42 ? 1 : 0;
  };
  return p;
}

// Recording performs each request (curl against the local server).
void BM_HttpRecord(benchmark::State& state) {
  LocalServer server;
  std::string path = TempPath("http-record");
  Program p = HttpLoop(server.Url(), state.range(0));
  RecordOptions o;
  o.trace_path = path;
  TimeRuns(state, state.range(0), [&] { return tape::Record(p, o); });
  std::filesystem::remove(path);
}
BENCHMARK(BM_HttpRecord)->Arg(1000)->Unit(benchmark::kMillisecond);

// Replay returns the recorded responses; the server is gone by then.
void BM_HttpReplay(benchmark::State& state) {
  std::string path = TempPath("http-replay");
  std::string url;
  {
    LocalServer server;
    url = server.Url();
    RecordOptions o;
    o.trace_path = path;
    (void)tape::Record(HttpLoop(url, state.range(0)), o);
  }
  Program p = HttpLoop(url, state.range(0));
  ReplayOptions o;
  o.trace_path = path;
  TimeRuns(state, state.range(0), [&] { return tape::Replay(p, o); });
  std::filesystem::remove(path);
}
BENCHMARK(BM_HttpReplay)->Arg(1000)->Unit(benchmark::kMillisecond);

// Strict replay or rerun of the loop, unchanged, on its own recording.
void ReplayOrRerun(benchmark::State& state, bool user_effect, bool rerun) {
  std::string path = TempPath(std::string(rerun ? "rerun-" : "replay-") +
                              (user_effect ? "user" : "clock"));
  Program p = Loop(user_effect, state.range(0));
  RecordOptions ro;
  ro.trace_path = path;
  (void)tape::Record(p, ro);
  RerunOptions rerun_options;
  rerun_options.trace_path = path;
  rerun_options.stdout_fd = DevNull();
  ReplayOptions replay_options;
  replay_options.trace_path = path;
  replay_options.stdout_fd = DevNull();
  TimeRuns(state, state.range(0), [&] {
    return rerun ? tape::Rerun(p, rerun_options) : tape::Replay(p, replay_options);
  });
  std::filesystem::remove(path);
}
// tape rerun beside BM_ReplayClockBaseline/10000000.
void BM_RerunClock(benchmark::State& state) { ReplayOrRerun(state, false, true); }
BENCHMARK(BM_RerunClock)->Arg(10000000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tape

BENCHMARK_MAIN();
