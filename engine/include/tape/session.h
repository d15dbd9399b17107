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
};

struct ReplayOptions {
  std::string trace_path = "trace.bin";
  int stdout_fd = 1;  // where replayed io.write bytes go
  bool handle_signals = false;
  // Skip the code-hash check (the program changed on purpose).
  bool ignore_code_hash = false;
  // What messages printed from signal handlers start with.
  std::string label = "tape replay";
};

// How a record or replay ended, for the caller to report.
struct RunReport {
  enum class Status {
    kOk,          // the program ran to its end (exit_code says how)
    kDrift,       // replay diverged: see drift
    kTraceError,  // the trace could not be read or written: see error
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
};

RunReport Record(const Program& program, const RecordOptions& options);
RunReport Replay(const Program& program, const ReplayOptions& options);

}  // namespace tape

#endif  // TAPE_SESSION_H_
