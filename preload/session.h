// The recording or replay running inside a program that was not written for
// tape: started by the preloaded library's constructor, ended when the
// program exits (its exit_group system call), when replay drifts, or when
// the program does something tape refuses to record.
//
// Start-up, in order: read the CLI's instructions (control.h); give the
// program back the environment it was started with; install the SIGSYS
// handler (trap.h) and the seccomp filter (filter.h); copy stdout and stderr
// to descriptors of tape's own; open the trace (record: a TraceWriter and a
// Recorder; replay: a TraceReader and a Replayer, which decodes on the
// program's thread); perform libc.start, the process's world (replay: check
// that the program was started with the recorded arguments and environment,
// and give it the recorded descriptors). From then on the program's calls
// are effects. Everything tape does itself runs "in tape" (guard.h).

#ifndef TAPE_PRELOAD_SESSION_H_
#define TAPE_PRELOAD_SESSION_H_

#include <memory>
#include <string>
#include <vector>

#include "engine/effects/libc.h"
#include "engine/internal/chaos.h"
#include "engine/internal/signals.h"
#include "engine/src/recorder.h"
#include "engine/src/replayer.h"
#include "format/trace_reader.h"
#include "format/trace_writer.h"
#include "preload/callers.h"
#include "preload/control.h"
#include "preload/fd_table.h"

namespace tape::preload {

// The libc.* effects, as the interposer performs them (engine/effects/libc.h).
using engine::ErrnoBytes;
using engine::LibcEffects;
using engine::OpenResult;
using engine::StartWorld;
using engine::WriteResult;

class Session {
 public:
  // The running session; nullptr before it started, and in a process that
  // loaded the library without tape's CLI (it then does nothing).
  static Session* Current() { return current_; }
  // From the constructor. Ends the process with a message when the session
  // cannot start (a trace that cannot be written or read, no seccomp).
  static void Start(int argc, char** argv, char** envp);

  bool recording() const { return recorder_ != nullptr; }
  // The recorder, when calls may be recorded without the effect table's
  // indirection (no chaos): the interposed clocks' fast path. Else nullptr.
  engine::Recorder* plain_recorder() { return plain_recorder_; }
  LibcEffects& effects() { return *effects_; }
  FdTable& fds() { return fds_; }
  Callers& callers() { return *callers_; }
  // The first descriptor of tape's own range (engine::InterposerFdBase).
  int fd_base() const { return fd_base_; }

  // The program exits with `code`: finishes the trace (record), or checks that
  // the recording ended here the same way (replay), then ends the process.
  [[noreturn]] void Exit(int code);
  // Stops the program at a call tape does not record: prints `what` (at
  // `site`) and `hint`, ends the trace with that as the outcome, and the
  // process with exit code 83 (kMisuseExitCode).
  [[noreturn]] void Refuse(const Site& site, const std::string& what, const std::string& hint);
  // Ends the process after an exception from an effect call: a drift (exit
  // 80), a trace that cannot be read or written (81). Call in a catch block.
  [[noreturn]] void Fail();

 private:
  Session(Control control, int control_fd, std::vector<std::string> argv);
  void Begin();
  void OpenRecording();
  void OpenReplay();
  // Replay: the program must run with the recorded argv and environment;
  // its descriptors become the recorded ones.
  void CheckWorld(const StartWorld& world);
  void TakeFds(const std::vector<int>& fds);
  [[noreturn]] void Drifted(const DriftInfo& info);
  [[noreturn]] void Fatal(int exit_code, const std::string& message);
  void WriteReport(Report::Status status);
  [[noreturn]] void End(Report::Status status, int exit_code);
  void Message(const std::string& text);

  inline static Session* current_ = nullptr;

  Control control_;
  int control_fd_;
  std::vector<std::string> argv_;
  int fd_base_ = 0;
  int stdout_copy_ = -1, stderr_copy_ = -1;
  FdTable fds_;
  std::unique_ptr<Callers> callers_;
  // Record.
  std::unique_ptr<engine::Chaos> chaos_;
  std::unique_ptr<format::TraceWriter> writer_;
  std::unique_ptr<engine::Recorder> recorder_;
  bool finished_ = false;  // the trace's footer is written
  engine::Recorder* plain_recorder_ = nullptr;
  // Replay.
  std::unique_ptr<format::TraceReader> reader_;
  std::unique_ptr<engine::Replayer> replayer_;
  Runtime* runtime_ = nullptr;
  std::unique_ptr<LibcEffects> effects_;
  std::unique_ptr<engine::SignalGuard> signal_guard_;
  Report report_;
};

}  // namespace tape::preload

#endif  // TAPE_PRELOAD_SESSION_H_
