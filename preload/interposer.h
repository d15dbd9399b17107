// The entry points of libtape-interposer.so, called by libtape-preload.so
// (entry.cc), the library tape puts in LD_PRELOAD.
//
// Why two libraries: the program must not run before the recording has
// started, so the recording starts in the preloaded library's constructor;
// and the recorder needs its own static objects constructed first (the
// engine's, Boost.Interprocess's). A shared object's constructors run in
// link order, which no attribute can put after C++ initializers, but the
// dynamic loader initializes a library's dependencies before the library.
// So the preloaded library holds only the constructor and the exported libc
// symbols, and this one, its dependency, everything else.

#ifndef TAPE_PRELOAD_INTERPOSER_H_
#define TAPE_PRELOAD_INTERPOSER_H_

#include <pthread.h>
#include <sys/types.h>
#include <time.h>

extern "C" {

// From the preloaded library's constructor (glibc passes main's arguments).
void tape_interposer_start(int argc, char** argv, char** envp);

// The interposed libc functions; each behaves as libc's when no recording or
// replay is running, or when tape itself calls it.
int tape_interposer_clock_gettime(clockid_t clock, struct timespec* ts, void* caller);
int tape_interposer_gettimeofday(struct timeval* tv, void* tz, void* caller);
time_t tape_interposer_time(time_t* t, void* caller);
int tape_interposer_timespec_get(struct timespec* ts, int base, void* caller);
int tape_interposer_pthread_create(pthread_t* thread, const pthread_attr_t* attr,
                                   void* (*start)(void*), void* arg, void* caller);
pid_t tape_interposer_fork(void* caller);
}

#endif  // TAPE_PRELOAD_INTERPOSER_H_
