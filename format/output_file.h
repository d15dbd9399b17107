// The device rule: what tape may do to the file an output path names
// (specs/trace-format.md §12.1). Every verb that writes a file goes through
// here: TraceOutput (record, run, bench, hunt's runs, an embedded program's
// `record`) and OutputFile (export, import, recover, redact).
//
// - A new path or a regular file may be replaced (the verbs decide when).
// - A character device or a FIFO (/dev/null, a pipe to another program) is
//   written in place, and only when the user forces it: it is never renamed
//   over, unlinked or truncated.
// - Anything else (a directory, a block device, a socket) is refused,
//   forced or not.
//
// A symbolic link names the file it points to: that file is written or
// replaced, the link stays. A link to nothing is refused.

#ifndef TAPE_FORMAT_OUTPUT_FILE_H_
#define TAPE_FORMAT_OUTPUT_FILE_H_

#include <sys/stat.h>

#include <memory>
#include <string>

#include "format/status.h"

namespace tape::format {

// What an output path names, once the rule has allowed it.
struct OutputTarget {
  enum class Kind {
    kNew,      // nothing there yet
    kRegular,  // a regular file (replaceable)
    kStream,   // a character device or FIFO, written in place (forced)
  };
  Kind kind = Kind::kNew;
  std::string path;  // the file to write: `path` with a symbolic link resolved
  struct stat st {};  // kRegular, kStream: the file's
};

// Applies the rule to what `path` names now. Refusals are InvalidArgument
// and say what the file is and what to do.
Result<OutputTarget> CheckOutputTarget(const std::string& path, bool force);

// The rule for a file found at a path already opened: true for a regular
// file, or (with `force`) a character device or FIFO. For a descriptor
// opened after CheckOutputTarget, whose path may have changed in between.
bool OutputAllowed(const struct stat& st, bool force);

// "a directory", "a block device", "a FIFO", ... for messages.
const char* FileTypeName(mode_t mode);

// Opens a character device or FIFO for writing in place. Never blocks: a
// FIFO that no process reads is an error, not a hang. The descriptor it
// returns blocks (a slow reader is waited for) and is at least 3.
Result<int> OpenStream(const OutputTarget& target, const std::string& shown_path);

// Unlinks `path` only if it is a regular file (a run's trace, a temporary
// file): a device or FIFO put in its place is left alone.
void RemoveRegularFile(const std::string& path);

// For the writers of this directory: moves `fd` to a descriptor >= 3
// (closing `fd`; a lock stays with the open file), so that a program whose
// standard streams were closed can never write into tape's output. -1 with
// errno on failure; `fd` < 0 is returned as it is.
int HighFd(int fd);
// The directory of `path` ("." for a bare name) and its last component.
std::string DirOf(const std::string& path);
std::string BaseOf(const std::string& path);

// A file written whole and then moved into place: what export, import,
// recover and redact write. Until Commit(), nothing at the path changes: a
// reader of an old file there keeps reading it whole, and a failure (or a
// destructor without Commit) leaves no half-written file behind.
//
// For a new path or a regular file, the bytes go to a temporary file beside
// it, `.<name>.tape-new-XXXXXX`, renamed over the path by Commit(). For a
// character device or FIFO (forced), they go to an unlinked temporary file
// in the temporary directory ($TMPDIR, else /tmp), copied into the device by
// Commit(): the device gets the whole output or nothing, and the writer may
// seek and rewrite as in a regular file. A signal that ends the tool before
// Commit() removes the temporary file too (format/partial_outputs.h).
class OutputFile {
 public:
  static Result<std::unique_ptr<OutputFile>> Create(const std::string& path, bool force);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // The temporary file: seekable, open for reading and writing.
  int fd() const { return fd_; }
  // Where it is, for messages ("dir/.name.tape-new-ab12Cd", or "a temporary
  // file in /tmp" for a device's).
  const std::string& temp_name() const { return temp_name_; }
  const std::string& path() const { return shown_path_; }
  bool to_stream() const { return stream_fd_ >= 0; }

  // Moves the bytes into place: renames the temporary file over the path
  // (refusing if the path no longer names a regular file or nothing), or
  // copies them into the device. Closes the temporary file either way; a
  // file that could not be moved is removed. Call once.
  Status Commit();

 private:
  OutputFile() = default;

  std::string shown_path_;  // as the user gave it
  std::string target_;      // with a symbolic link resolved
  std::string temp_path_;   // beside target_; empty for a device's (unlinked) file
  std::string temp_name_;
  int fd_ = -1;
  int stream_fd_ = -1;  // the device or FIFO, opened by Create
  int partial_slot_ = -1;  // temp_path_ in format/partial_outputs.h
  bool committed_ = false;
};

}  // namespace tape::format

#endif  // TAPE_FORMAT_OUTPUT_FILE_H_
