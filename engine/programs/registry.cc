#include <string>

#include "engine/programs/programs.h"

namespace tape::programs {

// Generated at build time from each program's source (cmake/TapeCodeHash.cmake).
std::string CodeHashOf(std::string_view program);

namespace {

constexpr BuiltinProgram kBuiltins[] = {
    {"dice", "clock + random + write", "smallest happy path", Dice},
    {"counter", "five writes", "trace size for a tight write loop", Counter},
    {"entropy", "random + write", "deterministic output from non-deterministic input", Entropy},
    {"flaky", "random + write", "the rationale: one run in 32 fails, replay reproduces it", Flaky},
    {"wordcount", "env + fs.read + write", "reads a file, prints lines/words/chars", Wordcount},
    {"greet", "env + write", "env var recorded; replay sees the old value", Greet},
    {"heartbeat", "sleep + clock + write", "sleeps when recorded, replay finishes at once",
     Heartbeat},
    {"workers", "threads + random + mutex + write",
     "threads' lock order recorded; replay prints the same log", Workers},
};

}  // namespace

std::span<const BuiltinProgram> Builtins() { return kBuiltins; }

const BuiltinProgram* FindBuiltin(std::string_view name) {
  for (const BuiltinProgram& b : kBuiltins) {
    if (name == b.name) return &b;
  }
  return nullptr;
}

Program MakeProgram(const BuiltinProgram& builtin) {
  Program p;
  p.kind = ProgramKind::kBuiltin;
  p.name = builtin.name;
  p.code_hash = CodeHashOf(builtin.name);
  p.main = builtin.main;
  return p;
}

}  // namespace tape::programs
