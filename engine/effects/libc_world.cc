// The world a program not written for tape starts in and asks about:
// libc.start (its argv, environment, working directory and open
// descriptors), libc.getpid, libc.getppid and libc.uname. Also how the
// family's live implementations reach the kernel (libc.h).

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "engine/effects/libc.h"
#include "engine/effects/registry.h"
#include "engine/src/replayer.h"

extern char** environ;

namespace tape::engine {

namespace {

long GlibcSyscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
  long r = ::syscall(nr, a1, a2, a3, a4, a5, a6);
  return r == -1 ? -errno : r;
}

int GlibcGettimeofday(timeval* tv, void* tz) { return ::gettimeofday(tv, tz); }

LibcCalls g_libc = {GlibcSyscall, ::clock_gettime, GlibcGettimeofday, ::time};

// --- libc.start -------------------------------------------------------------------

// The descriptors travel as decimal text, one list item each.
struct StartResult {
  std::vector<std::string> argv, env;
  std::string cwd;
  std::vector<std::string> fds;
};
constexpr Fields<StartResult> kStartResult{Field<&StartResult::argv>(FieldType::kTextList, "argv"),
                                           Field<&StartResult::env>(FieldType::kTextList, "env"),
                                           Field<&StartResult::cwd>(FieldType::kSizedText, "cwd"),
                                           Field<&StartResult::fds>(FieldType::kTextList, "fds")};

StartResult Start(LiveEnv& env, const NoArgs&) {
  StartResult r;
  if (env.args != nullptr) r.argv = *env.args;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) r.env.emplace_back(*e);
  std::string cwd(4096, '\0');
  long n = SysCall(SYS_getcwd, long(cwd.data()), long(cwd.size()));
  if (n > 0) r.cwd.assign(cwd.data(), size_t(n - 1));
  // The descriptors open now, below the interposer's own.
  for (int fd : OpenFdsBelow(InterposerFdBase())) r.fds.push_back(std::to_string(fd));
  return r;
}

// --- libc.getpid, libc.getppid ------------------------------------------------------

constexpr Fields<uint32_t> kPid{Whole<uint32_t>(FieldType::kU32, "pid")};

template <long kNr>
uint32_t Pid(LiveEnv&, const NoArgs&) {
  return uint32_t(SysCall(kNr));
}

// --- libc.uname -------------------------------------------------------------------

struct UnameResult {
  int error = 0;
  std::vector<std::string> fields;  // sysname, nodename, release, version, machine, domainname
};
constexpr Fields<UnameResult> kUnameResult{
    Field<&UnameResult::error>(FieldType::kErrno, "errno"),
    Field<&UnameResult::fields>(FieldType::kTextList, "fields")};

UnameResult Uname(LiveEnv&, const NoArgs&) {
  utsname u;
  std::memset(&u, 0, sizeof u);
  long r = SysCall(SYS_uname, long(&u));
  if (r < 0) return {.error = int(-r)};
  UnameResult out;
  for (const char* f : {u.sysname, u.nodename, u.release, u.version, u.machine, u.domainname}) {
    out.fields.emplace_back(f, strnlen(f, sizeof u.sysname));
  }
  return out;
}

Status SixFields(const ParsedPayload&, const ParsedPayload& result) {
  if (result.fields[0].number != 0 || result.fields[1].list.size() == 6) return Status::Ok();
  return Status::Corrupt(
      fmt::format("libc.uname succeeded with {} fields, not 6", result.fields[1].list.size()));
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
  long dir =
      SysCall(SYS_openat, AT_FDCWD, long("/proc/self/fd"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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

void LibcEffects::BadResult(EffectKind kind) {
  throw TraceReadFailed{Status::Corrupt(
      fmt::format("the recorded result of {} at seq {} does not have that effect's layout",
                  EffectName(kind), rt_->seq() == 0 ? 0 : rt_->seq() - 1))};
}

bool DecodeStartWorld(Bytes result, StartWorld* world) {
  StartResult r;
  if (!Decode(kStartResult, result, &r)) return false;
  *world = {std::move(r.argv), std::move(r.env), std::move(r.cwd), {}};
  for (const std::string& text : r.fds) {
    int fd = -1;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), fd);
    if (ec != std::errc() || end != text.data() + text.size() || fd < 0) return false;
    world->fds.push_back(fd);
  }
  return true;
}

StartWorld LibcEffects::Start(const Site& site) {
  StartWorld w;
  std::string_view r = rt_->Perform(site, EffectKind::kLibcStart, {}, {});
  if (!DecodeStartWorld(format::AsBytes(r), &w)) BadResult(EffectKind::kLibcStart);
  return w;
}

uint32_t LibcEffects::Getpid(const Site& site) {
  return Perform<kNoArgs, kPid>(site, EffectKind::kLibcGetpid, {});
}

uint32_t LibcEffects::Getppid(const Site& site) {
  return Perform<kNoArgs, kPid>(site, EffectKind::kLibcGetppid, {});
}

int LibcEffects::Uname(const Site& site, std::vector<std::string>* fields) {
  UnameResult r = Perform<kNoArgs, kUnameResult>(site, EffectKind::kLibcUname, {});
  if (r.error == 0 && r.fields.size() != 6) BadResult(EffectKind::kLibcUname);
  *fields = std::move(r.fields);
  return r.error;
}

constinit const EffectSpec kLibcStart = {
    .kind = EffectKind::kLibcStart,
    .name = "libc.start",
    .direction = Direction::kInput,
    .args = kNoArgs,
    .result = kStartResult,
    .live = LiveTyped<kNoArgs, kStartResult, Start>,
};

constinit const EffectSpec kLibcGetpid = {
    .kind = EffectKind::kLibcGetpid,
    .name = "libc.getpid",
    .direction = Direction::kInput,
    .args = kNoArgs,
    .result = kPid,
    .live = LiveTyped<kNoArgs, kPid, Pid<SYS_getpid>>,
};

constinit const EffectSpec kLibcGetppid = {
    .kind = EffectKind::kLibcGetppid,
    .name = "libc.getppid",
    .direction = Direction::kInput,
    .args = kNoArgs,
    .result = kPid,
    .live = LiveTyped<kNoArgs, kPid, Pid<SYS_getppid>>,
};

constinit const EffectSpec kLibcUname = {
    .kind = EffectKind::kLibcUname,
    .name = "libc.uname",
    .direction = Direction::kInput,
    .args = kNoArgs,
    .result = kUnameResult,
    .live = LiveTyped<kNoArgs, kUnameResult, Uname>,
    .cross_check = SixFields,
};

}  // namespace tape::engine
