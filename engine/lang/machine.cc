#include "engine/lang/machine.h"

#include <algorithm>

#include "engine/lang/vm_state.h"

namespace tape::lang {

class Machine::State {
 public:
  struct SavedFrame {
    int function;
    uint32_t pc;  // of the frame's saved ip
    size_t base;
  };
  ~State() {
    // Freed under a budget of their own: never refunded to a run's; what
    // it frees is counted for the saves that share values.
    MemoryBudget sink(INT64_MAX);
    stack.clear();
    globals.clear();
    strings.clear();
    host.site_results.clear();
    if (freed != nullptr) *freed -= sink.used();
  }
  int64_t* freed = nullptr;  // Sharing::freed of the saves it shares values with
  std::vector<Value> stack;  // [0, sp)
  std::vector<SavedFrame> frames;
  std::vector<Value> globals;
  std::vector<uint8_t> global_set;
  std::vector<Value> strings;
  HostState host;
  uint64_t steps = 0, icount = 0;
  int64_t memory_used = 0;
  bool inside_instruction = false, ended = false;
  int exit_code = 0;
  int64_t bytes = 0;
  int64_t charges = 0;
};

namespace {

// Copies `from` into `to` (deep, sharing kept through `copies`), adding the
// copies' charges to `*bytes`.
void CopyValues(const Value* from, size_t n, std::vector<Value>* to, Value::CopyMap* copies,
                int64_t* bytes = nullptr) {
  to->clear();
  to->reserve(n);
  for (size_t i = 0; i < n; ++i) to->push_back(Value::DeepCopy(from[i], copies, bytes));
}

// The same, sharing with the previous save (Machine::Sharing).
void CopyValues(const Value* from, size_t n, std::vector<Value>* to,
                Value::CopyHistory* history, int64_t* bytes) {
  to->clear();
  to->reserve(n);
  for (size_t i = 0; i < n; ++i) to->push_back(Value::CopySharing(from[i], history, bytes));
}

}  // namespace

Machine::Machine(std::shared_ptr<const Script> script, const RunLimits& limits)
    : script_(std::move(script)), limits_(limits), code_(script_->module()) {
  vm_ = std::make_unique<Vm>(code_, script_->sites(), script_->name(), script_->source(), nullptr,
                             limits_);
  Rebuild();
  MemoryBudget budget(limits_.max_memory);
  try {
    vm_->Start();
  } catch (const RuntimeFault& fault) {
    throw ProgramError(script_->name() + ": runtime error: " + fault.message);
  }
  memory_used_ = budget.used();
}

Machine::~Machine() {
  MemoryBudget sink(INT64_MAX);
  vm_.reset();
}

void Machine::Rebuild() {
  vm_->original_ = &script_->module();
  vm_->trap_handler_ = trap_handler_;
}

void Machine::set_runtime(Runtime* rt) { vm_->rt_ = rt; }

void Machine::set_trap_handler(TrapHandler* handler) {
  trap_handler_ = handler;
  vm_->trap_handler_ = handler;
}

Machine::Stopped Machine::Run(uint64_t stop_at, bool skip_trap) {
  vm_->stop_at_ = std::min(stop_at, UINT64_MAX - 1);  // Loop counts down from stop_at + 1
  vm_->skip_trap_ = skip_trap;
  MemoryBudget budget(limits_.max_memory, memory_used_);
  int result;
  try {
    result = vm_->Loop<true>();
  } catch (...) {
    memory_used_ = budget.used();
    ended_ = true;
    throw;
  }
  memory_used_ = budget.used();
  if (result == Vm::kPaused) return Stopped::kPaused;
  ended_ = true;
  exit_code_ = result;
  return Stopped::kExited;
}

void Machine::set_seq_watch(uint64_t seq) { vm_->seq_watch_ = seq; }

void Machine::SetTrap(int function, uint32_t pc) {
  code_.functions[static_cast<size_t>(function)].code[pc] = Instr{Op::kTrap};
}

void Machine::ClearTrap(int function, uint32_t pc) {
  size_t f = static_cast<size_t>(function);
  code_.functions[f].code[pc] = script_->module().functions[f].code[pc];
}

bool Machine::HasTrap(int function, uint32_t pc) const {
  return code_.functions[static_cast<size_t>(function)].code[pc].op == Op::kTrap;
}

uint64_t Machine::icount() const { return vm_->icount_; }
uint64_t Machine::steps() const { return vm_->steps_; }
size_t Machine::depth() const { return vm_->frames_.size(); }
bool Machine::inside_instruction() const { return vm_->inside_instruction_ || ended_; }

Machine::Frame Machine::frame(size_t i) const {
  const Vm::Frame& f = vm_->frames_[vm_->frames_.size() - 1 - i];
  size_t at = static_cast<size_t>(f.ip - f.fn->code.data());
  // A caller's saved ip is past its call; so is the innermost frame's when
  // the run stopped inside an instruction.
  if ((i > 0 || inside_instruction()) && at > 0) --at;
  at = std::min(at, f.fn->positions.size() - 1);
  int function = static_cast<int>(f.fn - code_.functions.data());
  return Frame{function, static_cast<uint32_t>(at), f.fn->positions[at]};
}

const Value& Machine::slot(size_t i, int slot) const {
  const Vm::Frame& f = vm_->frames_[vm_->frames_.size() - 1 - i];
  return vm_->stack_[f.base + static_cast<size_t>(slot)];
}

const Value* Machine::global(int g) const {
  size_t i = static_cast<size_t>(g);
  return vm_->global_set_[i] ? &vm_->globals_[i] : nullptr;
}

const Value* Machine::stack_top() const {
  const Vm::Frame& f = vm_->frames_.back();
  size_t floor = f.base + static_cast<size_t>(f.fn->num_slots);
  return vm_->sp_ > floor ? &vm_->stack_[vm_->sp_ - 1] : nullptr;
}

std::shared_ptr<const Machine::State> Machine::Save(Sharing* sharing) const {
  auto s = std::make_shared<State>();
  const Vm& vm = *vm_;
  int64_t charged = 0;
  if (sharing != nullptr) {
    Value::CopyHistory& h = sharing->history;
    h.current.clear();
    CopyValues(vm.stack_.get(), vm.sp_, &s->stack, &h, &charged);
    CopyValues(vm.globals_.data(), vm.globals_.size(), &s->globals, &h, &charged);
    CopyValues(vm.strings_.data(), vm.strings_.size(), &s->strings, &h, &charged);
    CopyValues(vm.host_.site_results.data(), vm.host_.site_results.size(),
               &s->host.site_results, &h, &charged);
    h.previous.swap(h.current);
    h.current.clear();
    s->freed = &sharing->freed;
  } else {
    Value::CopyMap copies;
    CopyValues(vm.stack_.get(), vm.sp_, &s->stack, &copies, &charged);
    CopyValues(vm.globals_.data(), vm.globals_.size(), &s->globals, &copies, &charged);
    CopyValues(vm.strings_.data(), vm.strings_.size(), &s->strings, &copies, &charged);
    CopyValues(vm.host_.site_results.data(), vm.host_.site_results.size(),
               &s->host.site_results, &copies, &charged);
  }
  for (const Vm::Frame& f : vm.frames_) {
    s->frames.push_back({static_cast<int>(f.fn - code_.functions.data()),
                         static_cast<uint32_t>(f.ip - f.fn->code.data()), f.base});
  }
  s->global_set = vm.global_set_;
  // The site results were copied with the values above (they may share
  // with them, and count in the save's charges).
  s->host.last_error = vm.host_.last_error;
  s->steps = vm.steps_;
  s->icount = vm.icount_;
  s->memory_used = memory_used_;
  s->inside_instruction = vm.inside_instruction_;
  s->ended = ended_;
  s->exit_code = exit_code_;
  int64_t bytes = charged + static_cast<int64_t>(sizeof(State) +
                                       sizeof(Value) * (s->stack.size() + s->globals.size() +
                                                        s->strings.size() +
                                                        s->host.site_results.size()) +
                                       sizeof(State::SavedFrame) * s->frames.size());
  s->bytes = bytes;
  s->charges = charged;
  if (sharing != nullptr) sharing->last = s;  // the next save shares with it
  return s;
}

void Machine::Restore(const State& s) {
  MemoryBudget sink(INT64_MAX);  // the replaced run's values are not refunded to anyone
  vm_ = std::make_unique<Vm>(code_, script_->sites(), script_->name(), script_->source(), nullptr,
                             limits_);
  Rebuild();
  Vm& vm = *vm_;
  size_t needed = s.stack.size();
  for (const State::SavedFrame& f : s.frames) {
    const Function& fn = code_.functions[static_cast<size_t>(f.function)];
    vm.frames_.push_back(Vm::Frame{&fn, fn.code.data() + f.pc, f.base});
    needed = std::max(needed, f.base + static_cast<size_t>(fn.num_slots + fn.max_stack));
  }
  vm.Reserve(needed);
  Value::CopyMap copies;
  for (size_t i = 0; i < s.stack.size(); ++i) vm.stack_[i] = Value::DeepCopy(s.stack[i], &copies);
  CopyValues(s.globals.data(), s.globals.size(), &vm.globals_, &copies);
  CopyValues(s.strings.data(), s.strings.size(), &vm.strings_, &copies);
  vm.global_set_ = s.global_set;
  vm.host_.last_error = s.host.last_error;
  CopyValues(s.host.site_results.data(), s.host.site_results.size(), &vm.host_.site_results,
             &copies);
  vm.steps_ = s.steps;
  vm.icount_ = s.icount;
  vm.sp_ = s.stack.size();
  vm.inside_instruction_ = s.inside_instruction;
  memory_used_ = s.memory_used;
  ended_ = s.ended;
  exit_code_ = s.exit_code;
}

int64_t Machine::StateBytes(const State& state) { return state.bytes; }
int64_t Machine::StateCharges(const State& state) { return state.charges; }
uint64_t Machine::StateIcount(const State& state) { return state.icount; }

}  // namespace tape::lang
