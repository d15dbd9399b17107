// Fatal and terminating signals during record and replay.
//
// Recording: SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT and SIGPIPE (a write
// to a closed pipe, e.g. `| head`) finalize the trace with the signal as the
// outcome; SIGINT, SIGTERM and SIGHUP finalize it as interrupted. Then the
// signal is re-raised with its default action, so the process ends the way
// the program did. SIGXFSZ is ignored while recording, so that a file-size
// limit is a write error (EFBIG) the recorder reports, not a kill. Replay: the
// same signals print where the replay stopped before re-raising (a SIGPIPE
// quietly: `tape replay ... | head` is normal use).
//
// A signal the process inherited as ignored (nohup, `trap '' INT`) stays
// ignored: its handler is not installed.
//
// A signal handler cannot be handed a context pointer, so the active writer
// or replayer lives in a process-wide slot; only one guard may be active.

#ifndef TAPE_ENGINE_SIGNALS_H_
#define TAPE_ENGINE_SIGNALS_H_

#include <string>

#include "format/trace_writer.h"
#include "tape/runtime.h"

namespace tape::engine {

class SignalGuard {
 public:
  // Finalizes `writer` from the handlers. `runtime` gives the seq for messages,
  // which start with `label` ("tape run").
  SignalGuard(format::TraceWriter* writer, const Runtime* runtime, const std::string& label);
  // Reports the replay position; `recorded_outcome` is quoted in the message.
  SignalGuard(const Runtime* replayer, const std::string& recorded_outcome,
              const std::string& label);
  ~SignalGuard();
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

 private:
  void Install();
};

// "SIGSEGV" for 11, "" when unknown.
const char* SignalName(int sig);

}  // namespace tape::engine

#endif  // TAPE_ENGINE_SIGNALS_H_
