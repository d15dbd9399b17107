// The `tape` command: parses the command line (with tape::Main's parser, the
// only files that include CLI11, which is slow to compile) and hands each
// verb its arguments.

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <cstring>
#include <iostream>
#include <optional>

#include "engine/internal/command_line.h"
#include "engine/internal/signals.h"
#include "engine/internal/std_streams.h"
#include "format/layout.h"
#include "tools/cli.h"

#ifndef TAPE_VERSION
#define TAPE_VERSION "0.0.0"
#endif

namespace tape::cli {
namespace {

const char kDescription[] =
    "tape: deterministic record + replay.\n"
    "Record a program's effects (clock, random, files, env, output) into a trace;\n"
    "replay it later, byte for byte, and stop at the first call that differs.";

const char kExitCodes[] =
    "\nExit codes: record/replay/run exit with the program's own code; 2 bad usage,\n"
    "80 replay drifted from the recording, 81 a trace could not be read or written,\n"
    "82 a script does not compile; diff/verify exit 1 when traces differ / are damaged;\n"
    "rerun --exit-code exits 0 when outputs and ending are as recorded, 1 when changed;\n"
    "test exits 0 when every trace passed, 1 when one failed or could not be tested;\n"
    "hunt exits 0 when a run failed, 1 when none did, 128+N when stopped by signal N.";

using engine::WholeNumber;

// The options `inspect` and `export` share: which events.
void AddSelectOptions(CLI::App* verb, SelectArgs* s) {
  verb->add_option("--filter", s->filter,
                   "Only events of these effects (e.g. clock.now; repeat it, or separate with commas)")
      ->delimiter(',')
      ->allow_extra_args(false);
  verb->add_option("--site", s->site,
                   "Only events at this site (its hex id, or a prefix of it that names one site)");
  verb->add_option("--lane", s->lane, "Only events of this lane (thread; 0 is the program's own)")
      ->check(WholeNumber(0, 65535));
  verb->add_option("--since", s->since, "Start at this seq")->check(WholeNumber(0, UINT64_MAX));
  verb->add_option("--from", s->from,
                   "Start at this time: ISO 8601 (2026-11-25T14:02:00Z), a time of day (14:02), "
                   "+90s from the start or -5m from the end");
  verb->add_option("--to", s->to, "Stop before this time (same forms as --from)");
  verb->add_option("--grep", s->grep, "Only events whose args or result contain this text");
  verb->add_option("--grep-re", s->grep_re,
                   "Only events whose args or result match this regular expression (RE2)");
}

// The options `record` and `run` share.
void AddRecordingOptions(CLI::App* verb, RecordArgs* args) {
  engine::AddRecordingOptions(verb, {.out = &args->out,
                                     .force = &args->force,
                                     .flush_ms = &args->flush_ms,
                                     .redact_env = &args->redact_env,
                                     .redact_header = &args->redact_header,
                                     .redact_match = &args->redact_match,
                                     .chaos = &args->chaos,
                                     .seed = &args->seed});
  verb->add_option("args", args->args, "Arguments for the program's args.get() (after --)");
}

int Main(int argc, char** argv) {
  CLI::App app(kDescription, "tape");
  app.set_version_flag("--version", fmt::format("tape " TAPE_VERSION " (trace format {}.{})",
                                                format::kFormatMajor, format::kFormatMinor));
  app.require_subcommand(1);
  app.footer(kExitCodes);

  app.add_subcommand("list", "Show the built-in demo programs");

  RecordArgs record;
  CLI::App* rec = app.add_subcommand(
      "record", "Run a built-in program and record it, or any executable: tape record -- date");
  rec->add_option("program", record.program,
                  "Built-in program (see tape list), or a program that links tape (./myapp); or, "
                  "after --, any dynamically linked executable and its arguments");
  AddRecordingOptions(rec, &record);

  RecordArgs run;
  CLI::App* runc = app.add_subcommand("run", "Interpret a .tape script and record it");
  runc->add_option("script", run.program, "The .tape script")->required();
  AddRecordingOptions(runc, &run);

  HuntArgs hunt;
  CLI::App* hun = app.add_subcommand(
      "hunt", "Record a program again and again until a run fails; keep the failing trace");
  hun->add_option("program", hunt.program,
                  "Built-in program or .tape script; or, after --, any executable and its "
                  "arguments");
  engine::AddHuntOptions(hun, {.runs = &hunt.runs,
                               .jobs = &hunt.jobs,
                               .until = &hunt.until,
                               .keep = &hunt.keep,
                               .keep_failures = &hunt.keep_failures,
                               .timeout_s = &hunt.timeout_s,
                               .chaos = &hunt.chaos,
                               .seed = &hunt.seed});
  hun->add_option("args", hunt.args, "Arguments for the program's args.get() (after --)");

  ReplayArgs replay;
  CLI::App* rep = app.add_subcommand(
      "replay", "Replay a program (built-in or .tape) against a trace");
  rep->add_option("program", replay.program,
                  "Built-in program or .tape script (default: the one named in the trace); for a "
                  "recording of an executable, another build of it");
  rep->add_option("--trace,-t", replay.trace,
                  "Trace file to replay (default: trace.bin; `tape replay FILE` also works)");
  rep->add_flag("--ignore-code-hash", replay.ignore_code_hash,
                "Replay a program that changed since the recording; drift is then reported "
                "at the first call that differs");
  rep->add_flag("--debug", replay.debug,
                "For a script: where the replay drifts, open the debugger there (tape debug) "
                "instead of exiting");
  rep->add_option("--stop-at", replay.stop_at,
                  "Just before event SEQ is served, raise SIGTRAP for the debugger the replay "
                  "runs under (gdb), or stop for one to attach")
      ->check(WholeNumber(0, UINT64_MAX));

  DebugArgs debug;
  CLI::App* dbg = app.add_subcommand(
      "debug", "Debug a script's recording: breakpoints, stepping forwards and backwards, "
               "printing variables (specs/debugger.md)");
  dbg->add_option("script", debug.program,
                  "The .tape script (default: the copy the trace holds)");
  dbg->add_option("--trace,-t", debug.trace, "The recording to debug (default: trace.bin)");
  dbg->add_option("--batch,-x", debug.batch,
                  "Run the commands in this file, then exit (1 if one failed)");
  dbg->add_flag("--json", debug.json, "Each command's result as one JSON object per line");
  dbg->add_flag("--ignore-code-hash", debug.ignore_code_hash,
                "Debug a script that changed since the recording; the replay stops where it "
                "diverges");
  dbg->add_option("--snapshot-memory", debug.snapshot_memory_mb,
                  "MiB the snapshots that make going back fast may take")
      ->check(WholeNumber(1, 65536))
      ->capture_default_str();
  dbg->add_option("--snapshot-interval", debug.snapshot_interval_ms,
                  "Milliseconds of replay between two snapshots, at first (doubled whenever "
                  "the snapshots are thinned to stay within --snapshot-memory)")
      ->check(WholeNumber(1, 3600000))
      ->capture_default_str();

  DebugArgs dap;
  CLI::App* dapc = app.add_subcommand(
      "dap", "Speak the Debug Adapter Protocol on stdin/stdout, for editors (VS Code, Neovim, "
             "Emacs): the script debugger with their own UI");
  dapc->add_option("--snapshot-memory", dap.snapshot_memory_mb,
                   "MiB the snapshots that make going back fast may take")
      ->check(WholeNumber(1, 65536))
      ->capture_default_str();

  RerunArgs rerun;
  CLI::App* rer = app.add_subcommand(
      "rerun", "Run a changed program on a trace's recorded inputs and compare its outputs");
  rer->add_option("program", rerun.program,
                  "Built-in program or .tape script (default: the one named in the trace); for a "
                  "recording of an executable, another build of it");
  rer->add_option("--trace,-t", rerun.trace,
                  "The recording whose inputs to use (default: trace.bin)");
  rer->add_flag("--live", rerun.live,
                "Perform inputs the recording does not have for real (and let file writes "
                "touch the disk)");
  rer->add_option("--out,-o", rerun.out,
                  "Write what the rerun saw as a trace of the program as it is now (recorded "
                  "inputs served, inputs performed live with --live, the outputs it made)");
  rer->add_flag("--force", rerun.force, "Overwrite --out even if it is not a trace");
  rer->add_flag("--json", rerun.json,
                "The report as one JSON object on stdout (the program's output goes to stderr)");
  rer->add_flag("--quiet,-q", rerun.quiet, "Do not show the program's output");
  rer->add_flag("--exit-code", rerun.exit_code,
                "Exit 0 when the outputs and the ending are as recorded, 1 when they changed "
                "(instead of the program's own exit code)");

  TestArgs test;
  CLI::App* tst = app.add_subcommand(
      "test", "Rerun the program as it is now on kept traces; each passes when its outputs and "
              "ending are as recorded");
  tst->add_option("paths", test.paths, "Trace files, and directories of traces")->required();
  tst->add_option("--program,-p", test.program,
                  "Built-in program, .tape script or executable to test (default: each trace's "
                  "own; a script is looked for by its name here, beside the trace and above it)");
  tst->add_flag("--update,-u", test.update,
                "Replace each trace that failed by what its rerun saw (when the change is "
                "intended); the old trace stays until the new one is complete");
  tst->add_option("--jobs,-j", test.jobs, "Traces at a time (default: one per CPU)")
      ->check(WholeNumber(1, 256));
  tst->add_option("--timeout", test.timeout_s,
                  "Stop a trace's rerun after this many seconds (an error of that trace; 0: never)")
      ->check(WholeNumber(0, 86400))
      ->capture_default_str();
  tst->add_flag("--json", test.json, "One JSON object per trace, then a summary, on stdout");
  tst->add_option("--junit", test.junit, "Write a JUnit XML report to this file (for CI)");
  tst->add_flag("--live", test.live,
                "Perform inputs the recordings do not have for real (with --update, they join "
                "the new traces)");

  InspectArgs inspect;
  CLI::App* ins = app.add_subcommand("inspect", "Print the events of a trace");
  ins->add_option("file", inspect.file, "Trace file")->required();
  AddSelectOptions(ins, &inspect.select);
  ins->add_option("--limit", inspect.limit, "Show at most this many events")
      ->check(WholeNumber(1, UINT64_MAX));
  ins->add_option("--last", inspect.last, "Show the last N events (that match the filters)")
      ->check(WholeNumber(1, UINT64_MAX));
  ins->add_option("--around", inspect.around, "Show the events around this seq")
      ->check(WholeNumber(0, UINT64_MAX));
  ins->add_option("--context", inspect.context,
                  "With --around: how many events each side (default 5)")
      ->check(WholeNumber(0, 1000000));
  ins->add_flag("--json", inspect.json, "One JSON object per line");

  ExportArgs exp;
  CLI::App* ex = app.add_subcommand(
      "export", "Write a trace's events for other tools: a timeline (Perfetto, chrome://tracing, "
                "speedscope), CSV or JSON Lines");
  ex->add_option("file", exp.file, "Trace file")->required();
  ex->add_option("--format,-f", exp.format, "chrome, perfetto, csv or jsonl")
      ->check(CLI::IsMember({"chrome", "perfetto", "csv", "jsonl"}))
      ->capture_default_str();
  ex->add_option("--out,-o", exp.out, "File to write ('-': standard output)")->required();
  ex->add_flag("--force", exp.force, "Replace --out even if it is not an earlier export");
  AddSelectOptions(ex, &exp.select);
  ex->add_option("--limit", exp.limit, "Export at most this many events")
      ->check(WholeNumber(1, UINT64_MAX));
  ex->add_option("--max-payload", exp.max_payload,
                 "Carry each payload whole up to this many bytes, then cut it")
      ->check(WholeNumber(0, 1u << 30))
      ->capture_default_str();

  StatsArgs stats;
  CLI::App* sta = app.add_subcommand("stats", "Summarize a trace: kinds, hot sites, sizes, outcome");
  sta->add_option("file", stats.file, "Trace file")->required();
  sta->add_option("--top", stats.top, "How many hot sites to list")->check(WholeNumber(1, 1000));
  sta->add_flag("--json", stats.json, "One JSON object");

  DiffArgs diff;
  CLI::App* dif =
      app.add_subcommand("diff", "Show the first divergence between two traces (--all: every one)");
  dif->add_option("a", diff.a, "First trace")->required();
  dif->add_option("b", diff.b, "Second trace")->required();
  dif->add_option("--ignore", diff.ignore,
                  "Do not compare the results of this effect (e.g. clock.now; repeatable)");
  dif->add_flag("--path-only", diff.path_only,
                "Compare only where calls come from and which effects they are, not payloads");
  CLI::Option* all = dif->add_flag(
      "--all", diff.all,
      "Every divergent region, not just the first: after each, find where the traces agree "
      "again and go on");
  dif->add_option("--limit", diff.limit,
                  fmt::format("With --all: stop after this many regions (default {})",
                              kDefaultDiffLimit))
      ->check(WholeNumber(1, UINT64_MAX))
      ->needs(all);
  dif->add_flag("--json", diff.json, "One JSON object");

  BenchArgs bench;
  CLI::App* ben = app.add_subcommand("bench", "Measure record and replay cost per event");
  ben->add_option("--events,-n", bench.events, "Events to record")
      ->check(WholeNumber(1, 10000000000))
      ->capture_default_str();
  ben->add_option("--effect", bench.effect, "clock, random or write")
      ->check(CLI::IsMember({"clock", "random", "write"}))
      ->capture_default_str();
  ben->add_option("--out", bench.out, "Keep the trace in this file");
  ben->add_flag("--record-only", bench.record_only,
                "Record only (e.g. to measure the recorder's memory alone)");
  ben->add_flag("--no-read-ahead", bench.no_read_ahead,
                "Replay without the thread that decodes chunks ahead (decoding then costs the "
                "program's thread)");
  ben->add_flag("--json", bench.json, "One JSON object");

  VerifyArgs verify;
  CLI::App* ver = app.add_subcommand("verify", "Check every structure of a trace");
  ver->add_option("file", verify.file, "Trace file")->required();
  ver->add_flag("--json", verify.json, "One JSON object");

  RecoverArgs recover;
  CLI::App* recv = app.add_subcommand(
      "recover", "Write a finalized trace holding every recoverable event of a damaged one");
  recv->add_option("file", recover.file, "Damaged or interrupted trace")->required();
  recv->add_option("--out,-o", recover.out, "Trace file to write")->required();
  recv->add_flag("--force", recover.force, "Replace --out even if it is not a trace of the same program");

  RedactArgs redact;
  CLI::App* red = app.add_subcommand(
      "redact", "Write a copy of a trace with its secrets replaced by markers, to share it");
  red->add_option("file", redact.file, "Trace file")->required();
  red->add_option("--out,-o", redact.out, "Trace file to write")->required();
  red->add_option("--kind", redact.kinds,
                  "Redact every event of this effect (e.g. env.get, fs.read, or a user-defined "
                  "effect). Repeatable")
      ->allow_extra_args(false);
  red->add_option("--name", redact.names,
                  "Redact the events that name this glob: an environment variable, a file path, "
                  "a URL, a user-defined effect. Repeatable")
      ->allow_extra_args(false);
  red->add_option("--site", redact.sites,
                  "Redact every event at this site (hex id, or file:line:col). Repeatable")
      ->allow_extra_args(false);
  red->add_option("--match", redact.matches,
                  "Redact the text this regular expression (RE2) matches in any payload, the "
                  "outcome and the script; with groups, what the groups match. Repeatable")
      ->allow_extra_args(false);
  red->add_flag("--force", redact.force, "Replace --out even if it is not a trace of the same program");

  ImportArgs import;
  CLI::App* imp = app.add_subcommand(
      "import", "Convert a trace recorded by the original tape into a tape trace");
  imp->add_option("file", import.file, "Trace of the original tape (schema 2)")->required();
  imp->add_option("--out,-o", import.out, "Trace file to write")->required();
  imp->add_option("--program", import.program,
                  "The recorded program's name, when the trace's sites do not tell it");
  imp->add_flag("--force", import.force, "Replace --out even if it is not a trace of the same program");
  imp->add_flag("--recover", import.recover,
                "From a damaged trace, keep the events before the damage");

  // For record and hunt, what follows `--` is the program's command line,
  // never options of tape's: `tape record -- date -u`, `tape record dice --
  // 6`. It is set aside before parsing, so an empty `program` says that the
  // command is an executable's.
  std::vector<std::string> command;
  int parsed_argc = engine::SetAsideProgramArgs(argc, argv, {"record", "hunt"}, &command);
  engine::UsageProblem problem;
  if (std::optional<int> done = engine::ParseCommandLine(app, parsed_argc, argv, &problem)) {
    if (*done >= 0) return *done;
    std::string verb = problem.command ? problem.command->get_name() : "usage";
    std::string message = problem.unknown_flag.empty()
                              ? problem.message
                              : "unknown option " + problem.unknown_flag + problem.hint;
    std::cerr << "tape " << verb << ": " << message << "\n"
              << "Run 'tape " << (verb == "usage" ? "" : verb + " ") << "--help' for usage.\n";
    return kExitUsage;
  }

  CLI::App* chosen = app.get_subcommands().front();
  const std::string& verb = chosen->get_name();
  record.args.insert(record.args.end(), command.begin(), command.end());
  hunt.args.insert(hunt.args.end(), command.begin(), command.end());
  if (verb == "list") return RunList();
  if (verb == "record") return RunRecord(record);
  if (verb == "run") return RunScript(run);
  if (verb == "hunt") return RunHunt(hunt);
  if (verb == "replay") return RunReplay(replay);
  if (verb == "debug") return RunDebug(debug);
  if (verb == "dap") return RunDap(dap);
  if (verb == "rerun") return RunRerun(rerun);
  if (verb == "test") return RunTest(test);
  if (verb == "inspect") return RunInspect(inspect);
  if (verb == "export" || verb == "recover" || verb == "import" || verb == "redact") {
    GuardPartialOutputs();
  }
  if (verb == "export") return RunExport(exp);
  if (verb == "stats") return RunStats(stats);
  if (verb == "diff") return RunDiff(diff);
  if (verb == "bench") return RunBench(bench);
  if (verb == "verify") return RunVerify(verify);
  if (verb == "recover") return RunRecover(recover);
  if (verb == "import") return RunImport(import);
  if (verb == "redact") return RunRedact(redact);
  return kExitUsage;
}

}  // namespace
}  // namespace tape::cli

int main(int argc, char** argv) {
  // A recorder holds SIGINT, SIGTERM and SIGHUP back from its first
  // instruction until its handlers can finish the trace with them
  // (engine/internal/signals.h): a kill that comes while the command line is
  // parsed or the script compiled is not lost, nor does it end tape before
  // the trace exists.
  std::optional<tape::engine::BlockTerminatingSignals> hold;
  if (argc > 1 && (std::strcmp(argv[1], "record") == 0 || std::strcmp(argv[1], "run") == 0)) {
    hold.emplace();
  }
  tape::engine::ReserveStandardFds();
  return tape::cli::Main(argc, argv);
}
