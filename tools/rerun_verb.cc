// tape rerun [<program|script.tape>] [--trace FILE] [--live] [--out NEW] [--json]
// [--quiet] [--exit-code]: run the (changed) program on the recorded inputs
// and report how its outputs and its ending compare with the recording's.

#include <fcntl.h>
#include <unistd.h>

#include <fmt/core.h>

#include <iostream>

#include "engine/internal/rerun_report.h"
#include "engine/programs/programs.h"
#include "tape/session.h"
#include "tools/cli.h"
#include "tools/embedded_program.h"
#include "tools/original_import.h"
#include "tools/program_loader.h"
#include "tools/rerun_executable.h"

namespace tape::cli {

int RunRerun(const RerunArgs& in) {
  RerunArgs args = in;
  // With --json, stdout holds one JSON object however the rerun ends.
  auto fail = [&args](int code, const std::string& message) {
    if (args.json) std::cout << engine::RerunErrorJson(args.trace, code, message) << std::endl;
    return Fail("rerun", code, message);
  };
  std::string usage = TraceGivenAsProgram("rerun", &args.program, &args.trace);
  if (!usage.empty()) return fail(kExitUsage, usage);
  // A program that links tape reruns itself, with the same flags.
  if (!args.program.empty() && !programs::FindBuiltin(args.program) &&
      IsEmbeddedProgram(args.program)) {
    std::vector<std::string> flags;
    if (!args.trace.empty()) flags.insert(flags.end(), {"--trace", args.trace});
    if (args.live) flags.push_back("--live");
    if (!args.out.empty()) flags.insert(flags.end(), {"--out", args.out});
    if (args.force) flags.push_back("--force");
    if (args.json) flags.push_back("--json");
    if (args.quiet) flags.push_back("--quiet");
    if (args.exit_code) flags.push_back("--exit-code");
    return RunEmbedded("rerun", args.program, "rerun", flags);
  }
  usage = DefaultTrace("rerun", &args.trace);
  if (!usage.empty()) return fail(kExitUsage, usage);
  GuardTraceReads("rerun");
  auto opened = format::TraceReader::Open(args.trace);
  if (!opened.has_value()) {
    std::string hint;
    if (LooksLikeOriginalTrace(args.trace)) {
      hint = " (it is a trace of the original tape: tape import converts it)";
    }
    return fail(kExitTrace, opened.error().message() + hint);
  }
  if ((*opened)->header().program_kind == format::ProgramKind::kExecutable) {
    return RerunExecutable(args, **opened);
  }
  Result<Program> program =
      args.program.empty() ? LoadFromTrace((*opened)->header()) : LoadNamed(args.program);
  opened->reset();  // Rerun opens the trace itself
  if (!program.has_value()) {
    int code = ReportLoadError("rerun", program.error());
    if (args.json) {
      std::cout << engine::RerunErrorJson(args.trace, code, program.error().message()) << std::endl;
    }
    return code;
  }
  RerunOptions options;
  options.trace_path = args.trace;
  options.live = args.live;
  options.out_path = args.out;
  options.force = args.force;
  options.handle_signals = true;
  int devnull = RerunOutputs(args, &options.stdout_fd, &options.stderr_fd);
  RunReport report = Rerun(*program, options);
  if (devnull >= 0) ::close(devnull);
  return FinishRerun(args, report, false);
}

int RerunOutputs(const RerunArgs& args, int* stdout_fd, int* stderr_fd) {
  if (args.quiet) {
    int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    *stdout_fd = *stderr_fd = devnull;
    return devnull;
  }
  if (args.json) *stdout_fd = 2;
  return -1;
}

int FinishRerun(const RerunArgs& args, const RunReport& report, bool drift_said) {
  if (args.json) std::cout << engine::RerunJson(report, args.trace) << std::endl;
  switch (report.status) {
    case RunReport::Status::kBadOptions:
      return Fail("rerun", kExitUsage, report.error);
    case RunReport::Status::kTraceError:
      return Fail("rerun", kExitTrace, report.error);
    default:
      break;
  }
  if (!args.quiet) PrintProgramError("rerun", report.program_error);
  if (report.status == RunReport::Status::kDrift && !drift_said) {
    Error("rerun", "stopped: " + report.drift->Describe());
  }
  if (!args.json) {
    for (const std::string& line : DescribeRerun(report)) Error("rerun", line);
    if (!args.out.empty()) {
      Error("rerun", fmt::format("wrote {} ({} effect calls)", args.out, report.events) +
                         (report.status == RunReport::Status::kOk
                              ? ": it replays the program as it is now"
                              : ", which ends where the rerun stopped"));
    }
  }
  if (!report.note.empty()) Error("rerun", "note: " + report.note);
  return engine::RerunExitCode(report, args.exit_code);
}

}  // namespace tape::cli
