// Program: what tape records and replays.

#ifndef TAPE_PROGRAM_H_
#define TAPE_PROGRAM_H_

#include <functional>
#include <stdexcept>
#include <string>

#include "tape/runtime.h"

namespace tape {

enum class ProgramKind {
  kBuiltin,   // a demo compiled into tape
  // A .tape script: its main runs the interpreter, which cannot change the
  // process's environment (so a recording reads each variable once).
  kScript,
  kEmbedded,  // a user's C++ program linking the tape library
};

struct Program {
  ProgramKind kind = ProgramKind::kEmbedded;
  std::string name;
  // Identifies the program's code; replay refuses a trace recorded against
  // another hash (CodeHashMismatch). Raw bytes; may be empty to opt out.
  std::string code_hash;
  // For scripts: the source, embedded in the trace so it replays anywhere.
  std::string script_source;
  // Returns the exit code (0..255).
  std::function<int(Runtime&)> main;
};

// Thrown by a program (e.g. the script interpreter) to stop with an error the
// runtime records as the outcome: "error: <what()>". Replay expects the same.
class ProgramError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace tape

#endif  // TAPE_PROGRAM_H_
