#include "engine/src/live_libc.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

#include "engine/src/effect_table.h"
#include "engine/src/libc_calls.h"
#include "tape/codec.h"

extern char** environ;

namespace tape::engine {

namespace {

long GlibcSyscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
  long r = ::syscall(nr, a1, a2, a3, a4, a5, a6);
  return r == -1 ? -errno : r;
}

int GlibcGettimeofday(timeval* tv, void* tz) { return ::gettimeofday(tv, tz); }

LibcCalls g_libc = {GlibcSyscall, ::clock_gettime, GlibcGettimeofday, ::time};

template <typename T>
void Put(std::string* out, const T& v) {
  Codec<T>::Encode(v, out);
}
void PutSized(std::string* out, std::string_view v) { Codec<std::string_view>::Encode(v, out); }
void PutErrno(std::string* out, long r) { Put<int32_t>(out, r < 0 ? int32_t(-r) : 0); }

int64_t Ns(int64_t sec, int64_t nsec) { return sec * 1000000000 + nsec; }

std::string_view SmallI64(LiveEnv& env, int64_t v) {
  format::StoreU64(reinterpret_cast<uint8_t*>(env.small), uint64_t(v));
  return {env.small, 8};
}

// The effect's args, split by its layout. The runtime encoded them, so they
// have it; a caller that did not (a damaged trace through chaos) gets zeros.
ParsedPayload ArgsOf(EffectKind kind, Bytes args) {
  ParsedPayload p;
  if (!ParsePayload(FindEffect(uint8_t(kind))->args, args, &p).empty()) p = ParsedPayload{};
  return p;
}
int32_t I32(const ParsedPayload& p, int i) { return int32_t(uint32_t(p.fields[i].number)); }
uint64_t U64(const ParsedPayload& p, int i) { return p.fields[i].number; }
// A text field as a NUL-terminated string for a system call.
std::string Text(const ParsedPayload& p, int i) { return std::string(format::AsChars(p.fields[i].bytes)); }

// Appends errno and, on success, `n` bytes of `buf`: an errno+data field.
std::string_view ErrnoData(std::string* result, long r, const char* buf) {
  result->clear();
  PutErrno(result, r);
  if (r > 0) result->append(buf, size_t(r));
  return *result;
}

// Reads all of `fd` from offset 0, at most `limit` + 1 bytes. False when a
// read fails.
bool ReadWhole(int fd, uint64_t limit, std::string* out) {
  out->clear();
  for (;;) {
    size_t want = out->size() < (64u << 10) ? (64u << 10) : out->size();
    want = std::min<uint64_t>(want, limit + 1 - out->size());
    if (want == 0) return true;
    size_t old = out->size();
    out->resize(old + want);
    long n = SysCall(SYS_pread64, fd, long(out->data() + old), long(want), long(old));
    if (n == -EINTR) {
      out->resize(old);
      continue;
    }
    if (n < 0) return false;
    out->resize(old + size_t(n));
    if (n == 0) return true;
  }
}

}  // namespace

const LibcCalls& Libc() { return g_libc; }
void SetLibcCalls(const LibcCalls& calls) { g_libc = calls; }

int InterposerFdBase() {
  rlimit lim{};
  long soft = 1024;
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
    soft = long(lim.rlim_cur);
  }
  return int(std::clamp<long>(soft - 64, 16, 960));
}

