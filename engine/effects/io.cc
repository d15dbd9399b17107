// io.write and io.error: bytes to standard output and standard error.
// Replay writes the recorded bytes again.

#include <unistd.h>

#include <cerrno>

#include "engine/effects/bind.h"
#include "engine/effects/registry.h"
#include "engine/effects/script.h"

namespace tape::engine {

int WriteAll(int fd, Bytes bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    bytes = bytes.subspan(size_t(n));
  }
  return 0;
}

namespace {

constexpr Fields<std::string_view> kData{Whole<std::string_view>(FieldType::kText, "data")};
// Runtime::IoWriteAt and IoErrorAt pass the bytes as they are and read the
// result as one errno.
static_assert(kData.layout.count == 1 && kData.layout.fields[0].type == FieldType::kText);
static_assert(kErrnoResult.layout.count == 1);

std::string_view LiveWrite(LiveEnv& env, Bytes args, std::string*) {
  format::StoreU32(reinterpret_cast<uint8_t*>(env.small), uint32_t(WriteAll(env.stdout_fd, args)));
  return {env.small, 4};
}
// The program sees the recorded result whatever happens to this write.
void ReenactWrite(LiveEnv& env, Bytes args) { (void)WriteAll(env.stdout_fd, args); }

std::string_view LiveError(LiveEnv& env, Bytes args, std::string*) {
  format::StoreU32(reinterpret_cast<uint8_t*>(env.small), uint32_t(WriteAll(env.stderr_fd, args)));
  return {env.small, 4};
}
void ReenactError(LiveEnv& env, Bytes args) { (void)WriteAll(env.stderr_fd, args); }

// io.write(x) and io.error(x) write x's bytes (str() of a non-string);
// print(x) and eprint(x) write str(x) and a newline. All four leave the
// errno for io.last_error() and return the bytes written, or nil.
template <bool kStderr, bool kLine>
Value Write(ScriptCall& c) {
  std::string storage;
  const std::string* bytes;
  if (kLine) {
    storage = lang::ToString(c.args[0]);
    storage.push_back('\n');
    bytes = &storage;
  } else {
    bytes = &TextArg(c.args[0], &storage);
  }
  int err = kStderr ? c.rt.IoErrorAt(c.site, *bytes) : c.rt.IoWriteAt(c.site, *bytes);
  *c.last_error = Value::Int(err);
  return BytesWritten(err, bytes->size());
}
constexpr auto kErrno = ScriptErrors::kErrno;
constexpr ScriptBinding kWriteScript[] = {
    {"io", "write", 1, Write<false, false>, kErrno},
    {"", "print", 1, Write<false, true>, kErrno, "io"},
};
constexpr ScriptBinding kErrorScript[] = {
    {"io", "error", 1, Write<true, false>, kErrno},
    {"", "eprint", 1, Write<true, true>, kErrno, "io"},
};

}  // namespace

constinit const EffectSpec kIoWrite = {
    .kind = EffectKind::kIoWrite,
    .name = "io.write",
    .direction = Direction::kOutput,
    .args = kData,
    .result = kErrnoResult,
    .live = LiveWrite,
    .reenact = ReenactWrite,
    .ends_on_sigpipe = true,
    .script = kWriteScript,
};

constinit const EffectSpec kIoError = {
    .kind = EffectKind::kIoError,
    .name = "io.error",
    .direction = Direction::kOutput,
    .args = kData,
    .result = kErrnoResult,
    .live = LiveError,
    .reenact = ReenactError,
    .script = kErrorScript,
};

}  // namespace tape::engine

namespace tape {

int Runtime::IoWriteAt(const Site& site, std::string_view bytes) {
  std::string_view r = Perform(site, EffectKind::kIoWrite, bytes, {});
  if (r.size() != 4) [[unlikely]] BadResult(EffectKind::kIoWrite);
  return int32_t(format::LoadU32(reinterpret_cast<const uint8_t*>(r.data())));
}

void Runtime::ShowReplayedOutput(int fd, std::string_view bytes) {
  (void)engine::WriteAll(fd, format::AsBytes(bytes));
}

int Runtime::IoErrorAt(const Site& site, std::string_view bytes) {
  std::string_view r = Perform(site, EffectKind::kIoError, bytes, {});
  if (r.size() != 4) [[unlikely]] BadResult(EffectKind::kIoError);
  return int32_t(format::LoadU32(reinterpret_cast<const uint8_t*>(r.data())));
}

}  // namespace tape
