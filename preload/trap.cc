#include "preload/trap.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include <cerrno>
#include <cstring>

#include "preload/calls.h"
#include "preload/guard.h"
#include "preload/raw_syscall.h"
#include "preload/session.h"

namespace tape::preload {

namespace {

int g_fd_base = 960;  // set before the filter exists, read-only after

// Moves a new descriptor of tape's into tape's range.
long Relocate(long fd, int fd_base) {
  if (fd < 0 || fd >= fd_base) return fd;
  long high = Raw(SYS_fcntl, fd, F_DUPFD_CLOEXEC, fd_base);
  if (high < 0) return fd;
  Raw(SYS_close, fd);
  return high;
}

bool CreatesFd(long nr, const long a[6]) {
  switch (nr) {
    case SYS_open:
    case SYS_openat:
    case SYS_openat2:
    case SYS_creat:
    case SYS_dup:
    case SYS_socket:
    case SYS_memfd_create:
    case SYS_eventfd2:
    case SYS_epoll_create1:
    case SYS_timerfd_create:
    case SYS_signalfd4:
    case SYS_inotify_init1:
    case SYS_accept4:
      return true;
    case SYS_fcntl:
      return a[1] == F_DUPFD || a[1] == F_DUPFD_CLOEXEC;
    default:
      return false;
  }
}

void OnSigsys(int, siginfo_t* info, void* context) {
  auto* uc = static_cast<ucontext_t*>(context);
  greg_t* regs = uc->uc_mcontext.gregs;
  long nr = info->si_syscall;
  const long args[6] = {long(regs[REG_RDI]), long(regs[REG_RSI]), long(regs[REG_RDX]),
                        long(regs[REG_R10]), long(regs[REG_R8]),  long(regs[REG_R9])};
  int saved_errno = errno;
  Session* session = Session::Current();
  long result;
  if (t_in_tape || session == nullptr) {
    result = PassThrough(nr, args);
  } else {
    InTape in_tape;
    try {
      result = Dispatch(*session, nr, args, uc);
    } catch (...) {
      session->Fail();
    }
  }
  regs[REG_RAX] = greg_t(result);
  errno = saved_errno;
}

}  // namespace

void SetTapeFdBase(int fd_base) { g_fd_base = fd_base; }

long PassThrough(long nr, const long a[6]) {
  long r = Raw(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  if (r >= 0 && CreatesFd(nr, a)) return Relocate(r, g_fd_base);
  if (r == 0 && (nr == SYS_pipe || nr == SYS_pipe2 || nr == SYS_socketpair)) {
    int* fds = reinterpret_cast<int*>(nr == SYS_socketpair ? a[3] : a[0]);
    for (int i = 0; i < 2; ++i) fds[i] = int(Relocate(fds[i], g_fd_base));
  }
  return r;
}

int InstallTrapHandler() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = OnSigsys;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  // The program's asynchronous signals wait while tape handles a call;
  // faults stay deliverable (a blocked fault would kill the process
  // without a word).
  sigfillset(&sa.sa_mask);
  for (int sig : {SIGSYS, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT}) {
    sigdelset(&sa.sa_mask, sig);
  }
  return sigaction(SIGSYS, &sa, nullptr) == 0 ? 0 : errno;
}

}  // namespace tape::preload
