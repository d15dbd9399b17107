// Debugger: a replay of a script's recording that stops anywhere, shows the
// script's state there, and goes backwards (specs/debugger.md). The core of
// `tape debug`, `tape replay --debug` and `tape dap`, which only turn
// commands and requests into these calls and the results into text, JSON or
// DAP messages.
//
// Going back is re-execution: the replay is deterministic, so restoring a
// snapshot taken earlier (snapshots.h) and running to a position gives the
// same state as the first time. Positions are instruction counts
// (lang::Machine). Snapshots are taken while the replay runs forward, every
// `snapshot_interval_ms` of replay, within `snapshot_memory` bytes.
//
// Output: the script's io.write and io.error bytes go to the output sink as
// the replay first serves each event, and never again when it serves the
// same events after going back.
//
// Single-threaded: every call runs the replay on the calling thread.

#ifndef TAPE_DEBUG_DEBUGGER_H_
#define TAPE_DEBUG_DEBUGGER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/debug/breakpoints.h"
#include "engine/debug/snapshots.h"
#include "engine/lang/machine.h"
#include "format/trace_reader.h"
#include "tape/drift.h"

namespace tape::engine {
class Replayer;
}

namespace tape::debug {

struct DebuggerOptions {
  int64_t snapshot_memory = int64_t{64} << 20;  // bytes, for all snapshots together
  uint32_t snapshot_interval_ms = 100;          // of replay between two snapshots, at first
  // Loop iterations and calls the replay may run (the recording's count);
  // 0: no bound.
  uint64_t max_steps = 0;
};

enum class StopReason {
  kEntry,        // before the script's first instruction
  kStep,         // step, next, until or finish ended
  kBreakpoint,   // a breakpoint was hit (see Stop::breakpoints)
  kGoto,         // goto seq, or a move back to a position
  kStart,        // going back reached the start of the run: nothing earlier to go to
  kExited,       // the script ended, as recorded
  kError,        // the script stopped with a runtime error
  kDrift,        // the replay diverged from the recording (see Stop::drift)
  kTraceError,   // the trace could not be read further
  kInterrupted,  // stopped on request (Ctrl-C, a DAP pause)
};
// "entry", "step", "breakpoint", ...
const char* StopReasonName(StopReason reason);

struct Stop {
  StopReason reason = StopReason::kEntry;
  std::vector<int> breakpoints;  // the breakpoints hit
  // A runtime error, a trace error, why a condition could not be evaluated,
  // or a note (an exit that reproduced a recorded signal).
  std::string message;
  std::optional<DriftInfo> drift;
  // finish: the function left and the value it returned.
  std::string finished;
  std::optional<std::string> returned;
};

class Debugger : private lang::TrapHandler {
 public:
  // Replays `script` against `reader`'s recording of it (which the caller
  // checked is the script's), stopped at entry. `reader` must outlive the
  // debugger. Throws nothing; a script that cannot even start stops with
  // kError.
  Debugger(const format::TraceReader* reader, std::shared_ptr<const lang::Script> script,
           const DebuggerOptions& options);
  ~Debugger();
  Debugger(const Debugger&) = delete;
  Debugger& operator=(const Debugger&) = delete;

  // Where output goes: the event's seq, whether it is io.error, its bytes.
  using OutputSink = std::function<void(uint64_t seq, bool is_stderr, std::string_view bytes)>;
  void set_output_sink(OutputSink sink) { output_ = std::move(sink); }
  // Asked between slices of a run (about every 10 ms): true stops it (kInterrupted).
  void set_interrupt_check(std::function<bool()> check) { interrupt_ = std::move(check); }

  // --- moving -------------------------------------------------------------------
  // Each returns where the run stopped, or an error (and stays where it was)
  // when the move makes no sense there: going forward from the run's end,
  // finish in the top-level code, a seq past the end of the recording.
  Result<Stop> Continue();
  Result<Stop> Run();  // from the start, to the first breakpoint
  Result<Stop> Step();
  Result<Stop> Next();
  Result<Stop> Finish();
  Result<Stop> Until(int line = 0);  // 0: the next line after this one in this frame
  Result<Stop> ReverseStep();
  Result<Stop> ReverseNext();
  Result<Stop> ReverseContinue();
  Result<Stop> ReverseFinish();
  // Before event `seq` is served (the call that makes it, about to run).
  Result<Stop> GotoSeq(uint64_t seq);

