#include "tape/embed.h"

#include <sys/stat.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "engine/internal/chaos.h"
#include "engine/internal/embed_marker.h"
#include "engine/internal/redaction.h"
#include "engine/internal/signals.h"
#include "engine/internal/std_streams.h"
#include "engine/internal/suggest.h"
#include "engine/src/hunt.h"

namespace tape {

namespace {

constexpr int kExitUsage = 2;
constexpr int kExitDrift = 80;
constexpr int kExitTrace = 81;

int Usage(const char* prog, const std::string& problem) {
  if (!problem.empty()) std::fprintf(stderr, "%s: %s\n", prog, problem.c_str());
  std::fprintf(
      problem.empty() ? stdout : stderr,
      "usage: %s record [--out FILE] [--force] [--flush-ms N] [--chaos SPEC [--seed S]]"
      " [--redact-env GLOB]... [-- ARGS...]\n"
      "       %s replay [--trace FILE] [--ignore-code-hash]\n"
      "       %s rerun [--trace FILE] [--live]\n"
      "       %s hunt [--runs N] [--jobs J] [--until exit!=K|exit==K|output~REGEX]\n"
      "            [--keep DIR] [--keep-failures K] [--timeout S] [--chaos SPEC [--seed S]]"
      " [-- ARGS...]\n"
      "FILE defaults to trace.bin. record refuses to overwrite a file that is not a\n"
      "trace unless --force. --redact-env GLOB records the values of the matching\n"
      "environment variables as markers (the program still gets the values). hunt\n"
      "records again and again until a run fails and keeps that run's trace in DIR\n"
      "(default: .); it exits 0 when a run failed, 1 when none did.\n",
      prog, prog, prog, prog);
  return problem.empty() ? 0 : kExitUsage;
}

// Where record writes and replay and rerun read without --out/--trace: the
// tape command's default too (tools/cli.h kDefaultTrace).
constexpr char kDefaultTrace[] = "trace.bin";

// The flags `verb` takes, for "did you mean" (kept beside the parser below).
std::vector<std::string> FlagsOf(std::string_view verb) {
  if (verb == "record") {
    return {"--out", "--force", "--flush-ms", "--redact-env", "--chaos", "--seed", "--help"};
  }
  if (verb == "replay") return {"--trace", "--ignore-code-hash", "--help"};
  if (verb == "rerun") return {"--trace", "--live", "--help"};
  return {"--runs", "--jobs", "--until", "--keep", "--keep-failures", "--timeout",
          "--chaos", "--seed", "--help"};
}

// A whole number from `lo` to `hi`.
bool ParseNumber(const char* text, uint64_t lo, uint64_t hi, uint64_t* out) {
  if (text == nullptr) return false;
  const char* end = text + std::strlen(text);
  auto [p, ec] = std::from_chars(text, end, *out);
  return p != text && p == end && ec == std::errc() && *out >= lo && *out <= hi;
}

int RunHunt(const char* prog, const Program& program, engine::HuntOptions o,
            const std::string& chaos, const std::vector<std::string>& args) {
  o.name = program.name;
  o.label = std::string(prog) + " hunt";
  o.command = [prog, &chaos, &args](uint64_t, const std::string& trace, uint64_t seed) {
    std::vector<std::string> argv = {prog, "record", "--out", trace};
    if (!chaos.empty()) argv.insert(argv.end(), {"--chaos", chaos, "--seed", std::to_string(seed)});
    if (!args.empty()) {
      argv.push_back("--");
      argv.insert(argv.end(), args.begin(), args.end());
    }
    return argv;
  };
  engine::HuntReport report = engine::Hunt(o);
  std::string replay = std::string(prog) + " replay --trace ";
  if (report.status != engine::HuntReport::Status::kError || report.runs > 0) {
    for (const std::string& line : engine::DescribeHunt(
             report, o, [&replay](const std::string& trace) { return replay + trace; })) {
      std::printf("%s\n", line.c_str());
    }
    std::fflush(stdout);
  }
  if (report.status == engine::HuntReport::Status::kError) {
    std::fprintf(stderr, "%s hunt: %s\n", prog, report.error.c_str());
  }
  return engine::HuntExitCode(report);
}

}  // namespace

int Main(int argc, char** argv, const Program& program) {
  // Keeps the marker in the executable, whatever the linker drops.
  asm volatile("" : : "r"(engine::kEmbedMarker) : "memory");
  engine::ReserveStandardFds();
  const char* prog = argc > 0 ? argv[0] : program.name.c_str();
  if (argc < 2) return Usage(prog, "expected 'record', 'replay', 'rerun' or 'hunt'");
  std::string_view verb = argv[1];
  if (verb == "--help" || verb == "-h") return Usage(prog, "");
  if (verb != "record" && verb != "replay" && verb != "rerun" && verb != "hunt") {
    return Usage(prog, "unknown command '" + std::string(verb) + "'" +
                           engine::DidYouMean(verb, {"record", "replay", "rerun", "hunt"}));
  }
  // As `tape record` (tools/main.cc): SIGINT, SIGTERM and SIGHUP wait for
  // the handlers that finish the trace with them.
  std::optional<engine::BlockTerminatingSignals> hold;
  if (verb == "record") hold.emplace();
  bool records = verb == "record" || verb == "hunt";  // takes ARGS and --chaos
  RecordOptions rec;
  ReplayOptions rep;
  // Empty until given: the default is said when it is used (as by tape).
  rec.trace_path.clear();
  rep.trace_path.clear();
  rec.handle_signals = rep.handle_signals = true;
  rec.label = std::string(prog) + " record";
  rep.label = std::string(prog) + " replay";
  RerunOptions rer;
  rer.handle_signals = true;
  rer.label = std::string(prog) + " rerun";
  engine::HuntOptions hunt;
  std::string until = "exit!=0";
  bool seeded = false;
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    uint64_t n = 0;
    if (arg == "--") {
      if (!records) return Usage(prog, "program arguments are only taken by 'record' and 'hunt'");
      for (++i; i < argc; ++i) rec.args.push_back(argv[i]);
    } else if (arg == "--help" || arg == "-h") {
      return Usage(prog, "");
    } else if (verb == "record" && (arg == "--out" || arg == "-o")) {
      const char* v = value();
      if (!v) return Usage(prog, "--out needs a file name");
      rec.trace_path = v;
    } else if (verb == "record" && arg == "--redact-env") {
      const char* v = value();
      Status ok = v ? engine::CheckRule(v) : Status::InvalidArgument("is missing");
      if (!ok.ok()) return Usage(prog, "--redact-env: the glob " + ok.message() + " (e.g. 'API_*')");
      rec.redact_env.push_back(v);
    } else if (verb == "record" && arg == "--force") {
      rec.force = true;
    } else if (verb == "replay" && arg == "--ignore-code-hash") {
      rep.ignore_code_hash = true;
    } else if (verb == "record" && arg == "--flush-ms") {
      if (!ParseNumber(value(), 1, 3600000, &n)) {
        return Usage(prog, "--flush-ms needs a number of milliseconds from 1 to 3600000");
      }
      rec.flush_ms = uint32_t(n);
    } else if (records && arg == "--chaos") {
      const char* v = value();
      if (!v) return Usage(prog, "--chaos needs a spec, e.g. fs.read=0.1 or all=0.05");
      rec.chaos = v;
    } else if (records && arg == "--seed") {
      if (!ParseNumber(value(), 0, UINT64_MAX, &n)) {
        return Usage(prog, "--seed needs a whole number from 0 to 18446744073709551615");
      }
      rec.chaos_seed = n;
      seeded = true;
    } else if ((verb == "replay" || verb == "rerun") && (arg == "--trace" || arg == "-t")) {
      const char* v = value();
      if (!v) return Usage(prog, "--trace needs a file name");
      rep.trace_path = rer.trace_path = v;
    } else if (verb == "rerun" && arg == "--live") {
      rer.live = true;
    } else if (verb == "hunt" && arg == "--runs") {
      if (!ParseNumber(value(), 1, 1000000000, &n)) {
        return Usage(prog, "--runs needs a number from 1 to 1000000000");
      }
      hunt.runs = n;
    } else if (verb == "hunt" && arg == "--jobs") {
      if (!ParseNumber(value(), 1, 256, &n))
        return Usage(prog, "--jobs needs a number from 1 to 256");
      hunt.jobs = uint32_t(n);
    } else if (verb == "hunt" && arg == "--until") {
      const char* v = value();
      if (!v) return Usage(prog, "--until needs exit!=K, exit==K or output~REGEX");
      until = v;
    } else if (verb == "hunt" && arg == "--keep") {
      const char* v = value();
      if (!v) return Usage(prog, "--keep needs a directory");
      hunt.keep_dir = v;
    } else if (verb == "hunt" && arg == "--keep-failures") {
      if (!ParseNumber(value(), 1, 1000, &n)) {
        return Usage(prog, "--keep-failures needs a number from 1 to 1000");
      }
      hunt.keep_failures = uint32_t(n);
    } else if (verb == "hunt" && arg == "--timeout") {
      if (!ParseNumber(value(), 0, 86400, &n)) {
        return Usage(prog, "--timeout needs a number of seconds from 0 (none) to 86400");
      }
      hunt.timeout_s = uint32_t(n);
    } else if (arg.starts_with("--")) {
      std::string name(arg.substr(0, arg.find('=')));
      return Usage(prog, "unknown option " + name + " for '" + std::string(verb) + "'" +
                             engine::DidYouMean(name, FlagsOf(verb), ""));
    } else {
      return Usage(prog, "unexpected argument '" + std::string(arg) + "'");
    }
  }
  bool default_trace = false;
  if (verb == "record" && rec.trace_path.empty()) {
    rec.trace_path = kDefaultTrace;
    default_trace = true;
  }
  if ((verb == "replay" || verb == "rerun") && rep.trace_path.empty()) {
    struct stat st;
    if (::stat(kDefaultTrace, &st) != 0) {
      return Usage(prog, std::string("nothing to ") + (verb == "replay" ? "replay" : "rerun on") +
                             ": no --trace FILE given, and no " + kDefaultTrace +
                             " (the default) here");
    }
    rep.trace_path = rer.trace_path = kDefaultTrace;
    std::fprintf(stderr, "%s %s: %s %s (the default; --trace FILE chooses another)\n", prog,
                 argv[1], verb == "replay" ? "replaying" : "rerunning on", kDefaultTrace);
  }
  if (seeded && rec.chaos.empty())
    return Usage(prog, "--seed seeds chaos mode; give --chaos SPEC too");
  if (!rec.chaos.empty()) {
    Result<engine::ChaosSpec> spec = engine::ParseChaosSpec(rec.chaos);
    if (!spec.has_value()) {
      return Usage(prog, "--chaos '" + rec.chaos + "': " + spec.error().message());
    }
    if (!seeded) rec.chaos_seed = engine::NewChaosSeed();
  }
  if (verb == "hunt") {
    Result<engine::HuntCondition> condition = engine::ParseHuntCondition(until);
    if (!condition.has_value()) return Usage(prog, "--until " + condition.error().message());
    hunt.until = *condition;
    hunt.chaos = !rec.chaos.empty();
    hunt.seed = rec.chaos_seed;
    return RunHunt(prog, program, hunt, rec.chaos, rec.args);
  }

