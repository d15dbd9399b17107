// `tape record ./myapp`: a C++ program that links the tape library records
// and replays itself (`./myapp record`, tape::Main). The tape command
// recognises such an executable where it expects a program and runs it with
// the same verb and flags, so that both spellings work.

#ifndef TAPE_TOOLS_EMBEDDED_PROGRAM_H_
#define TAPE_TOOLS_EMBEDDED_PROGRAM_H_

#include <string>
#include <vector>

namespace tape::cli {

// True when `path` names an executable file that links tape::Main (it
// holds engine/internal/embed_marker.h's marker). Reads the file, mapped; a
// FIFO or device is never opened for reading.
bool IsEmbeddedProgram(const std::string& path);

// Runs `path verb args...` in place of this process, after saying so on
// stderr ("tape record: ./myapp links tape: running ./myapp record ...").
// Returns only when it cannot be run: the exit code, after the error.
int RunEmbedded(const std::string& cli_verb, const std::string& path, const std::string& verb,
                const std::vector<std::string>& args);

}  // namespace tape::cli

#endif  // TAPE_TOOLS_EMBEDDED_PROGRAM_H_
