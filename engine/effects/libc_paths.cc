// What a program not written for tape learns about paths and directories:
// libc.stat (stat, lstat, fstat, fstatat), libc.statx, libc.getdents
// (readdir), libc.readlink and libc.access. Replay answers them from the
// trace: the files need not exist.

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "engine/effects/libc.h"
#include "engine/effects/registry.h"

namespace tape::engine {

namespace {

// What a path that is not found, or not allowed, answers (chaos mode).
template <const auto& kResult>
constexpr Perturbation kLookupChaos[] = {
    Replace<kResult>("enoent", [] { return StructOf<kResult>{ENOENT}; }),
    Replace<kResult>("eacces", [] { return StructOf<kResult>{EACCES}; }),
};

// --- libc.stat, libc.statx ----------------------------------------------------------

struct StatArgs {
  int32_t dirfd;
  uint32_t flags;
  std::string_view path;
};
constexpr Fields<StatArgs> kStatArgs{Field<&StatArgs::dirfd>(FieldType::kI32, "dirfd").Key(),
                                     Field<&StatArgs::flags>(FieldType::kU32, "flags"),
                                     Field<&StatArgs::path>(FieldType::kText, "path").Key()};
constexpr Fields<ErrnoBytes> kStatResult = ErrnoBytesResult("stat");

ErrnoBytes Stat(LiveEnv&, const StatArgs& a, std::string* buffer) {
  std::string path = CString(a.path);
  struct stat st;
  long r = SysCall(SYS_newfstatat, a.dirfd, long(path.c_str()), long(&st), long(a.flags));
  buffer->assign(reinterpret_cast<const char*>(&st), sizeof st);
  return ErrnoBytesOf(r == 0 ? long(sizeof st) : r, *buffer);
}

struct StatxArgs {
  int32_t dirfd;
  uint32_t flags, mask;
  std::string_view path;
};
constexpr Fields<StatxArgs> kStatxArgs{Field<&StatxArgs::dirfd>(FieldType::kI32, "dirfd").Key(),
                                       Field<&StatxArgs::flags>(FieldType::kU32, "flags"),
                                       Field<&StatxArgs::mask>(FieldType::kU32, "mask"),
                                       Field<&StatxArgs::path>(FieldType::kText, "path").Key()};
constexpr Fields<ErrnoBytes> kStatxResult = ErrnoBytesResult("statx");

ErrnoBytes Statx(LiveEnv&, const StatxArgs& a, std::string* buffer) {
  std::string path = CString(a.path);
  struct statx stx;
  std::memset(&stx, 0, sizeof stx);
  long r = SysCall(SYS_statx, a.dirfd, long(path.c_str()), long(a.flags), long(a.mask), long(&stx));
  buffer->assign(reinterpret_cast<const char*>(&stx), sizeof stx);
  return ErrnoBytesOf(r == 0 ? long(sizeof stx) : r, *buffer);
}

// A successful stat holds the kernel's whole record.
template <size_t kSize>
Status WholeRecord(const ParsedPayload&, const ParsedPayload& result) {
  const FieldValue& f = result.fields[0];
  if (f.number != 0 || f.bytes.size() == kSize) return Status::Ok();
  return Status::Corrupt(fmt::format("a stat record of {} bytes, not {}", f.bytes.size(), kSize));
}

// --- libc.getdents ----------------------------------------------------------------

struct GetdentsArgs {
  int32_t fd;
  uint32_t count;
};
constexpr Fields<GetdentsArgs> kGetdentsArgs{Field<&GetdentsArgs::fd>(FieldType::kI32, "fd").Key(),
                                             Field<&GetdentsArgs::count>(FieldType::kU32, "count")};
constexpr Fields<ErrnoBytes> kEntries = ErrnoBytesResult("entries");

ErrnoBytes Getdents(LiveEnv&, const GetdentsArgs& a, std::string* buffer) {
  buffer->assign(std::min<uint64_t>(a.count, kMaxCallBufferBytes), '\0');
  return ErrnoBytesOf(SysCall(SYS_getdents64, a.fd, long(buffer->data()), long(buffer->size())),
                      *buffer);
}

// --- libc.readlink ----------------------------------------------------------------

struct ReadlinkArgs {
  int32_t dirfd;
  uint64_t size;
  std::string_view path;
};
constexpr Fields<ReadlinkArgs> kReadlinkArgs{
    Field<&ReadlinkArgs::dirfd>(FieldType::kI32, "dirfd").Key(),
    Field<&ReadlinkArgs::size>(FieldType::kU64, "size"),
    Field<&ReadlinkArgs::path>(FieldType::kText, "path").Key()};
constexpr Fields<ErrnoBytes> kTarget = ErrnoBytesResult("target");

ErrnoBytes Readlink(LiveEnv&, const ReadlinkArgs& a, std::string* buffer) {
  std::string path = CString(a.path);
  buffer->assign(std::min<uint64_t>(a.size, kMaxCallBufferBytes), '\0');
  return ErrnoBytesOf(SysCall(SYS_readlinkat, a.dirfd, long(path.c_str()), long(buffer->data()),
                              long(buffer->size())),
                      *buffer);
}

// Both return at most the count or size (args field 1) they were given.
Status AtMostAsked(const ParsedPayload& args, const ParsedPayload& result) {
  if (result.fields[0].bytes.size() <= args.fields[1].number) return Status::Ok();
  return Status::Corrupt(fmt::format("{} bytes returned for a buffer of {}",
                                     result.fields[0].bytes.size(), args.fields[1].number));
}

// --- libc.access ------------------------------------------------------------------

struct AccessArgs {
  int32_t dirfd;
  uint32_t mode, flags;
  std::string_view path;
};
constexpr Fields<AccessArgs> kAccessArgs{Field<&AccessArgs::dirfd>(FieldType::kI32, "dirfd").Key(),
                                         Field<&AccessArgs::mode>(FieldType::kU32, "mode"),
                                         Field<&AccessArgs::flags>(FieldType::kU32, "flags"),
                                         Field<&AccessArgs::path>(FieldType::kText, "path").Key()};

int Access(LiveEnv&, const AccessArgs& a) {
  std::string path = CString(a.path);
  long r = SysCall(SYS_faccessat2, a.dirfd, long(path.c_str()), long(a.mode), long(a.flags));
  if (r == -ENOSYS && a.flags == 0)
    r = SysCall(SYS_faccessat, a.dirfd, long(path.c_str()), long(a.mode));
  return r < 0 ? int(-r) : 0;
}

}  // namespace

ErrnoBytes LibcEffects::Stat(const Site& site, int dirfd, uint32_t flags, std::string_view path) {
  ErrnoBytes r = Perform<kStatArgs, kStatResult>(site, EffectKind::kLibcStat, {dirfd, flags, path});
  if (r.error == 0 && r.data.size() != sizeof(struct stat)) BadResult(EffectKind::kLibcStat);
  return r;
}

ErrnoBytes LibcEffects::Statx(const Site& site, int dirfd, uint32_t flags, uint32_t mask,
                              std::string_view path) {
  ErrnoBytes r =
      Perform<kStatxArgs, kStatxResult>(site, EffectKind::kLibcStatx, {dirfd, flags, mask, path});
  if (r.error == 0 && r.data.size() != sizeof(struct statx)) BadResult(EffectKind::kLibcStatx);
  return r;
}

ErrnoBytes LibcEffects::Getdents(const Site& site, int fd, uint32_t count) {
  return AtMost(EffectKind::kLibcGetdents,
                Perform<kGetdentsArgs, kEntries>(site, EffectKind::kLibcGetdents, {fd, count}),
                count);
}

ErrnoBytes LibcEffects::Readlink(const Site& site, int dirfd, uint64_t size,
                                 std::string_view path) {
  return AtMost(
      EffectKind::kLibcReadlink,
      Perform<kReadlinkArgs, kTarget>(site, EffectKind::kLibcReadlink, {dirfd, size, path}), size);
}

int LibcEffects::Access(const Site& site, int dirfd, uint32_t mode, uint32_t flags,
                        std::string_view path) {
  return Perform<kAccessArgs, kErrnoResult>(site, EffectKind::kLibcAccess,
                                            {dirfd, mode, flags, path});
}

constinit const EffectSpec kLibcStat = {
    .kind = EffectKind::kLibcStat,
    .name = "libc.stat",
    .direction = Direction::kInput,
    .args = kStatArgs,
    .result = kStatResult,
    .live = LiveBuffered<kStatArgs, kStatResult, Stat>,
    .cross_check = WholeRecord<sizeof(struct stat)>,
    .chaos = kLookupChaos<kStatResult>,
};

constinit const EffectSpec kLibcStatx = {
    .kind = EffectKind::kLibcStatx,
    .name = "libc.statx",
    .direction = Direction::kInput,
    .args = kStatxArgs,
    .result = kStatxResult,
    .live = LiveBuffered<kStatxArgs, kStatxResult, Statx>,
    .cross_check = WholeRecord<sizeof(struct statx)>,
    .chaos = kLookupChaos<kStatxResult>,
};

constinit const EffectSpec kLibcGetdents = {
    .kind = EffectKind::kLibcGetdents,
    .name = "libc.getdents",
    .direction = Direction::kInput,
    .args = kGetdentsArgs,
    .result = kEntries,
    .measured = true,
    .live = LiveBuffered<kGetdentsArgs, kEntries, Getdents>,
    .cross_check = AtMostAsked,
};

constinit const EffectSpec kLibcReadlink = {
    .kind = EffectKind::kLibcReadlink,
    .name = "libc.readlink",
    .direction = Direction::kInput,
    .args = kReadlinkArgs,
    .result = kTarget,
    .live = LiveBuffered<kReadlinkArgs, kTarget, Readlink>,
    .cross_check = AtMostAsked,
    .chaos = kLookupChaos<kTarget>,
};

constinit const EffectSpec kLibcAccess = {
    .kind = EffectKind::kLibcAccess,
    .name = "libc.access",
    .direction = Direction::kInput,
    .args = kAccessArgs,
    .result = kErrnoResult,
    .live = LiveTyped<kAccessArgs, kErrnoResult, Access>,
    .chaos = kLookupChaos<kErrnoResult>,
};

}  // namespace tape::engine
