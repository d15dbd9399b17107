// The clocks' chaos perturbations (specs/chaos.md §3), shared by clock.now
// and the C library's clocks of programs not written for tape (libc_time.cc).

#ifndef TAPE_ENGINE_EFFECTS_CLOCK_JUMP_H_
#define TAPE_ENGINE_EFFECTS_CLOCK_JUMP_H_

#include <cstdint>

#include "engine/effects/effect.h"

namespace tape::engine {

// The reading `ns` jumps by 1 s to an hour, forward (kSign 1) or back (-1).
template <int kSign>
bool ClockJump(int64_t& ns, ChaosDraw& draw) {
  constexpr int64_t kSecond = 1000000000, kLo = kSecond, kHi = 3600 * kSecond;
  int64_t jump = kLo + int64_t(draw.Next() % uint64_t(kHi - kLo + 1));
  ns = int64_t(uint64_t(ns) + uint64_t(kSign * jump));
  return true;
}

}  // namespace tape::engine

#endif  // TAPE_ENGINE_EFFECTS_CLOCK_JUMP_H_
