// libc.syscall and libc.change: the system calls of a program not written
// for tape that are recorded through these two generic kinds
// (specs/trace-format.md §13.8). The shape of each one's arguments, how the
// interposer carries a trapped call into the effect's args and its result
// back into the program's memory, and how the live implementation performs
// one from its args.

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <cstring>
#include <vector>

#include "engine/effects/libc_calls.h"
#include "engine/effects/registry.h"

namespace tape::engine {

namespace {

constexpr CallArg V{ArgUse::kValue};
constexpr CallArg L{ArgUse::kLong};
constexpr CallArg P{ArgUse::kPath};
constexpr CallArg X{ArgUse::kIgnored};
// An argument whose use depends on an earlier one (ioctl's request, fcntl's
// command, select's count): see UseOf.
constexpr CallArg D{ArgUse::kValue, 0, kDynamicArg};
constexpr CallArg Out(uint16_t size) { return {ArgUse::kOut, size, -1, 1}; }
constexpr CallArg OutN(int8_t arg, uint8_t unit = 1) { return {ArgUse::kOut, 0, arg, unit}; }
constexpr CallArg In(uint16_t size) { return {ArgUse::kIn, size, -1, 1}; }
constexpr CallArg InN(int8_t arg, uint8_t unit = 1) { return {ArgUse::kIn, 0, arg, unit}; }
constexpr CallArg InOutN(int8_t arg, uint8_t unit = 1) { return {ArgUse::kInOut, 0, arg, unit}; }
// A buffer whose size is the int another argument points to.
constexpr CallArg OutAt(int8_t arg) { return {ArgUse::kOut, 0, arg, 0}; }

constexpr uint16_t kStatfsBytes = 120, kSysinfoBytes = 112, kRlimitBytes = 16,
                   kTimespecBytes = 16, kTimevalBytes = 16, kTmsBytes = 32, kRusageBytes = 144,
                   kFlockBytes = 32, kPollfdBytes = 8, kUtimbufBytes = 16, kEpollEventBytes = 12;

// Calls whose answers are recorded (libc.syscall), then calls that change
// the world outside the process (libc.change). Sorted by nothing: FindCallShape
// indexes them.
const CallShape kShapes[] = {
    {"lseek", SYS_lseek, 3, {V, L, V}},
    {"fcntl", SYS_fcntl, 3, {V, V, D}},
    {"ioctl", SYS_ioctl, 3, {V, V, D}},
    {"getcwd", SYS_getcwd, 2, {OutN(1), L}, false, true},
    {"chdir", SYS_chdir, 1, {P}},
    {"fchdir", SYS_fchdir, 1, {V}},
    {"statfs", SYS_statfs, 2, {P, Out(kStatfsBytes)}},
    {"fstatfs", SYS_fstatfs, 2, {V, Out(kStatfsBytes)}},
    {"getxattr", SYS_getxattr, 4, {P, P, OutN(3), L}, false, true},
    {"lgetxattr", SYS_lgetxattr, 4, {P, P, OutN(3), L}, false, true},
    {"fgetxattr", SYS_fgetxattr, 4, {V, P, OutN(3), L}, false, true},
    {"listxattr", SYS_listxattr, 3, {P, OutN(2), L}, false, true},
    {"llistxattr", SYS_llistxattr, 3, {P, OutN(2), L}, false, true},
    {"flistxattr", SYS_flistxattr, 3, {V, OutN(2), L}, false, true},
    {"sysinfo", SYS_sysinfo, 1, {Out(kSysinfoBytes)}},
    {"gettid", SYS_gettid, 0, {}},
    {"getuid", SYS_getuid, 0, {}},
    {"geteuid", SYS_geteuid, 0, {}},
    {"getgid", SYS_getgid, 0, {}},
    {"getegid", SYS_getegid, 0, {}},
    {"getpgrp", SYS_getpgrp, 0, {}},
    {"getpgid", SYS_getpgid, 1, {V}},
    {"getsid", SYS_getsid, 1, {V}},
    {"getgroups", SYS_getgroups, 2, {V, OutN(0, 4)}, false, true},
    {"getresuid", SYS_getresuid, 3, {Out(4), Out(4), Out(4)}},
    {"getresgid", SYS_getresgid, 3, {Out(4), Out(4), Out(4)}},
    {"prlimit64", SYS_prlimit64, 4, {V, V, In(kRlimitBytes), Out(kRlimitBytes)}},
    {"getrlimit", SYS_getrlimit, 2, {V, Out(kRlimitBytes)}},
    {"setrlimit", SYS_setrlimit, 2, {V, In(kRlimitBytes)}},
    {"sched_getaffinity", SYS_sched_getaffinity, 3, {V, V, OutN(1)}, false, true},
    {"clock_getres", SYS_clock_getres, 2, {V, Out(kTimespecBytes)}},
    {"clock_gettime", SYS_clock_gettime, 2, {V, Out(kTimespecBytes)}},
    {"gettimeofday", SYS_gettimeofday, 2, {Out(kTimevalBytes), X}},
    {"time", SYS_time, 1, {Out(8)}},
    {"times", SYS_times, 1, {Out(kTmsBytes)}},
    {"getrusage", SYS_getrusage, 2, {V, Out(kRusageBytes)}},
    {"socket", SYS_socket, 3, {V, V, V}},
    {"socketpair", SYS_socketpair, 4, {V, V, V, Out(8)}},
    {"connect", SYS_connect, 3, {V, {ArgUse::kSockaddr, 0, 2, 1}, V}},
    {"getsockname", SYS_getsockname, 3, {V, OutAt(2), {ArgUse::kInOut, 4, -1, 1}}},
    {"getpeername", SYS_getpeername, 3, {V, OutAt(2), {ArgUse::kInOut, 4, -1, 1}}},
    {"pipe", SYS_pipe, 1, {Out(8)}},
    {"pipe2", SYS_pipe2, 2, {Out(8), V}},
    {"poll", SYS_poll, 3, {InOutN(1, kPollfdBytes), L, V}},
    {"ppoll", SYS_ppoll, 5, {InOutN(1, kPollfdBytes), L, In(kTimespecBytes), InN(4), L}},
    {"select", SYS_select, 5, {V, D, D, D, D}},
    {"pselect6", SYS_pselect6, 6, {V, D, D, D, D, In(16)}},
    {"flock", SYS_flock, 2, {V, V}},
    // epoll: struct epoll_event is 12 bytes on x86-64 (packed).
    {"epoll_create", SYS_epoll_create, 1, {V}},
    {"epoll_create1", SYS_epoll_create1, 1, {V}},
    {"epoll_ctl", SYS_epoll_ctl, 4, {V, V, V, In(kEpollEventBytes)}},
    {"epoll_wait", SYS_epoll_wait, 4, {V, OutN(2, kEpollEventBytes), V, V}, false, true},
    {"epoll_pwait", SYS_epoll_pwait, 6,
     {V, OutN(2, kEpollEventBytes), V, V, InN(5), L}, false, true},
    {"fadvise64", SYS_fadvise64, 4, {V, L, L, V}},
    // The world outside the process.
    {"unlink", SYS_unlink, 1, {P}, true},
    {"unlinkat", SYS_unlinkat, 3, {V, P, V}, true},
    {"rename", SYS_rename, 2, {P, P}, true},
    {"renameat", SYS_renameat, 4, {V, P, V, P}, true},
    {"renameat2", SYS_renameat2, 5, {V, P, V, P, V}, true},
    {"mkdir", SYS_mkdir, 2, {P, V}, true},
    {"mkdirat", SYS_mkdirat, 3, {V, P, V}, true},
    {"rmdir", SYS_rmdir, 1, {P}, true},
    {"link", SYS_link, 2, {P, P}, true},
    {"linkat", SYS_linkat, 5, {V, P, V, P, V}, true},
    {"symlink", SYS_symlink, 2, {P, P}, true},
    {"symlinkat", SYS_symlinkat, 3, {P, V, P}, true},
    {"chmod", SYS_chmod, 2, {P, V}, true},
    {"fchmod", SYS_fchmod, 2, {V, V}, true},
    {"fchmodat", SYS_fchmodat, 3, {V, P, V}, true},
    {"chown", SYS_chown, 3, {P, V, V}, true},
    {"fchown", SYS_fchown, 3, {V, V, V}, true},
    {"lchown", SYS_lchown, 3, {P, V, V}, true},
    {"fchownat", SYS_fchownat, 5, {V, P, V, V, V}, true},
    {"truncate", SYS_truncate, 2, {P, L}, true},
    {"ftruncate", SYS_ftruncate, 2, {V, L}, true},
    {"fsync", SYS_fsync, 1, {V}, true},
    {"fdatasync", SYS_fdatasync, 1, {V}, true},
    {"fallocate", SYS_fallocate, 4, {V, V, L, L}, true},
    {"utimensat", SYS_utimensat, 4, {V, P, In(2 * kTimespecBytes), V}, true},
    {"utimes", SYS_utimes, 2, {P, In(2 * kTimevalBytes)}, true},
    {"futimesat", SYS_futimesat, 3, {V, P, In(2 * kTimevalBytes)}, true},
    {"utime", SYS_utime, 2, {P, In(kUtimbufBytes)}, true},
    {"mknod", SYS_mknod, 3, {P, V, V}, true},
    {"mknodat", SYS_mknodat, 4, {V, P, V, V}, true},
    {"sync", SYS_sync, 0, {}, true},
    {"syncfs", SYS_syncfs, 1, {V}, true},
};

struct SyscallNameEntry {
  long nr;
  const char* name;
};
const SyscallNameEntry kSyscallNames[] = {
#include "syscall_names.inc"
};

// One past the largest system call number tape indexes.
constexpr long kMaxNr = 512;

std::array<const CallShape*, kMaxNr> BuildShapeIndex() {
  std::array<const CallShape*, kMaxNr> index{};
  for (const CallShape& s : kShapes) index[size_t(s.nr)] = &s;
  return index;
}

std::array<const char*, kMaxNr> BuildNameIndex() {
  std::array<const char*, kMaxNr> index{};
  for (const SyscallNameEntry& e : kSyscallNames) {
    if (e.nr >= 0 && e.nr < kMaxNr) index[size_t(e.nr)] = e.name;
  }
  return index;
}

// Legacy terminal ioctls ('T', 0x54xx), which do not encode their size.
struct LegacyIoctl {
  unsigned long request;
  int out, in;  // bytes the kernel writes / reads; -1 none
};
constexpr LegacyIoctl kLegacyIoctls[] = {
    {0x5401, 36, -1},  // TCGETS: struct termios (kernel)
    {0x5402, -1, 36},  // TCSETS
    {0x5403, -1, 36},  // TCSETSW
    {0x5404, -1, 36},  // TCSETSF
    {0x5405, 18, -1},  // TCGETA: struct termio
    {0x540F, 4, -1},   // TIOCGPGRP
    {0x5410, -1, 4},   // TIOCSPGRP
    {0x5411, 4, -1},   // TIOCOUTQ
    {0x5413, 8, -1},   // TIOCGWINSZ
    {0x5414, -1, 8},   // TIOCSWINSZ
    {0x541B, 4, -1},   // FIONREAD
    {0x5421, -1, 4},   // FIONBIO
    {0x5429, 4, -1},   // TIOCGSID
    {0x5452, -1, 4},   // FIOASYNC
    {0x5409, -1, -1},  // TCSBRK (a value)
    {0x540A, -1, -1},  // TCXONC (a value)
    {0x540B, -1, -1},  // TCFLSH (a value)
};

const LegacyIoctl* FindLegacyIoctl(unsigned long request) {
  for (const LegacyIoctl& l : kLegacyIoctls) {
    if (l.request == (request & 0xffffffffu)) return &l;
  }
  return nullptr;
}

// _IOC encoding: dir in bits 30-31 (1 write: the kernel reads user memory,
// 2 read: the kernel writes it), size in bits 16-29.
int EncodedIoctlSize(unsigned long request, unsigned dir) {
  unsigned d = unsigned(request >> 30) & 3;
  unsigned size = unsigned(request >> 16) & 0x3fff;
  if ((request & 0xffffffffu) < 0x10000 || size == 0 || !(d & dir)) return -1;
  return int(size);
}

std::string_view Item(const std::vector<std::string>& list, size_t i) {
  return i < list.size() ? std::string_view(list[i]) : std::string_view();
}

long ParseValue(std::string_view text) {
  long v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

}  // namespace

const CallShape* FindCallShape(long nr) {
  static const std::array<const CallShape*, kMaxNr> index = BuildShapeIndex();
  return nr >= 0 && nr < kMaxNr ? index[size_t(nr)] : nullptr;
}

const CallShape* FindCallShapeByName(std::string_view name) {
  for (const CallShape& s : kShapes) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

const char* SyscallName(long nr) {
  static const std::array<const char*, kMaxNr> index = BuildNameIndex();
  const char* name = nr >= 0 && nr < kMaxNr ? index[size_t(nr)] : nullptr;
  return name ? name : "";
}

int IoctlOutSize(unsigned long request) {
  if (const LegacyIoctl* l = FindLegacyIoctl(request)) return l->out;
  return EncodedIoctlSize(request, 2);
}

int IoctlInSize(unsigned long request) {
  if (const LegacyIoctl* l = FindLegacyIoctl(request)) return l->in;
  return EncodedIoctlSize(request, 1);
}

bool IoctlKnown(unsigned long request) {
  return FindLegacyIoctl(request) != nullptr || IoctlOutSize(request) >= 0 ||
         IoctlInSize(request) >= 0;
}

CallArg UseOf(const CallShape& shape, int i, const long values[6]) {
  CallArg arg = shape.args[i];
  if (arg.size_arg != kDynamicArg) return arg;
  std::string_view name = shape.name;
  if (name == "ioctl") {
    unsigned long request = (unsigned long)(unsigned)values[1];
    int out = IoctlOutSize(request), in = IoctlInSize(request);
    if (out >= 0 && in >= 0) return {ArgUse::kInOut, uint16_t(out), -1, 1};
    if (out >= 0) return Out(uint16_t(out));
    if (in >= 0) return In(uint16_t(in));
    return V;
  }
  if (name == "fcntl") {
    switch (values[1]) {
      case F_GETLK:
      case F_OFD_GETLK: return {ArgUse::kInOut, kFlockBytes, -1, 1};
      case F_SETLK:
      case F_SETLKW:
      case F_OFD_SETLK:
      case F_OFD_SETLKW: return In(kFlockBytes);
      default: return V;
    }
  }
  // select and pselect6: three fd sets of nfds bits, rounded up to whole
  // 64-bit words, and a timeout (select: timeval, updated; pselect6:
  // timespec, read).
  if (i == 4) return name == "select" ? CallArg{ArgUse::kInOut, kTimevalBytes, -1, 1}
                                      : In(kTimespecBytes);
  long n = std::clamp<long>(values[0], 0, 1024);
  return {ArgUse::kInOut, uint16_t((n + 63) / 64 * 8), -1, 1};
}

size_t BufferSize(const CallArg& arg, const long values[6]) {
  uint64_t n = arg.size;
  if (arg.size_arg >= 0 && arg.unit == 0) {
    const int* count = reinterpret_cast<const int*>(values[size_t(arg.size_arg)]);
    n = count != nullptr ? uint64_t(std::max(*count, 0)) : 0;
  } else if (arg.size_arg >= 0) {
    n = uint64_t(std::max<long>(values[size_t(arg.size_arg)], 0)) * arg.unit;
  }
  return size_t(std::min<uint64_t>(n, kMaxCallBufferBytes));
}

namespace {

// The value the call gets from a register: an int's lower half, sign-extended.
long ValueOf(ArgUse use, long raw) { return use == ArgUse::kValue ? long(int(raw)) : raw; }

// The args: the call's name and one item per argument (ArgUse says what).
struct CallArgs {
  std::string_view call;
  std::vector<std::string> args;
};
constexpr Fields<CallArgs> kCallArgs{Field<&CallArgs::call>(FieldType::kSizedText, "call").Key(),
                                     Field<&CallArgs::args>(FieldType::kTextList, "args").Key()};
// The result: an errno, the call's value, and one item per buffer the call
// filled (kOut and kInOut arguments, in order).
struct CallResult {
  int error = 0;
  uint64_t value = 0;
  std::vector<std::string> out;
};
constexpr Fields<CallResult> kCallResult{Field<&CallResult::error>(FieldType::kErrno, "errno"),
                                         Field<&CallResult::value>(FieldType::kU64, "value"),
                                         Field<&CallResult::out>(FieldType::kTextList, "out")};

// The args of a call made with registers `raw` (pointers into this
// process's memory).
CallArgs ArgsOfCall(const CallShape& shape, const long raw[6]) {
  long regs[6];
  for (int i = 0; i < 6; ++i) regs[i] = ValueOf(shape.args[i].use, raw[i]);
  CallArgs a{shape.name, {}};
  for (int i = 0; i < shape.argc; ++i) {
    CallArg arg = UseOf(shape, i, regs);
    const char* p = reinterpret_cast<const char*>(regs[i]);
    std::string& item = a.args.emplace_back();
    switch (arg.use) {
      case ArgUse::kValue:
      case ArgUse::kLong:
        item = std::to_string(ValueOf(arg.use, regs[i]));
        break;
      case ArgUse::kPath:
        if (p != nullptr) item.assign(p);
        break;
      case ArgUse::kIn:
      case ArgUse::kInOut:
        if (p != nullptr) item.assign(p, BufferSize(arg, regs));
        break;
      case ArgUse::kSockaddr: {
        size_t n = p ? BufferSize(arg, regs) : 0;
        constexpr size_t kPathAt = offsetof(sockaddr_un, sun_path);
        if (n > kPathAt && reinterpret_cast<const sockaddr*>(p)->sa_family == AF_UNIX) {
          n = std::min(n, kPathAt + strnlen(p + kPathAt, n - kPathAt) + 1);
        }
        if (p != nullptr) item.assign(p, n);
        break;
      }
      case ArgUse::kOut:
        item = std::to_string(p ? BufferSize(arg, regs) : 0);
        break;
      case ArgUse::kIgnored:
        break;
    }
  }
  return a;
}

// Copies the buffers of `r` into the memory `raw` points at; returns the
// call's value (-errno on failure).
long ApplyResult(const CallShape& shape, const long raw[6], const CallResult& r) {
  long regs[6];
  for (int i = 0; i < 6; ++i) regs[i] = ValueOf(shape.args[i].use, raw[i]);
  size_t out = 0;
  for (int i = 0; i < shape.argc; ++i) {
    CallArg arg = UseOf(shape, i, regs);
    if (arg.use != ArgUse::kOut && arg.use != ArgUse::kInOut) continue;
    std::string_view bytes = Item(r.out, out++);
    char* p = reinterpret_cast<char*>(regs[i]);
    if (p != nullptr) std::memcpy(p, bytes.data(), std::min(bytes.size(), BufferSize(arg, regs)));
  }
  return r.error != 0 ? -long(r.error) : long(r.value);
}

CallResult Perform(LiveEnv&, const CallArgs& a) {
  const CallShape* shape = FindCallShapeByName(a.call);
  if (shape == nullptr || a.args.size() != shape->argc) return {.error = ENOSYS};
  // Values first: a dynamic argument's use depends on them.
  long values[6] = {};
  for (int i = 0; i < shape->argc; ++i) {
    ArgUse use = shape->args[i].use;
    if (use == ArgUse::kValue || use == ArgUse::kLong)
      values[i] = ParseValue(Item(a.args, size_t(i)));
  }
  std::vector<std::string> buffers(shape->argc);
  long raw[6] = {};
  for (int i = 0; i < shape->argc; ++i) {
    CallArg arg = UseOf(*shape, i, values);
    std::string_view item = Item(a.args, size_t(i));
    std::string& b = buffers[size_t(i)];
    switch (arg.use) {
      case ArgUse::kValue:
      case ArgUse::kLong:
        raw[i] = ParseValue(item);
        break;
      case ArgUse::kPath:
        b.assign(item);
        raw[i] = long(b.c_str());
        break;
      case ArgUse::kIn:
      case ArgUse::kInOut:
      case ArgUse::kSockaddr:
        // Recorded shorter than its size (a Unix socket's address): the
        // rest reads as zeros.
        b.assign(item);
        if (!item.empty()) b.resize(std::max(item.size(), BufferSize(arg, values)), '\0');
        raw[i] = item.empty() ? 0 : long(b.data());
        break;
      case ArgUse::kOut:
        b.assign(std::min<size_t>(size_t(ParseValue(item)), kMaxCallBufferBytes), '\0');
        raw[i] = b.empty() ? 0 : long(b.data());
        break;
      case ArgUse::kIgnored:
        raw[i] = 0;
        break;
    }
  }
  long r = SysCall(shape->nr, raw[0], raw[1], raw[2], raw[3], raw[4], raw[5]);
  CallResult result{r < 0 ? int(-r) : 0, r < 0 ? 0 : uint64_t(r), {}};
  for (int i = 0; i < shape->argc; ++i) {
    CallArg arg = UseOf(*shape, i, values);
    if (arg.use != ArgUse::kOut && arg.use != ArgUse::kInOut) continue;
    std::string& b = buffers[size_t(i)];
    if (r < 0) b.clear();
    if (shape->out_sized_by_value && r >= 0) b.resize(std::min(b.size(), size_t(r) * arg.unit));
    result.out.push_back(std::move(b));
  }
  return result;
}

}  // namespace

long LibcEffects::Call(const Site& site, const CallShape& shape, const long regs[6]) {
  EffectKind kind = shape.changes_world ? EffectKind::kLibcChange : EffectKind::kLibcSyscall;
  return ApplyResult(shape, regs,
                     Perform<kCallArgs, kCallResult>(site, kind, ArgsOfCall(shape, regs)));
}

constinit const EffectSpec kLibcSyscall = {
    .kind = EffectKind::kLibcSyscall,
    .name = "libc.syscall",
    .direction = Direction::kInput,
    .args = kCallArgs,
    .result = kCallResult,
    .measured = true,
    .live = LiveTyped<kCallArgs, kCallResult, Perform>,
};

constinit const EffectSpec kLibcChange = {
    .kind = EffectKind::kLibcChange,
    .name = "libc.change",
    .direction = Direction::kOutput,
    .args = kCallArgs,
    .result = kCallResult,
    .measured = true,
    .live = LiveTyped<kCallArgs, kCallResult, Perform>,
};

}  // namespace tape::engine
