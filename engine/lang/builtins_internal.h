// Shared by the builtins' implementation files (builtins*.cc, format.cc):
// argument checks that fault with the builtin's name, and the builtins
// themselves. Not part of the interpreter's interface: use builtins.h.

#ifndef TAPE_LANG_BUILTINS_INTERNAL_H_
#define TAPE_LANG_BUILTINS_INTERNAL_H_

#include <cstdint>
#include <string>

#include "engine/lang/value.h"

namespace tape::lang::builtins {

// "fn() expects <expected>, got <type>".
[[noreturn]] void ArgFault(const char* fn, const char* expected, const Value& got);
const std::string& StringArg(const char* fn, const Value& v, const char* what = "a string");
int64_t IntArg(const char* fn, const Value& v, const char* what = "an int");
bool IsAsciiSpace(char c);

// builtins_text.cc
Value Str(const Value& v);
Value Chr(const Value& v);
Value ByteAt(const Value& s, const Value& i);
Value Split(const Value& s, const Value& sep);
Value Join(const Value& list, const Value& sep);
Value Trim(const Value& s);
Value ChangeCase(const char* fn, const Value& s, bool upper);
Value Replace(const Value& s, const Value& from, const Value& to);
Value StartsWith(const Value& s, const Value& prefix);
Value EndsWith(const Value& s, const Value& suffix);

// builtins_numbers.cc
Value ToInt(const Value* args, int argc);
Value ToFloat(const Value* args, int argc);
Value MinMax(const char* fn, const Value* args, int argc, bool max);
Value Abs(const Value& v);
enum class RoundMode { kRound, kFloor, kCeil };
Value Rounding(RoundMode mode, const Value& v);

// format.cc
Value Format(const Value* args, int argc);

}  // namespace tape::lang::builtins

#endif  // TAPE_LANG_BUILTINS_INTERNAL_H_
