// Fatal and terminating signals during record and replay.
//
// Recording: SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT and SIGPIPE (a write
// to a closed pipe, e.g. `| head`) finalize the trace with the signal as the
// outcome; SIGINT, SIGTERM and SIGHUP finalize it as interrupted. Then the
// signal is re-raised with its default action, so the process ends the way
// the program did. Replay: the
// same signals print where the replay stopped before re-raising (a SIGPIPE
// quietly: `tape replay ... | head` is normal use).
//
// A signal the process inherited as ignored (nohup, `trap '' INT`) stays
// ignored: its handler is not installed.
//
// A signal handler cannot be handed a context pointer, so the active writer
// or replayer lives in a process-wide slot; only one guard may be active.
//
// One signal ends the process: the first handler to run finishes the trace
// and prints the one line. A signal that reaches another thread meanwhile (a
// second Ctrl-C, a SIGTERM sent twice to a program with threads) prints
// nothing: SIGINT, SIGTERM and SIGHUP are dropped, a fault waits for the end.
//
// SIGINT, SIGTERM and SIGHUP that arrive before the guard exists are not
// lost and do not kill tape before the trace exists: a recorder blocks them
// (BlockTerminatingSignals) from its start, and the guard unblocks them on
// the program's thread once its handlers are in place, so a pending one is
// handled at once. Threads started meanwhile (the trace writer's) keep them
// blocked, so these signals are always handled on a thread of the program.
// The guard blocks them again on that thread before it removes its handlers:
// one that comes after the program returned waits until the trace is
// finished, instead of ending tape with the default action in between.

#ifndef TAPE_ENGINE_SIGNALS_H_
#define TAPE_ENGINE_SIGNALS_H_

#include <signal.h>

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
  // Blocks again on this thread the terminating signals Install unblocked
  // (those that were blocked before), then restores the previous handlers.
  // REQUIRES: called on the thread that made the guard.
  ~SignalGuard();
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

 private:
  void Install();

  sigset_t mask_before_;  // this thread's signal mask before Install
};

// Ignores SIGXFSZ for its lifetime, so that a write past a file-size limit
// (ulimit -f) fails with EFBIG, a write error the recorder reports (exit 81),
// instead of killing the process. A recorder holds one from before the trace
// is created until after it is finished: the last chunks and the footer are
// written after the program returned, when the SignalGuard is gone.
class IgnoreFileSizeSignal {
 public:
  IgnoreFileSizeSignal();
  ~IgnoreFileSizeSignal();
  IgnoreFileSizeSignal(const IgnoreFileSizeSignal&) = delete;
  IgnoreFileSizeSignal& operator=(const IgnoreFileSizeSignal&) = delete;

 private:
  struct sigaction previous_;
  bool ignored_ = false;
};

// Blocks SIGINT, SIGTERM and SIGHUP on the calling thread (and the threads
// it starts) for its lifetime, then restores the signal mask: a signal that
// came meanwhile is then delivered (and, with no handler, ends the process).
class BlockTerminatingSignals {
 public:
  BlockTerminatingSignals();
  ~BlockTerminatingSignals();
  BlockTerminatingSignals(const BlockTerminatingSignals&) = delete;
  BlockTerminatingSignals& operator=(const BlockTerminatingSignals&) = delete;

 private:
  sigset_t previous_;
};

// Ends the process with `sig`'s default action (the handler uninstalled,
// the signal unblocked and raised again). Async-signal-safe.
[[noreturn]] void EndBySignal(int sig);

// "SIGSEGV" for 11, "" when unknown.
const char* SignalName(int sig);

}  // namespace tape::engine

#endif  // TAPE_ENGINE_SIGNALS_H_