std::vector<int> OpenFdsBelow(int limit) {
  std::vector<int> numbers;
  long dir = SysCall(SYS_openat, AT_FDCWD, long("/proc/self/fd"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return numbers;
  char buf[4096];
  long got;
  while ((got = SysCall(SYS_getdents64, dir, long(buf), long(sizeof buf))) > 0) {
    for (long at = 0; at < got;) {
      uint16_t reclen;  // struct linux_dirent64: d_reclen at 16, d_name at 19
      std::memcpy(&reclen, buf + at + 16, 2);
      const char* name = buf + at + 19;
      int fd = 0;
      auto [end, ec] = std::from_chars(name, name + std::strlen(name), fd);
      if (ec == std::errc() && *end == '\0' && fd != dir && fd < limit) numbers.push_back(fd);
      at += reclen;
    }
  }
  SysCall(SYS_close, dir);
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

// --- live implementations ----------------------------------------------------------

std::string_view LiveLibcStart(LiveEnv& env, Bytes, std::string* result) {
  result->clear();
  Put(result, env.args ? *env.args : std::vector<std::string>{});
  std::vector<std::string_view> vars;
  for (char** e = environ; e && *e; ++e) vars.emplace_back(*e);
  Put(result, vars);
  std::string cwd(4096, '\0');
  long n = SysCall(SYS_getcwd, long(cwd.data()), long(cwd.size()));
  PutSized(result, n > 0 ? std::string_view(cwd.data(), size_t(n - 1)) : std::string_view());
  // The descriptors open now, below the interposer's own.
  std::vector<std::string> fds;
  for (int fd : OpenFdsBelow(InterposerFdBase())) fds.push_back(std::to_string(fd));
  Put(result, fds);
  return *result;
}

std::string_view LiveLibcClockGettime(LiveEnv& env, Bytes args, std::string*) {
  timespec ts;
  int rc = Libc().clock_gettime(clockid_t(format::LoadU32(args.data())), &ts);
  return SmallI64(env, rc == 0 ? Ns(ts.tv_sec, ts.tv_nsec) : kClockFailed);
}

std::string_view LiveLibcGettimeofday(LiveEnv& env, Bytes, std::string*) {
  timeval tv{};
  Libc().gettimeofday(&tv, nullptr);
  return SmallI64(env, Ns(tv.tv_sec, int64_t(tv.tv_usec) * 1000));
}

std::string_view LiveLibcTime(LiveEnv& env, Bytes, std::string*) {
  return SmallI64(env, Ns(Libc().time(nullptr), 0));
}

std::string_view LiveLibcGetrandom(LiveEnv&, Bytes args, std::string* result) {
  ParsedPayload a = ArgsOf(EffectKind::kLibcGetrandom, args);
  std::string buf(std::min<uint64_t>(U64(a, 0), kMaxLibcReadBytes), '\0');
  long r = SysCall(SYS_getrandom, long(buf.data()), long(buf.size()), long(U64(a, 1)));
  return ErrnoData(result, r, buf.data());
}

std::string_view LiveLibcOpen(LiveEnv&, Bytes args, std::string* result) {
  ParsedPayload a = ArgsOf(EffectKind::kLibcOpen, args);
  int flags = I32(a, 1);
  std::string path = Text(a, 3);
  long fd = SysCall(SYS_openat, I32(a, 0), long(path.c_str()), flags, long(U64(a, 2)));
  result->clear();
  PutErrno(result, fd);
  Put<int32_t>(result, fd < 0 ? -1 : int32_t(fd));
  // A regular file opened only to be read is served: its bytes are in the
  // result, and the program reads a copy of them (§13.7).
  struct stat st;
  std::string data;
  bool served = fd >= 0 && (flags & O_ACCMODE) == O_RDONLY && !(flags & (O_PATH | O_DIRECTORY)) &&
                SysCall(SYS_fstat, fd, long(&st)) == 0 && S_ISREG(st.st_mode) &&
                uint64_t(st.st_size) <= kMaxServedFileBytes &&
                ReadWhole(int(fd), kMaxServedFileBytes, &data) && data.size() <= kMaxServedFileBytes;
  result->push_back(served ? 1 : 0);
  if (!served) {
    PutSized(result, {});
    return *result;
  }
  // The size the program sees is that of the bytes served (a file that grew
  // between fstat and the read); files that report 0 (procfs) keep it.
  if (st.st_size != 0) st.st_size = off_t(data.size());
  PutSized(result, {reinterpret_cast<const char*>(&st), sizeof st});
  result->append(data);
  return *result;
}

std::string_view LiveLibcRead(LiveEnv&, Bytes args, std::string* result) {
  ParsedPayload a = ArgsOf(EffectKind::kLibcRead, args);
  std::string buf(std::min<uint64_t>(U64(a, 1), kMaxLibcReadBytes), '\0');
  long r = SysCall(SYS_read, I32(a, 0), long(buf.data()), long(buf.size()));
  return ErrnoData(result, r, buf.data());
}

std::string_view LiveLibcPread(LiveEnv&, Bytes args, std::string* result) {
  ParsedPayload a = ArgsOf(EffectKind::kLibcPread, args);
  std::string buf(std::min<uint64_t>(U64(a, 1), kMaxLibcReadBytes), '\0');
  long r = SysCall(SYS_pread64, I32(a, 0), long(buf.data()), long(buf.size()), long(U64(a, 2)));
  return ErrnoData(result, r, buf.data());
}

std::string_view LiveLibcWrite(LiveEnv&, Bytes args, std::string* result) {
  ParsedPayload a = ArgsOf(EffectKind::kLibcWrite, args);
  Bytes data = a.fields[1].bytes;
  long r = SysCall(SYS_write, I32(a, 0), long(data.data()), long(data.size()));
  result->clear();
  PutErrno(result, r);
  Put<uint64_t>(result, r < 0 ? 0 : uint64_t(r));
  return *result;
}

std::string_view LiveLibcPwrite(LiveEnv&, Bytes args, std::string* result) {
  ParsedPayload a = ArgsOf(EffectKind::kLibcPwrite, args);
  Bytes data = a.fields[2].bytes;
  long r = SysCall(SYS_pwrite64, I32(a, 0), long(data.data()), long(data.size()), long(U64(a, 1)));
  result->clear();
  PutErrno(result, r);
  Put<uint64_t>(result, r < 0 ? 0 : uint64_t(r));
  return *result;
}

std::string_view LiveLibcStat(LiveEnv&, Bytes args, std::string* result) {
  ParsedPayload a = ArgsOf(EffectKind::kLibcStat, args);
  std::string path = Text(a, 2);
  struct stat st;
  long r = SysCall(SYS_newfstatat, I32(a, 0), long(path.c_str()), long(&st), I32(a, 1));
  return ErrnoData(result, r == 0 ? long(sizeof st) : r, reinterpret_cast<const char*>(&st));
}

std::string_view LiveLibcStatx(LiveEnv&, Bytes args, std::string* result) {
  ParsedPayload a = ArgsOf(EffectKind::kLibcStatx, args);
  std::string path = Text(a, 3);
  struct statx stx;
  std::memset(&stx, 0, sizeof stx);
  long r = SysCall(SYS_statx, I32(a, 0), long(path.c_str()), I32(a, 1), long(U64(a, 2)), long(&stx));
  return ErrnoData(result, r == 0 ? long(sizeof stx) : r, reinterpret_cast<const char*>(&stx));
}

std::string_view LiveLibcGetdents(LiveEnv&, Bytes args, std::string* result) {
  ParsedPayload a = ArgsOf(EffectKind::kLibcGetdents, args);
  std::string buf(std::min<uint64_t>(U64(a, 1), kMaxCallBufferBytes), '\0');
  long r = SysCall(SYS_getdents64, I32(a, 0), long(buf.data()), long(buf.size()));
  return ErrnoData(result, r, buf.data());
}

std::string_view LiveLibcReadlink(LiveEnv&, Bytes args, std::string* result) {
  ParsedPayload a = ArgsOf(EffectKind::kLibcReadlink, args);
  std::string path = Text(a, 2);
  std::string buf(std::min<uint64_t>(U64(a, 1), kMaxCallBufferBytes), '\0');
  long r = SysCall(SYS_readlinkat, I32(a, 0), long(path.c_str()), long(buf.data()), long(buf.size()));
  return ErrnoData(result, r, buf.data());
}

std::string_view LiveLibcAccess(LiveEnv&, Bytes args, std::string* result) {
  ParsedPayload a = ArgsOf(EffectKind::kLibcAccess, args);
  std::string path = Text(a, 3);
  long r = SysCall(SYS_faccessat2, I32(a, 0), long(path.c_str()), I32(a, 1), I32(a, 2));
  if (r == -ENOSYS && I32(a, 2) == 0) {
    r = SysCall(SYS_faccessat, I32(a, 0), long(path.c_str()), I32(a, 1));
  }
  result->clear();
  PutErrno(result, r);
  return *result;
}

std::string_view LiveLibcUname(LiveEnv&, Bytes, std::string* result) {
  utsname u;
  std::memset(&u, 0, sizeof u);
  long r = SysCall(SYS_uname, long(&u));
  result->clear();
  PutErrno(result, r);
  std::vector<std::string_view> fields;
  if (r == 0) {
    for (const char* f : {u.sysname, u.nodename, u.release, u.version, u.machine, u.domainname}) {
      fields.emplace_back(f, strnlen(f, sizeof u.sysname));
    }
  }
  Put(result, fields);
  return *result;
}

std::string_view LiveLibcGetpid(LiveEnv& env, Bytes, std::string*) {
  format::StoreU32(reinterpret_cast<uint8_t*>(env.small), uint32_t(SysCall(SYS_getpid)));
  return {env.small, 4};
}

std::string_view LiveLibcGetppid(LiveEnv& env, Bytes, std::string*) {
  format::StoreU32(reinterpret_cast<uint8_t*>(env.small), uint32_t(SysCall(SYS_getppid)));
  return {env.small, 4};
}

std::string_view LiveLibcSleep(LiveEnv&, Bytes args, std::string* result) {
  ParsedPayload a = ArgsOf(EffectKind::kLibcSleep, args);
  uint64_t ns = U64(a, 2);
  timespec req{time_t(ns / 1000000000), long(ns % 1000000000)};
  timespec rem{};
  long r = SysCall(SYS_clock_nanosleep, I32(a, 0), I32(a, 1), long(&req), long(&rem));
  result->clear();
  PutErrno(result, r);
  Put<uint64_t>(result, r == -EINTR ? uint64_t(Ns(rem.tv_sec, rem.tv_nsec)) : 0);
  return *result;
}

}  // namespace tape::engine
