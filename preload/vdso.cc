#include "preload/vdso.h"

#include <cerrno>

#include "engine/effects/vdso.h"
#include "preload/real_libc.h"

namespace tape::preload {

namespace {

int LibcClockGettime(clockid_t clock, timespec* ts) {
  return RealClockGettime(clock, ts) == 0 ? 0 : -errno;
}

}  // namespace

VdsoClockFn g_vdso_clock_gettime = LibcClockGettime;

void ResolveVdsoClock() {
  if (engine::VdsoClockFn fn = engine::FindVdsoClockGettime()) g_vdso_clock_gettime = fn;
}

}  // namespace tape::preload
