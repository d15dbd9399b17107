// Running a program that was not written for tape under tape's
// interposition library (preload/): `tape record -- PROGRAM` and the replay
// of such a recording.
//
// The program runs in a child process, with the library in LD_PRELOAD (in
// front of any the user had) and tape's instructions in a memory file
// (preload/control.h); address-space randomization is off, so that the
// program's addresses, and what it computes from them, are the same when it
// is replayed. `tape` waits for it: the terminal's interrupt and quit reach
// the program alone, a SIGTERM or SIGHUP sent to `tape` is passed on.

#ifndef TAPE_TOOLS_INTERPOSED_RUN_H_
#define TAPE_TOOLS_INTERPOSED_RUN_H_

#include <optional>
#include <string>
#include <vector>

#include "format/status.h"
#include "format/trace_reader.h"
#include "preload/control.h"

namespace tape::cli {

struct InterposedRun {
  std::string path;               // the executable
  std::vector<std::string> argv;  // argv[0] included
  std::vector<std::string> env;   // the program's environment ("NAME=value")
  std::optional<std::string> cwd;  // directory to start in (replay), when it exists
  preload::Control control;       // user_preload is filled in from `env`
  // Where the program's standard output and error go (-1: tape's own).
  int stdout_fd = -1;
  int stderr_fd = -1;
};

struct InterposedOutcome {
  bool exited = false;
  int code = 0;    // exited: the exit code
  int signal = 0;  // else the signal that ended it
  preload::Report report;  // what the library said (status kNone: nothing)
  // The exit code `tape` ends with: the program's, or 128 + the signal.
  int ExitCode() const { return exited ? code : 128 + signal; }
};

// The run that replays the recording `reader` of an executable (at
// `trace_path`), as it started (libc.start, seq 0: its arguments,
// environment, directory and open descriptors), messages starting with
// `label`; the executable is the recorded one. An error (kCorrupt) when the
// trace holds no readable libc.start.
Result<InterposedRun> ReplayRunOf(const format::TraceReader& reader, const std::string& trace_path,
                                  const std::string& label);

// Runs it and waits. An error: the library cannot be found, the process
// cannot be started.
Result<InterposedOutcome> RunInterposed(InterposedRun run);

// The path of libtape-preload.so next to this `tape` (in the build tree, or
// installed under lib/tape).
Result<std::string> PreloadLibrary();

// The environment of this process, as "NAME=value" strings.
std::vector<std::string> CurrentEnvironment();

// "function at file:line" for the code at `offset` in `module`, from its
// debug information (addr2line, binutils); "" when there is none.
std::string SourceLine(const std::string& module, uint64_t offset);

}  // namespace tape::cli

#endif  // TAPE_TOOLS_INTERPOSED_RUN_H_
