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
  // HTTP headers whose values must not reach the trace, in requests and
  // responses: names or fnmatch(3) globs, any case ("Authorization",
  // "X-*-Token"). Each value is stored as its marker; the header's name
  // stays. Listed in the header like redact_env, same limits.
  std::vector<std::string> redact_header;
  // Regular expressions (RE2 syntax) whose matches must not reach the
  // trace: the text each matches in any byte field of an event's args or
  // result (with capturing groups, what the groups match) is stored as its
  // marker, and so is every later copy of a value matched (6 bytes or more),
  // in every event and in the outcome message. The header says how many
  // patterns there were, never their text. A pattern that does not compile,
  // or matches the empty text, makes Record return kBadOptions.
  std::vector<std::string> redact_match;
  // Non-zero: the trace's times (the recording's start, every event's time,
  // its end) are all this instant, ns since the Unix epoch, and durations
  // are 0, instead of the clock's readings. The program itself still reads
  // the real clock (clock.now). So recording a program whose effects answer
  // the same way writes the same bytes: tests compare such a recording with
  // committed golden bytes (tests/golden/README.md).
  int64_t frozen_time_ns = 0;
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
  // When set, what the rerun saw is written there as a trace of the program
  // as it is now: the recorded inputs served, the inputs performed live, the
  // outputs it made (specs/rerun.md §6). A rerun that stopped early leaves a
  // trace that reads as interrupted. `force` as for RecordOptions.
  std::string out_path;
  bool force = false;
};

// An output of a rerun that differs from the recording (specs/rerun.md §4).
struct OutputChange {
  std::string what;         // "changed", "added" or "removed"; "" for none
  uint64_t seq = 0;         // the recorded output's seq (changed, removed)
  uint64_t call = 0;        // the new output's call number in the rerun (changed, added)
  int64_t lane = 0;         // the recorded lane (thread) it belongs to
  std::string recorded;     // the recorded call as text, e.g. io.write("FAIL: ...")
  std::string now;          // the call the program made now
  std::string recorded_at;  // file:line:col of each
  std::string now_at;
  std::string difference;   // changed: where the bytes first differ, with both sides
};

// What a rerun did with the recorded events (specs/rerun.md).
struct RerunSummary {
  // Inputs served from the trace, by how they were matched.
  uint64_t by_site = 0, by_key = 0, by_kind = 0;
  uint64_t adjusted = 0;        // served although the args differ (e.g. random.bits(2) for (1))
  uint64_t live = 0;            // unrecorded inputs performed for real (--live)
  uint64_t inputs_unused = 0;   // recorded inputs the program did not ask for
  uint64_t outputs_same = 0, outputs_changed = 0, outputs_added = 0, outputs_removed = 0;
  // Recorded events the rerun never got to because it stopped early (an
  // unrecorded input): neither compared nor counted above.
  uint64_t not_reached = 0;
  std::string first_output_change;  // the first changed, added or removed output, explained
  OutputChange first_change;        // the same, field by field
  std::vector<std::string> notes;   // the first few adjustments, explained
  std::string recorded_outcome;     // "exited with code 1"
  // Whether the program ended as recorded (exit code, error, exception).
  // Also true when the recording was interrupted (there is no outcome to
  // compare) and false when the rerun stopped early.
  bool outcome_same = false;
  std::string recorded_code_hash, code_hash;  // hex; differ when the code changed
  std::string recorded_program;     // "script program 'flaky.tape'"
  uint32_t threads = 0;             // threads (lanes besides the first) the program started

  // True when the program's outputs or its ending differ from the recording.
  bool Changed() const {
    return outputs_changed + outputs_added + outputs_removed != 0 || !outcome_same;
  }
};

// How a record or replay ended, for the caller to report.
struct RunReport {
  enum class Status {
    kOk,          // the program ran to its end (exit_code says how)
    kDrift,       // replay diverged: see drift
    kTraceError,  // the trace could not be read or written: see error
    kBadOptions,  // the options make no sense (a bad chaos spec, an --out that is not
                  // a trace, a device or a directory, without force; a rerun of a
                  // program that starts threads): see error
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
