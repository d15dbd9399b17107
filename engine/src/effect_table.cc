#include "engine/src/effect_table.h"

#include <array>
#include <string>

#include "engine/src/libc_calls.h"
#include "engine/src/live_effects.h"
#include "engine/src/live_libc.h"

namespace tape::engine {

namespace {

using F = FieldType;

std::string RandomBitsCheck(const ParsedPayload& args, const ParsedPayload& result) {
  uint64_t n = args.fields[0].number;
  if (result.fields[0].bytes.size() != n) {
    return "random.bits(" + std::to_string(n) + ") returned " +
           std::to_string(result.fields[0].bytes.size()) + " bytes";
  }
  return "";
}

// The table (specs/trace-format.md §13). One entry per effect; keep in kind
// order. Key bits name the args fields `tape rerun` matches inputs by.
constexpr EffectSpec kEffects[] = {
    {EffectKind::kClockNow, "clock.now", Direction::kInput,
     {}, {{{F::kTimeNs, "ns"}}, 1},
     0, LiveClockNow, nullptr, nullptr},
    {EffectKind::kRandomBits, "random.bits", Direction::kInput,
     {{{F::kU32, "n"}}, 1}, {{{F::kHex, "bytes"}}, 1},
     0, LiveRandomBits, nullptr, RandomBitsCheck},
    {EffectKind::kIoWrite, "io.write", Direction::kOutput,
     {{{F::kText, "data"}}, 1}, {{{F::kErrno, "errno"}}, 1},
     0, LiveIoWrite, ReenactIoWrite, nullptr},
    {EffectKind::kFsRead, "fs.read", Direction::kInput,
     {{{F::kText, "path"}}, 1}, {{{F::kErrnoData, "data"}}, 1},
     1, LiveFsRead, nullptr, nullptr},
    {EffectKind::kFsWrite, "fs.write", Direction::kOutput,
     {{{F::kSizedText, "path"}, {F::kText, "data"}}, 2}, {{{F::kErrno, "errno"}}, 1},
     1, LiveFsWrite, nullptr, nullptr},
    {EffectKind::kEnvGet, "env.get", Direction::kInput,
     {{{F::kText, "name"}}, 1}, {{{F::kOptText, "value"}}, 1},
     1, LiveEnvGet, nullptr, nullptr},
    {EffectKind::kArgsGet, "args.get", Direction::kInput,
     {}, {{{F::kTextList, "args"}}, 1},
     0, LiveArgsGet, nullptr, nullptr},
    {EffectKind::kTimeSleep, "time.sleep", Direction::kInput,
     {{{F::kU64, "ms"}}, 1}, {},
     0, LiveTimeSleep, nullptr, nullptr},
    {EffectKind::kIoError, "io.error", Direction::kOutput,
     {{{F::kText, "data"}}, 1}, {{{F::kErrno, "errno"}}, 1},
     0, LiveIoError, ReenactIoError, nullptr},
    {EffectKind::kFsExists, "fs.exists", Direction::kInput,
     {{{F::kText, "path"}}, 1}, {{{F::kErrno, "errno"}, {F::kFlag, "is_dir"}}, 2},
     1, LiveFsExists, nullptr, nullptr},
    {EffectKind::kFsList, "fs.list", Direction::kInput,
     {{{F::kText, "path"}}, 1}, {{{F::kErrno, "errno"}, {F::kTextList, "names"}}, 2},
     1, LiveFsList, nullptr, nullptr},
    {EffectKind::kFsAppend, "fs.append", Direction::kOutput,
     {{{F::kSizedText, "path"}, {F::kText, "data"}}, 2}, {{{F::kErrno, "errno"}}, 1},
     1, LiveFsAppend, nullptr, nullptr},
    {EffectKind::kHttpRequest, "http.request", Direction::kInput,
     {{{F::kSizedText, "method"},
       {F::kSizedText, "url"},
       {F::kTextList, "headers"},
       {F::kU32, "timeout_ms"},
       {F::kText, "body"}},
      5},
     {{{F::kU32, "status"}, {F::kSizedText, "error"}, {F::kTextList, "headers"}, {F::kText, "body"}},
      4},
     0b11, LiveHttpRequest, nullptr, nullptr},
    {EffectKind::kProcRun, "proc.run", Direction::kInput,
     {{{F::kTextList, "argv"}, {F::kU32, "timeout_ms"}, {F::kText, "stdin"}}, 3},
     {{{F::kI32, "exit"},
       {F::kU32, "signal"},
       {F::kErrno, "start_error"},
       {F::kFlag, "timed_out"},
       {F::kSizedText, "stdout"},
       {F::kText, "stderr"}},
      6},
     0b1, LiveProcRun, nullptr, nullptr},
    // Control effects: performed by tape::Thread and tape::Mutex, whose action
    // (a LiveCall) runs on record and on replay (§13.5).
    {EffectKind::kThreadStart, "thread.start", Direction::kControl,
     {}, {{{F::kU32, "lane"}}, 1},
     0, nullptr, nullptr, nullptr},
    {EffectKind::kThreadEnd, "thread.end", Direction::kControl,
     {}, {},
     0, nullptr, nullptr, nullptr},
    {EffectKind::kMutexLock, "mutex.lock", Direction::kControl,
     {{{F::kText, "name"}}, 1}, {},
     0, nullptr, nullptr, nullptr},
    // Programs not written for tape, recorded by the interposer (§13.7).
    {EffectKind::kLibcStart, "libc.start", Direction::kInput,
     {}, {{{F::kTextList, "argv"}, {F::kTextList, "env"}, {F::kSizedText, "cwd"},
           {F::kTextList, "fds"}}, 4},
     0, LiveLibcStart, nullptr, nullptr},
    {EffectKind::kLibcClockGettime, "libc.clock_gettime", Direction::kInput,
     {{{F::kU32, "clock"}}, 1}, {{{F::kTimeNs, "ns"}}, 1},
     0, LiveLibcClockGettime, nullptr, nullptr},
    {EffectKind::kLibcGettimeofday, "libc.gettimeofday", Direction::kInput,
     {}, {{{F::kTimeNs, "ns"}}, 1},
     0, LiveLibcGettimeofday, nullptr, nullptr},
    {EffectKind::kLibcTime, "libc.time", Direction::kInput,
     {}, {{{F::kTimeNs, "ns"}}, 1},
     0, LiveLibcTime, nullptr, nullptr},
    {EffectKind::kLibcGetrandom, "libc.getrandom", Direction::kInput,
     {{{F::kU32, "n"}, {F::kU32, "flags"}}, 2}, {{{F::kErrnoData, "bytes"}}, 1},
     0, LiveLibcGetrandom, nullptr, nullptr},
    {EffectKind::kLibcOpen, "libc.open", Direction::kInput,
     {{{F::kI32, "dirfd"}, {F::kU32, "flags"}, {F::kU32, "mode"}, {F::kText, "path"}}, 4},
     {{{F::kErrno, "errno"}, {F::kI32, "fd"}, {F::kFlag, "served"}, {F::kSizedText, "stat"},
       {F::kText, "data"}}, 5},
     0b1000, LiveLibcOpen, nullptr, nullptr},
    {EffectKind::kLibcRead, "libc.read", Direction::kInput,
     {{{F::kI32, "fd"}, {F::kU64, "count"}}, 2}, {{{F::kErrnoData, "data"}}, 1},
     0b1, LiveLibcRead, nullptr, nullptr},
    {EffectKind::kLibcPread, "libc.pread", Direction::kInput,
     {{{F::kI32, "fd"}, {F::kU64, "count"}, {F::kU64, "offset"}}, 3}, {{{F::kErrnoData, "data"}}, 1},
     0b101, LiveLibcPread, nullptr, nullptr},
    {EffectKind::kLibcWrite, "libc.write", Direction::kOutput,
     {{{F::kI32, "fd"}, {F::kText, "data"}}, 2}, {{{F::kErrno, "errno"}, {F::kU64, "written"}}, 2},
     0b1, LiveLibcWrite, nullptr, nullptr},
    {EffectKind::kLibcPwrite, "libc.pwrite", Direction::kOutput,
     {{{F::kI32, "fd"}, {F::kU64, "offset"}, {F::kText, "data"}}, 3},
     {{{F::kErrno, "errno"}, {F::kU64, "written"}}, 2},
     0b11, LiveLibcPwrite, nullptr, nullptr},
    {EffectKind::kLibcStat, "libc.stat", Direction::kInput,
     {{{F::kI32, "dirfd"}, {F::kU32, "flags"}, {F::kText, "path"}}, 3},
     {{{F::kErrnoData, "stat"}}, 1},
     0b101, LiveLibcStat, nullptr, nullptr},
    {EffectKind::kLibcStatx, "libc.statx", Direction::kInput,
     {{{F::kI32, "dirfd"}, {F::kU32, "flags"}, {F::kU32, "mask"}, {F::kText, "path"}}, 4},
     {{{F::kErrnoData, "statx"}}, 1},
     0b1001, LiveLibcStatx, nullptr, nullptr},
    {EffectKind::kLibcGetdents, "libc.getdents", Direction::kInput,
     {{{F::kI32, "fd"}, {F::kU32, "count"}}, 2}, {{{F::kErrnoData, "entries"}}, 1},
     0b1, LiveLibcGetdents, nullptr, nullptr},
    {EffectKind::kLibcReadlink, "libc.readlink", Direction::kInput,
     {{{F::kI32, "dirfd"}, {F::kU64, "size"}, {F::kText, "path"}}, 3},
     {{{F::kErrnoData, "target"}}, 1},
     0b101, LiveLibcReadlink, nullptr, nullptr},
    {EffectKind::kLibcAccess, "libc.access", Direction::kInput,
     {{{F::kI32, "dirfd"}, {F::kU32, "mode"}, {F::kU32, "flags"}, {F::kText, "path"}}, 4},
     {{{F::kErrno, "errno"}}, 1},
     0b1001, LiveLibcAccess, nullptr, nullptr},
    {EffectKind::kLibcUname, "libc.uname", Direction::kInput,
     {}, {{{F::kErrno, "errno"}, {F::kTextList, "fields"}}, 2},
     0, LiveLibcUname, nullptr, nullptr},
    {EffectKind::kLibcGetpid, "libc.getpid", Direction::kInput,
     {}, {{{F::kU32, "pid"}}, 1},
     0, LiveLibcGetpid, nullptr, nullptr},
    {EffectKind::kLibcGetppid, "libc.getppid", Direction::kInput,
     {}, {{{F::kU32, "pid"}}, 1},
     0, LiveLibcGetppid, nullptr, nullptr},
    {EffectKind::kLibcSleep, "libc.sleep", Direction::kInput,
     {{{F::kU32, "clock"}, {F::kU32, "flags"}, {F::kU64, "ns"}}, 3},
     {{{F::kErrno, "errno"}, {F::kU64, "remaining_ns"}}, 2},
     0, LiveLibcSleep, nullptr, nullptr},
    {EffectKind::kLibcSyscall, "libc.syscall", Direction::kInput,
     {{{F::kSizedText, "call"}, {F::kTextList, "args"}}, 2},
     {{{F::kErrno, "errno"}, {F::kU64, "value"}, {F::kTextList, "out"}}, 3},
     0b11, LiveLibcCall, nullptr, nullptr},
    {EffectKind::kLibcChange, "libc.change", Direction::kOutput,
     {{{F::kSizedText, "call"}, {F::kTextList, "args"}}, 2},
     {{{F::kErrno, "errno"}, {F::kU64, "value"}, {F::kTextList, "out"}}, 3},
     0b11, LiveLibcCall, nullptr, nullptr},
};

constexpr std::array<const EffectSpec*, 256> BuildIndex() {
  std::array<const EffectSpec*, 256> index{};
  for (const EffectSpec& e : kEffects) index[uint8_t(e.kind)] = &e;
  return index;
}

std::vector<const EffectSpec*> ListAll() {
  std::vector<const EffectSpec*> all;
  for (const EffectSpec& e : kEffects) all.push_back(&e);
  return all;
}

const Layout kUserArgs = {{{F::kText, "args"}}, 1};
const Layout kUserResult = {{{F::kUserResult, "result"}}, 1};

std::string ParseField(FieldType type, format::ByteReader* r, FieldValue* v) {
  v->type = type;
  switch (type) {
    case F::kU32: {
      uint32_t n;
      if (!r->GetU32(&n)) return "a u32 is cut short";
      v->number = n;
      return "";
    }
    case F::kU64:
    case F::kTimeNs: {
      uint64_t n;
      if (!r->GetU64(&n)) return "a u64 is cut short";
      v->number = n;
      return "";
    }
    case F::kI32: {
      uint32_t n;
      if (!r->GetU32(&n)) return "an i32 is cut short";
      v->number = n;
      return "";
    }
    case F::kErrno: {
      uint32_t n;
      if (!r->GetU32(&n)) return "an errno is cut short";
      v->number = n;
      return "";
    }
    case F::kFlag: {
      Bytes b;
      if (!r->GetBytes(1, &b)) return "a flag is missing";
      if (b[0] > 1) return "a flag is " + std::to_string(b[0]) + ", not 0 or 1";
      v->number = b[0];
      return "";
    }
    case F::kText:
    case F::kHex:
      r->GetBytes(r->remaining(), &v->bytes);
      return "";
    case F::kSizedText: {
      uint32_t n;
      if (!r->GetU32(&n) || !r->GetBytes(n, &v->bytes)) return "a sized string is cut short";
      return "";
    }
    case F::kOptText: {
      Bytes tag;
      if (!r->GetBytes(1, &tag)) return "the set/unset byte is missing";
      if (tag[0] > 1) return "the set/unset byte is " + std::to_string(tag[0]);
      v->number = tag[0];
      r->GetBytes(r->remaining(), &v->bytes);
      if (tag[0] == 0 && !v->bytes.empty()) return "an unset value has bytes";
      return "";
    }
    case F::kTextList: {
      uint32_t count;
      if (!r->GetU32(&count)) return "the list count is cut short";
      if (count > r->remaining() / 4) return "the list claims " + std::to_string(count) + " items";
      v->list.clear();
      v->list.reserve(count);
      for (uint32_t i = 0; i < count; ++i) {
        uint32_t n;
        Bytes item;
        if (!r->GetU32(&n) || !r->GetBytes(n, &item)) return "list item " + std::to_string(i) + " is cut short";
        v->list.push_back(item);
      }
      return "";
    }
    case F::kErrnoData: {
      uint32_t err;
      if (!r->GetU32(&err)) return "the errno is cut short";
      v->number = err;
      r->GetBytes(r->remaining(), &v->bytes);
      if (err != 0 && !v->bytes.empty()) return "a failed read carries data";
      return "";
    }
    case F::kUserResult: {
      Bytes tag;
      if (!r->GetBytes(1, &tag)) return "the result tag is missing";
      v->number = tag[0];
      if (tag[0] == 0) {
        r->GetBytes(r->remaining(), &v->bytes);
        return "";
      }
      if (tag[0] != 1) return "the result tag is " + std::to_string(tag[0]);
      uint32_t n;
      if (!r->GetU32(&n) || !r->GetBytes(n, &v->bytes)) return "the exception type is cut short";
      r->GetBytes(r->remaining(), &v->message);
      return "";
    }
  }
  return "unknown field type";
}

}  // namespace

constinit const std::array<const EffectSpec*, 256> kEffectIndex = BuildIndex();

const EffectSpec* FindEffectByName(std::string_view name) {
  const EffectSpec* module_match = nullptr;
  int module_matches = 0;
  for (const EffectSpec* e : AllEffects()) {
    if (e->name == name) return e;
    if (e->name.substr(0, e->name.find('.')) == name) {
      module_match = e;
      ++module_matches;
    }
  }
  return module_matches == 1 ? module_match : nullptr;
}

const std::vector<const EffectSpec*>& AllEffects() {
  static const std::vector<const EffectSpec*> all = ListAll();
  return all;
}

std::string EffectNameList() {
  std::string out;
  for (const EffectSpec* e : AllEffects()) {
    if (!out.empty()) out += ", ";
    out += e->name;
  }
  return out;
}

const Layout& UserArgsLayout() { return kUserArgs; }
const Layout& UserResultLayout() { return kUserResult; }

std::string ParsePayload(const Layout& layout, Bytes payload, ParsedPayload* out) {
  format::ByteReader r(payload);
  out->count = layout.count;
  for (uint8_t i = 0; i < layout.count; ++i) {
    std::string why = ParseField(layout.fields[i].type, &r, &out->fields[i]);
    if (!why.empty()) return why;
  }
  if (r.remaining() != 0) {
    return std::to_string(r.remaining()) + " bytes more than the layout holds";
  }
  return "";
}

namespace {

// The encoded size of a layout made only of fixed-width numbers, which any
// bytes of that size hold; -1 for any other layout.
int FixedWidth(const Layout& layout) {
  int width = 0;
  for (uint8_t i = 0; i < layout.count; ++i) {
    switch (layout.fields[i].type) {
      case F::kU32:
      case F::kI32:
      case F::kErrno: width += 4; break;
      case F::kU64:
      case F::kTimeNs: width += 8; break;
      default: return -1;
    }
  }
  return width;
}

// Per built-in kind: the args and result sizes that make an event valid
// without parsing it (no cross check, fixed-width layouts), or -1.
struct FixedSizes {
  int args[256], result[256];
  FixedSizes() {
    for (int k = 0; k < 256; ++k) {
      const EffectSpec* spec = FindEffect(uint8_t(k));
      bool simple = spec != nullptr && spec->cross_check == nullptr;
      args[k] = simple ? FixedWidth(spec->args) : -1;
      result[k] = simple ? FixedWidth(spec->result) : -1;
    }
  }
};

}  // namespace

std::string CheckEvent(uint8_t kind, Bytes args, Bytes result) {
  // The common case (a clock reading, a sleep) costs two compares: verify
  // calls this for every event.
  static const FixedSizes fixed;
  if (int64_t(args.size()) == fixed.args[kind] && int64_t(result.size()) == fixed.result[kind]) {
    return {};
  }
  const EffectSpec* spec = FindEffect(kind);
  if (spec == nullptr && kind < kFirstUserKind) return "kind " + std::to_string(kind) + " is reserved";
  const Layout& al = spec ? spec->args : kUserArgs;
  const Layout& rl = spec ? spec->result : kUserResult;
  ParsedPayload a, r;
  std::string why = ParsePayload(al, args, &a);
  if (!why.empty()) return "args: " + why;
  why = ParsePayload(rl, result, &r);
  if (!why.empty()) return "result: " + why;
  if (spec && spec->cross_check) return spec->cross_check(a, r);
  return "";
}

}  // namespace tape::engine

// Public names of the built-in kinds (tape/effects.h), from the table.
namespace tape {

std::string EffectName(EffectKind kind) {
  if (const engine::EffectSpec* e = engine::FindEffect(uint8_t(kind))) return std::string(e->name);
  return "kind " + std::to_string(unsigned(kind));
}

bool IsKnownEffect(uint8_t kind) { return engine::FindEffect(kind) != nullptr; }

bool ParseEffectName(std::string_view name, EffectKind* kind) {
  const engine::EffectSpec* e = engine::FindEffectByName(name);
  if (e == nullptr) return false;
  *kind = e->kind;
  return true;
}

}  // namespace tape
