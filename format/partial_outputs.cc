#include "format/partial_outputs.h"

#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace tape::format {

namespace {

enum SlotState : int { kFree = 0, kFilling = 1, kArmed = 2 };

struct Slot {
  std::atomic<int> state{kFree};
  char path[PATH_MAX];
};

Slot g_slots[kMaxPartialOutputs];

}  // namespace

int RememberPartialOutput(const std::string& path) {
  if (path.empty() || path.size() >= PATH_MAX) return -1;
  for (int i = 0; i < kMaxPartialOutputs; ++i) {
    int expected = kFree;
    if (!g_slots[i].state.compare_exchange_strong(expected, kFilling)) continue;
    std::memcpy(g_slots[i].path, path.c_str(), path.size() + 1);
    g_slots[i].state.store(kArmed, std::memory_order_release);
    return i;
  }
  return -1;
}

void ForgetPartialOutput(int slot) {
  if (slot < 0 || slot >= kMaxPartialOutputs) return;
  g_slots[slot].state.store(kFree, std::memory_order_release);
}

void RemovePartialOutputs() {
  for (Slot& slot : g_slots) {
    if (slot.state.load(std::memory_order_acquire) == kArmed) ::unlink(slot.path);
  }
}

int CreateRememberedTemp(std::string* templ, int* slot) {
  sigset_t handled, old;
  sigemptyset(&handled);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) sigaddset(&handled, sig);
  pthread_sigmask(SIG_BLOCK, &handled, &old);
  int fd = ::mkstemp(templ->data());
  int err = errno;
  if (fd >= 0) {
    // mkstemp makes the file private; the output gets the mode a recorded
    // trace gets, since it is renamed into place.
    mode_t mask = ::umask(0);
    ::umask(mask);
    (void)::fchmod(fd, 0644 & ~mask);
  }
  *slot = fd >= 0 ? RememberPartialOutput(*templ) : -1;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = err;
  return fd;
}

}  // namespace tape::format
