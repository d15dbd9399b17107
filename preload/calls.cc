#include "preload/calls.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/openat2.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include "engine/effects/libc_calls.h"
#include "preload/raw_syscall.h"
#include "preload/served.h"
#include "preload/session.h"

namespace tape::preload {

namespace {

using Kind = FdInfo::Kind;

constexpr long kMaxIov = 1024;  // IOV_MAX

const char kThreadsHint[] =
    "tape records programs that run one process with one thread (see README, \"Recording any "
    "program\")";

struct statx StatToStatx(const struct stat& st) {
  struct statx x;
  std::memset(&x, 0, sizeof x);
  x.stx_mask = STATX_BASIC_STATS;
  x.stx_blksize = uint32_t(st.st_blksize);
  x.stx_nlink = uint32_t(st.st_nlink);
  x.stx_uid = st.st_uid;
  x.stx_gid = st.st_gid;
  x.stx_mode = uint16_t(st.st_mode);
  x.stx_ino = st.st_ino;
  x.stx_size = uint64_t(st.st_size);
  x.stx_blocks = uint64_t(st.st_blocks);
  x.stx_atime = {st.st_atim.tv_sec, uint32_t(st.st_atim.tv_nsec), 0};
  x.stx_mtime = {st.st_mtim.tv_sec, uint32_t(st.st_mtim.tv_nsec), 0};
  x.stx_ctime = {st.st_ctim.tv_sec, uint32_t(st.st_ctim.tv_nsec), 0};
  x.stx_rdev_major = major(st.st_rdev);
  x.stx_rdev_minor = minor(st.st_rdev);
  x.stx_dev_major = major(st.st_dev);
  x.stx_dev_minor = minor(st.st_dev);
  return x;
}

// One trapped system call of the program's.
class Call {
 public:
  Call(Session& s, long nr, const long a[6], const ucontext_t* uc)
      : s_(s), nr_(nr), a_(a), uc_(uc) {}
  long Run();

 private:
  const Site& site() {
    if (!have_site_) {
      site_ = s_.callers().OfTrap(uc_);
      have_site_ = true;
    }
    return site_;
  }
  const FdInfo& Fd(long fd) { return s_.fds().Get(fd); }
  // One of tape's descriptors: below the program's sight.
  bool IsTape(long fd) {
    const FdInfo& f = Fd(fd);
    return f.kind == Kind::kTape || (fd >= s_.fd_base() && f.kind == Kind::kUnknown);
  }
  bool Recorded(long fd) { return Fd(fd).kind == Kind::kRecorded; }
  long Kernel() { return Raw(nr_, a_[0], a_[1], a_[2], a_[3], a_[4], a_[5]); }
  // Argument `i` of a call that takes an int there: the kernel reads the
  // register's lower half, and the upper one may hold anything.
  long I(int i) const { return int(a_[i]); }
  unsigned long U(int i) const { return unsigned(a_[i]); }
  template <typename T>
  T* Ptr(int i) {
    return reinterpret_cast<T*>(a_[i]);
  }
  [[noreturn]] void Refuse(const std::string& what, const std::string& hint) {
    s_.Refuse(site(), what, hint);
  }
  long Generic(const engine::CallShape& shape) { return s_.effects().Call(site(), shape, a_); }
  long Generic() { return Generic(*engine::FindCallShape(nr_)); }

  long Read(long fd, char* buf, uint64_t count, int64_t offset);
  long ReadV(long fd, const iovec* iov, long count, int64_t offset);
  long Write(long fd, const char* buf, uint64_t count, int64_t offset);
  long WriteV(long fd, const iovec* iov, long count, int64_t offset);
  long Open(long dirfd, const char* path, long flags, long mode);
  long Close(long fd);
  long CloseRange(unsigned long first, unsigned long last, unsigned flags);
  long Dup(long from, long to);
  long Fcntl();
  long Ioctl();
  long FdCall();
  long FStat(long fd, void* buf);
  long FStatx(long fd, long flags, long mask, void* buf);
  long Stat(long dirfd, const char* path, void* buf, long flags);
  long Statx(long dirfd, const char* path, long flags, long mask, void* buf);
  long Getdents(long fd, char* buf, uint64_t count);
  long Access(long dirfd, const char* path, long mode, long flags);
  long Readlink(long dirfd, const char* path, char* buf, long size);
  long Uname(utsname* buf);
  long Getrandom(char* buf, uint64_t n, long flags);
  long Sleep(long clock, long flags, const timespec* req, timespec* rem);
  long Mmap();
  long SigprocMask();
  long NewFds();
  long Connect();

