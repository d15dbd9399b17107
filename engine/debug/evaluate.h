// Expressions a debugger evaluates in a stopped script: `print EXPR` and
// breakpoint conditions (specs/debugger.md §4).
//
// An expression is the language's (specs/language.md §4 `expr`): literals,
// variables (the frame's locals in scope, then globals), operators,
// indexing, list and map literals, and calls of builtins that only compute
// (len, keys, format, ...). What would change the recorded run is refused
// before anything is evaluated: host calls and print/eprint (effects: the
// replay serves recorded answers, it performs nothing), builtins that change
// a variable (push, pop, remove), exit(), calls of the script's functions,
// and assignments. Evaluation has a memory budget of its own and never
// changes the run's values.

#ifndef TAPE_DEBUG_EVALUATE_H_
#define TAPE_DEBUG_EVALUATE_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "engine/lang/machine.h"
#include "engine/lang/value.h"
#include "format/status.h"

namespace tape::debug {

// Where names are looked up: frame `frame` of a stopped run (0 the
// innermost), at the instruction it is at.
struct Scope {
  const lang::Machine* machine;
  size_t frame = 0;
  bool globals_only = false;  // skip the frame's locals (a global a local hides)
};

// Called with a value that lives only for the call: the run's own values
// must not be kept (machine.h), so callers render or copy what they need.
using ValueUse = std::function<void(const lang::Value&)>;

class Expression {
 public:
  // Parses `text`; refuses (Status::InvalidArgument) a syntax error (with its
  // column), a statement, and anything that would call an effect, a script
  // function or change a variable.
  static Result<Expression> Parse(std::string_view text);
  Expression(Expression&&) noexcept;
  Expression& operator=(Expression&&) noexcept;
  ~Expression();

  const std::string& text() const { return text_; }
  // Evaluates in `scope`: an unknown name, a variable not set yet or a
  // runtime error (a type error, an index out of range) is an error Status.
  Status Evaluate(const Scope& scope, const ValueUse& use) const;
  // For conditions: the value's truth (specs/language.md §6.1).
  Result<bool> IsTrue(const Scope& scope) const;

 private:
  struct Parsed;
  Expression() = default;
  std::string text_;
  std::unique_ptr<Parsed> parsed_;
};

// Parses and evaluates in one go.
Status Evaluate(const Scope& scope, std::string_view text, const ValueUse& use);

// The named locals of frame `frame` in scope at its instruction, in slot
// order (parameters first); `use` sees each name and value.
void ForEachLocal(const lang::Machine& m, size_t frame,
                  const std::function<void(const std::string& name, const lang::Value&)>& use);
// The globals in declaration order; `value` is null for one whose `let` has
// not run yet.
void ForEachGlobal(const lang::Machine& m,
                   const std::function<void(const std::string& name, const lang::Value* value)>& use);

// How a value is shown: as a script would write it (strings quoted, as
// inside a list), cut after about `max_bytes` with "..." and what was left out.
std::string Render(const lang::Value& v, size_t max_bytes = 4096);

}  // namespace tape::debug

#endif  // TAPE_DEBUG_EVALUATE_H_
