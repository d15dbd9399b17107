// Files a tool is writing under a temporary name (`tape recover`, `redact`,
// `export`, `import`: OUT.recovering-XXXXXX beside OUT), removed when a
// signal ends the process before they are complete.
//
// The signal handlers (tools/cli.h GuardPartialOutputs) cannot allocate or
// lock, so the names live in a fixed table of kMaxPartialOutputs slots; a
// name that does not fit in a slot, or a full table, is not remembered.

#ifndef TAPE_FORMAT_PARTIAL_OUTPUTS_H_
#define TAPE_FORMAT_PARTIAL_OUTPUTS_H_

#include <string>

namespace tape::format {

inline constexpr int kMaxPartialOutputs = 8;

// Remembers `path` until ForgetPartialOutput(slot). Returns the slot, or -1
// when it could not be remembered. Thread-safe.
int RememberPartialOutput(const std::string& path);
// Once the file is complete (renamed into place) or removed. -1 is ignored.
void ForgetPartialOutput(int slot);
// Removes every remembered file. Async-signal-safe.
void RemovePartialOutputs();

// mkstemp(`templ`) and RememberPartialOutput of the name it made, with the
// signals tape handles blocked in between, so that no signal can end the
// process after the file exists and before it is remembered. The name is
// one nobody can guess (`templ` ends in XXXXXX), and a link planted there is
// never followed. The file gets the mode a recorded trace gets (0644 less
// the umask), not mkstemp's 0600: it is renamed into place when complete.
// Returns the file descriptor (or -1 with errno set) and the slot in `*slot`.
int CreateRememberedTemp(std::string* templ, int* slot);

// Forgets a remembered slot (CreateRememberedTemp's; -1: none) when it goes
// out of scope, the file then complete or removed.
class PartialOutput {
 public:
  explicit PartialOutput(int slot) : slot_(slot) {}
  ~PartialOutput() { ForgetPartialOutput(slot_); }
  PartialOutput(const PartialOutput&) = delete;
  PartialOutput& operator=(const PartialOutput&) = delete;

 private:
  int slot_;
};

}  // namespace tape::format

#endif  // TAPE_FORMAT_PARTIAL_OUTPUTS_H_
