#include "preload/real_libc.h"

#include <dlfcn.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace tape::preload {

namespace {

// libc's definition of `name`. Looked up in libc itself (not RTLD_NEXT: the
// dynamic loader may have put libc before this library in the search order),
// once per function; the first call may come before any constructor ran.
void* Lookup(const char* name) {
  static void* libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
  void* fn = libc ? dlsym(libc, name) : nullptr;
  if (fn == nullptr) {
    std::fprintf(stderr, "tape: the C library has no %s\n", name);
    std::abort();
  }
  return fn;
}

template <typename F>
F Resolve(std::atomic<F>* slot, const char* name) {
  F fn = slot->load(std::memory_order_relaxed);
  if (fn == nullptr) [[unlikely]] {
    fn = reinterpret_cast<F>(Lookup(name));
    slot->store(fn, std::memory_order_relaxed);
  }
  return fn;
}

std::atomic<int (*)(clockid_t, timespec*)> g_clock_gettime{nullptr};
std::atomic<int (*)(timeval*, void*)> g_gettimeofday{nullptr};
std::atomic<time_t (*)(time_t*)> g_time{nullptr};
std::atomic<int (*)(timespec*, int)> g_timespec_get{nullptr};
std::atomic<int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*)> g_pthread_create{
    nullptr};

std::atomic<pid_t (*)()> g_fork{nullptr};

}  // namespace

pid_t RealFork() { return Resolve(&g_fork, "fork")(); }

int RealClockGettime(clockid_t clock, timespec* ts) {
  return Resolve(&g_clock_gettime, "clock_gettime")(clock, ts);
}
int RealGettimeofday(timeval* tv, void* tz) { return Resolve(&g_gettimeofday, "gettimeofday")(tv, tz); }
time_t RealTime(time_t* t) { return Resolve(&g_time, "time")(t); }
int RealTimespecGet(timespec* ts, int base) {
  return Resolve(&g_timespec_get, "timespec_get")(ts, base);
}
int RealPthreadCreate(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*),
                      void* arg) {
  return Resolve(&g_pthread_create, "pthread_create")(thread, attr, start, arg);
}

}  // namespace tape::preload
