// TraceOutput: the file a recording writes, claimed so that nothing is lost
// or mixed (specs/trace-format.md §12.1).
//
// - One recorder per path: the file is locked (flock, exclusive) for the
//   whole recording; a second recorder of the same path is refused.
// - An existing trace is never truncated in place: the new trace is written
//   to a temporary file beside it and renamed over the old one once it holds
//   its first chunk (Publish). Until then the old trace stays whole, and a
//   reader that has the old file open keeps reading it, never a mix and never
//   a file that shrinks under it.
// - Only regular files are written, unless the caller forces it; opening
//   never blocks (a FIFO without a reader is an error, not a hang).
// - The descriptor is at least 3, so a program whose standard streams were
//   closed can never write into its own trace.

#ifndef TAPE_FORMAT_TRACE_OUTPUT_H_
#define TAPE_FORMAT_TRACE_OUTPUT_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "format/status.h"
#include "format/trace_info.h"

namespace tape::format {

// The HEAD (§6) of the trace open as `fd`, read with pread (a file that
// shrinks meanwhile is an error, never a fault). An error when the file has
// no valid prelude and HEAD record.
Result<TraceHeader> ReadHeaderOf(int fd, const std::string& path);

// §12.1: whether a new trace of `next`'s program may replace the file open
// as `fd` at `path`: yes for a trace of the same program (the same kind and
// name: re-recording it), for a trace that does not name its program, and
// for a file whose HEAD cannot be read (nothing can be read from it); otherwise InvalidArgument naming both programs and
// --force.
Status CheckSameProgram(int fd, const std::string& path, const TraceHeader& next);

class TraceOutput {
 public:
  // Claims `path`. Without `force`, refuses an existing file that is not a
  // regular file, or that is not empty and does not start like a trace, and,
  // given the new trace's header `next`, a trace of another program
  // (CheckSameProgram).
  static Result<std::unique_ptr<TraceOutput>> Claim(const std::string& path, bool force,
                                                    const TraceHeader* next = nullptr);
  ~TraceOutput();
  TraceOutput(const TraceOutput&) = delete;
  TraceOutput& operator=(const TraceOutput&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

  // Makes the new trace the file at path() (when it was written beside an
  // old one). Idempotent; call from one thread at a time.
  Status Publish();
  bool published() const { return temp_path_.empty(); }

  // True if (dev, ino) is the file being written, or the old trace it will
  // replace: writing either would destroy a recording.
  bool IsOwnFile(dev_t dev, ino_t ino) const;
  dev_t dev() const { return dev_; }
  ino_t ino() const { return ino_; }

  // Whether path() still names the file written (after Publish): not
  // removed and not replaced by another program during the recording.
  Status CheckStillAtPath() const;

  // Closes the file (releasing the lock). Returns the close error, if any.
  Status Close();

 private:
  TraceOutput() = default;

  std::string path_;
  std::string temp_path_;  // non-empty until Publish() renames it to path_
  int fd_ = -1;            // the file written
  int old_fd_ = -1;        // the old trace at path_, locked until Publish()
  dev_t dev_ = 0, old_dev_ = 0;
  ino_t ino_ = 0, old_ino_ = 0;
};

}  // namespace tape::format

#endif  // TAPE_FORMAT_TRACE_OUTPUT_H_
