// Running a command to its end with its output captured: what proc.run does
// live (engine/src/live_proc.cc), also used by `tape test` to rerun each
// trace in a process of its own.

#ifndef TAPE_ENGINE_RUN_COMMAND_H_
#define TAPE_ENGINE_RUN_COMMAND_H_

#include "tape/services.h"

namespace tape::engine {

// Runs request.argv (argv[0] looked up in PATH, no shell) in a process group
// of its own, writes stdin_data to it, captures both output streams (at most
// kMaxProcOutputBytes each) and waits for it. After timeout_ms (when not 0)
// the group is killed with SIGKILL and `timed_out` is set. A command that
// cannot be started sets start_error. Blocking; safe to call from several
// threads at once.
ProcResult RunCommand(const ProcRequest& request);

}  // namespace tape::engine

#endif  // TAPE_ENGINE_RUN_COMMAND_H_
