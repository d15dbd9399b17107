// Programs that were not written for tape: finding one (as execvp does) and
// telling up front whether tape's interposer can record it.

#ifndef TAPE_TOOLS_EXECUTABLE_H_
#define TAPE_TOOLS_EXECUTABLE_H_

#include <string>

#include "format/status.h"

namespace tape::cli {

struct Executable {
  std::string path;       // absolute; what the trace names and replay runs
  std::string code_hash;  // raw bytes: XXH3-128 of the file (trace format §13.3)
};

// Finds `name` (in PATH when it has no '/'), and checks that the interposer
// can record it: a dynamically linked x86-64 ELF program that uses glibc's
// loader, is not set-user-ID, is not a Go program (Go makes its system calls
// and reads the clock without the C library), or a #! script whose
// interpreter is one. The error says what the program is and what to do.
Result<Executable> FindExecutable(const std::string& name);

// The code hash of the file at `path` (as Executable::code_hash).
Result<std::string> HashExecutable(const std::string& path);

}  // namespace tape::cli

#endif  // TAPE_TOOLS_EXECUTABLE_H_
