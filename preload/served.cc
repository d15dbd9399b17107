#include "preload/served.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <cstdio>
#include <string>

#include "preload/raw_syscall.h"

namespace tape::preload {

namespace {

// A new memory file, at a descriptor in tape's range (so it cannot be the
// program's `fd`).
long NewMemoryFile(std::string_view path, int fd_base) {
  size_t slash = path.rfind('/');
  std::string name = "tape:" + std::string(path.substr(slash == std::string_view::npos ? 0 : slash + 1))
                                   .substr(0, 200);
  long m = Raw(SYS_memfd_create, long(name.c_str()), MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (m < 0) return m;
  long high = Raw(SYS_fcntl, m, F_DUPFD_CLOEXEC, fd_base);
  Raw(SYS_close, m);
  return high;
}

long Place(long from, int fd, bool cloexec) {
  long r = Raw(SYS_dup3, from, fd, cloexec ? O_CLOEXEC : 0);
  return r < 0 ? r : 0;
}

}  // namespace

long InstallServedFile(int fd, std::string_view data, bool cloexec, std::string_view path,
                       int fd_base) {
  long m = NewMemoryFile(path, fd_base);
  if (m < 0) return m;
  for (size_t done = 0; done < data.size();) {
    long n = Raw(SYS_pwrite64, m, long(data.data() + done), long(data.size() - done), long(done));
    if (n == -EINTR) continue;
    if (n <= 0) {
      Raw(SYS_close, m);
      return n < 0 ? n : -EIO;
    }
    done += size_t(n);
  }
  Raw(SYS_fcntl, m, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  // A read-only description of it, as the program opened the file: writes
  // fail with EBADF and F_GETFL says O_RDONLY.
  char proc[64];
  std::snprintf(proc, sizeof proc, "/proc/self/fd/%ld", m);
  long ro = Raw(SYS_openat, AT_FDCWD, long(proc), O_RDONLY | O_CLOEXEC);
  long high = ro >= 0 ? Raw(SYS_fcntl, ro, F_DUPFD_CLOEXEC, fd_base) : -1;
  if (ro >= 0) Raw(SYS_close, ro);
  long r = Place(high >= 0 ? high : m, fd, cloexec);
  if (high >= 0) Raw(SYS_close, high);
  Raw(SYS_close, m);
  return r;
}

long InstallPlaceholder(int fd, bool cloexec, std::string_view path, int fd_base) {
  long m = NewMemoryFile(path, fd_base);
  if (m < 0) return m;
  long r = Place(m, fd, cloexec);
  Raw(SYS_close, m);
  return r;
}

}  // namespace tape::preload
