// The seccomp filter that routes a recorded program's system calls to the
// interposer.
//
// Installed once, in the library's constructor, for the rest of the process
// (a filter cannot be removed). Per system call it answers in the kernel:
//   - let through: the calls that only touch the process itself (memory,
//     futexes, signals, thread bookkeeping), and every call made from the
//     interposer's own system call instruction (raw_syscall.h) or from the
//     dynamic loader (loading code is not recorded: replay needs the same
//     program and libraries installed);
//   - ENOSYS: the calls a program has a fallback for (clone3 -> clone,
//     copy_file_range, sendfile and splice -> read and write);
//   - trap (SIGSYS, trap.h): everything else: the calls the interposer
//     records, and the ones it refuses with a message.

#ifndef TAPE_PRELOAD_FILTER_H_
#define TAPE_PRELOAD_FILTER_H_

#include <cstdint>
#include <vector>

namespace tape::preload {

struct CodeRange {
  uintptr_t begin = 0, end = 0;  // [begin, end)
};

// Installs the filter for this thread and the threads it starts later.
// Returns 0 or an errno.
int InstallFilter(const std::vector<CodeRange>& exempt);

}  // namespace tape::preload

#endif  // TAPE_PRELOAD_FILTER_H_
