// libtape-preload.so: what tape puts in LD_PRELOAD (interposer.h says why it
// is separate). It exports the libc functions tape interposes and forwards
// each to libtape-interposer.so, and starts the recording or replay from its
// constructor, which runs after every library it depends on, the
// interposer included, is initialized and before the program's own
// constructors and main. No C++ runtime: nothing here may allocate or throw.

#include "preload/interposer.h"

#define TAPE_EXPORT extern "C" __attribute__((visibility("default")))

TAPE_EXPORT int clock_gettime(clockid_t clock, struct timespec* ts) {
  return tape_interposer_clock_gettime(clock, ts, __builtin_return_address(0));
}

TAPE_EXPORT int gettimeofday(struct timeval* tv, void* tz) {
  return tape_interposer_gettimeofday(tv, tz, __builtin_return_address(0));
}

TAPE_EXPORT time_t time(time_t* t) {
  return tape_interposer_time(t, __builtin_return_address(0));
}

TAPE_EXPORT int timespec_get(struct timespec* ts, int base) {
  return tape_interposer_timespec_get(ts, base, __builtin_return_address(0));
}

TAPE_EXPORT int pthread_create(pthread_t* thread, const pthread_attr_t* attr,
                               void* (*start)(void*), void* arg) {
  return tape_interposer_pthread_create(thread, attr, start, arg, __builtin_return_address(0));
}

// glibc's fork runs the fork handlers (pthread_atfork) before its system call,
// and the interposer's allocator locks itself in one: a fork is refused here,
// before them.
TAPE_EXPORT pid_t fork(void) { return tape_interposer_fork(__builtin_return_address(0)); }

__attribute__((constructor)) static void StartTape(int argc, char** argv, char** envp) {
  tape_interposer_start(argc, argv, envp);
}