  Session& s_;
  long nr_;
  const long* a_;
  const ucontext_t* uc_;
  Site site_;
  bool have_site_ = false;
};

long Call::Read(long fd, char* buf, uint64_t count, int64_t offset) {
  if (IsTape(fd)) return -EBADF;
  if (!Recorded(fd)) return Kernel();
  ErrnoBytes r = offset < 0 ? s_.effects().Read(site(), int(fd), count)
                            : s_.effects().Pread(site(), int(fd), count, uint64_t(offset));
  if (r.error != 0) return -r.error;
  std::memcpy(buf, r.data.data(), r.data.size());
  return long(r.data.size());
}

long Call::ReadV(long fd, const iovec* iov, long count, int64_t offset) {
  if (IsTape(fd)) return -EBADF;
  if (!Recorded(fd) || count < 0 || count > kMaxIov) return Kernel();
  uint64_t total = 0;
  for (long i = 0; i < count; ++i) total += iov[i].iov_len;
  ErrnoBytes r = offset < 0 ? s_.effects().Read(site(), int(fd), total)
                            : s_.effects().Pread(site(), int(fd), total, uint64_t(offset));
  if (r.error != 0) return -r.error;
  size_t done = 0;
  for (long i = 0; i < count && done < r.data.size(); ++i) {
    size_t n = std::min(iov[i].iov_len, r.data.size() - done);
    std::memcpy(iov[i].iov_base, r.data.data() + done, n);
    done += n;
  }
  return long(r.data.size());
}

long Call::Write(long fd, const char* buf, uint64_t count, int64_t offset) {
  if (IsTape(fd)) return -EBADF;
  if (!Recorded(fd)) return Kernel();
  std::string_view data(buf, count);
  uint8_t stream = Fd(fd).stream;
  if (offset < 0 && stream != 0) {
    // stdout and stderr: io.write and io.error, written whole.
    int err = s_.effects().StreamWrite(site(), stream, data);
    return err != 0 ? -err : long(count);
  }
  WriteResult r = offset < 0 ? s_.effects().Write(site(), int(fd), data)
                             : s_.effects().Pwrite(site(), int(fd), uint64_t(offset), data);
  return r.error != 0 ? -r.error : long(r.count);
}

long Call::WriteV(long fd, const iovec* iov, long count, int64_t offset) {
  if (IsTape(fd)) return -EBADF;
  if (!Recorded(fd) || count < 0 || count > kMaxIov) return Kernel();
  std::string data;
  for (long i = 0; i < count; ++i) data.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
  return Write(fd, data.data(), data.size(), offset);
}

long Call::Open(long dirfd, const char* path, long flags, long mode) {
  if (path == nullptr) return Kernel();
  if (path[0] != '/' && IsTape(dirfd)) return -EBADF;
  OpenResult r = s_.effects().Open(site(), int(dirfd), uint32_t(flags), uint32_t(mode), path);
  if (r.error != 0) return -r.error;
  bool cloexec = (flags & O_CLOEXEC) != 0;
  FdInfo info;
  long placed = 0;
  if (r.served) {
    placed = InstallServedFile(r.fd, r.data, cloexec, path, s_.fd_base());
    auto served = std::make_shared<ServedFile>();
    served->path = path;
    std::memcpy(&served->st, r.stat.data(), sizeof served->st);
    info = {Kind::kServed, 0, std::move(served)};
  } else {
    // Recording: the program keeps the real descriptor; replaying, a
    // placeholder takes its number.
    if (!s_.recording()) placed = InstallPlaceholder(r.fd, cloexec, path, s_.fd_base());
    info.kind = Kind::kRecorded;
  }
  if (placed < 0) {
    throw std::runtime_error(std::string("cannot give the program descriptor ") +
                             std::to_string(r.fd) + " for " + path + ": " + std::strerror(int(-placed)));
  }
  s_.fds().Set(r.fd, std::move(info));
  return r.fd;
}

long Call::Close(long fd) {
  if (IsTape(fd)) return -EBADF;
  long r = Kernel();
  s_.fds().Forget(fd);
  return r;
}

long Call::CloseRange(unsigned long first, unsigned long last, unsigned flags) {
  if (first > last) return -EINVAL;
  unsigned long end = std::min<unsigned long>(
      last, std::max<unsigned long>(s_.fds().size(), static_cast<unsigned long>(s_.fd_base())));
  for (unsigned long fd = first; fd <= end; ++fd) {
    if (IsTape(long(fd))) continue;
    if (flags & CLOSE_RANGE_CLOEXEC) {
      Raw(SYS_fcntl, long(fd), F_SETFD, FD_CLOEXEC);
    } else {
      Raw(SYS_close, long(fd));
      s_.fds().Forget(long(fd));
    }
  }
  return 0;
}

long Call::Dup(long from, long to) {
  if (IsTape(from)) return -EBADF;
  if (to >= 0 && IsTape(to)) {
    Refuse("moves descriptor " + std::to_string(from) + " onto " + std::to_string(to) +
               ", one of tape's own",
           "tape keeps its descriptors from " + std::to_string(s_.fd_base()) +
               " up; raise the limit on open files (ulimit -n) so that they are out of the "
               "program's way");
  }
  long r = Kernel();
  if (r >= 0 && r != from) s_.fds().Copy(from, r);
  return r;
}

long Call::Fcntl() {
  long fd = I(0), cmd = I(1);
  if (IsTape(fd)) return -EBADF;
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: return Dup(fd, -1);
    case F_GETFD:
    case F_SETFD: return Kernel();
    default: return Recorded(fd) ? Generic() : Kernel();
  }
}

long Call::Ioctl() {
  long fd = I(0);
  unsigned long request = U(1);
  if (IsTape(fd)) return -EBADF;
  if (request == FIOCLEX || request == FIONCLEX || !Recorded(fd)) return Kernel();
  if (!engine::IoctlKnown(request)) {
    char what[96];
    std::snprintf(what, sizeof what, "makes ioctl request 0x%lx on descriptor %ld", request, fd);
    Refuse(what,
           "tape records the terminal requests (TCGETS, TIOCGWINSZ, ...) and those that encode "
           "the size of their argument; it cannot tell what this one does with memory");
  }
  return Generic();
}

// A call whose first argument is a descriptor (lseek, fsync, ...): the
// kernel answers for a served file or the program's own, the trace for a
// recorded one.
long Call::FdCall() {
  if (IsTape(I(0))) return -EBADF;
  return Recorded(I(0)) ? Generic() : Kernel();
}

long Call::FStat(long fd, void* buf) {
  if (IsTape(fd)) return -EBADF;
  const FdInfo& f = Fd(fd);
  if (f.kind == Kind::kServed) {
    std::memcpy(buf, &f.served->st, sizeof(struct stat));
    return 0;
  }
  if (f.kind != Kind::kRecorded) return Kernel();
  ErrnoBytes r = s_.effects().Stat(site(), int(fd), AT_EMPTY_PATH, "");
  if (r.error != 0) return -r.error;
  std::memcpy(buf, r.data.data(), r.data.size());
  return 0;
}

long Call::FStatx(long fd, long flags, long mask, void* buf) {
  if (IsTape(fd)) return -EBADF;
  const FdInfo& f = Fd(fd);
  if (f.kind == Kind::kServed) {
    struct statx x = StatToStatx(f.served->st);
    std::memcpy(buf, &x, sizeof x);
    return 0;
  }
  if (f.kind != Kind::kRecorded) return Kernel();
  return Statx(fd, "", flags, mask, buf);
}

long Call::Stat(long dirfd, const char* path, void* buf, long flags) {
  if (path == nullptr) return Kernel();
  ErrnoBytes r = s_.effects().Stat(site(), int(dirfd), uint32_t(flags), path);
  if (r.error != 0) return -r.error;
  std::memcpy(buf, r.data.data(), r.data.size());
  return 0;
}

long Call::Statx(long dirfd, const char* path, long flags, long mask, void* buf) {
  if (path == nullptr) return Kernel();
  ErrnoBytes r = s_.effects().Statx(site(), int(dirfd), uint32_t(flags), uint32_t(mask), path);
  if (r.error != 0) return -r.error;
  std::memcpy(buf, r.data.data(), r.data.size());
  return 0;
}

long Call::Getdents(long fd, char* buf, uint64_t count) {
  if (IsTape(fd)) return -EBADF;
  if (!Recorded(fd)) return Kernel();
  uint32_t asked = uint32_t(std::min<uint64_t>(count, engine::kMaxCallBufferBytes));
  ErrnoBytes r = s_.effects().Getdents(site(), int(fd), asked);
  if (r.error != 0) return -r.error;
  std::memcpy(buf, r.data.data(), r.data.size());
  return long(r.data.size());
}

long Call::Access(long dirfd, const char* path, long mode, long flags) {
  if (path == nullptr) return Kernel();
  int err = s_.effects().Access(site(), int(dirfd), uint32_t(mode), uint32_t(flags), path);
  return err != 0 ? -err : 0;
}

long Call::Readlink(long dirfd, const char* path, char* buf, long size) {
  if (path == nullptr || size <= 0) return Kernel();
  uint64_t asked = std::min<uint64_t>(uint64_t(size), engine::kMaxCallBufferBytes);
  ErrnoBytes r = s_.effects().Readlink(site(), int(dirfd), asked, path);
  if (r.error != 0) return -r.error;
  std::memcpy(buf, r.data.data(), r.data.size());
  return long(r.data.size());
}

long Call::Uname(utsname* buf) {
  if (buf == nullptr) return Kernel();
  std::vector<std::string> fields;
  int err = s_.effects().Uname(site(), &fields);
  if (err != 0) return -err;
  std::memset(buf, 0, sizeof *buf);
  char* slots[] = {buf->sysname, buf->nodename, buf->release, buf->version, buf->machine,
                   buf->domainname};
  for (size_t i = 0; i < 6 && i < fields.size(); ++i) {
    std::memcpy(slots[i], fields[i].data(), std::min(fields[i].size(), sizeof buf->sysname - 1));
  }
  return 0;
}

long Call::Getrandom(char* buf, uint64_t n, long flags) {
  uint32_t asked = uint32_t(std::min<uint64_t>(n, engine::kMaxLibcReadBytes));
  ErrnoBytes r = s_.effects().Getrandom(site(), asked, uint32_t(flags));
  if (r.error != 0) return -r.error;
  std::memcpy(buf, r.data.data(), r.data.size());
  return long(r.data.size());
}

long Call::Sleep(long clock, long flags, const timespec* req, timespec* rem) {
  if (req == nullptr || req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= 1000000000) {
    return Kernel();
  }
  uint64_t ns = uint64_t(req->tv_sec) * 1000000000 + uint64_t(req->tv_nsec);
  WriteResult r = s_.effects().Sleep(site(), uint32_t(clock), uint32_t(flags), ns);
  if (r.error == EINTR && rem != nullptr && !(flags & TIMER_ABSTIME)) {
    rem->tv_sec = time_t(r.count / 1000000000);
    rem->tv_nsec = long(r.count % 1000000000);
  }
  return r.error != 0 ? -r.error : 0;
}

long Call::Mmap() {
  long flags = I(3), fd = I(4);
  if (flags & MAP_ANONYMOUS) return Kernel();
  if (IsTape(fd)) return -EBADF;
  if (!Recorded(fd)) return Kernel();
  Refuse("maps descriptor " + std::to_string(fd) + " into memory",
         "tape serves the files a program opens to read from the trace, and those can be "
         "mapped; this descriptor's reads are recorded call by call instead (a file opened for "
         "writing, larger than 256 MiB, or not a regular file), so what the program would read "
         "from the mapping cannot be replayed");
}

long Call::SigprocMask() {
  // SIGSYS must stay deliverable: it is how tape sees the program's calls.
  const auto* set = Ptr<const sigset_t>(1);
  if (set == nullptr || I(0) == SIG_UNBLOCK || !sigismember(set, SIGSYS)) return Kernel();
  sigset_t without = *set;
  sigdelset(&without, SIGSYS);
  return Raw(nr_, a_[0], long(&without), a_[2], a_[3]);
}

// socket, socketpair, pipe, pipe2, epoll_create: recorded; when replaying,
// placeholders take the recorded numbers.
long Call::NewFds() {
  long r = Generic();
  if (r < 0) return r;
  int fds[2] = {int(r), -1};
  bool cloexec = false;
  switch (nr_) {
    case SYS_socket: cloexec = I(1) & SOCK_CLOEXEC; break;
    case SYS_epoll_create1: cloexec = I(0) & O_CLOEXEC; break;
    case SYS_socketpair:
      std::memcpy(fds, Ptr<int>(3), sizeof fds);
      cloexec = I(1) & SOCK_CLOEXEC;
      break;
    case SYS_pipe:
    case SYS_pipe2:
      std::memcpy(fds, Ptr<int>(0), sizeof fds);
      cloexec = nr_ == SYS_pipe2 && (I(1) & O_CLOEXEC);
      break;
  }
  for (int fd : fds) {
    if (fd < 0) continue;
    if (!s_.recording()) {
      long placed = InstallPlaceholder(fd, cloexec, engine::SyscallName(nr_), s_.fd_base());
      if (placed < 0) {
        throw std::runtime_error("cannot make a placeholder for descriptor " + std::to_string(fd) +
                                 ": " + std::strerror(int(-placed)));
      }
    }
    s_.fds().Set(fd, FdInfo{Kind::kRecorded, 0, nullptr});
  }
  return r;
}

long Call::Connect() {
  long r = Generic();
  if (r == 0) {
    Refuse("connected socket " + std::to_string(I(0)),
           "tape does not record network traffic; a socket that fails to connect (nscd's, when "
           "it is not running) is recorded like any other answer");
  }
  return r;
}

long Call::Run() {
  switch (nr_) {
    case SYS_read: return Read(I(0), Ptr<char>(1), uint64_t(a_[2]), -1);
    case SYS_pread64: return Read(I(0), Ptr<char>(1), uint64_t(a_[2]), a_[3]);
    case SYS_readv: return ReadV(I(0), Ptr<const iovec>(1), I(2), -1);
    case SYS_preadv:
    case SYS_preadv2: return ReadV(I(0), Ptr<const iovec>(1), I(2), a_[3]);
    case SYS_write: return Write(I(0), Ptr<const char>(1), uint64_t(a_[2]), -1);
    case SYS_pwrite64: return Write(I(0), Ptr<const char>(1), uint64_t(a_[2]), a_[3]);
    case SYS_writev: return WriteV(I(0), Ptr<const iovec>(1), I(2), -1);
    case SYS_pwritev:
    case SYS_pwritev2: return WriteV(I(0), Ptr<const iovec>(1), I(2), a_[3]);
    case SYS_open: return Open(AT_FDCWD, Ptr<const char>(0), I(1), I(2));
    case SYS_creat: return Open(AT_FDCWD, Ptr<const char>(0), O_CREAT | O_WRONLY | O_TRUNC, I(1));
    case SYS_openat: return Open(I(0), Ptr<const char>(1), I(2), I(3));
    case SYS_openat2: {
      const auto* how = Ptr<const open_how>(2);
      if (how == nullptr || uint64_t(a_[3]) < sizeof(open_how)) return Kernel();
      if (how->resolve != 0) {
        Refuse("opens a file with openat2's RESOLVE flags",
               "tape records open, openat and openat2 without resolve flags");
      }
      return Open(I(0), Ptr<const char>(1), long(how->flags), long(how->mode));
    }
    case SYS_close: return Close(I(0));
    case SYS_close_range: return CloseRange(U(0), U(1), unsigned(U(2)));
    case SYS_dup: return Dup(I(0), -1);
    case SYS_dup2:
    case SYS_dup3: return Dup(I(0), I(1));
    case SYS_fcntl: return Fcntl();
    case SYS_ioctl: return Ioctl();
    case SYS_lseek:
    case SYS_fadvise64:
    case SYS_flock:
    case SYS_fsync:
    case SYS_fdatasync:
    case SYS_ftruncate:
    case SYS_fchmod:
    case SYS_fchown:
    case SYS_fallocate:
    case SYS_fstatfs:
    case SYS_fgetxattr:
    case SYS_flistxattr:
    case SYS_fchdir:
    case SYS_syncfs: return FdCall();
    case SYS_fstat: return FStat(I(0), Ptr<void>(1));
    case SYS_newfstatat:
      if ((I(3) & AT_EMPTY_PATH) && Ptr<const char>(1) != nullptr && Ptr<const char>(1)[0] == '\0') {
        return FStat(I(0), Ptr<void>(2));
      }
      return Stat(I(0), Ptr<const char>(1), Ptr<void>(2), I(3));
    case SYS_stat: return Stat(AT_FDCWD, Ptr<const char>(0), Ptr<void>(1), 0);
    case SYS_lstat: return Stat(AT_FDCWD, Ptr<const char>(0), Ptr<void>(1), AT_SYMLINK_NOFOLLOW);
    case SYS_statx:
      if ((I(2) & AT_EMPTY_PATH) && Ptr<const char>(1) != nullptr && Ptr<const char>(1)[0] == '\0') {
        return FStatx(I(0), I(2), long(U(3)), Ptr<void>(4));
      }
      return Statx(I(0), Ptr<const char>(1), I(2), long(U(3)), Ptr<void>(4));
    case SYS_getdents64: return Getdents(I(0), Ptr<char>(1), U(2));
    case SYS_access: return Access(AT_FDCWD, Ptr<const char>(0), I(1), 0);
    case SYS_faccessat: return Access(I(0), Ptr<const char>(1), I(2), 0);
    case SYS_faccessat2: return Access(I(0), Ptr<const char>(1), I(2), I(3));
    case SYS_readlink: return Readlink(AT_FDCWD, Ptr<const char>(0), Ptr<char>(1), I(2));
    case SYS_readlinkat: return Readlink(I(0), Ptr<const char>(1), Ptr<char>(2), I(3));
    case SYS_uname: return Uname(Ptr<utsname>(0));
    case SYS_getpid: return long(s_.effects().Getpid(site()));
    case SYS_getppid: return long(s_.effects().Getppid(site()));
    case SYS_getrandom: return Getrandom(Ptr<char>(0), uint64_t(a_[1]), long(U(2)));
    case SYS_nanosleep: return Sleep(CLOCK_MONOTONIC, 0, Ptr<const timespec>(0), Ptr<timespec>(1));
    case SYS_clock_nanosleep:
      return Sleep(I(0), I(1), Ptr<const timespec>(2), Ptr<timespec>(3));
    case SYS_mmap: return Mmap();
    case SYS_rt_sigprocmask: return SigprocMask();
    case SYS_memfd_create: {
      long r = Kernel();
      if (r >= 0) s_.fds().Set(r, FdInfo{Kind::kPrivate, 0, nullptr});
      return r;
    }
    case SYS_socket:
    case SYS_socketpair:
    case SYS_pipe:
    case SYS_pipe2:
    case SYS_epoll_create:
    case SYS_epoll_create1: return NewFds();
    case SYS_connect: return Connect();
    case SYS_exit_group:
    case SYS_exit:  // the program's thread ending: the process ends with it
      s_.Exit(int(I(0)));
    case SYS_execve:
    case SYS_execveat:
      Refuse(std::string("runs another program (") + engine::SyscallName(nr_) + " " +
                 (Ptr<const char>(nr_ == SYS_execve ? 0 : 1) ? Ptr<const char>(nr_ == SYS_execve ? 0 : 1)
                                                             : "") +
                 ")",
             std::string(kThreadsHint) + "; record the program it runs instead");
    case SYS_fork:
    case SYS_vfork:
    case SYS_clone:
      Refuse("starts a child process (" + std::string(engine::SyscallName(nr_)) + ")", kThreadsHint);
    case SYS_rt_sigaction:
      if (Ptr<const void>(1) == nullptr) return Kernel();
      Refuse("installs a handler for SIGSYS",
             "tape handles SIGSYS itself: it is how the program's system calls reach it");
    case SYS_prctl:
    case SYS_seccomp:
      Refuse("installs a seccomp filter of its own",
             "tape's own filter is how the program's system calls reach it");
    case SYS_getdents:
      Refuse("lists a directory with the old getdents call", "tape records getdents64 (readdir)");
    default:
      break;
  }
  if (const engine::CallShape* shape = engine::FindCallShape(nr_)) return Generic(*shape);
  const char* name = engine::SyscallName(nr_);
  Refuse(std::string("makes the system call ") + (name[0] ? name : "?") + " (number " +
             std::to_string(nr_) + ")",
         "tape does not record it; README, \"Recording any program\", lists the calls it does");
}

}  // namespace

long Dispatch(Session& session, long nr, const long args[6], const ucontext_t* uc) {
  return Call(session, nr, args, uc).Run();
}

}  // namespace tape::preload
