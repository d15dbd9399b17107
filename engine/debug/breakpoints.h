// Breakpoints of the script debugger (specs/debugger.md §3): where in the
// code (a line), or where in the recording (an event's seq, an effect, a
// site), with an optional condition. Each is resolved once, when set, to the
// instructions that must trap (lang::Machine::SetTrap).

#ifndef TAPE_DEBUG_BREAKPOINTS_H_
#define TAPE_DEBUG_BREAKPOINTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/debug/evaluate.h"
#include "engine/lang/bytecode.h"
#include "format/status.h"

namespace tape::debug {

struct BreakSpec {
  enum class Kind { kLine, kSeq, kEffect, kSite };
  Kind kind = Kind::kLine;
  int line = 0;           // kLine
  uint64_t seq = 0;       // kSeq (a time is turned into the seq of its first event by the caller)
  std::string text;       // kEffect: the effect's name; kSite: a location or hex id prefix
  std::string condition;  // an expression (evaluate.h); empty: always
  std::string label;      // how the user wrote where ("12", "seq 40", "time +2.5s")
};

// An instruction, by function index and pc.
using CodePoint = std::pair<int, uint32_t>;

struct Breakpoint {
  int id = 0;
  BreakSpec spec;
  std::optional<Expression> condition;
  std::vector<CodePoint> traps;  // none for kSeq: the seq watch (lang::Machine) finds it
  uint64_t hits = 0;
  // "line 12", "seq 40", "effect http.request", "site calc.tape:7", with
  // " if COND" when conditional.
  std::string Describe() const;
};

// Fills `bp.traps` and `bp.condition` for `bp.spec` in `module`, or says
// what is wrong: a line without code (naming the nearest lines that have
// some), an effect or site the script never calls, a bad condition.
Status Resolve(const lang::Module& module, Breakpoint* bp);

// The first statement of each line-run (a line's statements that follow one
// another): where a line breakpoint traps.
std::vector<CodePoint> LineStarts(const lang::Module& module, int line);
// Every instruction that calls an effect (has a site).
std::vector<CodePoint> EffectCalls(const lang::Module& module);
// The line of the statement instruction `pc` of function `function` belongs to.
int StatementLine(const lang::Module& module, int function, uint32_t pc);

}  // namespace tape::debug

#endif  // TAPE_DEBUG_BREAKPOINTS_H_
