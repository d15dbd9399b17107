// The file effects: fs.read, fs.write, fs.append, fs.exists and fs.list.
// Replay does not touch the disk: it returns what the recording got.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "engine/effects/bind.h"
#include "engine/effects/registry.h"
#include "engine/effects/script.h"

namespace tape::engine {

namespace {

using format::AsChars;

constexpr auto kErrno = ScriptErrors::kErrno;

// --- fs.read ----------------------------------------------------------------------

constexpr Fields<FsReadResult> kReadResult{
    Field<&FsReadResult::error, &FsReadResult::data>(FieldType::kErrnoData, "data")};

// Appends the file's bytes to the result as it reads them: a large file is
// held once.
std::string_view LiveRead(LiveEnv&, Bytes args, std::string* result) {
  result->clear();
  std::string path(AsChars(args));
  result->append(4, '\0');  // errno, patched below on failure
  int err = 0;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    err = errno;
  } else {
    struct stat st;
    bool stat_ok = ::fstat(fd, &st) == 0;
    if (stat_ok && S_ISDIR(st.st_mode)) {
      err = EISDIR;
    } else if (stat_ok && S_ISREG(st.st_mode) && uint64_t(st.st_size) > kMaxFsReadBytes) {
      err = EFBIG;  // known too large before reading a byte
    } else {
      // Bounded by bytes read, not by st_size: pipes and /dev/zero report 0.
      char buf[1 << 16];
      uint64_t total = 0;
      for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
          // A FIFO or device opened non-blocking (so that open could not
          // hang): wait for data like a blocking read would.
          int flags = ::fcntl(fd, F_GETFL);
          ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
          continue;
        }
        if (n < 0) {
          err = errno;
          break;
        }
        if (n == 0) break;
        total += uint64_t(n);
        if (total > kMaxFsReadBytes) {
          err = EFBIG;
          break;
        }
        result->append(buf, size_t(n));
      }
    }
    ::close(fd);
  }
  if (err != 0) {
    result->resize(4);
    format::StoreU32(reinterpret_cast<uint8_t*>(result->data()), uint32_t(err));
  }
  return *result;
}

constexpr Perturbation kReadChaos[] = {
    Replace<kReadResult>("enoent", [] { return FsReadResult{.error = ENOENT}; }),
    Replace<kReadResult>("eacces", [] { return FsReadResult{.error = EACCES}; }),
    Replace<kReadResult>("eio", [] { return FsReadResult{.error = EIO}; }),
    // A successful read comes back short.
    ChangeResult<kReadResult>("truncate",
                              [](FsReadResult& r, ChaosDraw& draw) {
                                if (r.error != 0 || r.data.empty()) return false;
                                r.data.resize(draw.Next() % r.data.size());
                                return true;
                              }),
};

Value Read(ScriptCall& c) {
  FsReadResult r = c.rt.FsReadAt(c.site, NameArg("fs.read", c.args[0], "path"));
  *c.last_error = Value::Int(r.error);
  if (!r.ok()) return Value();
  return Value::String(std::move(r.data));
}
constexpr ScriptBinding kReadScript[] = {{"fs", "read", 1, Read, kErrno}};

// --- fs.write and fs.append -------------------------------------------------------

struct WriteRequest {
  std::string_view path, data;
};
constexpr Fields<WriteRequest> kWriteRequest{
    Field<&WriteRequest::path>(FieldType::kSizedText, "path").Key(),
    Field<&WriteRequest::data>(FieldType::kText, "data")};

// True if `path` names the trace being recorded (writing it would destroy
// the recording).
bool IsTraceFile(const LiveEnv& env, const std::string& path) {
  struct stat st;
  return env.trace != nullptr && ::stat(path.c_str(), &st) == 0 &&
         env.trace->IsOwnFile(st.st_dev, st.st_ino);
}

// `open_flags` says how the file is opened (O_TRUNC, O_APPEND).
template <int kOpenFlags>
int WriteFile(LiveEnv& env, const WriteRequest& w) {
  std::string path(w.path);
  if (IsTraceFile(env, path)) return EBUSY;
  int fd = ::open(path.c_str(), kOpenFlags | O_WRONLY | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0644);
  if (fd < 0) return errno;
  int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  int err = WriteAll(fd, format::AsBytes(w.data));
  if (::close(fd) != 0 && err == 0) err = errno;
  return err;
}

constexpr Perturbation kWriteChaos[] = {Replace<kErrnoResult>("enospc", [] { return ENOSPC; })};

// fs.write(path, data) and fs.append(path, data): data as io.write takes it.
template <bool kAppend>
Value Write(ScriptCall& c) {
  const char* call = kAppend ? "fs.append" : "fs.write";
  const std::string& path = NameArg(call, c.args[0], "path");
  std::string rendered;
  const std::string& data = TextArg(c.args[1], &rendered);
  int err = kAppend ? c.rt.FsAppendAt(c.site, path, data) : c.rt.FsWriteAt(c.site, path, data);
  *c.last_error = Value::Int(err);
  return BytesWritten(err, data.size());
}
constexpr ScriptBinding kWriteScript[] = {{"fs", "write", 2, Write<false>, kErrno}};
constexpr ScriptBinding kAppendScript[] = {{"fs", "append", 2, Write<true>, kErrno}};

// --- fs.exists ----------------------------------------------------------------------

constexpr Fields<FsStat> kExistsResult{Field<&FsStat::error>(FieldType::kErrno, "errno"),
                                       Field<&FsStat::is_dir>(FieldType::kFlag, "is_dir")};

FsStat Exists(LiveEnv&, const PathArg& p) {
  struct stat st;
  std::string path(p.path);
  int err = ::stat(path.c_str(), &st) == 0 ? 0 : errno;
  return {err, err == 0 && S_ISDIR(st.st_mode)};
}

