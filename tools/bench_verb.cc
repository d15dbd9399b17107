// tape bench [--events N] [--effect clock|random|write] [--json]
//
// Records N calls of one effect into a real trace file (compression, writing
// and closing included), then replays them from that file, and reports the
// cost per event of each and the trace's size.

#include <fcntl.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "format/clock.h"
#include "format/output_file.h"
#include "tape/session.h"
#include "tools/cli.h"

namespace tape::cli {

namespace {


Program BenchProgram(const std::string& effect, uint64_t events, Progress* progress) {
  Program p;
  p.kind = ProgramKind::kEmbedded;
  p.name = "tape-bench-" + effect;
  auto report = [progress](uint64_t i) {
    if ((i & 0xfffff) == 0) progress->Update(i);
  };
  if (effect == "clock") {
    p.main = [events, report](Runtime& rt) {
      int64_t sink = 0;
      for (uint64_t i = 0; i < events; ++i) {
        sink ^= rt.ClockNow();
        report(i);
      }
      return sink == 42 ? 1 : 0;  // keeps the loop from being optimised away
    };
  } else if (effect == "random") {
    p.main = [events, report](Runtime& rt) {
      size_t sink = 0;
      for (uint64_t i = 0; i < events; ++i) {
        sink += rt.RandomBits(8).size();
        report(i);
      }
      return sink == 42 ? 1 : 0;
    };
  } else {
    p.main = [events, report](Runtime& rt) {
      int sink = 0;
      for (uint64_t i = 0; i < events; ++i) {
        sink |= rt.IoWrite("tick\n");
        report(i);
      }
      return sink == 42 ? 1 : 0;
    };
  }
  return p;
}

// The same effect done directly, without tape: the cost the recording is
// compared with. At most 20M calls, enough for a stable average.
// The effect is chosen outside the timed loop, which holds the call alone.
double BareNsPerCall(const std::string& effect, uint64_t events, int devnull) {
  uint64_t n = std::min<uint64_t>(events, 20000000);
  uint64_t sink = 0;
  uint64_t start = MonotonicNs();
  if (effect == "clock") {
    for (uint64_t i = 0; i < n; ++i) {
      timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      sink += uint64_t(ts.tv_nsec);
    }
  } else if (effect == "random") {
    for (uint64_t i = 0; i < n; ++i) {
      char buf[8];
      sink += uint64_t(getrandom(buf, sizeof buf, 0));
    }
  } else {
    for (uint64_t i = 0; i < n; ++i) sink += uint64_t(::write(devnull, "tick\n", 5));
  }
  uint64_t took = MonotonicNs() - start;
  if (sink == 42) std::fprintf(stderr, " ");  // keeps the loop
  return double(took) / double(n);
}

}  // namespace

int RunBench(const BenchArgs& args) {
  std::string path = args.out;
  if (path.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tape-bench-XXXXXX").string();
    int fd = mkstemp(tmpl.data());
    if (fd < 0) return Fail("bench", kExitTrace, "cannot create a temporary trace file");
    ::close(fd);
    path = tmpl;
  } else {
    // The benchmark replays what it recorded: a device or FIFO cannot be
    // read back, so only a regular file (or a new one) will do.
    Result<format::OutputTarget> target = format::CheckOutputTarget(path, /*force=*/true);
    if (target.has_value() && target->kind == format::OutputTarget::Kind::kStream) {
      return Fail("bench", kExitUsage,
                  "refusing to write to " + path + ": it is " +
                      format::FileTypeName(target->st.st_mode) +
                      ", not a regular file; bench reads its trace back, so --out must name a "
                      "regular file");
    }
    Status ok = CheckOutputPath(path, false);
    if (!ok.ok()) return Fail("bench", kExitUsage, ok.message());
  }
  int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);

  double bare_ns = BareNsPerCall(args.effect, args.events, devnull);
  Progress record_progress("recording", args.events);
  Program program = BenchProgram(args.effect, args.events, &record_progress);
  RecordOptions ro;
  ro.trace_path = path;
  ro.stdout_fd = devnull;
  ro.handle_signals = true;  // a file-size limit or Ctrl-C still leaves a valid trace
  ro.label = "tape bench";
  uint64_t t0 = MonotonicNs();
  RunReport recorded = Record(program, ro);
  uint64_t t1 = MonotonicNs();
  record_progress.Finish();
  if (recorded.status != RunReport::Status::kOk) {
    if (args.out.empty()) std::filesystem::remove(path);
    return Fail("bench", kExitTrace, recorded.error);
  }
  uint64_t trace_bytes = std::filesystem::file_size(path);

  RunReport replayed;
  uint64_t t2 = 0, t3 = 0;
  if (!args.record_only) {
    Progress replay_progress("replaying", args.events);
    program = BenchProgram(args.effect, args.events, &replay_progress);
    ReplayOptions rp;
    rp.trace_path = path;
    rp.stdout_fd = devnull;
    rp.read_ahead = !args.no_read_ahead;
    t2 = MonotonicNs();
    replayed = Replay(program, rp);
    t3 = MonotonicNs();
  }
  ::close(devnull);
  if (args.out.empty()) std::filesystem::remove(path);
  if (replayed.status != RunReport::Status::kOk) {
    return Fail("bench", kExitTrace,
                replayed.drift ? replayed.drift->Describe() : replayed.error);
  }

  double n = double(args.events);
  double record_ns = double(t1 - t0) / n, replay_ns = double(t3 - t2) / n;  // 0: not replayed
  double bytes = double(trace_bytes) / n;
  std::string effect = args.effect == "clock" ? "clock.now" : args.effect == "random" ? "random.bits(8)" : "io.write(5 bytes)";
  if (args.json) {
    nlohmann::ordered_json j = {{"effect", args.effect},
                        {"events", args.events},
                        {"record_ns_per_event", record_ns},
                        {"replay_ns_per_event", replay_ns},
                        {"read_ahead", !args.no_read_ahead},
                        {"bytes_per_event", bytes},
                        {"trace_bytes", trace_bytes},
                        {"bare_ns_per_call", bare_ns},
                        {"record_over_bare", record_ns / bare_ns}};
    std::printf("%s\n", j.dump().c_str());
    return kExitOk;
  }
  std::printf("%-18s %12s %12s %12s %12s %12s %12s\n", "effect", "events", "bare ns/call",
              "record ns/ev", "record/bare", "replay ns/ev", "bytes/ev");
  std::printf("%-18s %12llu %12.1f %12.1f %11.2fx %12.1f %12.2f\n", effect.c_str(),
              (unsigned long long)args.events, bare_ns, record_ns, record_ns / bare_ns, replay_ns,
              bytes);
  std::printf("trace: %llu bytes%s%s\n", (unsigned long long)trace_bytes,
              args.out.empty() ? " (temporary, removed)" : (" in " + args.out).c_str(),
              args.no_read_ahead ? "; replayed without read-ahead" : "");
  return kExitOk;
}

}  // namespace tape::cli
