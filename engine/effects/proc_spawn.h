// Running a command for proc.run (proc.cc): posix_spawnp, no shell.

#ifndef TAPE_ENGINE_EFFECTS_PROC_SPAWN_H_
#define TAPE_ENGINE_EFFECTS_PROC_SPAWN_H_

#include "tape/services.h"

namespace tape::engine {

// Runs `request` to its end (or its timeout) and returns what happened. A
// command that cannot be started is a result (start_error).
ProcResult RunCommand(const ProcRequest& request);

}  // namespace tape::engine

#endif  // TAPE_ENGINE_EFFECTS_PROC_SPAWN_H_
