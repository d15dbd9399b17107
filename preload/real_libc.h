// The C library's own versions of the functions tape interposes, for the
// calls tape makes itself and those it lets through.

#ifndef TAPE_PRELOAD_REAL_LIBC_H_
#define TAPE_PRELOAD_REAL_LIBC_H_

#include <pthread.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>

namespace tape::preload {

int RealClockGettime(clockid_t clock, timespec* ts);
int RealGettimeofday(timeval* tv, void* tz);
time_t RealTime(time_t* t);
int RealTimespecGet(timespec* ts, int base);
int RealPthreadCreate(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*),
                      void* arg);
pid_t RealFork();

}  // namespace tape::preload

#endif  // TAPE_PRELOAD_REAL_LIBC_H_
