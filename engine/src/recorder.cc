#include "engine/src/recorder.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "engine/src/effect_codec.h"

namespace tape::engine {

using format::AsBytes;

namespace {

int WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    bytes.remove_prefix(size_t(n));
  }
  return 0;
}

}  // namespace

Recorder::Recorder(format::TraceWriter* writer, std::vector<std::string> args, int stdout_fd)
    : writer_(writer), args_(std::move(args)), stdout_fd_(stdout_fd) {
  // Slot 0 of the cache is "no site" only for id 0; make id 0 miss as well.
  known_sites_[0] = 1;
}

void Recorder::DefineSite(const Site& site) {
  if (defined_.insert(site.id).second) writer_->DefineSite(site.id, site.location);
  known_sites_[site.id & (kKnownSlots - 1)] = site.id;
}

int64_t Recorder::ClockNowAt(const Site& site) {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t ns = int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
  uint8_t result[8];
  format::StoreU64(result, uint64_t(ns));
  Append(site, EffectKind::kClockNow, {}, {result, 8});
  return ns;
}

std::string Recorder::RandomBitsAt(const Site& site, uint32_t n) {
  std::string bytes(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(bytes.data() + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) std::abort();  // getrandom(flags=0) cannot fail once the pool is ready
    got += size_t(r);
  }
  uint8_t args[4];
  format::StoreU32(args, n);
  Append(site, EffectKind::kRandomBits, {args, 4}, AsBytes(bytes));
  return bytes;
}

int Recorder::IoWriteAt(const Site& site, std::string_view bytes) {
  int err = WriteAll(stdout_fd_, bytes);
  uint8_t result[4];
  format::StoreU32(result, uint32_t(err));
  Append(site, EffectKind::kIoWrite, AsBytes(bytes), {result, 4});
  return err;
}

FsReadResult Recorder::FsReadAt(const Site& site, std::string_view path) {
  FsReadResult r;
  std::string p(path);
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    r.error = errno;
  } else {
    struct stat st;
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      r.error = EISDIR;
    } else {
      char buf[1 << 16];
      for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          r.error = errno;
          r.data.clear();
          break;
        }
        if (n == 0) break;
        r.data.append(buf, size_t(n));
      }
    }
    ::close(fd);
  }
  result_scratch_.clear();
  EncodeFsReadResult(&result_scratch_, r.error, r.data);
  Append(site, EffectKind::kFsRead, AsBytes(path), AsBytes(result_scratch_));
  return r;
}

int Recorder::FsWriteAt(const Site& site, std::string_view path, std::string_view data) {
  std::string p(path);
  int err = 0;
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    err = errno;
  } else {
    err = WriteAll(fd, data);
    if (::close(fd) != 0 && err == 0) err = errno;
  }
  args_scratch_.clear();
  EncodeFsWriteArgs(&args_scratch_, path, data);
  uint8_t result[4];
  format::StoreU32(result, uint32_t(err));
  Append(site, EffectKind::kFsWrite, AsBytes(args_scratch_), {result, 4});
  return err;
}

std::optional<std::string> Recorder::EnvGetAt(const Site& site, std::string_view name) {
  std::optional<std::string> value;
  if (const char* v = std::getenv(std::string(name).c_str())) value = v;
  result_scratch_.clear();
  EncodeEnvResult(&result_scratch_, value);
  Append(site, EffectKind::kEnvGet, AsBytes(name), AsBytes(result_scratch_));
  return value;
}

std::vector<std::string> Recorder::ArgsGetAt(const Site& site) {
  result_scratch_.clear();
  EncodeArgsResult(&result_scratch_, args_);
  Append(site, EffectKind::kArgsGet, {}, AsBytes(result_scratch_));
  return args_;
}

void Recorder::TimeSleepAt(const Site& site, uint64_t ms) {
  timespec ts{time_t(ms / 1000), long(ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
  uint8_t args[8];
  format::StoreU64(args, ms);
  Append(site, EffectKind::kTimeSleep, {args, 8}, {});
}

}  // namespace tape::engine
