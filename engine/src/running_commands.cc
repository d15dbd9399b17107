#include "engine/internal/running_commands.h"

#include <signal.h>

#include <atomic>

namespace tape::engine {

namespace {

// 0: free. Sequentially consistent throughout: either StopRunningCommands
// sees a group remembered, or RememberRunningCommand sees the stop.
std::atomic<pid_t> g_groups[kMaxRunningCommands];
std::atomic<bool> g_stopped{false};

}  // namespace

int RememberRunningCommand(pid_t pgid) {
  if (pgid <= 0) return -1;
  int slot = -1;
  for (int i = 0; i < kMaxRunningCommands && slot < 0; ++i) {
    pid_t expected = 0;
    if (g_groups[i].compare_exchange_strong(expected, pgid)) slot = i;
  }
  if (g_stopped.load()) ::kill(-pgid, SIGTERM);
  return slot;
}

void ForgetRunningCommand(int slot) {
  if (slot < 0 || slot >= kMaxRunningCommands) return;
  g_groups[slot].store(0);
}

void StopRunningCommands(int sig) {
  g_stopped.store(true);
  for (std::atomic<pid_t>& group : g_groups) {
    pid_t pgid = group.load();
    if (pgid > 0) ::kill(-pgid, sig);
  }
}

bool RunningCommandsStopped() { return g_stopped.load(); }

}  // namespace tape::engine
