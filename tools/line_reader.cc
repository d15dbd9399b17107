#include "tools/line_reader.h"

#include <editline/readline.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace tape::cli {

namespace {
// Lines kept in the history file.
constexpr int kHistoryLines = 1000;
// A command line is at most this long; the rest of a longer one is dropped.
constexpr size_t kMaxLine = size_t{1} << 20;
}  // namespace

LineReader::LineReader(FILE* file, std::string history)
    : file_(file), history_(std::move(history)) {
  terminal_ = file == stdin && ::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO);
  if (!terminal_) return;
  rl_readline_name = "tape";
  using_history();
  stifle_history(kHistoryLines);
  if (!history_.empty()) read_history(history_.c_str());
}

LineReader::~LineReader() {
  if (terminal_ && !history_.empty()) write_history(history_.c_str());
}

std::optional<std::string> LineReader::Next(const char* prompt) {
  if (terminal_) {
    errno = 0;
    char* line = readline(prompt);
    if (line == nullptr) {
      if (errno == EINTR) return std::string();  // Ctrl-C: a fresh prompt
      return std::nullopt;
    }
    std::string text(line);
    std::free(line);
    HIST_ENTRY* last = history_length > 0 ? history_get(history_base + history_length - 1) : nullptr;
    if (!text.empty() && (last == nullptr || text != last->line)) add_history(text.c_str());
    return text;
  }
  std::string text;
  too_long_ = false;
  int c;
  while ((c = std::fgetc(file_)) != EOF) {
    if (c == '\n') return text;
    if (text.size() < kMaxLine) {
      text.push_back(static_cast<char>(c));
    } else {
      too_long_ = true;  // the rest of the line is dropped
    }
  }
  if (text.empty()) return std::nullopt;
  return text;
}

}  // namespace tape::cli
