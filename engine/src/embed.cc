#include "tape/embed.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "engine/internal/chaos.h"
#include "engine/internal/command_line.h"
#include "engine/internal/embed_marker.h"
#include "engine/internal/hunt.h"
#include "engine/internal/progress_line.h"
#include "engine/internal/redaction.h"
#include "engine/internal/rerun_report.h"
#include "engine/internal/secret_finder.h"
#include "engine/internal/signals.h"
#include "engine/internal/std_streams.h"
#include "engine/internal/trace_suite.h"

namespace tape {

namespace {

constexpr int kExitUsage = 2;
constexpr int kExitDrift = 80;
constexpr int kExitTrace = 81;

const char kVerbs[] = "expected 'record', 'replay', 'rerun', 'hunt' or 'test'";

const char kFooter[] =
    "\nrecord and hunt pass what follows -- to the program (record -- ARGS...). Traces\n"
    "are trace.bin unless --out or --trace names another; record refuses to replace a\n"
    "file that is not a trace of this program unless --force. hunt keeps the failing\n"
    "run's trace in --keep DIR. test reruns this program on each kept trace (traces\n"
    "of other programs are errors).\n"
    "Exit codes: record and replay exit with the program's own code; 2 bad usage,\n"
    "80 replay drifted from the recording, 81 a trace could not be read or written;\n"
    "rerun --exit-code exits 0 when outputs and ending are as recorded, 1 when they\n"
    "changed; test exits 0 when every trace passed; hunt exits 0 when a run failed,\n"
    "1 when none did, 128+N when stopped by signal N.";

// Where record writes and replay and rerun read without --out/--trace: the
// tape command's default too (tools/cli.h kDefaultTrace).
constexpr char kDefaultTrace[] = "trace.bin";

// A usage error: what is wrong, the command's usage line and where to
// read more; exit code 2.
int Usage(const char* prog, std::string_view verb, const std::string& problem) {
  std::string command(verb.empty() ? "record|replay|rerun|hunt|test" : verb);
  const char* operands = verb == "record" || verb == "hunt" ? " [-- ARGS...]"
                         : verb == "test"                   ? " TRACE|DIR..."
                                                            : "";
  std::fprintf(stderr, "%s: %s\nusage: %s %s [OPTIONS]%s ('%s %s%s--help' says more)\n", prog,
               problem.c_str(), prog, command.c_str(), operands, prog, std::string(verb).c_str(),
               verb.empty() ? "" : " ");
  return kExitUsage;
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
  if (paths.empty()) return Usage(prog, "test", "test needs trace files or directories of traces");
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
  o.command = engine::RecordingCommand({prog, "record"}, chaos, args);
  engine::Progress progress(std::string(prog) + " hunt");
  o.on_progress = [&progress](const engine::HuntReport& so_far, uint64_t elapsed_ns) {
    progress.Show([&] { return engine::HuntProgressText(so_far, elapsed_ns); });
  };
  engine::HuntReport report = engine::Hunt(o);
  progress.Finish();
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
  std::string_view first = argc > 1 ? argv[1] : "";
  // As `tape record` (tools/main.cc): SIGINT, SIGTERM and SIGHUP wait for
  // the handlers that finish the trace with them.
  std::optional<engine::BlockTerminatingSignals> hold;
  if (first == "record") hold.emplace();
  RecordOptions rec;
  ReplayOptions rep;
  // Empty until given: the default is said when it is used (as by tape).
  rec.trace_path.clear();
  rep.trace_path.clear();
  rec.handle_signals = rep.handle_signals = true;
  rec.label = std::string(prog) + " record";
  rep.label = std::string(prog) + " replay";
  RerunOptions rer;
  rer.trace_path.clear();
  rer.handle_signals = true;
  rer.label = std::string(prog) + " rerun";
  bool json = false, quiet = false, exit_code = false;
  engine::SuiteOptions suite;
  std::vector<std::string> test_paths;
  engine::HuntOptions hunt;
  std::string until = "exit!=0";
  std::optional<uint64_t> seed;

  CLI::App app("Record this program's effects into a trace, replay it, rerun a changed build "
               "on its recorded inputs, keep its traces as tests, or hunt for a rare failure.",
               prog);
  app.require_subcommand(1);
  app.footer(kFooter);
  using engine::WholeNumber;

  // Every command is declared, but only the one given gets its options:
  // declaring CLI11's options costs more instructions than the rest of a
  // recording's start-up, and a hunt starts the program once per run.
  CLI::App* record = app.add_subcommand("record", "Run this program and record it");
  if (first == "record") {
    engine::AddRecordingOptions(record, {.out = &rec.trace_path,
                                         .force = &rec.force,
                                         .flush_ms = &rec.flush_ms,
                                         .redact_env = &rec.redact_env,
                                         .redact_header = &rec.redact_header,
                                         .redact_match = &rec.redact_match,
                                         .chaos = &rec.chaos,
                                         .seed = &seed});
  }

  CLI::App* replay = app.add_subcommand("replay", "Replay this program against a trace");
  if (first == "replay") {
    replay->add_option("--trace,-t", rep.trace_path, "Trace file to replay (default: trace.bin)");
    replay->add_flag("--ignore-code-hash", rep.ignore_code_hash,
                     "Replay a build that changed since the recording; drift is then reported at "
                     "the first call that differs");
    replay->add_option("--stop-at", rep.stop_at,
                       "Just before event SEQ is served, raise SIGTRAP for the debugger the "
                       "replay runs under")
        ->check(WholeNumber(0, UINT64_MAX));
  }

  CLI::App* rerun = app.add_subcommand(
      "rerun", "Run this program on a trace's recorded inputs and compare its outputs");
  if (first == "rerun") {
    rerun->add_option("--trace,-t", rer.trace_path,
                      "The recording whose inputs to use (default: trace.bin)");
    rerun->add_flag("--live", rer.live, "Perform inputs the recording does not have for real");
    rerun->add_option("--out,-o", rer.out_path, "Write what the rerun saw as a trace");
    rerun->add_flag("--force", rer.force, "Overwrite --out even if it is not a trace");
    rerun->add_flag("--json", json, "The report as one JSON object on stdout");
    rerun->add_flag("--quiet,-q", quiet, "Do not show the program's output");
    rerun->add_flag("--exit-code", exit_code,
                    "Exit 0 when the outputs and the ending are as recorded, 1 when they changed");
  }

  CLI::App* hunt_verb = app.add_subcommand(
      "hunt", "Record this program again and again until a run fails; keep the failing trace");
  if (first == "hunt") {
    engine::AddHuntOptions(hunt_verb, {.runs = &hunt.runs,
                                       .jobs = &hunt.jobs,
                                       .until = &until,
                                       .keep = &hunt.keep_dir,
                                       .keep_failures = &hunt.keep_failures,
                                       .timeout_s = &hunt.timeout_s,
                                       .chaos = &rec.chaos,
                                       .seed = &seed});
  }

  CLI::App* test = app.add_subcommand(
      "test", "Rerun this program on kept traces; each passes when its outputs and ending are "
              "as recorded");
  if (first == "test") {
    test->add_option("paths", test_paths, "Trace files, and directories of traces");
    test->add_flag("--update,-u", suite.update, "Replace the traces that failed by their reruns");
    test->add_option("--jobs,-j", suite.jobs, "Traces at a time (default: one per CPU)")
        ->check(WholeNumber(1, 256));
    test->add_option("--timeout", suite.timeout_s,
                     "Stop a trace's rerun after this many seconds (0: never)")
        ->check(WholeNumber(0, 86400))
        ->capture_default_str();
    test->add_flag("--json", suite.json, "One JSON object per trace, then a summary, on stdout");
    test->add_option("--junit", suite.junit, "Write a JUnit XML report to this file");
    test->add_flag("--live", rer.live, "Perform inputs the recordings do not have for real");
  }

  // What follows `--` is the program's own command line (record and hunt).
  int parsed_argc = engine::SetAsideProgramArgs(argc, argv, {"record", "hunt"}, &rec.args);
  if (parsed_argc == argc && first != "record" && first != "hunt" &&
      std::find(argv + 1, argv + argc, std::string_view("--")) != argv + argc) {
    return Usage(prog, first, "program arguments are only taken by 'record' and 'hunt'");
  }
  engine::UsageProblem problem;
  if (std::optional<int> done = engine::ParseCommandLine(app, parsed_argc, argv, &problem)) {
    if (*done >= 0) return *done;
    std::string verb = problem.command ? problem.command->get_name() : "";
    if (!problem.unknown_flag.empty()) {
      return Usage(prog, verb,
                   "unknown option " + problem.unknown_flag + " for '" + verb + "'" + problem.hint);
    }
    return Usage(prog, verb, argc > 1 ? problem.message : kVerbs);
  }
  const std::string verb = app.get_subcommands().front()->get_name();
  for (const std::string& glob : rec.redact_env) {
    Status ok = engine::CheckRule(glob);
    if (!ok.ok()) {
      return Usage(prog, verb, "--redact-env: the glob " + ok.message() + " (e.g. 'API_*')");
    }
  }
  for (const std::string& name : rec.redact_header) {
    Status ok = engine::CheckRule(name);
    if (!ok.ok()) {
      return Usage(prog, verb,
                   "--redact-header: the name " + ok.message() + " (e.g. 'Authorization')");
    }
  }
  for (const std::string& pattern : rec.redact_match) {
    Status s = engine::SecretFinder().AddPattern(pattern);
    if (!s.ok()) return Usage(prog, verb, "--redact-match '" + pattern + "': " + s.message());
  }
  bool seeded = seed.has_value();
  if (seeded) rec.chaos_seed = *seed;
  bool default_trace = false;
  if (verb == "record" && rec.trace_path.empty()) {
    rec.trace_path = kDefaultTrace;
    default_trace = true;
  }
  if (verb == "rerun") rep.trace_path = rer.trace_path;
  if ((verb == "replay" || verb == "rerun") && rep.trace_path.empty()) {
    struct stat st;
    if (::stat(kDefaultTrace, &st) != 0) {
      return Usage(prog, verb,
                   std::string("nothing to ") + (verb == "replay" ? "replay" : "rerun on") +
                       ": no --trace FILE given, and no " + kDefaultTrace + " (the default) here");
    }
    rep.trace_path = rer.trace_path = kDefaultTrace;
    std::fprintf(stderr, "%s %s: %s %s (the default; --trace FILE chooses another)\n", prog,
                 verb.c_str(), verb == "replay" ? "replaying" : "rerunning on", kDefaultTrace);
  }
  if (seeded && rec.chaos.empty())
    return Usage(prog, verb, "--seed seeds chaos mode; give --chaos SPEC too");
  if (!rec.chaos.empty()) {
    Result<engine::ChaosSpec> spec = engine::ParseChaosSpec(rec.chaos);
    if (!spec.has_value()) {
      return Usage(prog, verb, "--chaos '" + rec.chaos + "': " + spec.error().message());
    }
    if (!seeded) rec.chaos_seed = engine::NewChaosSeed();
  }
  if (verb == "hunt") {
    Result<engine::HuntCondition> condition = engine::ParseHuntCondition(until);
    if (!condition.has_value()) {
      return Usage(prog, verb, "--until " + condition.error().message());
    }
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
      std::fprintf(stderr, "%s %s: %s\n", prog, verb.c_str(), report.error.c_str());
      return kExitUsage;
    case RunReport::Status::kTraceError:
      std::fprintf(stderr, "%s %s: %s\n", prog, verb.c_str(), report.error.c_str());
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
      std::fprintf(stderr, "%s %s: drift: %s\n", prog, verb.c_str(), d.Describe().c_str());
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
    std::fprintf(stderr, "%s %s: the program stopped: %s\n", prog, verb.c_str(),
                 report.program_error.c_str());
  }
  if (!report.note.empty())
    std::fprintf(stderr, "%s %s: note: %s\n", prog, verb.c_str(), report.note.c_str());
  return report.exit_code & 0xff;
}

}  // namespace tape
