#include "tools/line_reader.h"

#include <dlfcn.h>
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

// libedit, loaded when a terminal first needs it rather than linked: every
// `tape` command would otherwise pay for loading it (and the libraries it
// needs) at start-up, which `tape hunt` does thousands of times. Without
// it, a terminal gets plain lines.
struct Editline {
  decltype(&::readline) readline = nullptr;
  decltype(&::add_history) add_history = nullptr;
  decltype(&::using_history) using_history = nullptr;
  decltype(&::stifle_history) stifle_history = nullptr;
  decltype(&::read_history) read_history = nullptr;
  decltype(&::write_history) write_history = nullptr;
  decltype(&::history_get) history_get = nullptr;
  int* history_base = nullptr;
  int* history_length = nullptr;

  static const Editline* Load() {
    static const Editline* loaded = [] () -> const Editline* {
      void* lib = ::dlopen("libedit.so.2", RTLD_NOW | RTLD_LOCAL);
      if (lib == nullptr) return nullptr;
      static Editline e;
      bool ok = Get(lib, "readline", &e.readline) && Get(lib, "add_history", &e.add_history) &&
                Get(lib, "using_history", &e.using_history) &&
                Get(lib, "stifle_history", &e.stifle_history) &&
                Get(lib, "read_history", &e.read_history) &&
                Get(lib, "write_history", &e.write_history) &&
                Get(lib, "history_get", &e.history_get) &&
                Get(lib, "history_base", &e.history_base) &&
                Get(lib, "history_length", &e.history_length);
      return ok ? &e : nullptr;
    }();
    return loaded;
  }

  template <typename T>
  static bool Get(void* lib, const char* name, T* out) {
    *out = reinterpret_cast<T>(::dlsym(lib, name));
    return *out != nullptr;
  }
};

}  // namespace

LineReader::LineReader(FILE* file, std::string history)
    : file_(file), history_(std::move(history)) {
  terminal_ = file == stdin && ::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO);
  if (!terminal_) return;
  editline_ = Editline::Load();
  if (editline_ == nullptr) return;
  const Editline& e = *static_cast<const Editline*>(editline_);
  e.using_history();
  e.stifle_history(kHistoryLines);
  if (!history_.empty()) e.read_history(history_.c_str());
}

LineReader::~LineReader() {
  if (editline_ != nullptr && !history_.empty()) {
    static_cast<const Editline*>(editline_)->write_history(history_.c_str());
  }
}

std::optional<std::string> LineReader::Next(const char* prompt) {
  if (editline_ != nullptr) {
    const Editline& e = *static_cast<const Editline*>(editline_);
    errno = 0;
    char* line = e.readline(prompt);
    if (line == nullptr) {
      if (errno == EINTR) return std::string();  // Ctrl-C: a fresh prompt
      return std::nullopt;
    }
    std::string text(line);
    std::free(line);
    int length = *e.history_length;
    HIST_ENTRY* last = length > 0 ? e.history_get(*e.history_base + length - 1) : nullptr;
    if (!text.empty() && (last == nullptr || text != last->line)) e.add_history(text.c_str());
    return text;
  }
  if (terminal_) {
    std::fputs(prompt, stdout);
    std::fflush(stdout);
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
