// The file calls of a program not written for tape: libc.open (a regular
// file opened only to be read is served: the result holds its bytes, which
// the program reads from a copy, recording and replaying alike), libc.read
// and libc.pread (from a descriptor whose reads are recorded one by one),
// libc.write and libc.pwrite (to a descriptor other than stdout and stderr:
// compared and not performed on replay).

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cerrno>

#include "engine/effects/libc.h"
#include "engine/effects/registry.h"

namespace tape::engine {

namespace {

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

// --- libc.open --------------------------------------------------------------------

struct OpenArgs {
  int32_t dirfd;
  uint32_t flags, mode;
  std::string_view path;
};
constexpr Fields<OpenArgs> kOpenArgs{Field<&OpenArgs::dirfd>(FieldType::kI32, "dirfd"),
                                     Field<&OpenArgs::flags>(FieldType::kU32, "flags"),
                                     Field<&OpenArgs::mode>(FieldType::kU32, "mode"),
                                     Field<&OpenArgs::path>(FieldType::kText, "path").Key()};
constexpr Fields<OpenResult> kOpenResult{Field<&OpenResult::error>(FieldType::kErrno, "errno"),
                                         Field<&OpenResult::fd>(FieldType::kI32, "fd"),
                                         Field<&OpenResult::served>(FieldType::kFlag, "served"),
                                         Field<&OpenResult::stat>(FieldType::kSizedText, "stat"),
                                         Field<&OpenResult::data>(FieldType::kText, "data")};

// `buffer`: the kernel's struct stat, then the file's bytes.
OpenResult Open(LiveEnv&, const OpenArgs& a, std::string* buffer) {
  std::string path = CString(a.path);
  long fd = SysCall(SYS_openat, a.dirfd, long(path.c_str()), long(a.flags), long(a.mode));
  if (fd < 0) return {.error = int(-fd), .fd = -1};
  // A regular file opened only to be read is served: its bytes are in the
  // result, and the program reads a copy of them (§13.8).
  struct stat st;
  std::string data;
  bool served = (a.flags & O_ACCMODE) == O_RDONLY && !(a.flags & (O_PATH | O_DIRECTORY)) &&
                SysCall(SYS_fstat, fd, long(&st)) == 0 && S_ISREG(st.st_mode) &&
                uint64_t(st.st_size) <= kMaxServedFileBytes &&
                ReadWhole(int(fd), kMaxServedFileBytes, &data) &&
                data.size() <= kMaxServedFileBytes;
  if (!served) return {.fd = int(fd)};
  // The size the program sees is that of the bytes served (a file that grew
  // between fstat and the read); files that report 0 (procfs) keep it.
  if (st.st_size != 0) st.st_size = off_t(data.size());
  buffer->assign(reinterpret_cast<const char*>(&st), sizeof st);
  buffer->append(data);
  std::string_view all(*buffer);
  return {.fd = int(fd),
          .served = true,
          .stat = all.substr(0, sizeof st),
          .data = all.substr(sizeof st)};
}

Status OpenSense(const ParsedPayload&, const ParsedPayload& r) {
  int32_t error = int32_t(uint32_t(r.fields[0].number));
  int32_t fd = int32_t(uint32_t(r.fields[1].number));
  bool served = r.fields[2].number != 0;
  bool sound = error != 0 ? fd == -1 && !served : fd >= 0;
  if (sound && (!served || r.fields[3].bytes.size() == sizeof(struct stat))) return Status::Ok();
  return Status::Corrupt(
      fmt::format("libc.open's result is not one open(2) gives (errno {}, fd {})", error, fd));
}

constexpr Perturbation kOpenChaos[] = {
    Replace<kOpenResult>("enoent", [] { return OpenResult{.error = ENOENT, .fd = -1}; }),
    Replace<kOpenResult>("eacces", [] { return OpenResult{.error = EACCES, .fd = -1}; }),
    Replace<kOpenResult>("emfile", [] { return OpenResult{.error = EMFILE, .fd = -1}; }),
};

// --- libc.read, libc.pread ----------------------------------------------------------

struct ReadArgs {
  int32_t fd;
  uint64_t count;
};
constexpr Fields<ReadArgs> kReadArgs{Field<&ReadArgs::fd>(FieldType::kI32, "fd").Key(),
                                     Field<&ReadArgs::count>(FieldType::kU64, "count")};
struct PreadArgs {
  int32_t fd;
  uint64_t count, offset;
};
constexpr Fields<PreadArgs> kPreadArgs{Field<&PreadArgs::fd>(FieldType::kI32, "fd").Key(),
                                       Field<&PreadArgs::count>(FieldType::kU64, "count"),
                                       Field<&PreadArgs::offset>(FieldType::kU64, "offset").Key()};
constexpr Fields<ErrnoBytes> kData = ErrnoBytesResult("data");

ErrnoBytes Read(LiveEnv&, const ReadArgs& a, std::string* buffer) {
  buffer->assign(std::min<uint64_t>(a.count, kMaxLibcReadBytes), '\0');
  return ErrnoBytesOf(SysCall(SYS_read, a.fd, long(buffer->data()), long(buffer->size())), *buffer);
}

ErrnoBytes Pread(LiveEnv&, const PreadArgs& a, std::string* buffer) {
  buffer->assign(std::min<uint64_t>(a.count, kMaxLibcReadBytes), '\0');
  return ErrnoBytesOf(
      SysCall(SYS_pread64, a.fd, long(buffer->data()), long(buffer->size()), long(a.offset)),
      *buffer);
}

// Both read at most `count` (args field 1) bytes.
Status AtMostCount(const ParsedPayload& args, const ParsedPayload& result) {
  if (result.fields[0].bytes.size() <= args.fields[1].number) return Status::Ok();
  return Status::Corrupt(fmt::format("a read of {} bytes returned {}", args.fields[1].number,
                                     result.fields[0].bytes.size()));
}

constexpr Perturbation kReadChaos[] = {
    Replace<kData>("eio", [] { return ErrnoBytes{.error = EIO}; }),
};

// --- libc.write, libc.pwrite --------------------------------------------------------

struct WriteArgs {
  int32_t fd;
  std::string_view data;
};
constexpr Fields<WriteArgs> kWriteArgs{Field<&WriteArgs::fd>(FieldType::kI32, "fd").Key(),
                                       Field<&WriteArgs::data>(FieldType::kText, "data")};
struct PwriteArgs {
  int32_t fd;
  uint64_t offset;
  std::string_view data;
};
constexpr Fields<PwriteArgs> kPwriteArgs{
    Field<&PwriteArgs::fd>(FieldType::kI32, "fd").Key(),
    Field<&PwriteArgs::offset>(FieldType::kU64, "offset").Key(),
    Field<&PwriteArgs::data>(FieldType::kText, "data")};
constexpr Fields<WriteResult> kWritten = CountResult("written");

WriteResult Written(long r) { return {r < 0 ? int(-r) : 0, r < 0 ? 0 : uint64_t(r)}; }

WriteResult Write(LiveEnv&, const WriteArgs& a) {
  return Written(SysCall(SYS_write, a.fd, long(a.data.data()), long(a.data.size())));
}

WriteResult Pwrite(LiveEnv&, const PwriteArgs& a) {
  return Written(
      SysCall(SYS_pwrite64, a.fd, long(a.data.data()), long(a.data.size()), long(a.offset)));
}

// The count written, when the trace stores other data (RedactedFitFn): a
// whole write stays whole, a short one keeps at most the stored data.
template <const auto& kArgs>
void FitWritten(Bytes performed, Bytes stored, std::string* result) {
  StructOf<kArgs> done{}, kept{};
  WriteResult r;
  if (!Decode(kArgs, performed, &done) || !Decode(kArgs, stored, &kept) ||
      !Decode(kWritten, format::AsBytes(*result), &r) || r.error != 0) {
    return;
  }
  r.count = r.count >= done.data.size() ? kept.data.size() : std::min(r.count, kept.data.size());
  result->clear();
  Encode(kWritten, r, result);
}

constexpr Perturbation kWriteChaos[] = {
    Replace<kWritten>("enospc", [] { return WriteResult{.error = ENOSPC}; }),
    Replace<kWritten>("eio", [] { return WriteResult{.error = EIO}; }),
};

}  // namespace

OpenResult LibcEffects::Open(const Site& site, int dirfd, uint32_t flags, uint32_t mode,
                             std::string_view path) {
  OpenResult r =
      Perform<kOpenArgs, kOpenResult>(site, EffectKind::kLibcOpen, {dirfd, flags, mode, path});
  bool sound = r.error != 0 ? r.fd == -1 && !r.served : r.fd >= 0;
  if (!sound || (r.served && r.stat.size() != sizeof(struct stat)))
    BadResult(EffectKind::kLibcOpen);
  return r;
}

ErrnoBytes LibcEffects::Read(const Site& site, int fd, uint64_t count) {
  return AtMost(EffectKind::kLibcRead,
                Perform<kReadArgs, kData>(site, EffectKind::kLibcRead, {fd, count}), count);
}

ErrnoBytes LibcEffects::Pread(const Site& site, int fd, uint64_t count, uint64_t offset) {
  return AtMost(EffectKind::kLibcPread,
                Perform<kPreadArgs, kData>(site, EffectKind::kLibcPread, {fd, count, offset}),
                count);
}

WriteResult LibcEffects::Write(const Site& site, int fd, std::string_view data) {
  return Perform<kWriteArgs, kWritten>(site, EffectKind::kLibcWrite, {fd, data});
}

WriteResult LibcEffects::Pwrite(const Site& site, int fd, uint64_t offset, std::string_view data) {
  return Perform<kPwriteArgs, kWritten>(site, EffectKind::kLibcPwrite, {fd, offset, data});
}

constinit const EffectSpec kLibcOpen = {
    .kind = EffectKind::kLibcOpen,
    .name = "libc.open",
    .direction = Direction::kInput,
    .args = kOpenArgs,
    .result = kOpenResult,
    .measured = true,
    .live = LiveBuffered<kOpenArgs, kOpenResult, Open>,
    .cross_check = OpenSense,
    .chaos = kOpenChaos,
};

constinit const EffectSpec kLibcRead = {
    .kind = EffectKind::kLibcRead,
    .name = "libc.read",
    .direction = Direction::kInput,
    .args = kReadArgs,
    .result = kData,
    .measured = true,
    .live = LiveBuffered<kReadArgs, kData, Read>,
    .cross_check = AtMostCount,
    .chaos = kReadChaos,
};

constinit const EffectSpec kLibcPread = {
    .kind = EffectKind::kLibcPread,
    .name = "libc.pread",
    .direction = Direction::kInput,
    .args = kPreadArgs,
    .result = kData,
    .measured = true,
    .live = LiveBuffered<kPreadArgs, kData, Pread>,
    .cross_check = AtMostCount,
    .chaos = kReadChaos,
};

constinit const EffectSpec kLibcWrite = {
    .kind = EffectKind::kLibcWrite,
    .name = "libc.write",
    .direction = Direction::kOutput,
    .args = kWriteArgs,
    .result = kWritten,
    .measured = true,
    .live = LiveTyped<kWriteArgs, kWritten, Write>,
    .redacted_fit = FitWritten<kWriteArgs>,
    .chaos = kWriteChaos,
};

constinit const EffectSpec kLibcPwrite = {
    .kind = EffectKind::kLibcPwrite,
    .name = "libc.pwrite",
    .direction = Direction::kOutput,
    .args = kPwriteArgs,
    .result = kWritten,
    .measured = true,
    .live = LiveTyped<kPwriteArgs, kWritten, Pwrite>,
    .redacted_fit = FitWritten<kPwriteArgs>,
    .chaos = kWriteChaos,
};

}  // namespace tape::engine
