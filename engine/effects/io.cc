// io.write and io.error: bytes to standard output and standard error.
// Replay writes the recorded bytes again.

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "engine/effects/bind.h"
#include "engine/effects/registry.h"
#include "engine/effects/script.h"

namespace tape::engine {

namespace {

// One write(2): the count written, or -errno. The system call itself, not
// libc's write(), which is a thread cancellation point: once the process
// has a second thread (a recording's encoder, a replay's read-ahead) glibc
// brackets each write() with two atomic updates of the calling thread's
// cancellation state, about 45 ns a call on a 2-core VM, a third of a
// write to /dev/null and not paid by a program without tape. (tape never
// cancels a thread: tape::Thread has no cancel, and an effect cut off half
// done would leave its event unrecorded.) On x86-64 the instruction is
// inline, with no libc call around it: a replay's loop of writes makes one
// per event.
long SysWrite(int fd, const void* data, size_t size) {
#if defined(__x86_64__) && defined(__linux__)
  long result;
  asm volatile("syscall"
               : "=a"(result)
               : "0"(long(SYS_write)), "D"(long(fd)), "S"(data), "d"(size)
               : "rcx", "r11", "memory");
  return result;
#else
  long n = ::syscall(SYS_write, fd, data, size);
  return n < 0 ? -long(errno) : n;
#endif
}

}  // namespace

int WriteAll(int fd, Bytes bytes) {
  while (!bytes.empty()) {
    long n = SysWrite(fd, bytes.data(), bytes.size());
    if (n == -EINTR) continue;
    if (n < 0) return int(-n);
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
  // A replay's loop of writes comes here once per event: one system call
  // when it writes everything, WriteAll for the rest of a short write or to
  // retry an interrupted one. A failure is ignored (the program has the
  // recorded result), as Reenact ignores it.
  if (bytes.empty()) return;  // no system call, as WriteAll makes none
  long n = engine::SysWrite(fd, bytes.data(), bytes.size());
  if (n == long(bytes.size())) [[likely]] return;
  if (n < 0 && n != -EINTR) return;
  (void)engine::WriteAll(fd, format::AsBytes(bytes.substr(n < 0 ? 0 : size_t(n))));
}

int Runtime::IoErrorAt(const Site& site, std::string_view bytes) {
  std::string_view r = Perform(site, EffectKind::kIoError, bytes, {});
  if (r.size() != 4) [[unlikely]] BadResult(EffectKind::kIoError);
  return int32_t(format::LoadU32(reinterpret_cast<const uint8_t*>(r.data())));
}

}  // namespace tape
