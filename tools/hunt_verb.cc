// tape hunt <program|script.tape> [--runs N] [--jobs J] [--until COND] [--keep DIR]
//           [--keep-failures K] [--timeout S] [--chaos SPEC [--seed S]] [-- ARGS]
//
// Records a program again and again, J runs at a time, until a run fails,
// and keeps that run's trace (engine/internal/hunt.h). Each run is `tape record`
// or `tape run` in a child process, so a crash or hang of one run does not
// take the hunt down. Exit 0 when a failure was found, 1 when none was (as
// grep does), 128+N when a signal stopped the hunt.

#include <cstdio>
#include <iostream>

#include "engine/internal/chaos.h"
#include "engine/internal/hunt.h"
#include "engine/programs/programs.h"
#include "tools/cli.h"
#include "tools/embedded_program.h"
#include "tools/executable.h"
#include "tools/program_loader.h"

namespace tape::cli {

namespace {

// Hunts with runs recorded by `tape RECORD_VERB [TARGET] --out TRACE [--chaos
// ...] -- ARGS` (target: the built-in or script; empty for an executable,
// which is then args[0]); `name` names the kept traces.
int HuntWith(const HuntArgs& args, const std::string& name, const char* record_verb,
             const std::string& target) {
  Result<engine::HuntCondition> until = engine::ParseHuntCondition(args.until);
  if (!until.has_value()) return Fail("hunt", kExitUsage, "--until " + until.error().message());
  Status chaos_ok = CheckChaosFlags(args.chaos, args.seed);
  if (!chaos_ok.ok()) return Fail("hunt", kExitUsage, chaos_ok.message());
  engine::HuntOptions o;
  o.name = name;
  o.keep_dir = args.keep;
  o.runs = args.runs;
  o.jobs = args.jobs;
  o.until = *until;
  o.keep_failures = args.keep_failures;
  o.timeout_s = args.timeout_s;
  o.chaos = !args.chaos.empty();
  o.seed = o.chaos ? args.seed.value_or(engine::NewChaosSeed()) : 0;
  std::vector<std::string> recorder = {"tape", record_verb};
  if (!target.empty()) recorder.push_back(target);
  o.command = engine::RecordingCommand(std::move(recorder), args.chaos, args.args);
  Progress progress("tape hunt");
  o.on_progress = [&progress](const engine::HuntReport& so_far, uint64_t elapsed_ns) {
    progress.Show([&] { return engine::HuntProgressText(so_far, elapsed_ns); });
  };
  engine::HuntReport report = engine::Hunt(o);
  progress.Finish();
  if (report.status != engine::HuntReport::Status::kError || report.runs > 0) {
    std::vector<std::string> lines = engine::DescribeHunt(
        report, o, [](const std::string& trace) { return "tape replay " + trace; });
    for (const std::string& line : lines) std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  }
  if (report.status == engine::HuntReport::Status::kError) Error("hunt", report.error);
  return engine::HuntExitCode(report);
}

}  // namespace

int RunHunt(const HuntArgs& args) {
  if (args.program.empty()) {
    if (args.args.empty()) {
      return Fail("hunt", kExitUsage,
                  "name a built-in program or .tape script, or an executable after -- (tape hunt "
                  "-- ./flaky)");
    }
    // `tape hunt -- EXECUTABLE [ARGS]`: each run is `tape record -- ...`.
    Result<Executable> exe = FindExecutable(args.args.front());
    if (!exe.has_value()) return Fail("hunt", kExitUsage, exe.error().message());
    return HuntWith(args, exe->path.substr(exe->path.rfind('/') + 1), "record", "");
  }
  // A program that links tape hunts itself, with the same flags.
  if (programs::FindBuiltin(args.program) == nullptr && IsEmbeddedProgram(args.program)) {
    std::vector<std::string> flags = {"--runs", std::to_string(args.runs), "--until", args.until,
                                      "--keep", args.keep, "--keep-failures",
                                      std::to_string(args.keep_failures), "--timeout",
                                      std::to_string(args.timeout_s)};
    if (args.jobs != 0) flags.insert(flags.end(), {"--jobs", std::to_string(args.jobs)});
    if (!args.chaos.empty()) flags.insert(flags.end(), {"--chaos", args.chaos});
    if (args.seed) flags.insert(flags.end(), {"--seed", std::to_string(*args.seed)});
    if (!args.args.empty()) {
      flags.push_back("--");
      flags.insert(flags.end(), args.args.begin(), args.args.end());
    }
    return RunEmbedded("hunt", args.program, "hunt", flags);
  }
  Result<Program> program = LoadNamed(args.program);
  if (!program.has_value()) return ReportLoadError("hunt", program.error());
  bool script = program->kind == ProgramKind::kScript;
  return HuntWith(args, program->name, script ? "run" : "record", args.program);
}

}  // namespace tape::cli
