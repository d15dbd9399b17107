// `--stop-at SEQ` and tape::CurrentSeq() (tape/debug.h): the hooks a native
// debugger uses to land at an event of a replay.

#ifndef TAPE_ENGINE_DEBUG_STOP_H_
#define TAPE_ENGINE_DEBUG_STOP_H_

#include <cstdint>

#include "tape/runtime.h"

namespace tape::engine {

// While alive, `rt` is the run tape::CurrentSeq() reports.
class CurrentRun {
 public:
  explicit CurrentRun(const Runtime* rt);
  ~CurrentRun();
  CurrentRun(const CurrentRun&) = delete;
  CurrentRun& operator=(const CurrentRun&) = delete;

 private:
  const Runtime* previous_;
};

// Called just before event `seq` is served (Replayer::StopAt): raises
// SIGTRAP when a debugger traces the process; otherwise says so on stderr
// and stops the process (SIGSTOP) until a debugger attaches or SIGCONT.
void StopForDebugger(uint64_t seq);

// Whether a debugger traces this process (/proc/self/status TracerPid).
bool DebuggerAttached();

}  // namespace tape::engine

#endif  // TAPE_ENGINE_DEBUG_STOP_H_
