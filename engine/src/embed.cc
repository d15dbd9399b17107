#include "tape/embed.h"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "engine/src/redaction.h"
#include "engine/src/std_streams.h"

namespace tape {

namespace {

constexpr int kExitUsage = 2;
constexpr int kExitDrift = 80;
constexpr int kExitTrace = 81;

int Usage(const char* prog, const std::string& problem) {
  if (!problem.empty()) std::fprintf(stderr, "%s: %s\n", prog, problem.c_str());
  std::fprintf(problem.empty() ? stdout : stderr,
               "usage: %s record [--out FILE] [--force] [--flush-ms N] [--redact-env GLOB]... "
               "[-- ARGS...]\n"
               "       %s replay [--trace FILE] [--ignore-code-hash]\n"
               "       %s rerun [--trace FILE] [--live]\n"
               "FILE defaults to trace.bin. record refuses to overwrite a file that is not a\n"
               "trace unless --force. --redact-env GLOB records the values of the matching\n"
               "environment variables as markers (the program still gets the values).\n",
               prog, prog, prog);
  return problem.empty() ? 0 : kExitUsage;
}

}  // namespace

int Main(int argc, char** argv, const Program& program) {
  engine::ReserveStandardFds();
  const char* prog = argc > 0 ? argv[0] : program.name.c_str();
  if (argc < 2) return Usage(prog, "expected 'record', 'replay' or 'rerun'");
  std::string_view verb = argv[1];
  if (verb == "--help" || verb == "-h") return Usage(prog, "");
  if (verb != "record" && verb != "replay" && verb != "rerun") {
    return Usage(prog, "unknown command '" + std::string(verb) + "'");
  }
  RecordOptions rec;
  ReplayOptions rep;
  rec.handle_signals = rep.handle_signals = true;
  rec.label = std::string(prog) + " record";
  rep.label = std::string(prog) + " replay";
  RerunOptions rer;
  rer.handle_signals = true;
  rer.label = std::string(prog) + " rerun";
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](const char* flag) -> const char* {
      if (i + 1 >= argc) return nullptr;
      (void)flag;
      return argv[++i];
    };
    if (arg == "--") {
      if (verb != "record") return Usage(prog, "program arguments are only taken by 'record'");
      for (++i; i < argc; ++i) rec.args.push_back(argv[i]);
    } else if (arg == "--help" || arg == "-h") {
      return Usage(prog, "");
    } else if (verb == "record" && (arg == "--out" || arg == "-o")) {
      const char* v = value("--out");
      if (!v) return Usage(prog, "--out needs a file name");
      rec.trace_path = v;
    } else if (verb == "record" && arg == "--redact-env") {
      const char* v = value("--redact-env");
      std::string why = v ? engine::CheckRule(v) : "is missing";
      if (!why.empty()) return Usage(prog, "--redact-env: the glob " + why + " (e.g. 'API_*')");
      rec.redact_env.push_back(v);
    } else if (verb == "record" && arg == "--force") {
      rec.force = true;
    } else if (verb == "replay" && arg == "--ignore-code-hash") {
      rep.ignore_code_hash = true;
    } else if (verb == "record" && arg == "--flush-ms") {
      const char* v = value("--flush-ms");
      uint32_t ms = 0;
      if (!v || std::from_chars(v, v + std::strlen(v), ms).ec != std::errc() || ms == 0 ||
          ms > 3600000) {
        return Usage(prog, "--flush-ms needs a number of milliseconds from 1 to 3600000");
      }
      rec.flush_ms = ms;
    } else if (verb != "record" && (arg == "--trace" || arg == "-t")) {
      const char* v = value("--trace");
      if (!v) return Usage(prog, "--trace needs a file name");
      rep.trace_path = rer.trace_path = v;
    } else if (verb == "rerun" && arg == "--live") {
      rer.live = true;
    } else {
      return Usage(prog, "unexpected argument '" + std::string(arg) + "'");
    }
  }

  RunReport report = verb == "record"   ? Record(program, rec)
                     : verb == "replay" ? Replay(program, rep)
                                        : Rerun(program, rer);
  for (const std::string& line : DescribeRerun(report)) {
    std::fprintf(stderr, "%s rerun: %s\n", prog, line.c_str());
  }
  switch (report.status) {
    case RunReport::Status::kTraceError:
      std::fprintf(stderr, "%s %s: %s\n", prog, argv[1], report.error.c_str());
      return kExitTrace;
    case RunReport::Status::kDrift:
      std::fprintf(stderr, "%s %s: drift: %s\n", prog, argv[1], report.drift->Describe().c_str());
      return kExitDrift;
    case RunReport::Status::kOk:
      break;
  }
  // What the program stopped with (an uncaught exception), as the CLI shows it.
  if (!report.program_error.empty()) {
    std::fprintf(stderr, "%s %s: the program stopped: %s\n", prog, argv[1],
                 report.program_error.c_str());
  }
  if (!report.note.empty())
    std::fprintf(stderr, "%s %s: note: %s\n", prog, argv[1], report.note.c_str());
  return report.exit_code & 0xff;
}

}  // namespace tape
