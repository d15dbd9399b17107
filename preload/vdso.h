// The kernel's own clock_gettime, from the vDSO the kernel maps into every
// process: the interposer's clock fast path calls it directly instead of
// through the C library's wrapper (which looks the same function up and
// calls it, one indirect call deeper).

#ifndef TAPE_PRELOAD_VDSO_H_
#define TAPE_PRELOAD_VDSO_H_

#include <time.h>

namespace tape::preload {

// Returns 0, or a negative errno (the vDSO's convention, not libc's -1 and
// errno). Before ResolveVdsoClock, and when the process has no vDSO or the
// vDSO no __vdso_clock_gettime, it is the C library's clock_gettime with its
// error converted.
using VdsoClockFn = int (*)(clockid_t, timespec*);
extern VdsoClockFn g_vdso_clock_gettime;

// Sets g_vdso_clock_gettime to the vDSO's function
// (engine::FindVdsoClockGettime), once, at start-up.
void ResolveVdsoClock();

}  // namespace tape::preload

#endif  // TAPE_PRELOAD_VDSO_H_
