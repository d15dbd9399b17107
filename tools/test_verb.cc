// tape test [TRACE|DIR]... [--program P] [--update] [--jobs N] [--timeout S]
// [--json] [--junit FILE] [--live]: kept traces as regression tests. Each
// trace is rerun on the program as it is now (specs/rerun.md §9).

#include <filesystem>

#include "engine/programs/programs.h"
#include "engine/internal/trace_suite.h"
#include "tools/cli.h"

namespace tape::cli {

namespace {

namespace fs = std::filesystem;

bool IsFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// The script a trace names, as it is now: its file name (the name recorded)
// in the working directory, beside the trace, or in the trace's parent
// directory.
Result<std::string> FindScript(const std::string& trace, const std::string& name) {
  std::error_code ec;
  fs::path dir = fs::absolute(trace, ec).parent_path();
  std::vector<fs::path> places = {fs::path(name), dir / name, dir.parent_path() / name};
  for (const fs::path& p : places) {
    if (IsFile(p)) return p.string();
  }
  return Status::NotFound("its script '" + name +
                          "' is not in the working directory, beside the trace or in the "
                          "directory above it: name it with --program");
}

}  // namespace

int RunTest(const TestArgs& args) {
  engine::SuiteOptions o;
  o.jobs = args.jobs;
  o.timeout_s = args.timeout_s;
  o.update = args.update;
  o.json = args.json;
  o.junit = args.junit;
  const std::vector<std::string> extra = args.live ? std::vector<std::string>{"--live"}
                                                   : std::vector<std::string>{};
  o.command = [&args, &extra](const std::string& trace, const format::TraceHeader& h)
      -> Result<std::vector<std::string>> {
    std::vector<std::string> argv = {"tape", "rerun"};
    if (h.program_kind == format::ProgramKind::kExecutable) {
      // Rerun at replay strength (tools/rerun_executable.h), which neither
      // performs inputs live nor writes a new trace.
      if (args.update || args.live) {
        return Status::InvalidArgument(
            "a recording of the executable " + h.program_name + " cannot be " +
            (args.update ? "updated (--update): record it again with tape record -- "
                         : "rerun with --live: it is checked at replay strength; test it "
                           "without --live, or record it again with tape record -- ") +
            h.program_name);
      }
      if (!args.program.empty()) argv.push_back(args.program);
      return argv;
    }
    if (!args.program.empty()) {
      argv.push_back(args.program);
    } else if (h.program_kind == format::ProgramKind::kBuiltin) {
      if (!programs::FindBuiltin(h.program_name)) {
        return Status::NotFound("its built-in program '" + h.program_name +
                                "' does not exist in this tape");
      }
      argv.push_back(h.program_name);
    } else if (h.program_kind == format::ProgramKind::kScript) {
      Result<std::string> script = FindScript(trace, h.program_name);
      if (!script.has_value()) return script.error();
      argv.push_back(*script);
    } else {
      return Status::InvalidArgument(
          "a trace of the C++ program '" + h.program_name + "': test it with that program (" +
          h.program_name + " test " + trace + ")");
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  };
  if (!args.program.empty() && !programs::FindBuiltin(args.program) &&
      !IsFile(args.program)) {
    return Fail("test", kExitUsage, "--program " + args.program +
                                        ": no such built-in program or script file");
  }
  std::vector<std::string> traces = engine::CollectTraces(args.paths);
  if (traces.empty()) {
    return Fail("test", kExitUsage, "no traces found in " +
                                        (args.paths.empty() ? std::string("the arguments")
                                                            : args.paths.front()) +
                                        " (name trace files or directories that hold them)");
  }
  return engine::RunSuite(traces, o);
}

}  // namespace tape::cli
