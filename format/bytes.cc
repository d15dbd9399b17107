#include "format/bytes.h"

namespace tape::format {

bool ParseVarint(const uint8_t** p, const uint8_t* end, uint64_t* out) {
  uint64_t v = 0;
  const uint8_t* q = *p;
  for (int shift = 0; shift < 64; shift += 7) {
    if (q == end) return false;
    uint8_t b = *q++;
    // The tenth byte may only carry the top bit of a 64-bit value.
    if (shift == 63 && b > 1) return false;
    v |= uint64_t(b & 0x7f) << shift;
    if (b < 0x80) {
      *p = q;
      *out = v;
      return true;
    }
  }
  return false;
}

}  // namespace tape::format
