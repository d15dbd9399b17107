#include "preload/libc_effects.h"

#include <sys/stat.h>

#include <charconv>

#include "engine/src/replayer.h"
#include "format/bytes.h"
#include "tape/codec.h"

namespace tape::preload {

namespace {

using engine::FieldValue;
using format::AsBytes;
using format::AsChars;

template <typename T>
void Put(std::string* out, const T& v) {
  Codec<T>::Encode(v, out);
}

int Errno(const FieldValue& f) { return int(int32_t(uint32_t(f.number))); }

ErrnoBytes FromErrnoData(const FieldValue& f) { return {Errno(f), AsChars(f.bytes)}; }

int64_t I64(std::string_view r) { return int64_t(format::LoadU64(AsBytes(r).data())); }

}  // namespace

std::string_view LibcEffects::Perform(const Site& site, EffectKind kind) {
  return rt_->Perform(site, kind, args_, {});
}

void LibcEffects::BadResult(EffectKind kind) {
  throw engine::TraceReadFailed{Status::Corrupt(
      "the recorded result of " + EffectName(kind) + " at seq " +
      std::to_string(rt_->seq() == 0 ? 0 : rt_->seq() - 1) + " does not have that effect's layout")};
}

const engine::ParsedPayload& LibcEffects::Parse(EffectKind kind, std::string_view result) {
  if (!engine::ParsePayload(engine::FindEffect(uint8_t(kind))->result, AsBytes(result), &parsed_)
           .empty()) {
    BadResult(kind);
  }
  return parsed_;
}

StartWorld LibcEffects::Start(const Site& site) {
  args_.clear();
  const engine::ParsedPayload& p = Parse(EffectKind::kLibcStart, Perform(site, EffectKind::kLibcStart));
  StartWorld w;
  for (format::Bytes b : p.fields[0].list) w.argv.emplace_back(AsChars(b));
  for (format::Bytes b : p.fields[1].list) w.env.emplace_back(AsChars(b));
  w.cwd = AsChars(p.fields[2].bytes);
  for (format::Bytes b : p.fields[3].list) {
    int fd = -1;
    std::string_view text = AsChars(b);
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), fd);
    if (ec != std::errc() || end != text.data() + text.size() || fd < 0) BadResult(EffectKind::kLibcStart);
    w.fds.push_back(fd);
  }
  return w;
}

int64_t LibcEffects::ClockGettime(const Site& site, uint32_t clock) {
  args_.clear();
  Put(&args_, clock);
  std::string_view r = Perform(site, EffectKind::kLibcClockGettime);
  if (r.size() != 8) [[unlikely]] BadResult(EffectKind::kLibcClockGettime);
  return I64(r);
}

int64_t LibcEffects::Gettimeofday(const Site& site) {
  args_.clear();
  std::string_view r = Perform(site, EffectKind::kLibcGettimeofday);
  if (r.size() != 8) [[unlikely]] BadResult(EffectKind::kLibcGettimeofday);
  return I64(r);
}

int64_t LibcEffects::Time(const Site& site) {
  args_.clear();
  std::string_view r = Perform(site, EffectKind::kLibcTime);
  if (r.size() != 8) [[unlikely]] BadResult(EffectKind::kLibcTime);
  return I64(r);
}

ErrnoBytes LibcEffects::Getrandom(const Site& site, uint32_t n, uint32_t flags) {
  args_.clear();
  Put(&args_, n);
  Put(&args_, flags);
  ErrnoBytes r = FromErrnoData(
      Parse(EffectKind::kLibcGetrandom, Perform(site, EffectKind::kLibcGetrandom)).fields[0]);
  if (r.data.size() > n) BadResult(EffectKind::kLibcGetrandom);
  return r;
}

OpenResult LibcEffects::Open(const Site& site, int dirfd, uint32_t flags, uint32_t mode,
                             std::string_view path) {
  args_.clear();
  Put(&args_, int32_t(dirfd));
  Put(&args_, flags);
  Put(&args_, mode);
  args_.append(path);
  const engine::ParsedPayload& p = Parse(EffectKind::kLibcOpen, Perform(site, EffectKind::kLibcOpen));
  OpenResult r{Errno(p.fields[0]), int(int32_t(uint32_t(p.fields[1].number))),
               p.fields[2].number != 0, AsChars(p.fields[3].bytes), AsChars(p.fields[4].bytes)};
  bool sound = r.error != 0 ? r.fd == -1 && !r.served : r.fd >= 0;
  if (!sound || (r.served && r.stat.size() != sizeof(struct stat))) BadResult(EffectKind::kLibcOpen);
  return r;
}

ErrnoBytes LibcEffects::Read(const Site& site, int fd, uint64_t count) {
  args_.clear();
  Put(&args_, int32_t(fd));
  Put(&args_, count);
  ErrnoBytes r =
      FromErrnoData(Parse(EffectKind::kLibcRead, Perform(site, EffectKind::kLibcRead)).fields[0]);
  if (r.data.size() > count) BadResult(EffectKind::kLibcRead);
  return r;
}

ErrnoBytes LibcEffects::Pread(const Site& site, int fd, uint64_t count, uint64_t offset) {
  args_.clear();
  Put(&args_, int32_t(fd));
  Put(&args_, count);
  Put(&args_, offset);
  ErrnoBytes r =
      FromErrnoData(Parse(EffectKind::kLibcPread, Perform(site, EffectKind::kLibcPread)).fields[0]);
  if (r.data.size() > count) BadResult(EffectKind::kLibcPread);
  return r;
}

