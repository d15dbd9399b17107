// std::exit and std::quick_exit called by the program while tape records or
// replays it, from its main thread or from a tape::Thread.
//
// Neither returns to Record(), so without this the trace would keep only the
// chunks sealed before the call and no footer. While a guard is active, the
// handlers registered with on_exit and at_quick_exit (once per process):
//   recording: finish the trace with the outcome "exited with code N", N as
//     passed to exit, through the writer's encoder thread (as a fatal signal
//     does), and let the exit go on; if the trace cannot be finished, print
//     why ("<label>: ...") and end the process with 81 instead;
//   replaying: check that the replay ended where the recording did (every
//     recorded event replayed, the same exit code); if not, print the drift
//     and end the process with 80.
// Other threads of the program keep running while the handler does this;
// events they record after it has started are not in the trace.
//
// _exit and _Exit run no handlers: the trace keeps what was sealed before the
// call (at most --flush-ms old) and has no footer; `tape recover` keeps it.

#ifndef TAPE_ENGINE_EXIT_GUARD_H_
#define TAPE_ENGINE_EXIT_GUARD_H_

#include <string>

#include "format/trace_reader.h"
#include "format/trace_writer.h"
#include "tape/runtime.h"

namespace tape::engine {

class Replayer;

class ExitGuard {
 public:
  // A recording into `writer`; messages start with `label` ("tape run").
  ExitGuard(format::TraceWriter* writer, std::string label);
  // A replay of `reader` by `replayer`.
  ExitGuard(const Replayer* replayer, const format::TraceReader* reader, std::string label);
  // Waits for a handler that is finishing the trace on another thread.
  ~ExitGuard();
  ExitGuard(const ExitGuard&) = delete;
  ExitGuard& operator=(const ExitGuard&) = delete;
};

}  // namespace tape::engine

#endif  // TAPE_ENGINE_EXIT_GUARD_H_
