// The SIGSYS handler: where the system calls the seccomp filter traps
// (filter.h) arrive. A call made in tape (guard.h) is performed as it is;
// a call of the program's goes to Dispatch (calls.h), whose return value
// becomes the system call's. errno is preserved: the C library's wrapper
// sets it from that value.

#ifndef TAPE_PRELOAD_TRAP_H_
#define TAPE_PRELOAD_TRAP_H_

namespace tape::preload {

// Installs the handler (SA_NODEFER: a call tape makes while handling one is
// trapped too, and passed through). Returns 0 or an errno.
int InstallTrapHandler();

// Sets the first descriptor of tape's range (before the filter is installed).
void SetTapeFdBase(int fd_base);

// Performs a call made in tape. A descriptor it creates is moved into
// tape's range (from `fd_base`), so that the program's descriptors are
// numbered as they would be without tape, when recording and replaying alike.
long PassThrough(long nr, const long args[6]);

}  // namespace tape::preload

#endif  // TAPE_PRELOAD_TRAP_H_
