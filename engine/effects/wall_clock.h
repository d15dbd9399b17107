// The reading clock.now records: CLOCK_REALTIME, nanoseconds since the Unix
// epoch. Shared by the effect's module and the recorder's fast path
// (Recorder::OwnClockNow), so that both record the same clock.

#ifndef TAPE_ENGINE_EFFECTS_WALL_CLOCK_H_
#define TAPE_ENGINE_EFFECTS_WALL_CLOCK_H_

#include <time.h>

#include <cstdint>

namespace tape::engine {

inline int64_t WallClockNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace tape::engine

#endif  // TAPE_ENGINE_EFFECTS_WALL_CLOCK_H_
