// random.bits: n bytes from the operating system's random source.

#include <fmt/format.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "engine/effects/bind.h"
#include "engine/effects/random_source.h"
#include "engine/effects/registry.h"
#include "engine/effects/script.h"

namespace tape::engine {

namespace {

struct Request {
  uint32_t n;
};
constexpr Fields<Request> kRequest{Field<&Request::n>(FieldType::kU32, "n")};
constexpr Fields<std::string> kBytes{Whole<std::string>(FieldType::kHex, "bytes")};
// Runtime::RandomBitsAt passes n as 4 bytes and takes the result's bytes as
// they are (the hot path builds nothing).
static_assert(kRequest.layout.count == 1 && kRequest.layout.fields[0].type == FieldType::kU32);
static_assert(kBytes.layout.count == 1 && kBytes.layout.fields[0].type == FieldType::kHex);

// random.bits(n) accepts n up to this in scripts.
constexpr int64_t kMaxScriptBytes = 1 << 20;

std::string_view Live(LiveEnv& env, Bytes args, std::string* result) {
  uint32_t n = format::LoadU32(args.data());
  if (n <= sizeof(env.small)) [[likely]] {
    // The common draw (a seed, an id): into the env's small buffer, with
    // nothing zero-filled first.
    DrawRandom(env.small, n);
    return {env.small, n};
  }
  result->clear();
  result->resize(n);
  DrawRandom(result->data(), n);
  return *result;
}

Status ReturnsN(const ParsedPayload& args, const ParsedPayload& result) {
  uint64_t n = args.fields[0].number;
  if (result.fields[0].bytes.size() == n) return Status::Ok();
  return Status::Corrupt(
      fmt::format("random.bits({}) returned {} bytes", n, result.fields[0].bytes.size()));
}

// n bytes asked for: the recorded bytes, cut or extended with zeros.
void Fit(Bytes args, std::string* result, std::string* note) {
  if (args.size() != 4) return;
  size_t n = format::LoadU32(args.data());
  if (result->size() == n) return;
  *note +=
      fmt::format(", {} to {} bytes", result->size() < n ? "extended with zero bytes" : "cut", n);
  result->resize(n, '\0');
}

constexpr Perturbation kChaos[] = {
    ReplaceFor<kRequest, kBytes>("zeros", [](const Request& r) { return std::string(r.n, '\0'); }),
    ReplaceFor<kRequest, kBytes>("ones", [](const Request& r) { return std::string(r.n, '\xff'); }),
};

Value Bits(ScriptCall& c) {
  int64_t n = IntRangeArg("random.bits", c.args[0], kMaxScriptBytes, "bytes");
  return Value::String(c.rt.RandomBitsAt(c.site, static_cast<uint32_t>(n)));
}
constexpr ScriptBinding kScript[] = {{"random", "bits", 1, Bits}};

}  // namespace

void DrawRandom(char* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    // The system call itself: glibc's getrandom() wrapper is a thread
    // cancellation point, which costs a recorded draw 40 instructions more.
    ssize_t r = syscall(SYS_getrandom, out + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) std::abort();  // getrandom(flags=0) cannot fail once the pool is ready
    got += size_t(r);
  }
}

constinit const EffectSpec kRandomBits = {
    .kind = EffectKind::kRandomBits,
    .name = "random.bits",
    .direction = Direction::kInput,
    .args = kRequest,
    .result = kBytes,
    .live = Live,
    .cross_check = ReturnsN,
    .rerun_fit = Fit,
    .chaos = kChaos,
    .script = kScript,
};

}  // namespace tape::engine

namespace tape {

std::string Runtime::RandomBitsAt(const Site& site, uint32_t n) {
  if (ThreadToken() == owner_) [[likely]] return OwnRandomBits(site, n);
  return PerformRandomBits(site, n);
}

std::string Runtime::PerformRandomBits(const Site& site, uint32_t n) {
  uint8_t args[4];
  format::StoreU32(args, n);
  std::string_view r =
      Perform(site, EffectKind::kRandomBits, {reinterpret_cast<char*>(args), 4}, {});
  if (r.size() != n) [[unlikely]] BadResult(EffectKind::kRandomBits);
  return std::string(r);
}

}  // namespace tape
