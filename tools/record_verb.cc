// tape record <program> and tape run <script>: record a run into a trace.

#include <sys/stat.h>

#include <iostream>

#include "engine/internal/chaos.h"
#include "engine/internal/redaction.h"
#include "tape/session.h"
#include "tools/cli.h"
#include "tools/embedded_program.h"
#include "tools/program_loader.h"

namespace tape::cli {

namespace {

int RecordProgram(const std::string& verb, const Program& program, const RecordArgs& args) {
  Status chaos_ok = CheckChaosFlags(args.chaos, args.seed);
  if (!chaos_ok.ok()) return Fail(verb, kExitUsage, chaos_ok.message());
  const std::string out = args.out.empty() ? std::string(kDefaultTrace) : args.out;
  Status out_ok = CheckOutputPath(out, args.force);
  if (!out_ok.ok()) return Fail(verb, kExitUsage, out_ok.message());
  for (const std::string& glob : args.redact_env) {
    Status ok = engine::CheckRule(glob);
    if (!ok.ok()) return Fail(verb, kExitUsage, "--redact-env '" + glob + "' " + ok.message());
  }
  RecordOptions options;
  options.trace_path = out;
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
    std::cerr << "tape " << verb << ": " << report.events << " effect calls recorded to " << out
              << " (the program " << report.outcome << ")";
    if (!args.chaos.empty()) std::cerr << " under chaos, seed " << options.chaos_seed;
    std::cerr << "\n";
  } else if (args.out.empty()) {
    Error(verb, DefaultTraceNote("recorded to"));
  }
  return report.exit_code & 0xff;
}

// The flags of `tape record`/`tape run`, for a program that links tape
// (`./myapp record ...` takes the same ones).
std::vector<std::string> EmbeddedRecordArgs(const RecordArgs& args) {
  std::vector<std::string> out;
  if (!args.out.empty()) out.insert(out.end(), {"--out", args.out});
  if (args.force) out.push_back("--force");
  if (args.flush_ms != RecordArgs().flush_ms) {
    out.insert(out.end(), {"--flush-ms", std::to_string(args.flush_ms)});
  }
  for (const std::string& glob : args.redact_env) out.insert(out.end(), {"--redact-env", glob});
  if (!args.chaos.empty()) out.insert(out.end(), {"--chaos", args.chaos});
  if (args.seed) out.insert(out.end(), {"--seed", std::to_string(*args.seed)});
  if (!args.args.empty()) {
    out.push_back("--");
    out.insert(out.end(), args.args.begin(), args.args.end());
  }
  return out;
}

}  // namespace

std::string DefaultTraceNote(const std::string& what) {
  return what + " " + std::string(kDefaultTrace) + " (the default; --" +
         (what.starts_with("record") ? "out" : "trace") + " FILE chooses another)";
}

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
  if (!program.has_value()) {
    if (IsEmbeddedProgram(args.program)) {
      return RunEmbedded("record", args.program, "record", EmbeddedRecordArgs(args));
    }
    std::string not_script = NotAScript(args.program);
    if (!not_script.empty()) return Fail("record", kExitUsage, not_script);
    if (FileExists(args.program)) {
      return Fail("record", kExitUsage,
                  "'" + args.program + "' is not a built-in program (tape list); to record a "
                  "script: tape run " + args.program);
    }
    return Fail("record", kExitUsage, program.error().message());
  }
  return RecordProgram("record", *program, args);
}

int RunScript(const RecordArgs& args) {
  if (IsEmbeddedProgram(args.program)) {
    return RunEmbedded("run", args.program, "record", EmbeddedRecordArgs(args));
  }
  Result<Program> program = LoadScript(args.program);
  if (!program.has_value()) return ReportLoadError("run", program.error());
  return RecordProgram("run", *program, args);
}

}  // namespace tape::cli
