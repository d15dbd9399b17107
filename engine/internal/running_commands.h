// The process groups of the commands tape is running (RunCommand's:
// proc.run performed live, the reruns of `tape test`), so that a signal
// that ends or interrupts tape ends them too instead of leaving them
// running in their own process groups.
//
// The signal handlers cannot allocate or lock, so the groups live in a
// fixed table of kMaxRunningCommands slots; a command that finds the table
// full still runs, unremembered.

#ifndef TAPE_ENGINE_INTERNAL_RUNNING_COMMANDS_H_
#define TAPE_ENGINE_INTERNAL_RUNNING_COMMANDS_H_

#include <sys/types.h>

namespace tape::engine {

inline constexpr int kMaxRunningCommands = 256;

// Remembers the process group `pgid` (the leader's pid, not yet reaped)
// until ForgetRunningCommand(slot). Once StopRunningCommands has run, the
// group is sent SIGTERM at once instead: a command started while the
// process is being interrupted does not outlive it. Returns the slot, or
// -1. Thread-safe.
int RememberRunningCommand(pid_t pgid);
// Before the leader is reaped (its group id may be reused after). -1 is
// ignored.
void ForgetRunningCommand(int slot);
// Sends `sig` to every remembered group, and from then on SIGTERM to each
// new one. Async-signal-safe.
void StopRunningCommands(int sig);
// Whether StopRunningCommands has run.
bool RunningCommandsStopped();

}  // namespace tape::engine

#endif  // TAPE_ENGINE_INTERNAL_RUNNING_COMMANDS_H_
