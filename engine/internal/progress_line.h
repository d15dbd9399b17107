// A progress line on stderr, for the commands that take a while: the tape
// command's verbs (tools/cli.h) and the hunts of programs that link tape
// (tape::Main). One class for both, here because tape::Main is part of the
// library and cannot reach tools/.

#ifndef TAPE_ENGINE_INTERNAL_PROGRESS_LINE_H_
#define TAPE_ENGINE_INTERNAL_PROGRESS_LINE_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace tape::engine {

// Drawn only when stderr is a terminal, redrawn at most ~10 times a
// second, each time over the last ("\rLABEL: TEXT", the rest of the line
// cleared). Finish(), or the destructor, clears it: call it before printing
// anything else to the terminal.
class Progress {
 public:
  // `total`: what Update counts up to (0 when only Show is used).
  explicit Progress(std::string label, uint64_t total = 0);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // "LABEL: DONE / TOTAL (P%)".
  void Update(uint64_t done);
  // "LABEL: TEXT", with TEXT made by `make_text()` only when a line is due.
  template <class MakeText>
  void Show(MakeText make_text) {
    if (Due()) Draw(make_text());
  }
  void Finish();

 private:
  bool Due();  // a terminal, and ~100 ms since the last line
  void Draw(std::string_view text);

  std::string label_;
  uint64_t total_;
  bool enabled_;
  uint64_t last_ns_ = 0;
  bool drawn_ = false;
};

}  // namespace tape::engine

#endif  // TAPE_ENGINE_INTERNAL_PROGRESS_LINE_H_
