#include "tape/embed.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "engine/internal/chaos.h"
#include "engine/internal/embed_marker.h"
#include "engine/internal/hunt.h"
#include "engine/internal/redaction.h"
#include "engine/internal/rerun_report.h"
#include "engine/internal/secret_finder.h"
#include "engine/internal/signals.h"
#include "engine/internal/std_streams.h"
#include "engine/internal/suggest.h"
#include "engine/internal/trace_suite.h"

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
      " [--redact-env GLOB]...\n"
      "            [--redact-header NAME]... [--redact-match RE]... [-- ARGS...]\n"
      "       %s replay [--trace FILE] [--ignore-code-hash] [--stop-at SEQ]\n"
      "       %s rerun [--trace FILE] [--live] [--out NEW [--force]] [--json] [--quiet]"
      " [--exit-code]\n"
      "       %s hunt [--runs N] [--jobs J] [--until exit!=K|exit==K|output~REGEX]\n"
      "            [--keep DIR] [--keep-failures K] [--timeout S] [--chaos SPEC [--seed S]]"
      " [-- ARGS...]\n"
      "       %s test [TRACE|DIR]... [--update] [--jobs J] [--timeout S] [--json]"
      " [--junit FILE] [--live]\n"
      "FILE defaults to trace.bin. record refuses to overwrite a file that is not a\n"
      "trace unless --force. --redact-env GLOB records the values of the matching\n"
      "environment variables as markers (the program still gets the values);\n"
      "--redact-header NAME those of the HTTP headers so named (a glob, any case),\n"
      "--redact-match RE the text the RE2 pattern matches, and every later copy. hunt\n"
      "records again and again until a run fails and keeps that run's trace in DIR\n"
      "(default: .); it exits 0 when a run failed, 1 when none did. rerun runs this\n"
      "program on a trace's recorded inputs and compares its outputs; --out writes what\n"
      "it saw as a trace, --json prints the report as JSON on stdout, --exit-code exits 0\n"
      "when outputs and ending are as recorded and 1 when they changed. test reruns\n"
      "this program on each kept trace (traces of other programs are errors) and exits\n"
      "0 when all passed; --update replaces the traces that failed by their reruns.\n",
      prog, prog, prog, prog, prog);
  return problem.empty() ? 0 : kExitUsage;
}

// Where record writes and replay and rerun read without --out/--trace: the
// tape command's default too (tools/cli.h kDefaultTrace).
constexpr char kDefaultTrace[] = "trace.bin";

