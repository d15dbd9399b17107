// The effects of programs that were not written for tape (kinds 32-63,
// specs/trace-format.md §13.7): how each is performed live.
//
// tape's interposition library (preload/) performs these in a recorded
// process: it turns a libc call or a trapped system call into an effect call
// whose encoded args the live functions here decode and perform. They make
// their system calls through Libc(), which the interposer points at a path its
// seccomp filter lets through; in any other process it is glibc's.

#ifndef TAPE_ENGINE_LIVE_LIBC_H_
#define TAPE_ENGINE_LIVE_LIBC_H_

#include <time.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/src/live_effects.h"
#include "format/bytes.h"

namespace tape::engine {

// How live libc effects reach the kernel. `syscall` returns the kernel's
// value: -errno on failure (not glibc's -1 and errno).
struct LibcCalls {
  long (*syscall)(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
  int (*clock_gettime)(clockid_t clock, timespec* ts);
  int (*gettimeofday)(timeval* tv, void* tz);
  time_t (*time)(time_t* t);
};
const LibcCalls& Libc();
// Replaces the calls (the interposer, before it records anything).
void SetLibcCalls(const LibcCalls& calls);
inline long SysCall(long nr, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0,
                    long a6 = 0) {
  return Libc().syscall(nr, a1, a2, a3, a4, a5, a6);
}

// The first file descriptor of the range the interposer keeps for tape's own
// files (the trace, its copies of stdout and stderr), above those a program
// normally gets: 64 below the soft RLIMIT_NOFILE, at most 960. The
// libc.start event lists the descriptors below it.
int InterposerFdBase();
// The descriptors open in this process below `limit`, ascending (from
// /proc/self/fd; empty when it cannot be read).
std::vector<int> OpenFdsBelow(int limit);

// A regular file a program opens read-only is served from the trace when it
// has at most this many bytes; a larger one has each read recorded instead.
inline constexpr uint64_t kMaxServedFileBytes = uint64_t(256) << 20;
// A recorded read (libc.read, libc.pread) returns at most this many bytes: a
// larger request reads short, which read(2) allows.
inline constexpr uint64_t kMaxLibcReadBytes = uint64_t(64) << 20;

// libc.clock_gettime's result when the call failed (EINVAL).
inline constexpr int64_t kClockFailed = INT64_MIN;

// --- live implementations (the effect table points here) ----------------------

std::string_view LiveLibcStart(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveLibcClockGettime(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveLibcGettimeofday(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveLibcTime(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveLibcGetrandom(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveLibcOpen(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveLibcRead(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveLibcPread(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveLibcWrite(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveLibcPwrite(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveLibcStat(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveLibcStatx(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveLibcGetdents(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveLibcReadlink(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveLibcAccess(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveLibcUname(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveLibcGetpid(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveLibcGetppid(LiveEnv& env, Bytes args, std::string* result);
std::string_view LiveLibcSleep(LiveEnv& env, Bytes args, std::string* result);
// libc.syscall and libc.change: engine/src/libc_calls.h.

}  // namespace tape::engine

#endif  // TAPE_ENGINE_LIVE_LIBC_H_
