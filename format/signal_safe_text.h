// Text made inside a signal handler, where printf, std::string and the
// locale are off limits: plain stores into a fixed buffer. The SIGBUS
// report of a trace that shrank (trace_mappings.h) and the recorder's
// report of a fatal signal (engine/src/signals.cc) are written with it.

#ifndef TAPE_FORMAT_SIGNAL_SAFE_TEXT_H_
#define TAPE_FORMAT_SIGNAL_SAFE_TEXT_H_

#include <cstdint>

namespace tape::format {

// Appends to [p, end), never past `end - 1` (room for the NUL that
// Terminate() writes); what does not fit is dropped.
struct SignalSafeText {
  char* p;
  char* end;

  void Put(const char* s) {
    while (*s && p < end - 1) *p++ = *s++;
  }
  // `v` in decimal.
  void PutNumber(uint64_t v) {
    char digits[20];
    int n = 0;
    do {
      digits[n++] = char('0' + v % 10);
      v /= 10;
    } while (v);
    while (n > 0 && p < end - 1) *p++ = digits[--n];
  }
  void Terminate() { *p = '\0'; }
};

}  // namespace tape::format

#endif  // TAPE_FORMAT_SIGNAL_SAFE_TEXT_H_
