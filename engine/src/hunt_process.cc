#include "engine/src/hunt_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <fmt/core.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace tape::engine {

namespace {

// A string of the run's argv that stays valid until exec.
struct Argv {
  std::vector<std::string> strings;
  std::vector<char*> pointers;
  explicit Argv(std::vector<std::string> args) : strings(std::move(args)) {
    for (std::string& s : strings) pointers.push_back(s.data());
    pointers.push_back(nullptr);
  }
};

}  // namespace

void CloseFd(int* fd) {
  if (*fd >= 0) ::close(*fd);
  *fd = -1;
}

void ReadOutput(Run* run) {
  char buf[1 << 16];
  while (run->out_fd >= 0) {
    ssize_t n = ::read(run->out_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return;  // EAGAIN: nothing more for now
    if (n == 0) {
      CloseFd(&run->out_fd);
      return;
    }
    size_t room = kMaxRunOutput - std::min(kMaxRunOutput, run->output.size());
    run->output.append(buf, std::min(room, size_t(n)));
  }
}

void Stop(Run* run, uint64_t now) {
  if (run->term_ns == 0) {
    ::kill(-run->pid, SIGTERM);
    run->term_ns = now;
  } else if (now - run->term_ns >= kStopGraceMs * kMsNs) {
    ::kill(-run->pid, SIGKILL);
  }
}

// Only async-signal-safe calls between fork and exec.
Status Launch(const HuntOptions& o, int devnull, Run* run) {
  Argv argv(o.command(run->number, run->trace, run->seed));
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return Status::FromErrno(fmt::format("cannot start run {}: pipe", run->number), errno);
  }
  const char* exe = o.executable.c_str();
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return Status::FromErrno(fmt::format("cannot start run {}: fork", run->number), err);
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the hunt is already gone
    struct sigaction dfl;
    std::memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ::sigaction(SIGTERM, &dfl, nullptr);  // the hunt stops runs with it
    // An ignored signal stays ignored across exec. The process hunting may
    // ignore these for itself (tape ignores SIGXFSZ; a program or library
    // that hunts may ignore SIGPIPE, as cpp-httplib's Server does): a run
    // must not inherit that, or a write to a closed pipe would be an EPIPE
    // error and a message in its output instead of the SIGPIPE death of a
    // run started from a shell.
    ::sigaction(SIGPIPE, &dfl, nullptr);
    ::sigaction(SIGXFSZ, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(devnull, 0);
    ::dup2(pipe_fds[1], 1);
    ::dup2(pipe_fds[1], 2);
    ::execv(exe, argv.pointers.data());
    const char message[] = "tape hunt: cannot execute the program for a run\n";
    ssize_t ignored = ::write(2, message, sizeof message - 1);
    (void)ignored;
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // as the child does: whichever runs first
  ::close(pipe_fds[1]);
  ::fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK);
  run->pid = pid;
  run->out_fd = pipe_fds[0];
  return Status::Ok();
}

}  // namespace tape::engine
