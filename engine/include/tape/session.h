// Recording and replaying a Program: the library's entry points.
//
//   tape::Program program{tape::ProgramKind::kEmbedded, "myapp", kCodeHash, "", MyMain};
//   tape::RecordOptions rec;  rec.trace_path = "run.trace";
//   tape::RunReport r = tape::Record(program, rec);
//   tape::ReplayOptions rep;  rep.trace_path = "run.trace";
//   tape::RunReport again = tape::Replay(program, rep);
//
// or, for a program that wants tape's command line, tape::Main (embed.h).

#ifndef TAPE_SESSION_H_
#define TAPE_SESSION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tape/drift.h"
#include "tape/program.h"

namespace tape {

struct RecordOptions {
  std::string trace_path = "trace.bin";
  std::vector<std::string> args;  // what args.get() returns
  uint32_t flush_ms = 100;        // a recorded event reaches the file within this time
  uint32_t chunk_events = 65536;
  int zstd_level = 1;
  int stdout_fd = 1;  // where io.write goes
  // Finalize the trace and re-raise on fatal signals (SIGSEGV, SIGABRT, ...)
  // and on SIGINT/SIGTERM/SIGHUP/SIGPIPE. Off for in-process tests.
  bool handle_signals = false;
  // Write the trace even over a file that is not a trace (or not a regular
  // file). Without it, such a file is refused and left alone.
  bool force = false;
  // What messages printed from signal handlers start with.
  std::string label = "tape record";
  // Chaos mode (specs/chaos.md): perturb what effects return per this spec,
  // e.g. "fs.read=0.1,clock.now=0.01" or "all=0.05"; empty for none. The
  // trace stores the spec and seed, and marks each perturbed event. A spec
  // that does not parse makes Record return kBadOptions, running nothing.
  std::string chaos;
  uint64_t chaos_seed = 0;  // seeds the chaos generator: same seed, same draws
  // Environment variables whose values must not reach the trace: fnmatch(3)
  // globs such as "API_*". The program gets such a variable's value as usual;
  // the trace stores a marker in its place ("[redacted #1]"; equal values
  // get equal markers), which is what replay returns. The trace's header
  // lists the globs (specs/trace-format.md §6, §13.6). Each glob is 1 to
  // 1024 bytes without control characters.
  std::vector<std::string> redact_env;
};

struct ReplayOptions {
  std::string trace_path = "trace.bin";
  int stdout_fd = 1;  // where replayed io.write bytes go
  bool handle_signals = false;
  // Skip the code-hash check (the program changed on purpose). The replay is
  // then not bounded by the recording's step count either.
  bool ignore_code_hash = false;
  // What messages printed from signal handlers start with.
  std::string label = "tape replay";
  // Decode chunks ahead on a thread of tape's own (the default), or each on
  // the program's thread when the program reaches it: slower, one core.
  bool read_ahead = true;
  // Just before event `stop_at` is served: SIGTRAP for a debugger the
  // replay runs under, or a stop (SIGSTOP) for one to attach (tape/debug.h).
  std::optional<uint64_t> stop_at;
};

struct RerunOptions {
  std::string trace_path = "trace.bin";
  int stdout_fd = 1;  // where io.write goes
  int stderr_fd = 2;  // where io.error goes
  // Perform inputs the trace has nothing for (instead of stopping with
  // UnrecordedInput), and let fs.write and fs.append touch the disk.
  bool live = false;
  bool handle_signals = false;
  std::string label = "tape rerun";
};

// What a rerun did with the recorded events (specs/rerun.md).
struct RerunSummary {
  // Inputs served from the trace, by how they were matched.
  uint64_t by_site = 0, by_key = 0, by_kind = 0;
  uint64_t adjusted = 0;        // served although the args differ (e.g. random.bits(2) for (1))
  uint64_t live = 0;            // unrecorded inputs performed for real (--live)
  uint64_t inputs_unused = 0;   // recorded inputs the program did not ask for
  uint64_t outputs_same = 0, outputs_changed = 0, outputs_added = 0, outputs_removed = 0;
  std::string first_output_change;  // the first changed, added or removed output, explained
  std::vector<std::string> notes;   // the first few adjustments, explained
  std::string recorded_outcome;     // "exited with code 1"
  std::string recorded_code_hash, code_hash;  // hex; differ when the code changed
  std::string recorded_program;     // "script program 'flaky.tape'"
};

// How a record or replay ended, for the caller to report.
struct RunReport {
  enum class Status {
    kOk,          // the program ran to its end (exit_code says how)
    kDrift,       // replay diverged: see drift
    kTraceError,  // the trace could not be read or written: see error
    kBadOptions,  // the options make no sense (a bad chaos spec, an --out that is not
                  // a trace, a device or a directory, without force): see error
  };
  Status status = Status::kOk;
  int exit_code = 0;            // the program's exit code (kOk)
  std::string outcome;          // "exited with code 1", "threw std::runtime_error: x", ...
  // What the program stopped with, for the user to see: a script's runtime
  // error (file:line:col, the line, a caret) or "type: what()" of an
  // uncaught exception. Empty when the program exited normally.
  std::string program_error;
  std::optional<DriftInfo> drift;
  std::string error;            // kTraceError: what went wrong, naming the file
  uint64_t events = 0;          // effect calls recorded or replayed
  std::string note;             // extra information, e.g. that a trace was interrupted
  std::optional<RerunSummary> rerun;  // set by Rerun
};

RunReport Record(const Program& program, const RecordOptions& options);
RunReport Replay(const Program& program, const ReplayOptions& options);
// Runs a (changed) program on a trace's recorded inputs: inputs are served
// from the trace, matched by site, key and kind; outputs run and are compared
// with the recorded ones (specs/rerun.md). No program or code-hash check.
RunReport Rerun(const Program& program, const RerunOptions& options);
// A rerun's report as lines of text (no trailing newline): inputs served,
// outputs compared, the first change, the outcome then and now.
std::vector<std::string> DescribeRerun(const RunReport& report);

}  // namespace tape

#endif  // TAPE_SESSION_H_
