#include "tools/debug_target.h"

#include "engine/internal/replay_end.h"
#include "tape/drift.h"
#include "tools/cli.h"
#include "tools/program_loader.h"

namespace tape::cli {

std::unique_ptr<DebugTarget> OpenDebugTarget(const DebugTargetArgs& args, DebugTargetError* error) {
  auto fail = [&](int code, std::string message) -> std::unique_ptr<DebugTarget> {
    *error = {code, std::move(message)};
    return nullptr;
  };
  if (args.trace.empty()) return fail(kExitUsage, "--trace FILE is required (the recording to debug)");
  auto opened = format::TraceReader::Open(args.trace);
  if (!opened.has_value()) return fail(kExitTrace, opened.error().message());
  auto target = std::make_unique<DebugTarget>();
  target->reader = std::move(opened).value();
  const format::TraceHeader& h = target->reader->header();
  if (h.program_kind != format::ProgramKind::kScript) {
    return fail(kExitUsage,
                args.trace + " records the " + DescribeProgram(h) +
                    ", not a script: the debugger steps through .tape scripts. To stop a "
                    "C++ program before event SEQ under gdb: gdb -ex run --args tape replay " +
                    args.trace + " --stop-at SEQ (see README, \"Debugging a recording\")");
  }
  Result<Program> program =
      args.script.empty() ? LoadFromTrace(h) : LoadScript(args.script);
  if (!program.has_value()) {
    int code = program.error().code() == StatusCode::kScriptError ? kExitScript : kExitUsage;
    return fail(code, program.error().message());
  }
  if (program->kind != ProgramKind::kScript || program->name != h.program_name) {
    DriftInfo d{DriftKind::kProgramMismatch, 0, DescribeProgram(h),
                "script program '" + program->name + "'", "the trace records another program"};
    return fail(kExitDrift, "drift: " + d.Describe());
  }
  if (program->code_hash != h.code_hash && !args.ignore_code_hash) {
    std::string change = DescribeScriptChange(h.script_source, program->script_source);
    DriftInfo d{DriftKind::kCodeHashMismatch, 0, "code hash " + format::ToHex(h.code_hash),
                "code hash " + format::ToHex(program->code_hash),
                "the script changed since the recording" + (change.empty() ? "" : ": " + change) +
                    " (to debug the changed script anyway and stop where it diverges: "
                    "--ignore-code-hash)"};
    return fail(kExitDrift, "drift: " + d.Describe());
  }
  auto script = lang::Script::Compile(program->name, program->script_source);
  if (!script.has_value()) return fail(kExitScript, script.error().message());
  target->script = *script;
  target->script_path = args.script;
  debug::DebuggerOptions options;
  options.snapshot_memory = args.snapshot_memory;
  options.snapshot_interval_ms = args.snapshot_interval_ms;
  // As replay: the recorded step count bounds a faithful replay.
  if (!args.ignore_code_hash) {
    options.max_steps =
        target->reader->program_steps().value_or(engine::kUnknownStepBudget);
  }
  target->debugger =
      std::make_unique<debug::Debugger>(target->reader.get(), target->script, options);
  return target;
}

}  // namespace tape::cli
