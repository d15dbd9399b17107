// The demo programs built into tape (`tape list`).

#ifndef TAPE_ENGINE_PROGRAMS_PROGRAMS_H_
#define TAPE_ENGINE_PROGRAMS_PROGRAMS_H_

#include <span>
#include <string>
#include <string_view>

#include "tape/program.h"
#include "tape/runtime.h"

namespace tape::programs {

int Dice(Runtime& rt);
int Counter(Runtime& rt);
int Entropy(Runtime& rt);
int Flaky(Runtime& rt);
int Wordcount(Runtime& rt);
int Greet(Runtime& rt);
int Heartbeat(Runtime& rt);
int Workers(Runtime& rt);

struct BuiltinProgram {
  const char* name;
  const char* effects;  // what it exercises
  const char* shows;    // what it demonstrates
  int (*main)(Runtime&);
};

std::span<const BuiltinProgram> Builtins();
// nullptr when there is no such program.
const BuiltinProgram* FindBuiltin(std::string_view name);
// The Program to record or replay, with its code hash: the first 16 bytes of
// the SHA-256 of its source file, computed when tape was built.
Program MakeProgram(const BuiltinProgram& builtin);

}  // namespace tape::programs

#endif  // TAPE_ENGINE_PROGRAMS_PROGRAMS_H_
