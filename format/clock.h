// The two clocks tape reads for itself (not for a recorded program): wall
// time for trace headers and footers, monotonic time for measuring.

#ifndef TAPE_FORMAT_CLOCK_H_
#define TAPE_FORMAT_CLOCK_H_

#include <time.h>

#include <cstdint>

namespace tape {

inline uint64_t ReadClockNs(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}
// Nanoseconds since the Unix epoch.
inline uint64_t WallClockNs() { return ReadClockNs(CLOCK_REALTIME); }
// Nanoseconds since an arbitrary point; never goes backwards.
inline uint64_t MonotonicNs() { return ReadClockNs(CLOCK_MONOTONIC); }

}  // namespace tape

#endif  // TAPE_FORMAT_CLOCK_H_
