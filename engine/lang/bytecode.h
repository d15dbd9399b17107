// Bytecode: what the compiler makes of the syntax tree and the VM runs.
//
// A stack machine. Each function has a frame of `num_slots` local slots
// (parameters first) followed by its temporaries; names were resolved to
// slot numbers at compile time, so running a script never looks up a name.
// Every instruction has a source position for error messages.

#ifndef TAPE_LANG_BYTECODE_H_
#define TAPE_LANG_BYTECODE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/lang/ast.h"

namespace tape::lang {

// Keep vm.cc's dispatch table (kDispatch) in this order.
enum class Op : uint8_t {
  kConstInt,     // push a
  kConstBig,     // push int_constants[a]
  kConstFloat,   // push float_constants[a]
  kConstString,  // push string_constants[a]
  kNil,
  kTrue,
  kFalse,
  kGetLocal,   // push slot a
  kSetLocal,   // pop into slot a
  kGetGlobal,  // push global a (faults if its 'let' has not run yet)
  kDefineGlobal,  // pop into global a (its top-level 'let')
  kSetGlobal,     // pop into global a (faults if its 'let' has not run yet)
  kPop,
  kClearLocals,  // set slots a .. a+c-1 to nil (end of a block: drop references early)
  kAdd, kSub, kMul, kDiv, kMod, kBitAnd, kBitOr, kBitXor, kShl, kShr,
  kEq, kNe, kLt, kLe, kGt, kGe,
  kNeg,
  kNot,     // push !truthy(pop)
  kBitNot,
  kJump,              // ip += a
  kLoop,              // ip += a (backwards; counts a step)
  kJumpIfFalse,       // pop; if not truthy ip += a
  kJumpIfFalseKeep,   // 'and': if the top is not truthy, make it false and ip += a; else pop
  kJumpIfTrueKeep,    // 'or': if the top is truthy, make it true and ip += a; else pop
  kToBool,            // the right operand of 'and'/'or': replace the top with truthy(top)
  kList,              // pop c values, push a list
  kMap,               // pop c key/value pairs, push a map
  kIndex,             // pop key, container; push the element
  // Places: root variable slot a (b & kPathGlobal: a global, else a local),
  // c keys on the stack.
  kGetPath,     // keys...: keys stay, push root[k1]..[kc] (compound assignment)
  kSetPath,     // keys..., value: root[k1]..[kc] = value
  kPushPath,    // keys..., value: push(root[k1]..[kc], value)
  kPopPath,     // keys... [index if b & kPathIndex]: push(pop(root[k1]..[kc] [, index]))
  kRemovePath,  // keys..., key: push(remove(root[k1]..[kc], key))
  kCall,     // call function a with c arguments
  kBuiltin,  // call builtin a with c arguments
  kHost,     // host call b at site a with c arguments
  kHostDrop,  // the same, discarding the result (an expression statement)
  kReturn,   // return the top of the stack
  kExit,     // top level 'return', exit(): end the script with the top of the stack
  kRangePrep,  // slots c, c+1 hold lo, hi: check they are ints
  kRangeLoop,  // if slot c < slot c+1: slot c+2 = slot c, ++slot c, ip += a (a step)
  kEachPrep,   // slot c holds the list: check it is one; slot c+1 = 0
  kEachLoop,   // if slot c+1 < len(slot c): slot c+2 = element, ++slot c+1, ip += a (a step)
  // Never emitted by the compiler: a debugger (machine.h) puts it in its own
  // copy of the code in place of an instruction it wants to stop at.
  kTrap,
};

// Flags in `b` of the path instructions.
inline constexpr uint8_t kPathGlobal = 1;  // the root is a global
inline constexpr uint8_t kPathIndex = 2;   // kPopPath: an index is on the stack

struct Instr {
  Op op;
  uint8_t b = 0;
  uint16_t c = 0;
  int32_t a = 0;
};

// For debuggers: the statements a run can stop at, and where each named
// local lives. The interpreter never reads these.
struct StatementStart {
  uint32_t pc;  // the statement's first instruction
  int line;     // the statement's line (its first instruction may be on another)
};
struct LocalInfo {
  std::string name;
  int slot;
  // The variable is in scope from instruction `first_pc` (after its `let`
  // stored it) up to, not including, `end_pc` (its block's end).
  uint32_t first_pc;
  uint32_t end_pc;
};

struct Function {
  std::string name;  // empty for the top level
  Pos pos;
  int arity = 0;
  int num_slots = 0;   // parameters and locals
  int max_stack = 0;   // temporaries above the slots, at most
  std::vector<Instr> code;
  std::vector<Pos> positions;  // one per instruction
  std::vector<StatementStart> statements;  // in pc order
  std::vector<LocalInfo> locals;           // parameters first
};

// A call site of an effect (specs/language.md §11.2).
struct SiteInfo {
  uint64_t id = 0;
  std::string location;  // "name.tape:line:col"
  Pos pos;
  std::string effect;  // "clock.now"
};

struct Module {
  std::vector<Function> functions;  // [0] is the top level
  std::vector<int64_t> int_constants;
  std::vector<double> float_constants;
  std::vector<std::string> string_constants;
  std::vector<std::string> global_names;
  std::vector<SiteInfo> sites;
};

}  // namespace tape::lang

#endif  // TAPE_LANG_BYTECODE_H_
