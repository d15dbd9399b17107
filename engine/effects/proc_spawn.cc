// proc.run performed for real: posix_spawnp (no shell), both output streams
// captured through pipes read with poll (so a command that fills one pipe
// while we wait on the other cannot deadlock), standard input written the
// same way, and an optional timeout after which the command's process group
// is killed: while it writes, and also after it closed its pipes and went on
// running. A command that cannot be started is a result (start_error), not a
// failure of the recording.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <tuple>
#include <vector>

#include "engine/effects/proc_spawn.h"
#include "engine/internal/running_commands.h"

extern char** environ;

namespace tape::engine {

namespace {

constexpr uint64_t kDrainMs = 1000;

uint64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000 + uint64_t(ts.tv_nsec) / 1000000;
}

// Writes to a pipe whose reader may have gone away, without SIGPIPE (which
// would end the recording as if the program had been killed).
ssize_t WriteNoSigpipe(int fd, const char* data, size_t size) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  ssize_t n = ::write(fd, data, size);
  int err = errno;
  if (n < 0 && err == EPIPE) {
    timespec zero{0, 0};
    sigtimedwait(&pipe_set, nullptr, &zero);  // consume the pending SIGPIPE
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = err;
  return n;
}

void CloseFd(int* fd) {
  if (*fd >= 0) ::close(*fd);
  *fd = -1;
}

// Whether `pid` has ended, without reaping it (its process group id stays
// its own until it is reaped). `block`: waits until it has.
bool Ended(pid_t pid, bool block) {
  for (;;) {
    siginfo_t info;
    info.si_pid = 0;
    int r = ::waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT | (block ? 0 : WNOHANG));
    if (r < 0 && errno == EINTR) continue;
    return r < 0 || info.si_pid != 0;  // ECHILD: reaped elsewhere, nothing to wait for
  }
}

// Reaps `pid`, first forgetting the `remembered` slot of its group
// (RememberRunningCommand). With a `deadline` (NowMs; 0: none) that passes
// first, its process group is killed (SIGKILL) and `*timed_out` set: a
// command that closed its output and went on running is held to its timeout
// too. Sleeps on a pidfd where the kernel has them, else polls every few
// milliseconds.
int Reap(pid_t pid, uint64_t deadline, bool* timed_out, int remembered) {
  bool waiting = deadline != 0;
  int pidfd = waiting ? int(::syscall(SYS_pidfd_open, pid, 0)) : -1;
  while (waiting && !Ended(pid, false)) {
    uint64_t now = NowMs();
    if (now >= deadline) {
      // Not reaped yet, so its process group id cannot have been reused.
      ::kill(-pid, SIGKILL);
      *timed_out = true;
      waiting = false;
    } else if (pidfd >= 0) {
      pollfd p = {pidfd, POLLIN, 0};
      ::poll(&p, 1, int(std::min<uint64_t>(deadline - now, 60000)));
    } else {
      timespec pause = {0, long(std::min<uint64_t>(deadline - now, 5)) * 1000000L};
      ::nanosleep(&pause, nullptr);
    }
  }
  if (pidfd >= 0) ::close(pidfd);
  Ended(pid, true);
  ForgetRunningCommand(remembered);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

}  // namespace

ProcResult RunCommand(const ProcRequest& request) {
  ProcResult result;
  if (request.argv.empty()) {
    result.start_error = EINVAL;
    return result;
  }
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 ||
      ::pipe2(err, O_CLOEXEC) != 0) {
    result.start_error = errno;
    for (int* fd : {&in[0], &in[1], &out[0], &out[1], &err[0], &err[1]}) CloseFd(fd);
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so a timeout kills what it started too; the
  // signals tape changes while recording back to their defaults.
  sigset_t defaults, empty;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGXFSZ);
  sigemptyset(&empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
                                      POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> argv;
  for (const std::string& a : request.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // Given an environment, the command gets exactly it (the program is still
  // looked up in tape's own PATH).
  std::vector<std::string> env_strings;
  std::vector<char*> envp;
  if (request.env) {
    env_strings.reserve(request.env->size());
    for (const auto& [name, value] : *request.env) env_strings.push_back(name + "=" + value);
    for (std::string& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
  }
  pid_t pid = -1;
  int spawn_error = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(),
                                 request.env ? envp.data() : environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  CloseFd(&in[0]);
  CloseFd(&out[1]);
  CloseFd(&err[1]);
  if (spawn_error != 0) {
    result.start_error = spawn_error;
    for (int* fd : {&in[1], &out[0], &err[0]}) CloseFd(fd);
    return result;
  }
  // Until it is reaped, a signal that ends tape ends its group too.
  int remembered = RememberRunningCommand(pid);
  ::fcntl(in[1], F_SETFL, O_NONBLOCK);
  size_t written = 0;
  if (request.stdin_data.empty()) CloseFd(&in[1]);
  uint64_t deadline = request.timeout_ms ? NowMs() + request.timeout_ms : 0;
  bool killed = false;
  uint64_t killed_at = 0;
  char buf[1 << 16];
  while (out[0] >= 0 || err[0] >= 0) {
    pollfd fds[3];
    int n = 0;
    int out_at = -1, err_at = -1, in_at = -1;
    if (out[0] >= 0) fds[out_at = n++] = {out[0], POLLIN, 0};
    if (err[0] >= 0) fds[err_at = n++] = {err[0], POLLIN, 0};
    if (in[1] >= 0) fds[in_at = n++] = {in[1], POLLOUT, 0};
    // After a kill, output is drained for at most kDrainMs: a process that
    // left the group may still hold the pipes open.
    uint64_t until = killed ? killed_at + kDrainMs : deadline;
    int wait_ms = -1;
    if (until) {
      uint64_t now = NowMs();
      wait_ms = now >= until ? 0 : int(std::min<uint64_t>(until - now, 60000));
    }
    int ready = ::poll(fds, nfds_t(n), wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    // Checked whether or not poll timed out: a command that writes all the
    // time would otherwise never let it.
    if (until && NowMs() >= until) {
      if (killed) break;
      ::kill(-pid, SIGKILL);
      killed = true;
      killed_at = NowMs();
      result.timed_out = true;
      CloseFd(&in[1]);
      continue;
    }
    for (auto [at, fd, data] : {std::tuple{out_at, &out[0], &result.stdout_data},
                                std::tuple{err_at, &err[0], &result.stderr_data}}) {
      if (at < 0 || !(fds[at].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = ::read(*fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        CloseFd(fd);
        continue;
      }
      if (data->size() + size_t(got) > kMaxProcOutputBytes) {
        if (!killed) {
          ::kill(-pid, SIGKILL);  // more than can be recorded
          killed_at = NowMs();
        }
        killed = true;
        CloseFd(fd);
        continue;
      }
      data->append(buf, size_t(got));
    }
    if (in_at >= 0 && (fds[in_at].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t put = WriteNoSigpipe(in[1], request.stdin_data.data() + written,
                                   request.stdin_data.size() - written);
      if (put > 0) written += size_t(put);
      if ((put < 0 && errno != EAGAIN && errno != EINTR) || written == request.stdin_data.size()) {
        CloseFd(&in[1]);
      }
    }
  }
  for (int* fd : {&in[1], &out[0], &err[0]}) CloseFd(fd);
  int status = Reap(pid, killed ? 0 : deadline, &result.timed_out, remembered);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

}  // namespace tape::engine
