// System calls the interposer makes itself. They run from one small piece of
// code, RawSyscall, whose addresses the seccomp filter lets through; every
// other system call of the process goes by the filter's rules (filter.h).

#ifndef TAPE_PRELOAD_RAW_SYSCALL_H_
#define TAPE_PRELOAD_RAW_SYSCALL_H_

#include <cstdint>

extern "C" {
// Makes system call `nr`; returns the kernel's value (-errno on failure).
long tape_raw_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
// The range of code that holds the system call instruction above.
extern const char tape_raw_syscall_begin[];
extern const char tape_raw_syscall_end[];
}

namespace tape::preload {

inline long Raw(long nr, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0,
                long a6 = 0) {
  return tape_raw_syscall(nr, a1, a2, a3, a4, a5, a6);
}

}  // namespace tape::preload

#endif  // TAPE_PRELOAD_RAW_SYSCALL_H_
