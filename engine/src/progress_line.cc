#include "engine/internal/progress_line.h"

#include <unistd.h>

#include <cstdio>

#include "format/clock.h"

namespace tape::engine {

Progress::Progress(std::string label, uint64_t total)
    : label_(std::move(label)), total_(total), enabled_(::isatty(2) == 1) {}

Progress::~Progress() { Finish(); }

bool Progress::Due() {
  if (!enabled_) return false;
  uint64_t now = MonotonicNs();
  if (now - last_ns_ < 100000000) return false;
  last_ns_ = now;
  return true;
}

void Progress::Draw(std::string_view text) {
  std::fprintf(stderr, "\r%s: %.*s\033[K", label_.c_str(), int(text.size()), text.data());
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::Update(uint64_t done) {
  if (!Due()) return;
  char text[96];
  double pct = total_ ? 100.0 * double(done) / double(total_) : 0;
  std::snprintf(text, sizeof text, "%llu / %llu (%.0f%%)", (unsigned long long)done,
                (unsigned long long)total_, pct);
  Draw(text);
}

void Progress::Finish() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

}  // namespace tape::engine