constexpr Perturbation kExistsChaos[] = {
    Replace<kExistsResult>("enoent", [] { return FsStat{.error = ENOENT}; }),
    Replace<kExistsResult>("eacces", [] { return FsStat{.error = EACCES}; }),
};

// false for any error; fs.last_error() tells ENOENT (absent) from the
// others (EACCES: a directory on the way cannot be searched, ...).
template <bool kIsDir>
Value ExistsValue(ScriptCall& c) {
  FsStat st =
      c.rt.FsExistsAt(c.site, NameArg(kIsDir ? "fs.is_dir" : "fs.exists", c.args[0], "path"));
  *c.last_error = Value::Int(st.error);
  return Value::Bool(st.exists() && (!kIsDir || st.is_dir));
}
constexpr ScriptBinding kExistsScript[] = {
    {"fs", "exists", 1, ExistsValue<false>, kErrno},
    {"fs", "is_dir", 1, ExistsValue<true>, kErrno},
};

// --- fs.list ------------------------------------------------------------------------

constexpr Fields<FsList> kListResult{Field<&FsList::error>(FieldType::kErrno, "errno"),
                                     Field<&FsList::names>(FieldType::kTextList, "names")};

FsList List(LiveEnv&, const PathArg& p) {
  FsList out;
  std::string path(p.path);
  if (DIR* d = ::opendir(path.c_str())) {
    errno = 0;
    while (dirent* e = ::readdir(d)) {
      std::string_view name = e->d_name;
      if (name != "." && name != "..") out.names.emplace_back(name);
    }
    out.error = errno;
    ::closedir(d);
  } else {
    out.error = errno;
  }
  if (out.error != 0) out.names.clear();
  std::sort(out.names.begin(), out.names.end());  // readdir's order is the filesystem's whim
  return out;
}

constexpr Perturbation kListChaos[] = {
    Replace<kListResult>("enoent", [] { return FsList{.error = ENOENT}; }),
    Replace<kListResult>("eacces", [] { return FsList{.error = EACCES}; }),
    Replace<kListResult>("eio", [] { return FsList{.error = EIO}; }),
};

Value ListValue(ScriptCall& c) {
  FsList l = c.rt.FsListAt(c.site, NameArg("fs.list", c.args[0], "path"));
  *c.last_error = Value::Int(l.error);
  if (!l.ok()) return Value();
  return StringList(std::move(l.names));
}
constexpr ScriptBinding kListScript[] = {{"fs", "list", 1, ListValue, kErrno}};

}  // namespace

constinit const EffectSpec kFsRead = {
    .kind = EffectKind::kFsRead,
    .name = "fs.read",
    .direction = Direction::kInput,
    .args = kPathArg,
    .result = kReadResult,
    .measured = true,
    .live = LiveRead,
    .chaos = kReadChaos,
    .script = kReadScript,
};

constinit const EffectSpec kFsWrite = {
    .kind = EffectKind::kFsWrite,
    .name = "fs.write",
    .direction = Direction::kOutput,
    .args = kWriteRequest,
    .result = kErrnoResult,
    .measured = true,
    .live = LiveTyped<kWriteRequest, kErrnoResult, WriteFile<O_TRUNC>>,
    .chaos = kWriteChaos,
    .script = kWriteScript,
};

constinit const EffectSpec kFsAppend = {
    .kind = EffectKind::kFsAppend,
    .name = "fs.append",
    .direction = Direction::kOutput,
    .args = kWriteRequest,
    .result = kErrnoResult,
    .measured = true,
    .live = LiveTyped<kWriteRequest, kErrnoResult, WriteFile<O_APPEND>>,
    .chaos = kWriteChaos,
    .script = kAppendScript,
};

constinit const EffectSpec kFsExists = {
    .kind = EffectKind::kFsExists,
    .name = "fs.exists",
    .direction = Direction::kInput,
    .args = kPathArg,
    .result = kExistsResult,
    .measured = true,
    .live = LiveTyped<kPathArg, kExistsResult, Exists>,
    .chaos = kExistsChaos,
    .script = kExistsScript,
};

constinit const EffectSpec kFsList = {
    .kind = EffectKind::kFsList,
    .name = "fs.list",
    .direction = Direction::kInput,
    .args = kPathArg,
    .result = kListResult,
    .measured = true,
    .live = LiveTyped<kPathArg, kListResult, List>,
    .chaos = kListChaos,
    .script = kListScript,
};

}  // namespace tape::engine

namespace tape {

using engine::EffectCall;

FsReadResult Runtime::FsReadAt(const Site& site, std::string_view path) {
  return EffectCall::Perform<engine::kPathArg, engine::kReadResult>(*this, site,
                                                                    EffectKind::kFsRead, {path});
}

int Runtime::FsWriteAt(const Site& site, std::string_view path, std::string_view data) {
  return EffectCall::Perform<engine::kWriteRequest, engine::kErrnoResult>(
      *this, site, EffectKind::kFsWrite, {path, data});
}

int Runtime::FsAppendAt(const Site& site, std::string_view path, std::string_view data) {
  return EffectCall::Perform<engine::kWriteRequest, engine::kErrnoResult>(
      *this, site, EffectKind::kFsAppend, {path, data});
}

FsStat Runtime::FsExistsAt(const Site& site, std::string_view path) {
  return EffectCall::Perform<engine::kPathArg, engine::kExistsResult>(
      *this, site, EffectKind::kFsExists, {path});
}

FsList Runtime::FsListAt(const Site& site, std::string_view path) {
  return EffectCall::Perform<engine::kPathArg, engine::kListResult>(*this, site,
                                                                    EffectKind::kFsList, {path});
}

}  // namespace tape
