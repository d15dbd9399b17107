// Standard input as io.read_line and io.read_all see it: one buffered
// reader per process, since the process has one standard input and bytes
// read ahead of a line belong to the lines after it.

#ifndef TAPE_ENGINE_EFFECTS_STDIN_READER_H_
#define TAPE_ENGINE_EFFECTS_STDIN_READER_H_

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <sys/types.h>
#include <string>

namespace tape::engine {

class StdinReader {
 public:
  // How much one read(2) asks for, and so the most the reader holds beyond
  // what it returns.
  static constexpr size_t kReadBytes = size_t(1) << 16;

  explicit StdinReader(int fd) : fd_(fd) {}

  // The next line without its '\n' (a last line without one is a line too),
  // or nullopt at the end of input; 0 or the errno that stopped the read. A
  // line longer than `max_line` bytes is EFBIG, and the rest of it is
  // skipped, so the next call returns the line after it. Holds at most
  // max_line + kReadBytes bytes, whatever the input.
  int ReadLine(size_t max_line, std::optional<std::string>* line);
  // The rest of the input (after what ReadLine has returned), up to its
  // end; EFBIG, with `out` emptied, when it holds more than `max` bytes.
  int ReadAll(uint64_t max, std::string* out);

  // The reader of the process's standard input (descriptor 0).
  static StdinReader& Process();
  std::mutex& mu() { return mu_; }

 private:
  // Drops what was returned, then appends up to kReadBytes to buffer_: the
  // number of bytes read, 0 at the end of input, or -errno.
  ssize_t Fill();
  // Drops the rest of a line too long to return: 0 or the errno.
  int SkipRestOfLine();

  int fd_;
  std::mutex mu_;
  std::string buffer_;     // read; returned up to begin_
  size_t begin_ = 0;       // the first byte not returned yet
  size_t scanned_ = 0;     // buffer_[begin_, scanned_) holds no '\n'
  bool skipping_ = false;  // inside a line too long to return
};

}  // namespace tape::engine

#endif  // TAPE_ENGINE_EFFECTS_STDIN_READER_H_
