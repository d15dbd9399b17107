// tape rerun <program|script.tape> --trace FILE [--live] [--json]: run the
// (changed) program on the recorded inputs and report how its outputs and
// its ending compare with the recording's.

#include <iostream>
#include <nlohmann/json.hpp>

#include "engine/programs/programs.h"
#include "tape/session.h"
#include "tools/cli.h"
#include "tools/embedded_program.h"
#include "tools/program_loader.h"

namespace tape::cli {

namespace {

nlohmann::ordered_json SummaryJson(const RunReport& r, const RerunSummary& s) {
  nlohmann::ordered_json j;
  j["inputs"] = {{"by_site", s.by_site}, {"by_key", s.by_key},       {"by_kind", s.by_kind},
                 {"adjusted", s.adjusted}, {"live", s.live},         {"unused", s.inputs_unused}};
  j["outputs"] = {{"same", s.outputs_same},
                  {"changed", s.outputs_changed},
                  {"added", s.outputs_added},
                  {"removed", s.outputs_removed}};
  j["first_output_change"] = s.first_output_change;
  j["notes"] = s.notes;
  j["recorded"] = {{"program", s.recorded_program}, {"outcome", s.recorded_outcome},
                   {"code_hash", s.recorded_code_hash}};
  j["now"] = {{"outcome", r.outcome}, {"exit_code", r.exit_code}, {"code_hash", s.code_hash}};
  j["code_changed"] = s.recorded_code_hash != s.code_hash;
  if (r.drift) j["stopped"] = {{"drift", DriftKindName(r.drift->kind)}, {"seq", r.drift->seq},
                               {"call", r.drift->got}};
  return j;
}

}  // namespace

int RunRerun(const RerunArgs& in) {
  RerunArgs args = in;
  std::string usage = TraceGivenAsProgram("rerun", &args.program, &args.trace);
  if (!usage.empty()) return Fail("rerun", kExitUsage, usage);
  // A program that links tape reruns itself.
  if (!args.program.empty() && !programs::FindBuiltin(args.program) &&
      IsEmbeddedProgram(args.program)) {
    if (args.json) {
      return Fail("rerun", kExitUsage,
                  "--json is not available for a program that links tape: run " + args.program +
                      " rerun, whose report is text");
    }
    std::vector<std::string> flags;
    if (!args.trace.empty()) flags.insert(flags.end(), {"--trace", args.trace});
    if (args.live) flags.push_back("--live");
    return RunEmbedded("rerun", args.program, "rerun", flags);
  }
  usage = DefaultTrace("rerun", &args.trace);
  if (!usage.empty()) return Fail("rerun", kExitUsage, usage);
  OpenedTrace reader = OpenTrace("rerun", args.trace);
  if (!reader) return kExitTrace;
  Result<Program> program =
      args.program.empty() ? LoadFromTrace(reader->header()) : LoadNamed(args.program);
  if (!program.has_value()) return ReportLoadError("rerun", program.error());
  RerunOptions options;
  options.trace_path = args.trace;
  options.live = args.live;
  options.handle_signals = true;
  RunReport report = Rerun(*program, options);
  if (report.status == RunReport::Status::kTraceError) return Fail("rerun", kExitTrace, report.error);
  PrintProgramError("rerun", report.program_error);
  if (report.status == RunReport::Status::kDrift) {
    Error("rerun", "stopped: " + report.drift->Describe());
  }
  if (report.rerun) {
    if (args.json) {
      std::cerr << SummaryJson(report, *report.rerun)
                       .dump(-1, ' ', true, nlohmann::ordered_json::error_handler_t::replace)
                << "\n";
    } else {
      for (const std::string& line : DescribeRerun(report)) Error("rerun", line);
    }
  }
  if (!report.note.empty()) Error("rerun", "note: " + report.note);
  if (report.status == RunReport::Status::kDrift) return kExitDrift;
  return report.exit_code & 0xff;
}

}  // namespace tape::cli
