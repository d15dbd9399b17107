// Builtin functions: pure operations on values (specs/language.md §7). They
// perform no effect; print, which does, is a host call (host_calls.h).

#ifndef TAPE_LANG_BUILTINS_H_
#define TAPE_LANG_BUILTINS_H_

#include <cstdint>
#include <string_view>

#include "engine/lang/value.h"

namespace tape::lang {

enum class Builtin : uint8_t {
  kLen, kInt, kFloat, kStr, kChr, kByteAt, kType, kKeys, kValues, kGet, kSplit, kJoin,
  kSlice, kContains, kFind, kReplace, kStartsWith, kEndsWith, kTrim, kLower, kUpper, kFormat,
  kSort, kReverse, kMin, kMax, kAbs, kRound, kFloor, kCeil, kAssert,
  // json.parse, json.error, json.dump: called as module functions (§7.2).
  kJsonParse, kJsonError, kJsonDump,
  // These change their first argument, a variable or element, in place; the
  // compiler turns them into place instructions (bytecode.h).
  kPush, kPop, kRemove,
  // exit(code): compiled to Op::kExit.
  kExit,
};

struct BuiltinInfo {
  std::string_view name;
  Builtin id;
  int min_args;
  int max_args;        // kMaxArgs for "any number"
  bool changes_place;  // push, pop, remove
};

// nullptr if `name` is not a builtin (print is a host call, not here). The
// builtins of a module are named "module.function" ("json.parse").
const BuiltinInfo* FindBuiltin(std::string_view name);

// Runs a builtin that does not change a place, on `argc` arguments (the
// count already checked against the builtin's range).
Value CallBuiltin(Builtin id, Value* args, int argc);

}  // namespace tape::lang

#endif  // TAPE_LANG_BUILTINS_H_
