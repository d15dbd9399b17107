// The reading clock.now records: CLOCK_REALTIME, nanoseconds since the Unix
// epoch. Shared by the effect's module and the recorder's fast path
// (Recorder::OwnClockNow), so that both record the same clock.

#ifndef TAPE_ENGINE_EFFECTS_WALL_CLOCK_H_
#define TAPE_ENGINE_EFFECTS_WALL_CLOCK_H_

#include <time.h>

#include <cstdint>

#include "engine/effects/vdso.h"

namespace tape::engine {

// From the vDSO directly when there is one (about ten instructions and an
// indirect jump fewer than libc's clock_gettime; engine/effects/vdso.h).
inline int64_t WallClockNs() {
  timespec ts;
  if (g_vdso_clock_gettime(CLOCK_REALTIME, &ts) != 0) [[unlikely]] {
    clock_gettime(CLOCK_REALTIME, &ts);
  }
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace tape::engine

#endif  // TAPE_ENGINE_EFFECTS_WALL_CLOCK_H_
