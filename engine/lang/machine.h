// Machine: a run of a script that a debugger drives (engine/debug/). It
// stops between instructions, shows its frames and values, is copied into
// snapshots and restored from them, and goes on from where it stopped.
//
// Positions: a stop is "before instruction number N", N counting the
// instructions the run has executed (icount). The same N names the same
// moment of the same replay whatever traps are set, so a debugger goes back
// to a moment by restoring an earlier snapshot and running to its N.
//
// Traps: the machine runs its own copy of the code, in which a debugger
// replaces the instructions it wants to stop at by Op::kTrap (SetTrap).
// Reaching one calls the TrapHandler, which may ask to stop there. A trap
// costs nothing until it is reached; every instruction costs one count and
// compare more than in a plain run (Script::Run).
//
//   Machine m(script, limits);
//   m.set_runtime(&replayer);
//   m.Run(UINT64_MAX);          // to the end, or to the first trap that stops it
//   auto snap = m.Save();       // ... later: m.Restore(*snap), m.set_runtime(...)

#ifndef TAPE_LANG_MACHINE_H_
#define TAPE_LANG_MACHINE_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/lang/bytecode.h"
#include "engine/lang/limits.h"
#include "engine/lang/script.h"
#include "engine/lang/value.h"
#include "tape/runtime.h"

namespace tape::lang {

class Vm;

class TrapHandler {
 public:
  virtual ~TrapHandler() = default;
  // The run reached a trap. The machine reads as if stopped before the
  // trapped instruction; return true to stop there. Must not throw, and
  // must not keep copies of the machine's values past its return (a copy
  // changes when the run copies a shared list; see Machine).
  virtual bool OnTrap() = 0;
};

class Machine {
 public:
  // A saved state of a run (Save, Restore): its values deep-copied.
  class State;

  // Sets up a run of `script` stopped before its first instruction.
  Machine(std::shared_ptr<const Script> script, const RunLimits& limits);
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  // Where effect calls go; set before Run and after Restore.
  void set_runtime(Runtime* rt);
  void set_trap_handler(TrapHandler* handler);

  enum class Stopped { kPaused, kExited };
  // Runs until the instruction that would make icount() pass `stop_at`
  // (a stop right there if icount() == stop_at), a trap whose handler asks
  // to stop, or the script's end (kExited: see exit_code()). With
  // `skip_trap`, a trap at the first instruction is not reached (the run
  // resumes from a stop there, which the debugger already showed). A runtime
  // error throws ProgramError (StepLimitError past limits.max_steps), and
  // exceptions from the runtime (DriftError, ...) pass through; the state
  // stays readable after either, but the run cannot go on.
  // REQUIRES: !ended().
  Stopped Run(uint64_t stop_at, bool skip_trap = false);
  bool ended() const { return ended_; }
  int exit_code() const { return exit_code_; }

  // The seq watch: every effect call made when the runtime's seq() is at
  // least `seq` calls the trap handler as a trap would (UINT64_MAX: none).
  // Costs one compare per effect call, where trapping every call would cost
  // a handler call each. The handler may move the watch.
  void set_seq_watch(uint64_t seq);

  // Traps: by function index (module().functions) and instruction.
  void SetTrap(int function, uint32_t pc);
  void ClearTrap(int function, uint32_t pc);
  bool HasTrap(int function, uint32_t pc) const;

  // --- what a stopped run looks like ------------------------------------------
  const Script& script() const { return *script_; }
  const Module& module() const { return script_->module(); }
  uint64_t icount() const;
  uint64_t steps() const;
  // The bytes the run's values are charged (its memory budget's count).
  int64_t memory_used() const { return memory_used_; }
  struct Frame {
    int function;   // index into module().functions; 0 is the top level
    uint32_t pc;    // the instruction the frame is at (for callers: the call)
    Pos pos;        // its source position
  };
  // Calls in progress, 1 for the top level alone.
  size_t depth() const;
  // Frame `i`, 0 the innermost.
  Frame frame(size_t i) const;
  // Slot `slot` of frame `i`.
  const Value& slot(size_t i, int slot) const;
  // Global `g` (module().global_names), or nullptr before its `let` ran.
  const Value* global(int g) const;
  // The value on top of the innermost frame's stack, or nullptr if none
  // (after a call returned: its result).
  const Value* stack_top() const;
  // The run stopped inside its current instruction (a runtime error, a
  // drift, the exit), not before it. Its position (icount) is then the one
  // before that instruction: running to it again stops just before it.
  bool inside_instruction() const;

  // --- snapshots --------------------------------------------------------------
  // What consecutive saves share (Value::CopySharing): the last save and
  // its objects, kept alive here, and the charges of the objects freed
  // when saves sharing it are destroyed (to count what they take).
  struct Sharing {
    int64_t freed = 0;  // declared first: `last` is destroyed before it
    Value::CopyHistory history;
    std::shared_ptr<const State> last;
  };
  // A copy of the run's state. With `sharing`, values equal to those of the
  // save before it are shared with it, and StateBytes counts only the
  // values this save made.
  std::shared_ptr<const State> Save(Sharing* sharing = nullptr) const;
  // Puts the run back where `state` was saved; then set_runtime().
  void Restore(const State& state);
  // About what a state takes in memory: the values it made (for a save with
  // sharing, only those it did not share) and its own stack and frames.
  static int64_t StateBytes(const State& state);
  // The values it made, alone.
  static int64_t StateCharges(const State& state);
  static uint64_t StateIcount(const State& state);

 private:
  void Rebuild();

  std::shared_ptr<const Script> script_;
  RunLimits limits_;
  Module code_;  // the script's code, with traps
  std::unique_ptr<Vm> vm_;
  int64_t memory_used_ = 0;  // the run's memory budget, between runs
  bool ended_ = false;
  int exit_code_ = 0;
  TrapHandler* trap_handler_ = nullptr;
};

}  // namespace tape::lang

#endif  // TAPE_LANG_MACHINE_H_