  // --- breakpoints --------------------------------------------------------------
  // Returns the new breakpoint's number.
  Result<int> AddBreakpoint(const BreakSpec& spec);
  Status DeleteBreakpoint(int id);
  void DeleteAllBreakpoints();
  const std::vector<Breakpoint>& breakpoints() const { return breakpoints_; }

  // --- where the run is -------------------------------------------------------------
  const Stop& last_stop() const { return last_; }
  const lang::Machine& machine() const { return *machine_; }
  const lang::Script& script() const { return *script_; }
  const format::TraceReader& reader() const { return *reader_; }
  // The next event the replay serves (= events served so far).
  uint64_t seq() const;
  uint64_t position() const { return machine_->icount(); }
  // The run ended (exit, error, drift): only `run` and going back move on.
  bool ended() const { return ended_; }
  // The line of frame `frame`'s current statement.
  int Line(size_t frame = 0) const;

  size_t snapshot_count() const { return snapshots_.size(); }
  int64_t snapshot_bytes() const { return snapshots_.bytes(); }
  int64_t snapshot_budget() const { return snapshots_.budget(); }

 private:
  class Traps;
  struct Goal;
  struct Search;

  // Runs `move`, making its stop the last one (a trace that cannot be read
  // any further is a trace-error stop).
  Stop Move(const std::function<Stop()>& move);
  Result<Stop> Forward(const Goal& goal);
  Result<Stop> ReverseLine(bool into_calls);
  // Runs until the goal or a breakpoint stops it, or the position reaches
  // `until` (kGoto), in slices, taking snapshots on the way.
  Stop RunUntil(const Goal& goal, uint64_t until);
  Stop Ended(Stop stop);
  Stop Finished(const format::Outcome& outcome, std::string message);
  void Restore(const Snapshots::Entry& e);
  // Replays from the nearest snapshot to position `target`.
  Stop GoTo(uint64_t target, StopReason reason);
  // The last position before `before` that `search` looks for, going back
  // one snapshot at a time.
  std::optional<uint64_t> SearchBack(Search& search, uint64_t before);
  Result<Stop> Reverse(Search search, StopReason reason);
  void MaybeSnapshot(std::chrono::steady_clock::duration ran, uint64_t from);
  void TakeSnapshot();
  void NewReplayer(uint64_t first_seq);
  bool OnTrap() override;
  // The first seq at or after `from` a seq breakpoint or goto seq waits for.
  uint64_t NextSeqWatch(uint64_t from) const;
  std::vector<int> BreakpointHits(const lang::Machine::Frame& f, bool at_effect,
                                  std::string* message);
  bool GoalMet(const lang::Machine::Frame& f, bool stmt, bool at_effect);
  void Record(const lang::Machine::Frame& f, bool stmt, bool at_effect);

  const format::TraceReader* reader_;
  std::shared_ptr<const lang::Script> script_;
  DebuggerOptions options_;
  std::unique_ptr<lang::Machine> machine_;
  std::unique_ptr<engine::Replayer> replayer_;
  std::unique_ptr<Traps> traps_;
  Snapshots snapshots_;
  std::vector<Breakpoint> breakpoints_;
  int next_breakpoint_ = 1;

  OutputSink output_;
  uint64_t output_done_ = 0;  // events below this seq have shown their output
  std::function<bool()> interrupt_;

  // The run in progress.
  std::unique_ptr<Goal> goal_;
  Search* search_ = nullptr;          // while searching back
  std::optional<Stop> trap_stop_;     // set by OnTrap when it stops the run
  bool ended_ = false;
  bool at_stop_ = false;  // at a stop shown to the user (a trap here is not hit again)
  Stop last_;
  uint64_t slice_ = uint64_t{1} << 20;  // instructions per slice, adapted to ~10 ms
  std::chrono::steady_clock::duration since_snapshot_{};
  uint32_t interval_ms_;
  uint32_t snapshot_cost_ms_ = 0;  // how long the last snapshot took
};

}  // namespace tape::debug

#endif  // TAPE_DEBUG_DEBUGGER_H_
