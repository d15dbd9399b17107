#include "tools/program_loader.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <iostream>

#include "engine/programs/programs.h"
#include "engine/internal/suggest.h"
#include "tape/drift.h"
#include "tools/cli.h"
#include "tools/original_import.h"

#include "engine/lang/limits.h"
#include "engine/lang/script.h"

namespace tape::cli {

namespace {

Result<Program> FromScriptSource(std::string name, std::string source) {
  auto script = lang::Script::Compile(name, source);
  if (!script.has_value()) return script.error();
  std::shared_ptr<const lang::Script> compiled = *script;
  Program p;
  p.kind = ProgramKind::kScript;
  p.name = std::move(name);
  p.code_hash = compiled->code_hash();
  p.script_source = std::move(source);
  p.main = [compiled](Runtime& rt) {
    lang::RunLimits limits;
    limits.max_steps = rt.step_budget();
    lang::RunStats stats;
    struct Report {  // the step count, however the run ends
      Runtime& rt;
      lang::RunStats& stats;
      ~Report() { rt.ReportSteps(stats.steps); }
    } report{rt, stats};
    try {
      return compiled->Run(rt, limits, &stats);
    } catch (const lang::StepLimitError&) {
      if (limits.max_steps == 0) throw;
      throw DriftError({DriftKind::kRanPastRecording, rt.seq(),
                        fmt::format("the recorded run ended after {} steps", limits.max_steps),
                        "the replay went on past that without an effect call",
                        "the program computed past where the recording ended: the trace does "
                        "not belong to this program's run (or was altered); to run it without "
                        "this bound: --ignore-code-hash"});
    }
  };
  return p;
}

// Reads a whole script, but never more than `limit` + 1 bytes: st_size is 0
// for pipes and devices (`tape run <(yes)`, `tape run /dev/zero`), so the
// limit holds for the bytes actually read. Sets *too_large instead of
// reading on.
Status ReadBounded(const std::string& path, int64_t limit, std::string* text, bool* too_large) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("cannot read script " + path, errno);
  *too_large = false;
  char buf[64 << 10];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return Status::FromErrno("cannot read script " + path, err);
    }
    if (n == 0) break;
    text->append(buf, static_cast<size_t>(n));
    if (static_cast<int64_t>(text->size()) > limit) {
      *too_large = true;
      break;
    }
  }
  ::close(fd);
  return Status::Ok();
}

}  // namespace

std::string NotAScript(const std::string& path) {
  // Non-blocking, regular files only: a FIFO named here must not hang us.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return "";
  struct stat st;
  char head[4096];
  ssize_t n = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? ::pread(fd, head, sizeof head, 0) : 0;
  ::close(fd);
  if (n <= 0) return "";
  std::string_view bytes(head, size_t(n));
  // Other binary files go to the compiler, which shows where the first
  // byte that is not text is (a script with one stray byte is still a script).
  if (LooksLikeTrace(path)) {
    return path + " is a trace, not a program: replay it with: tape replay --trace " + path +
           " (tape inspect " + path + " lists its events)";
  }
  if (LooksLikeOriginalTrace(path)) {
    return path + " is a trace of the original tape, not a script: tape inspect " + path +
           " lists its events, tape import " + path + " --out NEW converts it";
  }
  if (bytes.starts_with("\x7f" "ELF")) {
    return path + " is an executable that does not link the tape library: tape runs built-in "
                  "programs (tape list), .tape scripts, and C++ programs that link tape "
                  "(tape::Main; see the README's \"Your own C++ program\")";
  }
  return "";
}

std::string TraceGivenAsProgram(const std::string& verb, std::string* program,
                                std::string* trace) {
  if (program->empty() || (!LooksLikeTrace(*program) && !LooksLikeOriginalTrace(*program))) {
    return "";
  }
  if (trace->empty()) {
    *trace = *program;
    program->clear();
    return "";
  }
  return *program + " is a trace, not a program: tape " + verb + " takes one trace and runs the "
         "program it names (tape " + verb + " --trace " + *trace + "); to compare two traces: "
         "tape diff " + *program + " " + *trace;
}

std::string DefaultTrace(const std::string& verb, std::string* trace) {
  if (!trace->empty()) return "";
  const std::string fallback(kDefaultTrace);
  if (!FileExists(fallback)) {
    std::string nothing = verb == "replay"  ? "nothing to replay"
                          : verb == "debug" ? "nothing to debug"
                                            : "nothing to rerun on";
    return nothing + ": no --trace FILE given, and no " + fallback + " (the default) here";
  }
  *trace = fallback;
  Error(verb, DefaultTraceNote(verb == "replay"  ? "replaying"
                               : verb == "debug" ? "debugging"
                                                 : "rerunning on"));
  return "";
}

