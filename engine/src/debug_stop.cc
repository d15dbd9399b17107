#include "engine/src/debug_stop.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>

#include "tape/debug.h"

namespace tape {

namespace {
std::atomic<const Runtime*> g_current{nullptr};
}  // namespace

uint64_t CurrentSeq() {
  const Runtime* rt = g_current.load();
  return rt == nullptr ? UINT64_MAX : rt->seq();
}

namespace engine {

CurrentRun::CurrentRun(const Runtime* rt) : previous_(g_current.exchange(rt)) {}
CurrentRun::~CurrentRun() { g_current.store(previous_); }

bool DebuggerAttached() {
  int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[4096];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  const char* tracer = std::strstr(buf, "TracerPid:");
  if (tracer == nullptr) return false;
  tracer += std::strlen("TracerPid:");
  while (*tracer == ' ' || *tracer == '\t') ++tracer;
  return *tracer != '0';
}

void StopForDebugger(uint64_t seq) {
  if (DebuggerAttached()) {
    // The debugger stops here, just before the replay serves event `seq`;
    // `continue` goes on with the replay.
    ::raise(SIGTRAP);
    return;
  }
  char line[512];
  int pid = int(::getpid());
  int n = std::snprintf(line, sizeof line,
                        "tape: stopped just before event %llu (--stop-at); no debugger is "
                        "attached: attach one (gdb -p %d), or go on with fg or kill -CONT %d\n",
                        (unsigned long long)seq, pid, pid);
  if (n > 0) {
    ssize_t ignored = ::write(2, line, size_t(n) < sizeof line ? size_t(n) : sizeof line - 1);
    (void)ignored;
  }
  ::raise(SIGSTOP);
}

}  // namespace engine
}  // namespace tape

extern "C" uint64_t tape_current_seq(void) { return tape::CurrentSeq(); }
