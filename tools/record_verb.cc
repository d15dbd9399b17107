// tape record <program>, tape record -- EXECUTABLE [ARGS] and tape run
// <script>: record a run into a trace.

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "engine/internal/chaos.h"
#include "engine/internal/redaction.h"
#include "engine/internal/secret_finder.h"
#include "engine/internal/signals.h"
#include "engine/programs/programs.h"
#include "tape/session.h"
#include "tools/cli.h"
#include "tools/embedded_program.h"
#include "tools/executable.h"
#include "tools/interposed_run.h"
#include "tools/program_loader.h"

namespace tape::cli {

namespace {

// The --redact-* flags: InvalidArgument saying which one is wrong and why.
Status CheckRedactionFlags(const RecordArgs& args) {
  for (const std::string& glob : args.redact_env) {
    Status ok = engine::CheckRule(glob);
    if (!ok.ok()) return Status::InvalidArgument("--redact-env '" + glob + "' " + ok.message());
  }
  for (const std::string& name : args.redact_header) {
    Status ok = engine::CheckRule(name);
    if (!ok.ok()) return Status::InvalidArgument("--redact-header '" + name + "' " + ok.message());
  }
  for (const std::string& pattern : args.redact_match) {
    Status s = engine::SecretFinder().AddPattern(pattern);
    if (!s.ok()) return Status::InvalidArgument("--redact-match '" + pattern + "': " + s.message());
  }
  return Status::Ok();
}

int RecordProgram(const std::string& verb, const Program& program, const RecordArgs& args) {
  Status chaos_ok = CheckChaosFlags(args.chaos, args.seed);
  if (!chaos_ok.ok()) return Fail(verb, kExitUsage, chaos_ok.message());
  const std::string out = args.out.empty() ? std::string(kDefaultTrace) : args.out;
  Status out_ok = CheckOutputPath(out, args.force);
  if (!out_ok.ok()) return Fail(verb, kExitUsage, out_ok.message());
  if (Status ok = CheckRedactionFlags(args); !ok.ok()) return Fail(verb, kExitUsage, ok.message());
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
  options.redact_header = args.redact_header;
  options.redact_match = args.redact_match;
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

// After the program ended without a word from the interposer: what the
// trace holds, and why.
int ReportSilentEnd(const InterposedOutcome& run, const std::string& out) {
  if (run.exited) {
    return Fail("record", kExitTrace,
                "the program ran without tape's interposer: the loader did not load it (see its "
                "message above); nothing was recorded");
  }
  std::string signal = std::to_string(run.signal);
  if (const char* name = engine::SignalName(run.signal); name[0] != '\0') {
    signal += std::string(" (") + name + ")";
  }
  auto reader = format::TraceReader::Open(out);
  if (reader.has_value() && (*reader)->finalized()) return run.ExitCode();  // the trace says how
  Error("record", "the program was killed by signal " + signal + " before its trace was finished; " +
                      out + " keeps the events written before and reads as interrupted (tape "
                      "recover writes a finished copy)");
  return run.ExitCode();
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
  for (const std::string& name : args.redact_header) {
    out.insert(out.end(), {"--redact-header", name});
  }
  for (const std::string& re : args.redact_match) out.insert(out.end(), {"--redact-match", re});
  if (!args.chaos.empty()) out.insert(out.end(), {"--chaos", args.chaos});
  if (args.seed) out.insert(out.end(), {"--seed", std::to_string(*args.seed)});
  if (!args.args.empty()) {
    out.push_back("--");
    out.insert(out.end(), args.args.begin(), args.args.end());
  }
  return out;
}

}  // namespace

int RunRecordExecutable(const RecordArgs& args) {
  Status chaos_ok = CheckChaosFlags(args.chaos, args.seed);
  if (!chaos_ok.ok()) return Fail("record", kExitUsage, chaos_ok.message());
  if (!args.redact_header.empty()) {
    return Fail("record", kExitUsage,
                "--redact-header applies to http.request, which a program recorded at the C "
                "library's boundary does not make (its traffic goes through sockets, which tape "
                "refuses); use --redact-match for text in any payload");
  }
  if (Status ok = CheckRedactionFlags(args); !ok.ok()) {
    return Fail("record", kExitUsage, ok.message());
  }
  Result<Executable> exe = FindExecutable(args.args.front());
  if (!exe.has_value()) {
    std::string hint;
    if (programs::FindBuiltin(args.args.front()) != nullptr) {
      hint = " (built-in programs are recorded without --: tape record " + args.args.front() + ")";
    }
    return Fail("record", kExitUsage, exe.error().message() + hint);
  }
  const std::string out = args.out.empty() ? std::string(kDefaultTrace) : args.out;
  format::TraceHeader next;
  next.program_kind = format::ProgramKind::kExecutable;
  next.program_name = exe->path;
  Status out_ok = CheckOutputPath(out, args.force, &next);
  if (!out_ok.ok()) return Fail("record", kExitUsage, out_ok.message());
  InterposedRun run;
  run.path = exe->path;
  run.argv = args.args;
  run.env = CurrentEnvironment();
  preload::Control& c = run.control;
  c.mode = preload::Control::Mode::kRecord;
  c.trace = std::filesystem::absolute(out).string();
  c.label = "tape record";
  c.executable = exe->path;
  c.code_hash = exe->code_hash;
  c.flush_ms = args.flush_ms;
  c.force = args.force;
  c.chaos = args.chaos;
  c.redact_env = args.redact_env;
  c.redact_match = args.redact_match;
  if (!args.chaos.empty()) c.chaos_seed = args.seed.value_or(engine::NewChaosSeed());
  uint64_t seed = c.chaos_seed;
  Result<InterposedOutcome> ran = RunInterposed(std::move(run));
  if (!ran.has_value()) return Fail("record", kExitTrace, ran.error().message());
  const preload::Report& report = ran->report;
  switch (report.status) {
    case preload::Report::Status::kNone: return ReportSilentEnd(*ran, out);
    case preload::Report::Status::kOk:
      if (StderrIsTerminal()) {
        std::cerr << "tape record: " << report.events << " effect calls recorded to " << out
                  << " (the program exited with code " << ran->code << ")";
        if (!args.chaos.empty()) std::cerr << " under chaos, seed " << seed;
        std::cerr << "\n";
      } else if (args.out.empty()) {
        Error("record", DefaultTraceNote("recorded to"));
      }
      return ran->ExitCode();
    default:  // refused or a trace error: the interposer said why
      return ran->ExitCode();
  }
}

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
  if (args.program.empty()) {
    if (args.args.empty()) {
      return Fail("record", kExitUsage,
                  "name a built-in program (tape list), or an executable after -- (tape record "
                  "-- date)");
    }
    return RunRecordExecutable(args);
  }
  Result<Program> program = LoadBuiltin(args.program);
  if (!program.has_value()) {
    if (IsEmbeddedProgram(args.program)) {
      return RunEmbedded("record", args.program, "record", EmbeddedRecordArgs(args));
    }
    std::string not_script = NotAScript(args.program);
    if (!not_script.empty()) return Fail("record", kExitUsage, not_script);
    if (FileExists(args.program)) {
      // An executable that does not link tape is recorded through the
      // interposer, after --.
      std::string how = ::access(args.program.c_str(), X_OK) == 0
                            ? "to record any executable: tape record -- " + args.program
                            : "to record a script: tape run " + args.program;
      return Fail("record", kExitUsage,
                  "'" + args.program + "' is not a built-in program (tape list); " + how);
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