// The flags `verb` takes, for "did you mean" (kept beside the parser below).
std::vector<std::string> FlagsOf(std::string_view verb) {
  if (verb == "record") {
    return {"--out",           "--force",        "--flush-ms", "--redact-env",
            "--redact-header", "--redact-match", "--chaos",    "--seed",
            "--help"};
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

// `prog rerun`: the report as lines on stderr or JSON on stdout, and the
// exit status (specs/rerun.md §5).
int RunRerun(const char* prog, const Program& program, RerunOptions options, bool json,
             bool quiet, bool exit_code) {
  int devnull = -1;
  if (quiet) {
    devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    options.stdout_fd = options.stderr_fd = devnull;
  } else if (json) {
    options.stdout_fd = 2;  // stdout holds the report alone
  }
  RunReport report = Rerun(program, options);
  if (devnull >= 0) ::close(devnull);
  if (json) {
    std::printf("%s\n", engine::RerunJson(report, options.trace_path).c_str());
    std::fflush(stdout);
  } else {
    for (const std::string& line : DescribeRerun(report)) {
      std::fprintf(stderr, "%s rerun: %s\n", prog, line.c_str());
    }
  }
  switch (report.status) {
    case RunReport::Status::kBadOptions:
    case RunReport::Status::kTraceError:
      std::fprintf(stderr, "%s rerun: %s\n", prog, report.error.c_str());
      break;
    case RunReport::Status::kDrift:
      std::fprintf(stderr, "%s rerun: stopped: %s\n", prog, report.drift->Describe().c_str());
      break;
    case RunReport::Status::kOk:
      if (!report.program_error.empty() && !quiet) {
        std::fprintf(stderr, "%s rerun: the program stopped: %s\n", prog,
                     report.program_error.c_str());
      }
      break;
  }
  if (!report.note.empty()) std::fprintf(stderr, "%s rerun: note: %s\n", prog, report.note.c_str());
  return engine::RerunExitCode(report, exit_code);
}

// `prog test`: this program's kept traces as a regression suite
// (specs/rerun.md §9). Each is rerun by `prog rerun` in a process of its
// own; traces of other programs are errors of their own.
int RunTest(const char* prog, const Program& program, engine::SuiteOptions suite,
            const std::vector<std::string>& paths, bool live) {
  if (paths.empty()) return Usage(prog, "test needs trace files or directories of traces");
  suite.label = std::string(prog) + " test";
  suite.command = [&program, prog, live](const std::string&, const format::TraceHeader& h)
      -> Result<std::vector<std::string>> {
    // Its own: by name, or by code for a program renamed since.
    bool own = h.program_name == program.name ||
               (!h.code_hash.empty() && h.code_hash == program.code_hash);
    if (h.program_kind != format::ProgramKind::kEmbedded || !own) {
      return Status::InvalidArgument("a trace of " +
                                     std::string(format::ProgramKindName(h.program_kind)) +
                                     " program '" + h.program_name + "', not of " + program.name);
    }
    std::vector<std::string> argv = {prog, "rerun"};
    if (live) argv.push_back("--live");
    return argv;
  };
  return engine::RunSuite(engine::CollectTraces(paths), suite);
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
  if (argc < 2) return Usage(prog, "expected 'record', 'replay', 'rerun', 'hunt' or 'test'");
  std::string_view verb = argv[1];
  if (verb == "--help" || verb == "-h") return Usage(prog, "");
  if (verb != "record" && verb != "replay" && verb != "rerun" && verb != "hunt" &&
      verb != "test") {
    return Usage(prog, "unknown command '" + std::string(verb) + "'" +
                           engine::DidYouMean(verb, {"record", "replay", "rerun", "hunt", "test"}));
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
  bool json = false, quiet = false, exit_code = false;
  engine::SuiteOptions suite;
  std::vector<std::string> test_paths;
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
    } else if (verb == "record" && arg == "--redact-header") {
      const char* v = value();
      Status ok = v ? engine::CheckRule(v) : Status::InvalidArgument("is missing");
      if (!ok.ok()) {
        return Usage(prog, "--redact-header: the name " + ok.message() + " (e.g. 'Authorization')");
      }
      rec.redact_header.push_back(v);
    } else if (verb == "record" && arg == "--redact-match") {
      const char* v = value();
      if (!v) return Usage(prog, "--redact-match needs a regular expression (RE2 syntax)");
      Status s = engine::SecretFinder().AddPattern(v);
      if (!s.ok()) return Usage(prog, "--redact-match '" + std::string(v) + "': " + s.message());
      rec.redact_match.push_back(v);
    } else if (verb == "record" && arg == "--force") {
      rec.force = true;
    } else if (verb == "replay" && arg == "--ignore-code-hash") {
      rep.ignore_code_hash = true;
    } else if (verb == "replay" && arg == "--stop-at") {
      if (!ParseNumber(value(), 0, UINT64_MAX, &n)) {
        return Usage(prog, "--stop-at needs the seq of an event (a whole number)");
      }
      rep.stop_at = n;
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
    } else if (verb == "rerun" && (arg == "--out" || arg == "-o")) {
      const char* v = value();
      if (!v) return Usage(prog, "--out needs a file name");
      rer.out_path = v;
    } else if (verb == "rerun" && arg == "--force") {
      rer.force = true;
    } else if (verb == "rerun" && arg == "--json") {
      json = true;
    } else if (verb == "rerun" && (arg == "--quiet" || arg == "-q")) {
      quiet = true;
    } else if (verb == "rerun" && arg == "--exit-code") {
      exit_code = true;
    } else if (verb == "test" && (arg == "--update" || arg == "-u")) {
      suite.update = true;
    } else if (verb == "test" && arg == "--json") {
      suite.json = true;
    } else if (verb == "test" && arg == "--live") {
      rer.live = true;
    } else if (verb == "test" && arg == "--junit") {
      const char* v = value();
      if (!v) return Usage(prog, "--junit needs a file name");
      suite.junit = v;
    } else if (verb == "test" && (arg == "--jobs" || arg == "-j")) {
      if (!ParseNumber(value(), 1, 256, &n))
        return Usage(prog, "--jobs needs a number from 1 to 256");
      suite.jobs = uint32_t(n);
    } else if (verb == "test" && arg == "--timeout") {
      if (!ParseNumber(value(), 0, 86400, &n)) {
        return Usage(prog, "--timeout needs a number of seconds from 0 (none) to 86400");
      }
      suite.timeout_s = uint32_t(n);
    } else if (verb == "test" && !arg.starts_with("-")) {
      test_paths.emplace_back(arg);
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

  if (verb == "rerun") return RunRerun(prog, program, rer, json, quiet, exit_code);
  if (verb == "test") return RunTest(prog, program, suite, test_paths, rer.live);
  RunReport report = verb == "record" ? Record(program, rec) : Replay(program, rep);
  switch (report.status) {
    case RunReport::Status::kBadOptions:  // e.g. --out names a file that is not a trace
      std::fprintf(stderr, "%s %s: %s\n", prog, argv[1], report.error.c_str());
      return kExitUsage;
    case RunReport::Status::kTraceError:
      std::fprintf(stderr, "%s %s: %s\n", prog, argv[1], report.error.c_str());
      return kExitTrace;
    case RunReport::Status::kDrift: {
      DriftInfo d = *report.drift;
      if (d.kind == DriftKind::kCodeHashMismatch) {
        // Another build of this program: what to do with the trace.
        d.hint += fmt::format(
            ": this build is not the one that recorded the trace. To run it on the recorded "
            "inputs and compare: {0} rerun --trace {1}; to keep the trace as a regression "
            "test: {0} test {1}; to replay it anyway and see where it diverges: {0} replay "
            "--trace {1} --ignore-code-hash",
            prog, rep.trace_path);
      }
      std::fprintf(stderr, "%s %s: drift: %s\n", prog, argv[1], d.Describe().c_str());
      return kExitDrift;
    }
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
