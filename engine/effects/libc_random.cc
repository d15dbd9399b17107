// libc.getrandom: getrandom and getentropy of a program not written for
// tape. (Its reads of /dev/urandom are libc.open's served bytes or
// libc.read's.)

#include <fmt/core.h>
#include <sys/syscall.h>

#include <algorithm>

#include "engine/effects/libc.h"
#include "engine/effects/registry.h"

namespace tape::engine {

namespace {

struct RandomArgs {
  uint32_t n;
  uint32_t flags;
};
constexpr Fields<RandomArgs> kRandomArgs{Field<&RandomArgs::n>(FieldType::kU32, "n"),
                                         Field<&RandomArgs::flags>(FieldType::kU32, "flags")};
constexpr Fields<ErrnoBytes> kRandomResult = ErrnoBytesResult("bytes");

ErrnoBytes Getrandom(LiveEnv&, const RandomArgs& a, std::string* buffer) {
  buffer->assign(std::min<uint64_t>(a.n, kMaxLibcReadBytes), '\0');
  return ErrnoBytesOf(
      SysCall(SYS_getrandom, long(buffer->data()), long(buffer->size()), long(a.flags)), *buffer);
}

Status AtMostN(const ParsedPayload& args, const ParsedPayload& result) {
  if (result.fields[0].bytes.size() <= args.fields[0].number) return Status::Ok();
  return Status::Corrupt(fmt::format("libc.getrandom({}) returned {} bytes", args.fields[0].number,
                                     result.fields[0].bytes.size()));
}

}  // namespace

ErrnoBytes LibcEffects::Getrandom(const Site& site, uint32_t n, uint32_t flags) {
  return AtMost(EffectKind::kLibcGetrandom,
                Perform<kRandomArgs, kRandomResult>(site, EffectKind::kLibcGetrandom, {n, flags}),
                n);
}

constinit const EffectSpec kLibcGetrandom = {
    .kind = EffectKind::kLibcGetrandom,
    .name = "libc.getrandom",
    .direction = Direction::kInput,
    .args = kRandomArgs,
    .result = kRandomResult,
    .live = LiveBuffered<kRandomArgs, kRandomResult, Getrandom>,
    .cross_check = AtMostN,
};

}  // namespace tape::engine
