// The limits a script runs within (specs/language.md §10). They keep a
// hostile or buggy script from crashing, hanging in the parser or exhausting
// memory: each one ends the script with an error that names it.

#ifndef TAPE_LANG_LIMITS_H_
#define TAPE_LANG_LIMITS_H_

#include <cstdint>

#include "tape/program.h"

namespace tape::lang {

// A script may hold this many bytes of code: its bytes outside comments
// (a long comment, or a file of documentation with a few lines of code, is
// not refused)...
inline constexpr int64_t kMaxSourceBytes = 1 << 20;
// ...in a file of at most this many bytes in all, refused before lexing.
inline constexpr int64_t kMaxSourceFileBytes = 16 << 20;
// Compile errors reported before giving up; later ones are usually echoes.
inline constexpr int kMaxReportedErrors = 5;
// Nesting of expressions (each parenthesis, unary operator, call, index,
// list or map is a level; a chain of binary operators such as 1+1+...+1 is
// parsed and compiled without recursion and is not) and, separately, of
// blocks. Bounds the parser's and compiler's native recursion, which runs
// on a stack sized for it (kCompileStackBytes).
inline constexpr int kMaxExprDepth = 4096;
inline constexpr int kMaxBlockDepth = 4096;
// The stack Script::Compile parses and compiles on: room for the nesting
// limits above in every build (sanitizers triple the frames). A stack
// guard stops the compiler with an error before the end of whatever stack
// it runs on, so no script can overflow it.
inline constexpr size_t kCompileStackBytes = size_t(64) << 20;
// Parameters of a function and arguments of a call.
inline constexpr int kMaxArgs = 255;
// Script function calls in progress. The interpreter keeps its own call stack,
// so this bounds memory, not native stack.
inline constexpr int kMaxCallDepth = 1000;
// Values on the interpreter's stack (locals and temporaries of all frames).
inline constexpr int64_t kMaxStackValues = 4 << 20;
// Lists inside lists (or maps) deeper than this are refused: printing,
// comparing and freeing a value recurse over its nesting.
inline constexpr int kMaxNesting = 100;
// One string, in bytes; one list or map, in elements.
inline constexpr int64_t kMaxStringBytes = 256 << 20;
inline constexpr int64_t kMaxElements = 16 << 20;
// Bytes held by all live strings, lists and maps of one run (approximate).
inline constexpr int64_t kDefaultMaxMemory = int64_t{1} << 30;
// Elements one == (or one contains()) may visit. Lists that share elements
// can describe exponentially large trees in little memory (l = [l, l] a
// hundred times); comparing two such trees must end.
inline constexpr int64_t kMaxCompared = int64_t{1} << 26;
// The largest width or precision in a format() field ({:1000}).
inline constexpr int kMaxFormatWidth = 1000;

// Per-run limits a host may tighten (the fuzzers and tests do).
struct RunLimits {
  // Loop iterations plus function calls; 0 means unlimited. A script may
  // legitimately run forever (a service loop), so the default is unlimited.
  uint64_t max_steps = 0;
  int64_t max_memory = kDefaultMaxMemory;  // bytes, see MemoryBudget
};

// What a run reports besides its exit code.
struct RunStats {
  // Steps executed (the unit of RunLimits::max_steps: loop iterations plus
  // function calls), however the run ended. A host can store the count of a
  // recording and bound a replay of it by the same number.
  uint64_t steps = 0;
};

// Thrown instead of a plain ProgramError when a run passes
// RunLimits::max_steps. It is a ProgramError (what() is the formatted
// runtime error), so a host that does not care needs nothing new; one that
// bounds replays by the recorded step count can tell this apart from an
// error of the script.
class StepLimitError : public ProgramError {
 public:
  using ProgramError::ProgramError;
};

}  // namespace tape::lang

#endif  // TAPE_LANG_LIMITS_H_
