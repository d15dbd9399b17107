// The kernel's own clock_gettime, from the vDSO the kernel maps into every
// process: the hot paths that read the clock (the recorder's clock.now, the
// interposer's clock_gettime) call it directly instead of through the C
// library's wrapper, which looks the same function up and calls it, one
// indirect call deeper.

#ifndef TAPE_ENGINE_EFFECTS_VDSO_H_
#define TAPE_ENGINE_EFFECTS_VDSO_H_

#include <time.h>

namespace tape::engine {

// Returns 0, or a negative errno (the vDSO's convention, not libc's -1 and
// errno).
using VdsoClockFn = int (*)(clockid_t, timespec*);

// __vdso_clock_gettime, looked up in the vDSO's dynamic symbol table
// (getauxval(AT_SYSINFO_EHDR), then DT_HASH or DT_GNU_HASH), or nullptr when
// the process has no vDSO (under valgrind, say) or the vDSO has no such
// function.
VdsoClockFn FindVdsoClockGettime();

// FindVdsoClockGettime(), looked up once when the library is loaded; libc's
// clock_gettime (adapted to the vDSO's convention) before that (a caller in
// another static initialiser) or when there is none. Never null. Written
// only by that initialiser.
extern VdsoClockFn g_vdso_clock_gettime;

}  // namespace tape::engine

#endif  // TAPE_ENGINE_EFFECTS_VDSO_H_
