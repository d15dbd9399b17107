// Reading the debugger's command lines: from a terminal with line editing
// and history (libedit's readline interface, loaded on first use), else
// plain lines from a file or pipe.

#ifndef TAPE_TOOLS_LINE_READER_H_
#define TAPE_TOOLS_LINE_READER_H_

#include <cstdio>
#include <optional>
#include <string>

namespace tape::cli {

class LineReader {
 public:
  // Reads `file` (not owned); with line editing when `file` is stdin and a
  // terminal. `history`: where a terminal's history is kept between
  // sessions ("" for none).
  LineReader(FILE* file, std::string history);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line (without its newline), or nullopt at the end of input.
  // A terminal shows `prompt`. Ctrl-C at the prompt gives an empty line.
  std::optional<std::string> Next(const char* prompt);
  bool terminal() const { return terminal_; }
  // The last line was longer than a command may be (1 MiB) and was cut.
  bool too_long() const { return too_long_; }

 private:
  FILE* file_;
  std::string history_;
  bool terminal_ = false;
  bool too_long_ = false;
  const void* editline_ = nullptr;  // the loaded library's functions, or null
};

}  // namespace tape::cli

#endif  // TAPE_TOOLS_LINE_READER_H_
