#include "engine/src/live_effects.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string>

#include "engine/src/redaction.h"
#include "format/layout.h"

namespace tape::engine {

using format::AsChars;
using format::LoadU32;
using format::LoadU64;

namespace {

void AppendU32(std::string* out, uint32_t v) {
  char b[4] = {char(v), char(v >> 8), char(v >> 16), char(v >> 24)};
  out->append(b, 4);
}

// The path and data of fs.write's args (§13: u32 path length, path, data).
// The caller's args were encoded by the runtime, so the layout holds.
void SplitSized(Bytes args, std::string_view* first, std::string_view* rest) {
  uint32_t n = LoadU32(args.data());
  *first = AsChars(args.subspan(4, n));
  *rest = AsChars(args.subspan(4 + n));
}

// True if `path` names the trace being recorded (writing it would destroy
// the recording).
bool IsTraceFile(const LiveEnv& env, const std::string& path) {
  struct stat st;
  return env.trace != nullptr && ::stat(path.c_str(), &st) == 0 &&
         env.trace->IsOwnFile(st.st_dev, st.st_ino);
}

}  // namespace

int WriteAll(int fd, Bytes bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    bytes = bytes.subspan(size_t(n));
  }
  return 0;
}

std::string_view LiveClockNow(LiveEnv& env, Bytes, std::string*) {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  format::StoreU64(reinterpret_cast<uint8_t*>(env.small),
                   uint64_t(int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec));
  return {env.small, 8};
}

std::string_view LiveRandomBits(LiveEnv&, Bytes args, std::string* result) {
  result->clear();
  uint32_t n = LoadU32(args.data());
  result->resize(n);
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(result->data() + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) std::abort();  // getrandom(flags=0) cannot fail once the pool is ready
    got += size_t(r);
  }
  return *result;
}

std::string_view LiveIoWrite(LiveEnv& env, Bytes args, std::string*) {
  format::StoreU32(reinterpret_cast<uint8_t*>(env.small), uint32_t(WriteAll(env.stdout_fd, args)));
  return {env.small, 4};
}

void ReenactIoWrite(LiveEnv& env, Bytes args) {
  // The program sees the recorded result whatever happens to this write.
  (void)WriteAll(env.stdout_fd, args);
}

std::string_view LiveFsRead(LiveEnv&, Bytes args, std::string* result) {
  result->clear();
  std::string path(AsChars(args));
  AppendU32(result, 0);  // errno, patched below on failure
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
    (*result)[0] = char(err);
    (*result)[1] = char(err >> 8);
    (*result)[2] = char(err >> 16);
    (*result)[3] = char(err >> 24);
  }
  return *result;
}

// fs.write and fs.append: `flags` says how the file is opened.
static std::string_view WriteFile(LiveEnv& env, Bytes args, int open_flags, std::string* result) {
  result->clear();
  std::string_view path_view, data;
  SplitSized(args, &path_view, &data);
  std::string path(path_view);
  int err = 0;
  if (IsTraceFile(env, path)) {
    err = EBUSY;
  } else {
    int fd = ::open(path.c_str(), open_flags | O_WRONLY | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0644);
    if (fd < 0) {
      err = errno;
    } else {
      int flags = ::fcntl(fd, F_GETFL);
      ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
      err = WriteAll(fd, format::AsBytes(data));
      if (::close(fd) != 0 && err == 0) err = errno;
    }
  }
  AppendU32(result, uint32_t(err));
  return *result;
}

std::string_view LiveFsWrite(LiveEnv& env, Bytes args, std::string* result) {
  return WriteFile(env, args, O_TRUNC, result);
}

std::string_view LiveFsAppend(LiveEnv& env, Bytes args, std::string* result) {
  return WriteFile(env, args, O_APPEND, result);
}

std::string_view LiveIoError(LiveEnv& env, Bytes args, std::string*) {
  format::StoreU32(reinterpret_cast<uint8_t*>(env.small), uint32_t(WriteAll(env.stderr_fd, args)));
  return {env.small, 4};
}

void ReenactIoError(LiveEnv& env, Bytes args) { (void)WriteAll(env.stderr_fd, args); }

std::string_view LiveFsExists(LiveEnv& env, Bytes args, std::string*) {
  struct stat st;
  std::string path(AsChars(args));
  int err = ::stat(path.c_str(), &st) == 0 ? 0 : errno;
  format::StoreU32(reinterpret_cast<uint8_t*>(env.small), uint32_t(err));
  env.small[4] = err == 0 && S_ISDIR(st.st_mode) ? 1 : 0;
  return {env.small, 5};
}

std::string_view LiveFsList(LiveEnv&, Bytes args, std::string* result) {
  result->clear();
  std::string path(AsChars(args));
  std::vector<std::string> names;
  int err = 0;
  if (DIR* d = ::opendir(path.c_str())) {
    errno = 0;
    while (dirent* e = ::readdir(d)) {
      std::string_view name = e->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
    err = errno;
    ::closedir(d);
  } else {
    err = errno;
  }
  if (err != 0) names.clear();
  std::sort(names.begin(), names.end());  // readdir's order is the filesystem's whim
  AppendU32(result, uint32_t(err));
  AppendU32(result, uint32_t(names.size()));
  for (const std::string& n : names) {
    AppendU32(result, uint32_t(n.size()));
    result->append(n);
  }
  return *result;
}

std::string_view LiveEnvGet(LiveEnv& env, Bytes args, std::string* result) {
  result->clear();
  std::string name(AsChars(args));
  if (const char* v = std::getenv(name.c_str())) {
    result->push_back(1);
    result->append(v);
    if (env.redact_env != nullptr && result->size() > 1 && MatchesAnyGlob(*env.redact_env, name)) {
      // §13.6: the program gets the value, the trace a marker in its place
      // (an empty value has nothing to hide and stays as it is).
      env.redact_marks = format::kMarkResultRedacted;
    }
  } else {
    result->push_back(0);
  }
  return *result;
}

std::string_view LiveArgsGet(LiveEnv& env, Bytes, std::string* result) {
  result->clear();
  static const std::vector<std::string> kNone;
  const std::vector<std::string>& args = env.args ? *env.args : kNone;
  AppendU32(result, uint32_t(args.size()));
  for (const std::string& a : args) {
    AppendU32(result, uint32_t(a.size()));
    result->append(a);
  }
  return *result;
}

std::string_view LiveTimeSleep(LiveEnv&, Bytes args, std::string*) {
  uint64_t ms = LoadU64(args.data());
  timespec ts{time_t(ms / 1000), long(ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
  return {};
}

}  // namespace tape::engine