WriteResult LibcEffects::Write(const Site& site, int fd, std::string_view data) {
  args_.clear();
  Put(&args_, int32_t(fd));
  args_.append(data);
  const engine::ParsedPayload& p = Parse(EffectKind::kLibcWrite, Perform(site, EffectKind::kLibcWrite));
  return {Errno(p.fields[0]), p.fields[1].number};
}

WriteResult LibcEffects::Pwrite(const Site& site, int fd, uint64_t offset, std::string_view data) {
  args_.clear();
  Put(&args_, int32_t(fd));
  Put(&args_, offset);
  args_.append(data);
  const engine::ParsedPayload& p =
      Parse(EffectKind::kLibcPwrite, Perform(site, EffectKind::kLibcPwrite));
  return {Errno(p.fields[0]), p.fields[1].number};
}

int LibcEffects::StreamWrite(const Site& site, int stream, std::string_view data) {
  return stream == 1 ? rt_->IoWriteAt(site, data) : rt_->IoErrorAt(site, data);
}

ErrnoBytes LibcEffects::Stat(const Site& site, int dirfd, uint32_t flags, std::string_view path) {
  args_.clear();
  Put(&args_, int32_t(dirfd));
  Put(&args_, flags);
  args_.append(path);
  ErrnoBytes r =
      FromErrnoData(Parse(EffectKind::kLibcStat, Perform(site, EffectKind::kLibcStat)).fields[0]);
  if (r.error == 0 && r.data.size() != sizeof(struct stat)) BadResult(EffectKind::kLibcStat);
  return r;
}

ErrnoBytes LibcEffects::Statx(const Site& site, int dirfd, uint32_t flags, uint32_t mask,
                              std::string_view path) {
  args_.clear();
  Put(&args_, int32_t(dirfd));
  Put(&args_, flags);
  Put(&args_, mask);
  args_.append(path);
  ErrnoBytes r =
      FromErrnoData(Parse(EffectKind::kLibcStatx, Perform(site, EffectKind::kLibcStatx)).fields[0]);
  if (r.error == 0 && r.data.size() != sizeof(struct statx)) BadResult(EffectKind::kLibcStatx);
  return r;
}

ErrnoBytes LibcEffects::Getdents(const Site& site, int fd, uint32_t count) {
  args_.clear();
  Put(&args_, int32_t(fd));
  Put(&args_, count);
  ErrnoBytes r = FromErrnoData(
      Parse(EffectKind::kLibcGetdents, Perform(site, EffectKind::kLibcGetdents)).fields[0]);
  if (r.data.size() > count) BadResult(EffectKind::kLibcGetdents);
  return r;
}

ErrnoBytes LibcEffects::Readlink(const Site& site, int dirfd, uint64_t size, std::string_view path) {
  args_.clear();
  Put(&args_, int32_t(dirfd));
  Put(&args_, size);
  args_.append(path);
  ErrnoBytes r = FromErrnoData(
      Parse(EffectKind::kLibcReadlink, Perform(site, EffectKind::kLibcReadlink)).fields[0]);
  if (r.data.size() > size) BadResult(EffectKind::kLibcReadlink);
  return r;
}

int LibcEffects::Access(const Site& site, int dirfd, uint32_t mode, uint32_t flags,
                        std::string_view path) {
  args_.clear();
  Put(&args_, int32_t(dirfd));
  Put(&args_, mode);
  Put(&args_, flags);
  args_.append(path);
  return Errno(Parse(EffectKind::kLibcAccess, Perform(site, EffectKind::kLibcAccess)).fields[0]);
}

int LibcEffects::Uname(const Site& site, std::vector<std::string_view>* fields) {
  args_.clear();
  const engine::ParsedPayload& p = Parse(EffectKind::kLibcUname, Perform(site, EffectKind::kLibcUname));
  int error = Errno(p.fields[0]);
  if (error == 0 && p.fields[1].list.size() != 6) BadResult(EffectKind::kLibcUname);
  fields->clear();
  for (format::Bytes b : p.fields[1].list) fields->push_back(AsChars(b));
  return error;
}

uint32_t LibcEffects::Getpid(const Site& site) {
  args_.clear();
  std::string_view r = Perform(site, EffectKind::kLibcGetpid);
  if (r.size() != 4) BadResult(EffectKind::kLibcGetpid);
  return format::LoadU32(AsBytes(r).data());
}

uint32_t LibcEffects::Getppid(const Site& site) {
  args_.clear();
  std::string_view r = Perform(site, EffectKind::kLibcGetppid);
  if (r.size() != 4) BadResult(EffectKind::kLibcGetppid);
  return format::LoadU32(AsBytes(r).data());
}

WriteResult LibcEffects::Sleep(const Site& site, uint32_t clock, uint32_t flags, uint64_t ns) {
  args_.clear();
  Put(&args_, clock);
  Put(&args_, flags);
  Put(&args_, ns);
  const engine::ParsedPayload& p = Parse(EffectKind::kLibcSleep, Perform(site, EffectKind::kLibcSleep));
  return {Errno(p.fields[0]), p.fields[1].number};
}

long LibcEffects::Call(const Site& site, const engine::CallShape& shape, const long regs[6]) {
  args_ = engine::EncodeCall(shape, regs);
  EffectKind kind = shape.changes_world ? EffectKind::kLibcChange : EffectKind::kLibcSyscall;
  long ret = 0;
  if (!engine::ApplyCallResult(shape, regs, AsBytes(Perform(site, kind)), &ret)) BadResult(kind);
  return ret;
}

}  // namespace tape::preload