  RunReport report = verb == "record"   ? Record(program, rec)
                     : verb == "replay" ? Replay(program, rep)
                                        : Rerun(program, rer);
  for (const std::string& line : DescribeRerun(report)) {
    std::fprintf(stderr, "%s rerun: %s\n", prog, line.c_str());
  }
  switch (report.status) {
    case RunReport::Status::kBadOptions:  // e.g. --out names a file that is not a trace
      std::fprintf(stderr, "%s %s: %s\n", prog, argv[1], report.error.c_str());
      return kExitUsage;
    case RunReport::Status::kTraceError:
      std::fprintf(stderr, "%s %s: %s\n", prog, argv[1], report.error.c_str());
      return kExitTrace;
    case RunReport::Status::kDrift:
      std::fprintf(stderr, "%s %s: drift: %s\n", prog, argv[1], report.drift->Describe().c_str());
      return kExitDrift;
    case RunReport::Status::kOk:
      break;
  }
  if (default_trace) {
    std::fprintf(stderr, "%s record: recorded to %s (the default; --out FILE chooses another)\n",
                 prog, kDefaultTrace);
  }
  // What the program stopped with (an uncaught exception), as the CLI shows it.
  if (!report.program_error.empty()) {
    std::fprintf(stderr, "%s %s: the program stopped: %s\n", prog, argv[1],
                 report.program_error.c_str());
  }
  if (!report.note.empty())
    std::fprintf(stderr, "%s %s: note: %s\n", prog, argv[1], report.note.c_str());
  return report.exit_code & 0xff;
}

}  // namespace tape
