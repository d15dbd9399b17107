// Resolver: variable names to slots, at compile time.
//
// A function's locals live in numbered slots of its frame (parameters
// first); a block's slots are reused after the block ends. Top-level `let`s
// outside any block are globals, visible to functions (which may run before
// the `let` has; the VM checks) and to later top-level code.

#ifndef TAPE_LANG_RESOLVER_H_
#define TAPE_LANG_RESOLVER_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tape::lang {

// The local scopes of one function being compiled.
class LocalScopes {
 public:
  void BeginScope() { scope_starts_.push_back(locals_.size()); }
  // Ends the innermost scope; returns its first slot and how many it used.
  std::pair<int, int> EndScope();
  size_t depth() const { return scope_starts_.size(); }

  // Declares `name` in the innermost scope; nullopt if already declared there.
  std::optional<int> Declare(std::string_view name);
  // A slot no name refers to (loop counters).
  int DeclareHidden() { return Push(""); }
  std::optional<int> Find(std::string_view name) const;

  int next_slot() const { return static_cast<int>(locals_.size()); }
  int max_slots() const { return max_slots_; }

 private:
  int Push(std::string_view name);
  std::vector<std::string> locals_;   // by slot
  std::vector<size_t> scope_starts_;  // index into locals_
  int max_slots_ = 0;
};

// The globals of a script.
class Globals {
 public:
  // Registers a top-level `let`; nullopt if `name` is already a global.
  std::optional<int> Declare(const std::string& name);
  std::optional<int> Find(const std::string& name) const;
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::map<std::string, int> slots_;
  std::vector<std::string> names_;
};

}  // namespace tape::lang

#endif  // TAPE_LANG_RESOLVER_H_
