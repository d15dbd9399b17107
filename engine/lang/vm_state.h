// Vm: the state of one run of a compiled module, and the interpreter loop
// that advances it (vm.cc). Internal to engine/lang: Execute (vm.h) runs a
// script to its end; Machine (machine.h) drives a run for a debugger, which
// stops it between instructions, reads it and copies it.

#ifndef TAPE_LANG_VM_STATE_H_
#define TAPE_LANG_VM_STATE_H_

#include <fmt/core.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/lang/bytecode.h"
#include "engine/lang/host_calls.h"
#include "engine/lang/limits.h"
#include "engine/lang/value.h"
#include "tape/runtime.h"

namespace tape::lang {

class TrapHandler;  // machine.h

class Vm {
 public:
  Vm(const Module& m, const std::vector<Site>& sites, std::string_view name,
     std::string_view source, Runtime* rt, const RunLimits& limits)
      : module_(m), sites_(sites), name_(name), source_(source), rt_(rt), limits_(limits) {}

  uint64_t steps() const { return steps_; }

  // Sets up the top-level frame (and the string constants, charged to the
  // memory budget installed now).
  void Start();
  // Runs from the top to the script's end; returns the exit code.
  int Run() {
    Start();
    return Loop<false>();
  }

  // What Loop<true> returns when it stops between instructions.
  static constexpr int kPaused = -1;

  // Runs from where the state says (the innermost frame's ip, sp_). The
  // plain loop runs to the end and returns the exit code. With `kDebug`
  // (Machine), it also stops before the instruction that would make icount_
  // exceed `stop_at_` and when the trap handler asks to, returning kPaused.
  // Runtime errors become ProgramError (StepLimitError); exceptions from the
  // runtime pass through; the state stays readable either way.
  template <bool kDebug>
  int Loop();
  std::string FormatError(const std::string& message) const;

  struct Frame {
    const Function* fn;
    const Instr* ip;  // the next instruction (saved while a callee runs, or the run stops)
    size_t base;      // index of slot 0 in the value stack
  };

  // Grows the value stack to hold at least `needed` values (indices stay
  // valid; pointers into the stack do not).
  void Reserve(size_t needed) {
    if (needed <= capacity_) return;
    if (needed > static_cast<size_t>(kMaxStackValues)) {
      Fault(fmt::format("stack overflow: the calls in progress hold more than {} values",
                        kMaxStackValues));
    }
    size_t cap = std::max<size_t>(capacity_ * 2, 256);
    while (cap < needed) cap *= 2;
    auto grown = std::make_unique<Value[]>(cap);
    for (size_t i = 0; i < capacity_; ++i) grown[i] = std::move(stack_[i]);
    stack_ = std::move(grown);
    capacity_ = cap;
  }

  // Out of line: the handlers that count steps stay small.
  [[noreturn, gnu::cold, gnu::noinline]] void StepLimitReached(uint64_t max_steps) {
    steps_ = max_steps;  // the steps that ran
    throw RuntimeFault{
        fmt::format("step limit reached: more than {} loop iterations and calls", max_steps),
        /*step_limit=*/true};
  }

  [[noreturn]] void FaultUnset(int global) {
    Fault("'" + module_.global_names[global] + "' is used before its 'let' ran");
  }

  const Module& module_;
  const std::vector<Site>& sites_;
  std::string_view name_, source_;
  Runtime* rt_;
  RunLimits limits_;

  std::unique_ptr<Value[]> stack_;
  size_t capacity_ = 0;
  size_t sp_ = 0;  // the stack's top, while the loop does not run
  std::vector<Frame> frames_;
  std::vector<Value> globals_;
  std::vector<uint8_t> global_set_;  // bytes, not vector<bool>: read on every global access
  std::vector<Value> strings_;  // the string constants, as values
  HostState host_;
  uint64_t steps_ = 0;

  // Debugging (Loop<true> only).
  uint64_t icount_ = 0;         // instructions executed
  uint64_t stop_at_ = UINT64_MAX;
  bool skip_trap_ = false;  // the first instruction run is not trapped
  uint64_t seq_watch_ = UINT64_MAX;  // effect calls from this seq on call the trap handler
  // The innermost frame's ip is past its current instruction: the run
  // stopped inside it (a runtime error, a drift), not between two.
  bool inside_instruction_ = false;
  const Module* original_ = nullptr;  // the code without traps
  TrapHandler* trap_handler_ = nullptr;
};

}  // namespace tape::lang

#endif  // TAPE_LANG_VM_STATE_H_
