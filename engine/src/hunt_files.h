// Where a hunt's runs record and where their traces are kept
// (engine/internal/hunt.h): the keep directory, the hunt's private work
// directory inside it, and the renaming of a failing run's trace to
// KEEP/NAME-runN.bin.

#ifndef TAPE_ENGINE_SRC_HUNT_FILES_H_
#define TAPE_ENGINE_SRC_HUNT_FILES_H_

#include <cstdint>
#include <string>

#include "format/status.h"

namespace tape::engine {

// NAME made safe as part of a file name ("flaky.tape" -> "flaky").
std::string SafeName(std::string name);

// Renames `from` to DIR/NAME-runN.bin, or -2, -3, ... when that exists:
// never over an existing file or link. Returns the name it got.
Result<std::string> KeepAs(const std::string& from, const std::string& dir, const std::string& name,
                           uint64_t run);

// The keep directory and the hunt's work directory in it,
// KEEP/.tape-hunt-PID-XXXXXX: made by mkdtemp (mode 0700, never an existing
// name or a link) and locked while the hunt runs, so that nobody else can
// plant a link where a run writes, however predictable its name.
class HuntFiles {
 public:
  HuntFiles() = default;
  HuntFiles(const HuntFiles&) = delete;
  HuntFiles& operator=(const HuntFiles&) = delete;
  ~HuntFiles() { Close(false); }

  // Creates `keep_dir` when missing, removes what killed hunts left in it,
  // and makes the work directory.
  Status Open(const std::string& keep_dir);
  // A new, empty file for run `run` to record into, in the work directory.
  Result<std::string> CreateRunFile(uint64_t run);
  // Removes the work directory and what is left in it; and the keep
  // directory when Open made it and `kept_any` is false.
  void Close(bool kept_any);

 private:
  std::string keep_dir_;
  bool created_keep_dir_ = false;  // it did not exist before
  std::string work_dir_;
  int work_fd_ = -1;  // work_dir_, open and locked
};

}  // namespace tape::engine

#endif  // TAPE_ENGINE_SRC_HUNT_FILES_H_
