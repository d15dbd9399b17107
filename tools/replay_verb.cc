// tape replay [<program>] --trace FILE [--debug] [--stop-at SEQ]: run the
// program again on the recorded answers.

#include <fmt/core.h>

#include <cstdio>
#include <iostream>

#include "engine/programs/programs.h"
#include "engine/internal/signals.h"
#include "tape/session.h"
#include "tools/cli.h"
#include "tools/debug_target.h"
#include "tools/executable.h"
#include "tools/interposed_run.h"
#include "tools/embedded_program.h"
#include "tools/original_import.h"
#include "tools/program_loader.h"

namespace tape::cli {

namespace {

// `replay --debug` of a script: the replay runs under the debugger; where it
// drifts, the debugger's prompt opens there. A replay that ends as
// recorded exits as `tape replay` does.
int ReplayUnderDebugger(const ReplayArgs& args) {
  DebugTargetArgs targs;
  targs.script = args.program;
  targs.trace = args.trace;
  targs.ignore_code_hash = args.ignore_code_hash;
  DebugTargetError error;
  std::unique_ptr<DebugTarget> target = OpenDebugTarget(targs, &error);
  if (!target) return Fail("replay", error.exit_code, error.message);
  debug::Debugger& d = *target->debugger;
  d.set_output_sink([](uint64_t, bool is_stderr, std::string_view bytes) {
    FILE* out = is_stderr ? stderr : stdout;
    std::fwrite(bytes.data(), 1, bytes.size(), out);
    std::fflush(out);
  });
  Result<debug::Stop> stop = d.Continue();
  if (!stop.has_value()) return Fail("replay", kExitUsage, stop.error().message());
  switch (stop->reason) {
    case debug::StopReason::kExited: return d.machine().exit_code() & 0xff;
    case debug::StopReason::kError:
      PrintProgramError("replay", stop->message);
      return 1;
    case debug::StopReason::kTraceError: return Fail("replay", kExitTrace, stop->message);
    default: break;
  }
  Error("replay", "the replay drifted: the debugger stops there (`help` lists its commands)");
  DebugSessionOptions options;
  DebugSession(target.get(), options);
  return kExitDrift;
}

// Replays a recording of a program that was not written for tape: runs it
// again under the interposer, which answers its calls from the trace.
int ReplayExecutable(const ReplayArgs& args, const format::TraceReader& reader) {
  const format::TraceHeader& h = reader.header();
  if (!args.program.empty()) {
    return Fail("replay", kExitUsage,
                args.trace + " is a recording of the executable " + h.program_name +
                    "; replay it without naming a program: tape replay " + args.trace);
  }
  Result<InterposedRun> prepared = ReplayRunOf(reader, args.trace, "tape replay");
  if (!prepared.has_value()) return Fail("replay", kExitTrace, prepared.error().message());
  Result<std::string> hash = HashExecutable(h.program_name);
  if (!hash.has_value()) {
    return Fail("replay", kExitUsage,
                "the recorded program " + h.program_name + " cannot be run here (" +
                    hash.error().message() + "); replay needs the same executable");
  }
  if (*hash != h.code_hash && !args.ignore_code_hash) {
    DriftInfo d{DriftKind::kCodeHashMismatch, 0, "code hash " + format::ToHex(h.code_hash),
                "code hash " + format::ToHex(*hash),
                "the executable " + h.program_name +
                    " changed since the recording (to replay it anyway and see where it "
                    "diverges: --ignore-code-hash)"};
    return Fail("replay", kExitDrift, "drift: " + d.Describe());
  }
  std::string recorded = reader.outcome().Describe();
  Result<InterposedOutcome> ran = RunInterposed(std::move(prepared).value());
  if (!ran.has_value()) return Fail("replay", kExitTrace, ran.error().message());
  const preload::Report& report = ran->report;
  switch (report.status) {
    case preload::Report::Status::kOk:
      if (StderrIsTerminal()) {
        std::cerr << "tape replay: " << report.events << " effect calls replayed; the program "
                  << recorded << ", as recorded\n";
      }
      return ran->ExitCode();
    case preload::Report::Status::kDrift: {
      std::string line = report.caller_module.empty()
                             ? ""
                             : SourceLine(report.caller_module, report.caller_offset);
      if (!line.empty()) Error("replay", "the program's call that drifted: " + line);
      return ran->ExitCode();
    }
    case preload::Report::Status::kNone:
      if (ran->exited) {
        return Fail("replay", kExitTrace,
                    "the program ran without tape's interposer: the loader did not load it (see "
                    "its message above)");
      }
      if (reader.outcome().kind != format::OutcomeKind::kSignal ||
          reader.outcome().code != ran->signal) {
        const char* name = engine::SignalName(ran->signal);
        Error("replay", fmt::format("the program was killed by signal {}", ran->signal) +
                            (name[0] ? std::string(" (") + name + ")" : "") +
                            "; when recorded, it " + recorded);
      }
      return ran->ExitCode();
    default:
      return ran->ExitCode();
  }
}

}  // namespace

int RunReplay(const ReplayArgs& in) {
  ReplayArgs args = in;
  std::string usage = TraceGivenAsProgram("replay", &args.program, &args.trace);
  if (!usage.empty()) return Fail("replay", kExitUsage, usage);
  // A program that links tape replays itself.
  if (!args.program.empty() && !programs::FindBuiltin(args.program) &&
      IsEmbeddedProgram(args.program)) {
    std::vector<std::string> flags;
    if (!args.trace.empty()) flags.insert(flags.end(), {"--trace", args.trace});
    if (args.ignore_code_hash) flags.push_back("--ignore-code-hash");
    if (args.stop_at) flags.insert(flags.end(), {"--stop-at", std::to_string(*args.stop_at)});
    return RunEmbedded("replay", args.program, "replay", flags);
  }
  usage = DefaultTrace("replay", &args.trace);
  if (!usage.empty()) return Fail("replay", kExitUsage, usage);
  // From the first read of the trace to the last: a file that shrinks under
  // the replay (re-recorded in place, truncated) is a trace error, exit 81.
  GuardTraceReads("replay");
  auto opened = format::TraceReader::Open(args.trace);
  if (!opened.has_value()) {
    if (opened.error().code() == StatusCode::kUnsupported) {
      DriftInfo d{DriftKind::kUnsupportedSchema, 0, "a trace in another format version",
                  "tape " TAPE_VERSION " (trace format 1.x)", opened.error().message()};
      return Fail("replay", kExitDrift, "drift: " + d.Describe());
    }
    std::string hint;
    if (LooksLikeOriginalTrace(args.trace)) {
      hint = " (it is a trace of the original tape, which tape cannot replay: tape inspect, stats "
             "and diff read it, tape import converts it)";
    }
    return Fail("replay", kExitTrace, opened.error().message() + hint);
  }
  std::unique_ptr<format::TraceReader> reader = std::move(opened).value();
  const format::TraceHeader& recorded = reader->header();
  if (recorded.program_kind == format::ProgramKind::kExecutable) {
    return ReplayExecutable(args, *reader);
  }

  Result<Program> program =
      args.program.empty() ? LoadFromTrace(reader->header()) : LoadNamed(args.program);
  // A trace imported from the original tape holds the original's code hash:
  // no program tape runs has that code, so replay stops here, whatever the
  // program (specs/original-trace.md §7).
  if (recorded.origin == kOriginalOrigin && !args.ignore_code_hash) {
    std::string got;
    if (args.program.empty() && recorded.program_name.empty()) {
      got = "no program: the trace does not name one";
    } else if (!program.has_value()) {
      got = "no program: " + program.error().message();
    } else if (args.program.empty() && recorded.program_kind == format::ProgramKind::kScript &&
               recorded.script_source.empty()) {
      got = "no program: the trace does not hold the script's source";
    } else {
      got = "code hash " + format::ToHex(program->code_hash) + " (tape's '" + program->name + "')";
    }
    DriftInfo d{DriftKind::kCodeHashMismatch, 0,
                "code hash " + format::ToHex(recorded.code_hash) + " (the original tape's " +
                    (recorded.program_name.empty() ? "program"
                                                   : "'" + recorded.program_name + "'") + ")",
                got,
                "the trace was " + recorded.origin +
                    ": it was recorded by the original's build of its program, whose code differs "
                    "from every program tape runs, so replay cannot reproduce it (tape inspect, "
                    "stats and diff read it)"};
    return Fail("replay", kExitDrift, "drift: " + d.Describe());
  }
  if (!program.has_value()) return ReportLoadError("replay", program.error());

  if (!recorded.redaction.empty()) {
    Error("replay", "note: " + args.trace + " is redacted (" + RedactionText(recorded) +
                        "): the program gets markers such as \"[redacted #1]\" where the "
                        "recording had secrets, and redacted arguments are not compared");
  }
  if (args.debug && program->kind == ProgramKind::kScript) {
    reader.reset();
    return ReplayUnderDebugger(args);
  }
  ReplayOptions options;
  options.trace_path = args.trace;
  options.stop_at = args.stop_at;
  options.handle_signals = true;
  options.label = "tape replay";
  options.ignore_code_hash = args.ignore_code_hash;
  RunReport report = Replay(*program, options);
  switch (report.status) {
    case RunReport::Status::kBadOptions:
      return Fail("replay", kExitUsage, report.error);
    case RunReport::Status::kTraceError:
      return Fail("replay", kExitTrace, report.error);
    case RunReport::Status::kDrift: {
      DriftInfo d = *report.drift;
      if (d.kind == DriftKind::kCodeHashMismatch && program->kind == ProgramKind::kScript) {
        std::string change =
            DescribeScriptChange(reader->header().script_source, program->script_source);
        if (!change.empty()) d.hint += ": " + change;
      }
      if (d.kind == DriftKind::kCodeHashMismatch) {
        d.hint += " (to replay the changed program anyway and see where it diverges: "
                  "--ignore-code-hash; to run it on the recorded inputs and compare: tape rerun; "
                  "to keep the trace as a regression test: tape test)";
      } else if (!recorded.redaction.empty()) {
        d.hint +=
            " (the trace is redacted: a program that acts on a secret's value can take "
            "another path when it gets the marker)";
      }
      if (args.debug) {
        d.hint += " (--debug opens the debugger at a script's drift; for a C++ program, stop "
                  "before the call under gdb: gdb -ex run --args tape replay " +
                  (args.program.empty() ? "" : args.program + " ") + "--trace " + args.trace +
                  fmt::format(" --stop-at {})", d.seq);
      }
      return Fail("replay", kExitDrift, "drift: " + d.Describe());
    }
    case RunReport::Status::kOk:
      break;
  }
  PrintProgramError("replay", report.program_error);
  if (!report.note.empty()) Error("replay", "note: " + report.note);
  if (StderrIsTerminal()) {
    std::cerr << "tape replay: " << report.events << " effect calls replayed; the program "
              << report.outcome << ", as recorded\n";
  }
  return report.exit_code & 0xff;
}

}  // namespace tape::cli
