// Builtin functions: pure operations on values (specs/language.md §7). They
// perform no effect; print, which does, is a host call (host_calls.h).

#ifndef TAPE_LANG_BUILTINS_H_
#define TAPE_LANG_BUILTINS_H_

#include <cstdint>
#include <string_view>

#include "engine/lang/value.h"

namespace tape::lang {

enum class Builtin : uint8_t {
  kLen, kInt, kStr, kChr, kByteAt, kType, kKeys, kSplit, kJoin, kSlice,
  kContains, kTrim, kLower, kUpper, kSort, kAssert,
  // These change their first argument, a variable or element, in place; the
  // compiler turns them into place instructions (bytecode.h).
  kPush, kPop, kRemove,
};

struct BuiltinInfo {
  std::string_view name;
  Builtin id;
  int arity;
  bool changes_place;  // push, pop, remove
};

// nullptr if `name` is not a builtin (print is a host call, not here).
const BuiltinInfo* FindBuiltin(std::string_view name);

// Runs a builtin that does not change a place, on `args` (arity checked).
Value CallBuiltin(Builtin id, Value* args);

}  // namespace tape::lang

#endif  // TAPE_LANG_BUILTINS_H_
