// A program not written for tape, for tests/cli/executables.sh: each mode
// does one thing tape's interposer records or refuses.
//   probe clock      prints the time twice (clock_gettime, then time)
//   probe thread     starts a thread (refused)
//   probe fork       starts a child process (refused)
//   probe loop N     reads the clock N times (the recording overhead benchmark)
//                    and prints its thread's CPU time per read on stderr
// Built twice: PROBE_CHANGED reads the clock differently (a replay of the
// first build's recording with the second drifts, at a line of this file),
// PROBE_GO carries the section Go's toolchain writes (refused up front).

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef PROBE_GO
__attribute__((used, section(".go.buildinfo"))) static const char kGoBuildInfo[] = "\xff Go buildinf:";
#endif

static void* Nothing(void* arg) { return arg; }

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "clock";
  if (strcmp(mode, "clock") == 0) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
#ifdef PROBE_CHANGED
    printf("%ld\n", (long)time(NULL));
#else
    printf("%ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
#endif
    return 0;
  }
  if (strcmp(mode, "thread") == 0) {
    pthread_t t;
    if (pthread_create(&t, NULL, Nothing, NULL) != 0) return 3;
    pthread_join(t, NULL);
    puts("thread ran");
    return 0;
  }
  if (strcmp(mode, "fork") == 0) {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    waitpid(pid, NULL, 0);
    puts("child ran");
    return 0;
  }
  if (strcmp(mode, "loop") == 0 && argc > 2) {
    long n = atol(argv[2]);
    struct timespec ts, begin, end;
    long long sum = 0;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &begin);
    for (long i = 0; i < n; ++i) {
      clock_gettime(CLOCK_MONOTONIC, &ts);
      sum += ts.tv_nsec;
    }
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end);
    double ns = (end.tv_sec - begin.tv_sec) * 1e9 + (end.tv_nsec - begin.tv_nsec);
    printf("%lld\n", sum & 1);
    fprintf(stderr, "%.1f ns/call\n", n > 0 ? ns / n : 0.0);
    return 0;
  }
  fprintf(stderr, "usage: probe clock|thread|fork|loop N\n");
  return 2;
}
