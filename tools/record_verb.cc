// tape record <program> and tape run <script>: record a run into a trace.

#include <iostream>

#include "engine/internal/chaos.h"
#include "engine/internal/redaction.h"
#include "tape/session.h"
#include "tools/cli.h"
#include "tools/program_loader.h"

namespace tape::cli {

namespace {

int RecordProgram(const std::string& verb, const Program& program, const RecordArgs& args) {
  Status chaos_ok = CheckChaosFlags(args.chaos, args.seed);
  if (!chaos_ok.ok()) return Fail(verb, kExitUsage, chaos_ok.message());
  Status out_ok = CheckOutputPath(args.out, args.force);
  if (!out_ok.ok()) return Fail(verb, kExitUsage, out_ok.message());
  for (const std::string& glob : args.redact_env) {
    Status ok = engine::CheckRule(glob);
    if (!ok.ok()) return Fail(verb, kExitUsage, "--redact-env '" + glob + "' " + ok.message());
  }
  RecordOptions options;
  options.trace_path = args.out;
  options.args = args.args;
  options.flush_ms = args.flush_ms;
  options.force = args.force;
  options.handle_signals = true;
  options.label = "tape " + verb;
  options.chaos = args.chaos;
  if (!args.chaos.empty()) options.chaos_seed = args.seed.value_or(engine::NewChaosSeed());
  options.redact_env = args.redact_env;
  RunReport report = Record(program, options);
  if (report.status == RunReport::Status::kBadOptions) return Fail(verb, kExitUsage, report.error);
  if (report.status == RunReport::Status::kTraceError) return Fail(verb, kExitTrace, report.error);
  PrintProgramError(verb, report.program_error);
  if (StderrIsTerminal()) {
    std::cerr << "tape " << verb << ": " << report.events << " effect calls recorded to "
              << args.out << " (the program " << report.outcome << ")";
    if (!args.chaos.empty()) std::cerr << " under chaos, seed " << options.chaos_seed;
    std::cerr << "\n";
  }
  return report.exit_code & 0xff;
}

}  // namespace

Status CheckChaosFlags(const std::string& chaos, const std::optional<uint64_t>& seed) {
  if (chaos.empty()) {
    if (seed) return Status::InvalidArgument("--seed seeds chaos mode; give --chaos SPEC too");
    return Status::Ok();
  }
  Result<engine::ChaosSpec> spec = engine::ParseChaosSpec(chaos);
  if (!spec.has_value()) {
    return Status::InvalidArgument("--chaos '" + chaos + "': " + spec.error().message());
  }
  return Status::Ok();
}

int RunRecord(const RecordArgs& args) {
  Result<Program> program = LoadBuiltin(args.program);
  if (!program.has_value()) return ReportLoadError("record", program.error());
  return RecordProgram("record", *program, args);
}

int RunScript(const RecordArgs& args) {
  Result<Program> program = LoadScript(args.program);
  if (!program.has_value()) return ReportLoadError("run", program.error());
  return RecordProgram("run", *program, args);
}

}  // namespace tape::cli
