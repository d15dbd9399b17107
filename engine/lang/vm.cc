#include "engine/lang/vm.h"

#include <fmt/core.h>

#include <memory>
#include <string>

#include "engine/lang/builtins.h"
#include "engine/lang/diagnostics.h"
#include "engine/lang/host_calls.h"
#include "engine/lang/machine.h"
#include "engine/lang/ops.h"
#include "engine/lang/value.h"
#include "engine/lang/vm_state.h"

namespace tape::lang {
namespace {

// Call stacks longer than this are shown as their innermost and outermost
// frames with a count in between.
constexpr size_t kShownFramesInner = 8;
constexpr size_t kShownFramesOuter = 3;

// The truth of a condition (§6.1): a bool inline, any other value out of
// line. Inlining all of Truthy into the handlers made every call and loop
// measurably slower (bench/lang BM_Fib), and conditions are mostly bools.
[[gnu::noinline]] bool TruthyOfNonBool(const Value& v) { return Truthy(v); }
inline bool IsTrue(const Value& v) { return v.is_bool() ? v.as_bool() : TruthyOfNonBool(v); }

}  // namespace

void Vm::Start() {
  globals_.resize(module_.global_names.size());
  global_set_.assign(module_.global_names.size(), 0);
  strings_.reserve(module_.string_constants.size());
  for (const std::string& str : module_.string_constants) strings_.push_back(Value::String(str));
  host_.site_results.resize(sites_.size());
  frames_.reserve(64);
  const Function& top = module_.functions[0];
  Reserve(static_cast<size_t>(top.num_slots + top.max_stack));
  frames_.push_back(Frame{&top, top.code.data(), 0});
  sp_ = static_cast<size_t>(top.num_slots);
}

template <bool kDebug>
int Vm::Loop() {
  const Instr* ip = frames_.back().ip;
  Value* slots = stack_.get() + frames_.back().base;
  Value* sp = stack_.get() + sp_;
  // 0 is "unlimited"; steps are counted either way, for RunStats.
  const uint64_t max_steps = limits_.max_steps != 0 ? limits_.max_steps : UINT64_MAX;

  // Pops `n` values (they must be reset: a stale copy would keep a count up
  // and force copy-on-write copies).
  auto pop_n = [&sp](int n) {
    for (int i = 0; i < n; ++i) (--sp)->Reset();
  };
  // Loop iterations and calls count against RunLimits::max_steps.
  // The count lives in a local (a register) while the loop runs: through
  // `this` it was a store and a load per step. Every way out of the loop
  // writes it back to steps_.
  uint64_t steps = steps_;
  auto count_step = [this, &steps, max_steps] {
    if (++steps > max_steps) [[unlikely]] StepLimitReached(max_steps);
  };
  // Debugging: the run stops before the instruction that would make icount_
  // pass stop_at_. `left` counts down in a register, one decrement per
  // instruction: it is 1 + the instructions the run may still start, so
  // the instructions counted so far (the current one included) are
  // stop_at + 1 - left, and those before the current one stop_at - left.
  // The instruction a run resumes at is never trapped again: it is the one
  // it stopped at.
  const uint64_t stop_at = stop_at_;
  uint64_t left = stop_at - icount_ + 1;
  const uint64_t resumed_left = skip_trap_ ? left - 1 : UINT64_MAX;
  uint64_t trapped_left = UINT64_MAX;  // while the instruction whose trap ran last runs
  inside_instruction_ = false;
  // Writes the loop's registers back, for a stop before the instruction at
  // `at` (after `counted` instructions).
  auto save = [&](const Instr* at, uint64_t counted) {
    frames_.back().ip = at;
    sp_ = static_cast<size_t>(sp - stack_.get());
    icount_ = counted;
    steps_ = steps;
  };

  // Dispatch: with GCC and Clang each handler jumps straight to the next
  // one through a table (labels as values), which predicts far better than
  // the one shared jump of a switch; elsewhere NEXT() re-enters the switch.
  // A computed goto runs no destructors: every handler ends the scope of
  // its local objects before NEXT().
#if defined(__GNUC__)
#define TARGET(op) \
  case Op::op:     \
  L_##op:
#define NEXT()                                   \
  do {                                           \
    FETCH();                                     \
    goto* kDispatch[static_cast<size_t>(in.op)]; \
  } while (0)
  static const void* const kDispatch[] = {
      &&L_kConstInt,
      &&L_kConstBig,
      &&L_kConstFloat,
      &&L_kConstString,
      &&L_kNil,
      &&L_kTrue,
      &&L_kFalse,
      &&L_kGetLocal,
      &&L_kSetLocal,
      &&L_kGetGlobal,
      &&L_kDefineGlobal,
      &&L_kSetGlobal,
      &&L_kPop,
      &&L_kClearLocals,
      &&L_kAdd,
      &&L_kSub,
      &&L_kMul,
      &&L_kDiv,
      &&L_kMod,
      &&L_kBitAnd,
      &&L_kBitOr,
      &&L_kBitXor,
      &&L_kShl,
      &&L_kShr,
      &&L_kEq,
      &&L_kNe,
      &&L_kLt,
      &&L_kLe,
      &&L_kGt,
      &&L_kGe,
      &&L_kNeg,
      &&L_kNot,
      &&L_kBitNot,
      &&L_kJump,
      &&L_kLoop,
      &&L_kJumpIfFalse,
      &&L_kJumpIfFalseKeep,
      &&L_kJumpIfTrueKeep,
      &&L_kToBool,
      &&L_kList,
      &&L_kMap,
      &&L_kIndex,
      &&L_kGetPath,
      &&L_kSetPath,
      &&L_kPushPath,
      &&L_kPopPath,
      &&L_kRemovePath,
      &&L_kCall,
      &&L_kBuiltin,
      &&L_kHost,
      &&L_kHostDrop,
      &&L_kReturn,
      &&L_kExit,
      &&L_kRangePrep,
      &&L_kRangeLoop,
      &&L_kEachPrep,
      &&L_kEachLoop,
      &&L_kTrap,
  };
  static_assert(sizeof kDispatch / sizeof *kDispatch == static_cast<size_t>(Op::kTrap) + 1,
                "kDispatch must list every Op, in order");
#define DISPATCH() goto* kDispatch[static_cast<size_t>(in.op)]
#else
#define TARGET(op) case Op::op:
#define NEXT() break
#define DISPATCH() goto dispatch
#endif
#define FETCH()                                                  \
  do {                                                           \
    if constexpr (kDebug) {                                      \
      if (--left == 0) [[unlikely]] goto stop_before_next;       \
    }                                                            \
    in = *ip++;                                                  \
  } while (0)

  Instr in;
  try {
    for (;;) {
      FETCH();
#if !defined(__GNUC__)
    dispatch:
#endif
      switch (in.op) {
        TARGET(kConstInt)
          (sp++)->SetInt(in.a);
          NEXT();
        TARGET(kConstBig)
          (sp++)->SetInt(module_.int_constants[in.a]);
          NEXT();
        TARGET(kConstFloat)
          *sp++ = Value::Float(module_.float_constants[in.a]);
          NEXT();
        TARGET(kConstString)
          *sp++ = strings_[in.a];
          NEXT();
        TARGET(kNil)
          ++sp;
          NEXT();
        TARGET(kTrue)
        TARGET(kFalse)
          (sp++)->SetBool(in.op == Op::kTrue);
          NEXT();
        TARGET(kGetLocal)
          *sp++ = slots[in.a];
          NEXT();
        TARGET(kSetLocal)
          slots[in.a] = std::move(*--sp);
          NEXT();
        TARGET(kGetGlobal)
          if (!global_set_[in.a]) FaultUnset(in.a);
          *sp++ = globals_[in.a];
          NEXT();
        TARGET(kSetGlobal)
          if (!global_set_[in.a]) FaultUnset(in.a);
          globals_[in.a] = std::move(*--sp);
          NEXT();
        TARGET(kDefineGlobal)
          globals_[in.a] = std::move(*--sp);
          global_set_[in.a] = 1;
          NEXT();
        TARGET(kPop)
          (--sp)->Reset();
          NEXT();
        TARGET(kClearLocals)
          for (int i = 0; i < in.c; ++i) slots[in.a + i].Reset();
          NEXT();
        TARGET(kAdd)
        TARGET(kSub)
        TARGET(kMul)
        TARGET(kDiv)
        TARGET(kMod)
        TARGET(kBitAnd)
        TARGET(kBitOr)
        TARGET(kBitXor)
        TARGET(kShl)
        TARGET(kShr) {
          Value& x = sp[-2];
          Value& y = sp[-1];
          if (x.is_int() && y.is_int()) {
            int64_t r;
            bool overflow = in.op == Op::kAdd   ? __builtin_add_overflow(x.as_int(), y.as_int(), &r)
                            : in.op == Op::kSub ? __builtin_sub_overflow(x.as_int(), y.as_int(), &r)
                                                : true;
            // Overflow and the other operators take the checked path, which
            // faults or computes.
            if (overflow) r = IntArith(in.op, x.as_int(), y.as_int());
            x.SetInt(r);
          } else {
            x = Arith(in.op, x, y);
          }
          (--sp)->Reset();
          NEXT();
        }
        TARGET(kEq)
        TARGET(kNe) {
          bool eq = Equal(sp[-2], sp[-1]);
          (--sp)->Reset();
          sp[-1].SetBool(eq == (in.op == Op::kEq));
          NEXT();
        }
        TARGET(kLt)
        TARGET(kLe)
        TARGET(kGt)
        TARGET(kGe) {
          Value& x = sp[-2];
          Value& y = sp[-1];
          bool r;
          if (x.is_int() && y.is_int()) {
            int64_t a = x.as_int(), b = y.as_int();
            r = in.op == Op::kLt ? a < b : in.op == Op::kLe ? a <= b : in.op == Op::kGt ? a > b
                                                                                       : a >= b;
          } else {
            r = Compare(in.op, x, y);
          }
          (--sp)->Reset();
          sp[-1].SetBool(r);
          NEXT();
        }
        TARGET(kNeg)
          sp[-1] = Negate(sp[-1]);
          NEXT();
        TARGET(kNot)
          sp[-1].SetBool(!IsTrue(sp[-1]));
          NEXT();
        TARGET(kBitNot)
          sp[-1] = BitNot(sp[-1]);
          NEXT();
        TARGET(kJump)
          ip += in.a;
          NEXT();
        TARGET(kLoop)
          count_step();
          ip += in.a;
          NEXT();
        TARGET(kJumpIfFalse) {
          Value& c = sp[-1];
          bool truth = IsTrue(c);
          (--sp)->Reset();
          if (!truth) ip += in.a;
          NEXT();
        }
        TARGET(kJumpIfFalseKeep)
        TARGET(kJumpIfTrueKeep) {
          // 'and' / 'or' give a bool (as in the original), not an operand.
          Value& c = sp[-1];
          bool truth = IsTrue(c);
          if (truth == (in.op == Op::kJumpIfTrueKeep)) {
            c.SetBool(truth);
            ip += in.a;
          } else {
            (--sp)->Reset();
          }
          NEXT();
        }
        TARGET(kToBool)
          sp[-1].SetBool(IsTrue(sp[-1]));
          NEXT();
        TARGET(kList) {
          {
            std::vector<Value> items;
            items.reserve(static_cast<size_t>(in.a));
            for (Value* v = sp - in.a; v < sp; ++v) items.push_back(std::move(*v));
            sp -= in.a;
            *sp++ = Value::NewList(std::move(items));
          }
          NEXT();
        }
        TARGET(kMap) {
          {
            Value m = MakeMap(sp - 2 * in.a, in.a);
            pop_n(2 * in.a);
            *sp++ = std::move(m);
          }
          NEXT();
        }
        TARGET(kIndex)
          sp[-2] = IndexGet(sp[-2], sp[-1]);  // the element is copied before the container goes
          (--sp)->Reset();
          NEXT();
        TARGET(kGetPath)
        TARGET(kSetPath)
        TARGET(kPushPath)
        TARGET(kPopPath)
        TARGET(kRemovePath) {
          bool global = (in.b & kPathGlobal) != 0;
          if (global && !global_set_[in.a]) FaultUnset(in.a);
          Value* root = global ? &globals_[in.a] : &slots[in.a];
          // The value, key or index above the keys.
          int extra = in.op == Op::kGetPath   ? 0
                      : in.op == Op::kPopPath ? ((in.b & kPathIndex) != 0 ? 1 : 0)
                                              : 1;
          Value* keys = sp - in.c - extra;
          {
            Value result;
            switch (in.op) {
              case Op::kGetPath: result = GetPath(*root, keys, in.c); break;
              case Op::kSetPath: SetPath(root, keys, in.c, std::move(sp[-1])); break;
              case Op::kPushPath: PushPath(root, keys, in.c, std::move(sp[-1])); break;
              case Op::kPopPath:
                result = PopPath(root, keys, in.c, extra != 0 ? &sp[-1] : nullptr);
                break;
              default: result = Value::Bool(RemovePath(root, keys, in.c, sp[-1])); break;
            }
            if (in.op != Op::kGetPath) pop_n(in.c + extra);  // kGetPath keeps the keys
            if (in.op != Op::kSetPath) *sp++ = std::move(result);
          }
          NEXT();
        }
        TARGET(kCall) {
          count_step();
          if (frames_.size() >= static_cast<size_t>(kMaxCallDepth)) {
            Fault(fmt::format(
                "too many nested calls (more than {}): is the recursion missing a base case?",
                kMaxCallDepth));
          }
          const Function* callee = &module_.functions[in.a];
          size_t base = static_cast<size_t>(sp - stack_.get()) - in.c;
          frames_.back().ip = ip;
          Reserve(base + static_cast<size_t>(callee->num_slots + callee->max_stack));
          frames_.push_back(Frame{callee, callee->code.data(), base});
          ip = callee->code.data();
          slots = stack_.get() + base;
          sp = slots + callee->num_slots;
          NEXT();
        }
        TARGET(kReturn) {
          {
            Value result = std::move(sp[-1]);
            while (sp > slots) (--sp)->Reset();
            // The callee's slots began where the caller's arguments were.
            *sp++ = std::move(result);
          }
          frames_.pop_back();
          const Frame& caller = frames_.back();
          ip = caller.ip;
          slots = stack_.get() + caller.base;
          NEXT();
        }
        TARGET(kExit) {
          // As the original: an int's low 8 bits (-1 is 255, 256 is 0); any
          // other value is 0.
          const Value& code = sp[-1];
          steps_ = steps;
          if constexpr (kDebug) save(ip, stop_at - left);  // the position before the exit
          return code.is_int() ? static_cast<int>(code.as_int() & 0xff) : 0;
        }
        TARGET(kBuiltin) {
          {
            Value r = CallBuiltin(static_cast<Builtin>(in.a), sp - in.c, in.c);
            pop_n(in.c);
            *sp++ = std::move(r);
          }
          NEXT();
        }
        TARGET(kHost)
        TARGET(kHostDrop) {
          if constexpr (kDebug) {
            // The seq watch: the handler sees each effect call from the
            // watched seq on (once, if the call is also trapped).
            if (seq_watch_ != UINT64_MAX && in.a >= 0 && left != resumed_left &&
                left != trapped_left && rt_->seq() >= seq_watch_) {
              save(ip - 1, stop_at - left);
              if (trap_handler_->OnTrap()) return kPaused;
            }
          }
          Host id = static_cast<Host>(in.b);
          if (id == Host::kClockNow) {
            // The hottest effect: no arguments to check, an int result.
            int64_t now = rt_->ClockNowAt(sites_[in.a]);
            if (in.op == Op::kHost) (sp++)->SetInt(now);
            NEXT();
          }
          {
            static const Site kNoSite{};
            const Site& site = in.a >= 0 ? sites_[in.a] : kNoSite;
            Value r = CallHost(id, *rt_, site, in.a, sp - in.c, &host_);
            pop_n(in.c);
            if (in.op == Op::kHost) *sp++ = std::move(r);
          }
          NEXT();
        }
        TARGET(kRangePrep) {
          const Value& lo = slots[in.c];
          const Value& hi = slots[in.c + 1];
          if (!lo.is_int() || !hi.is_int()) {
            Fault(std::string("a range lo..hi needs ints, got ") + TypeName(lo.type()) + ".." +
                  TypeName(hi.type()));
          }
          NEXT();
        }
        TARGET(kRangeLoop) {
          Value* s = slots + in.c;
          if (s[0].as_int() < s[1].as_int()) {
            count_step();
            s[2].SetInt(s[0].as_int());
            s[0].IncrementInt();  // < hi, so cannot overflow
            ip += in.a;
          }
          NEXT();
        }
        TARGET(kEachPrep) {
          const Value& list = slots[in.c];
          if (!list.is_list()) {
            Fault(std::string("for ... in needs a list or a range lo..hi, got ") +
                  TypeName(list.type()) + (list.is_map() ? " (iterate over keys(m))" : ""));
          }
          slots[in.c + 1].SetInt(0);
          NEXT();
        }
        TARGET(kEachLoop) {
          Value* s = slots + in.c;
          const std::vector<Value>& items = s[0].list();
          if (static_cast<size_t>(s[1].as_int()) < items.size()) {
            count_step();
            s[2] = items[static_cast<size_t>(s[1].as_int())];
            s[1].IncrementInt();
            ip += in.a;
          }
          NEXT();
        }
        TARGET(kTrap) {
          if constexpr (kDebug) {
            const Function* fn = frames_.back().fn;
            size_t pc = static_cast<size_t>(ip - 1 - fn->code.data());
            if (left != resumed_left) {
              save(ip - 1, stop_at - left);
              if (trap_handler_->OnTrap()) return kPaused;
            }
            trapped_left = left;
            in = original_->functions[static_cast<size_t>(fn - module_.functions.data())].code[pc];
            DISPATCH();
          }
          NEXT();  // never reached: only a debugger's copy of the code has traps
        }
      }
    }
  stop_before_next: __attribute__((unused));
    if constexpr (kDebug) {
      save(ip, stop_at);
      return kPaused;
    }
  } catch (const RuntimeFault& fault) {
    frames_.back().ip = ip;
    if (!fault.step_limit) steps_ = steps;  // else StepLimitReached set it
    if constexpr (kDebug) {
      sp_ = static_cast<size_t>(sp - stack_.get());
      icount_ = stop_at - left;  // the position before the instruction that failed
      inside_instruction_ = true;
    }
    if (fault.step_limit) throw StepLimitError(FormatError(fault.message));
    throw ProgramError(FormatError(fault.message));
  } catch (...) {
    steps_ = steps;  // a DriftError from the runtime, say
    if constexpr (kDebug) {
      save(ip, stop_at - left);
      inside_instruction_ = true;
    }
    throw;
  }
  return kPaused;  // not reached
#undef TARGET
#undef NEXT
#undef FETCH
#undef DISPATCH
}

template int Vm::Loop<false>();
template int Vm::Loop<true>();

std::string Vm::FormatError(const std::string& message) const {
  // Each frame's current instruction is the one before its saved ip.
  auto pos_of = [](const Frame& f) {
    size_t at = static_cast<size_t>(f.ip - f.fn->code.data());
    return f.fn->positions[at > 0 ? at - 1 : 0];
  };
  Pos where = pos_of(frames_.back());
  std::string out = FormatDiagnostic(name_, source_, "runtime error",
                                     Diagnostic{where.line, where.col, message});
  if (frames_.size() == 1) return out;
  size_t n = frames_.size();
  for (size_t k = 0; k < n; ++k) {
    size_t i = n - 1 - k;  // innermost first
    if (n > kShownFramesInner + kShownFramesOuter && k == kShownFramesInner) {
      out += fmt::format("\n  ... {} more calls ...", n - kShownFramesInner - kShownFramesOuter);
      k = n - kShownFramesOuter - 1;
      continue;
    }
    const Frame& f = frames_[i];
    std::string line = std::to_string(pos_of(f).line);
    if (f.fn->name.empty()) {
      out += "\n  in top-level code (" + std::string(name_) + ":" + line + ")";
    } else {
      out += "\n  in fn " + f.fn->name + " (" + std::string(name_) + ":" + line + ")";
    }
  }
  return out;
}

int Execute(const Module& module, const std::vector<Site>& sites, std::string_view name,
            std::string_view source, Runtime& rt, const RunLimits& limits, RunStats* stats) {
  // The budget outlives the VM, so every value the run made is freed (and
  // refunded) while it is still installed.
  MemoryBudget budget(limits.max_memory);
  Vm vm(module, sites, name, source, &rt, limits);
  // Reports the steps however the run ends: an exit, a runtime error, a
  // DriftError from the runtime.
  struct ReportSteps {
    const Vm& vm;
    RunStats* stats;
    ~ReportSteps() {
      if (stats != nullptr) stats->steps = vm.steps();
    }
  } report{vm, stats};
  try {
    return vm.Run();
  } catch (const RuntimeFault& fault) {
    // Before the loop runs (materialising constants): no position.
    throw ProgramError(std::string(name) + ": runtime error: " + fault.message);
  }
}

}  // namespace tape::lang