Result<Program> LoadBuiltin(const std::string& name) {
  if (const programs::BuiltinProgram* b = programs::FindBuiltin(name)) return programs::MakeProgram(*b);
  std::string names;
  std::vector<std::string> candidates;
  for (const programs::BuiltinProgram& b : programs::Builtins()) {
    names += names.empty() ? "" : ", ";
    names += b.name;
    candidates.emplace_back(b.name);
  }
  std::string hint = name.ends_with(".tape") ? " (to record a script, use: tape run " + name + ")" : "";
  return Status::InvalidArgument("unknown program '" + name + "'" +
                                 engine::DidYouMean(name, candidates) +
                                 "; built-in programs are: " + names + hint);
}

Result<Program> LoadScript(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT && programs::FindBuiltin(path) != nullptr) {
      return Status::InvalidArgument("'" + path + "' is a built-in program, not a script; " +
                                     "record it with: tape record " + path);
    }
    if (err == ENOENT) {
      return Status::NotFound("no such program or script: '" + path +
                              "' (built-in programs: tape list)");
    }
    return Status::FromErrno("cannot read script " + path, err);
  }
  if (S_ISDIR(st.st_mode)) return Status::InvalidArgument(path + " is a directory, not a script");
  std::string not_script = NotAScript(path);
  if (!not_script.empty()) return Status::InvalidArgument(not_script);
  // The name is the file name alone: a script replays from any directory,
  // whatever path spelling recorded it.
  std::string name = std::filesystem::path(path).filename().string();
  std::string text;
  bool too_large = false;
  const int64_t limit = lang::kMaxSourceFileBytes;
  Status read = ReadBounded(path, limit, &text, &too_large);
  if (!read.ok()) return read;
  if (too_large) {
    // A script that cannot be compiled, like any other (exit 82).
    return Status::ScriptError(
        fmt::format("{}: error: the script is larger than {} MiB, the most a script file may be",
                    path, limit >> 20));
  }
  return FromScriptSource(std::move(name), std::move(text));
}

Result<Program> LoadFromTrace(const format::TraceHeader& header) {
  switch (header.program_kind) {
    case format::ProgramKind::kBuiltin:
      return LoadBuiltin(header.program_name);
    case format::ProgramKind::kScript: {
      // tape redact replaced text in the trace's copy of the script: it is
      // not the script that ran (§13.6).
      std::string_view lines = header.redaction;
      for (size_t at = 0; at <= lines.size();) {
        size_t end = std::min(lines.find('\n', at), lines.size());
        if (lines.substr(at, end - at) == kRedactedSourceLine) {
          return Status::InvalidArgument(
              "the trace holds a redacted copy of the script '" + header.program_name +
              "' (tape redact replaced text in it), not the script that ran; name the script "
              "(tape replay SCRIPT --trace FILE)");
        }
        at = end + 1;
      }
      return FromScriptSource(header.program_name, header.script_source);
    }
    case format::ProgramKind::kExecutable:
      return Status::InvalidArgument("the trace records the executable " + header.program_name +
                                     "; replay it with tape replay TRACE");
    case format::ProgramKind::kEmbedded:
      return Status::InvalidArgument("the trace was recorded by the embedded program '" +
                                     header.program_name +
                                     "'; replay it with that program (its 'replay' command)");
  }
  return Status::InvalidArgument("the trace names an unknown kind of program");
}

Result<Program> LoadNamed(const std::string& name) {
  bool builtin = programs::FindBuiltin(name) != nullptr;
  return builtin ? LoadBuiltin(name) : LoadScript(name);
}

int ReportLoadError(const std::string& verb, const Status& error) {
  if (error.code() == StatusCode::kScriptError) {
    // The compiler's report, as it printed it: file:line:col, the line, a caret.
    std::cerr << error.message() << (error.message().ends_with("\n") ? "" : "\n");
    return kExitScript;
  }
  return Fail(verb, kExitUsage, error.message());
}

std::string DescribeScriptChange(const std::string& recorded_source,
                                 const std::string& current_source) {
  return lang::DescribeFirstChange(recorded_source, current_source);
}

}  // namespace tape::cli
