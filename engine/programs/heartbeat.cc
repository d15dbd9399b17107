// heartbeat: sleeps between ticks when recorded; replay finishes at once.
#include "engine/programs/programs.h"

namespace tape::programs {

int Heartbeat(Runtime& rt) {
  for (int tick = 1; tick <= 3; ++tick) {
    rt.TimeSleep(200);
    int64_t now = rt.ClockNow();
    rt.IoWrite("tick " + std::to_string(tick) + " at " + std::to_string(now / 1000000) + " ms\n");
  }
  return 0;
}

}  // namespace tape::programs
