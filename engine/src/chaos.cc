#include "engine/src/chaos.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <csignal>
#include <random>

#include "engine/src/live_effects.h"
#include "format/bytes.h"
#include "format/layout.h"

namespace tape::engine {

namespace {

using Op = Perturbation::Op;
using format::AsBytes;

// --- the perturbations of each effect (specs/chaos.md §3) --------------------
//
// Keep each list's order: a spec's generator draws an index into it, so the
// order is part of what a seed means.

constexpr int64_t kSecondNs = 1000000000;

constexpr Perturbation kClockNow[] = {
    {.name = "forward",
     .op = Op::kShiftTime,
     .sign = 1,
     .lo_ns = kSecondNs,
     .hi_ns = 3600 * kSecondNs},
    {.name = "backward",
     .op = Op::kShiftTime,
     .sign = -1,
     .lo_ns = kSecondNs,
     .hi_ns = 3600 * kSecondNs},
};
constexpr Perturbation kRandomBits[] = {
    {.name = "zeros", .op = Op::kFill, .fill = 0x00},
    {.name = "ones", .op = Op::kFill, .fill = 0xff},
};
constexpr Perturbation kFsRead[] = {
    {.name = "enoent", .op = Op::kReplace, .numbers = {ENOENT}},
    {.name = "eacces", .op = Op::kReplace, .numbers = {EACCES}},
    {.name = "eio", .op = Op::kReplace, .numbers = {EIO}},
    {.name = "truncate", .op = Op::kTruncate},
};
constexpr Perturbation kFsWrite[] = {
    {.name = "enospc", .op = Op::kReplace, .numbers = {ENOSPC}},
};
constexpr Perturbation kEnvGet[] = {
    {.name = "unset", .op = Op::kReplace, .numbers = {0}},
    {.name = "empty", .op = Op::kReplace, .numbers = {1}},
};
constexpr Perturbation kTimeSleep[] = {
    {.name = "early", .op = Op::kEarly},
};
constexpr Perturbation kFsExists[] = {
    {.name = "enoent", .op = Op::kReplace, .numbers = {ENOENT, 0}},
    {.name = "eacces", .op = Op::kReplace, .numbers = {EACCES, 0}},
};
constexpr Perturbation kFsList[] = {
    {.name = "enoent", .op = Op::kReplace, .numbers = {ENOENT}},
    {.name = "eacces", .op = Op::kReplace, .numbers = {EACCES}},
    {.name = "eio", .op = Op::kReplace, .numbers = {EIO}},
};
// http.request's result: status, error, headers, body. The error texts are
// libcurl's for the same failures.
constexpr Perturbation kHttpRequest[] = {
    {.name = "refused", .op = Op::kReplace, .texts = {nullptr, "Couldn't connect to server"}},
    {.name = "timeout",
     .op = Op::kReplace,
     .texts = {nullptr, "Timeout was reached"},
     .waits_for = "timeout_ms"},
    {.name = "unavailable", .op = Op::kReplace, .numbers = {503}},
};
// proc.run's result: exit, signal, start_error, timed_out, stdout, stderr.
constexpr Perturbation kProcRun[] = {
    {.name = "nostart", .op = Op::kReplace, .numbers = {-1, 0, ENOENT, 0}},
    {.name = "timeout", .op = Op::kReplace, .numbers = {-1, SIGKILL, 0, 1}, .waits_for = "timeout_ms"},
};
// Programs not written for tape (trace-format.md §13.7): the results their
// libc calls could have had.
constexpr Perturbation kLibcOpen[] = {  // errno, fd, served, stat, data
    {.name = "enoent", .op = Op::kReplace, .numbers = {ENOENT, -1}},
    {.name = "eacces", .op = Op::kReplace, .numbers = {EACCES, -1}},
    {.name = "emfile", .op = Op::kReplace, .numbers = {EMFILE, -1}},
};
constexpr Perturbation kLibcRead[] = {
    {.name = "eio", .op = Op::kReplace, .numbers = {EIO}},
};
constexpr Perturbation kLibcWrite[] = {  // errno, written
    {.name = "enospc", .op = Op::kReplace, .numbers = {ENOSPC}},
    {.name = "eio", .op = Op::kReplace, .numbers = {EIO}},
};
constexpr Perturbation kLibcLookup[] = {  // stat, statx, access, readlink
    {.name = "enoent", .op = Op::kReplace, .numbers = {ENOENT}},
    {.name = "eacces", .op = Op::kReplace, .numbers = {EACCES}},
};
constexpr Perturbation kUser[] = {
    {.name = "throw", .op = Op::kReplace, .numbers = {1}, .texts = {"injected by chaos mode"}},
};

struct KindPerturbations {
  EffectKind kind;
  std::span<const Perturbation> list;
};
constexpr KindPerturbations kTable[] = {
    {EffectKind::kClockNow, kClockNow}, {EffectKind::kRandomBits, kRandomBits},
    {EffectKind::kFsRead, kFsRead},     {EffectKind::kFsWrite, kFsWrite},
    {EffectKind::kEnvGet, kEnvGet},     {EffectKind::kTimeSleep, kTimeSleep},
    {EffectKind::kFsExists, kFsExists}, {EffectKind::kFsList, kFsList},
    {EffectKind::kFsAppend, kFsWrite},  {EffectKind::kHttpRequest, kHttpRequest},
    {EffectKind::kProcRun, kProcRun},
    {EffectKind::kLibcClockGettime, kClockNow}, {EffectKind::kLibcGettimeofday, kClockNow},
    {EffectKind::kLibcTime, kClockNow},         {EffectKind::kLibcOpen, kLibcOpen},
    {EffectKind::kLibcRead, kLibcRead},         {EffectKind::kLibcPread, kLibcRead},
    {EffectKind::kLibcWrite, kLibcWrite},       {EffectKind::kLibcPwrite, kLibcWrite},
    {EffectKind::kLibcStat, kLibcLookup},       {EffectKind::kLibcStatx, kLibcLookup},
    {EffectKind::kLibcAccess, kLibcLookup},     {EffectKind::kLibcReadlink, kLibcLookup},
};

constexpr std::array<std::span<const Perturbation>, 256> BuildIndex() {
  std::array<std::span<const Perturbation>, 256> index{};
  for (const KindPerturbations& k : kTable) index[uint8_t(k.kind)] = k.list;
  for (int k = kFirstUserKind; k < 256; ++k) index[k] = kUser;
  return index;
}
constexpr std::array<std::span<const Perturbation>, 256> kIndex = BuildIndex();

// Every perturbation of a list.
uint32_t AllOf(std::span<const Perturbation> list) { return uint32_t((1ull << list.size()) - 1); }

void PutU32(std::string* out, uint32_t v) {
  uint8_t b[4];
  format::StoreU32(b, v);
  out->append(reinterpret_cast<const char*>(b), 4);
}
void PutU64(std::string* out, uint64_t v) {
  uint8_t b[8];
  format::StoreU64(b, v);
  out->append(reinterpret_cast<const char*>(b), 8);
}

// The result a kReplace perturbation stands for, encoded field by field per
// `layout` (specs/trace-format.md §13).
void EncodeReplacement(const Layout& layout, const Perturbation& p, std::string* out) {
  out->clear();
  for (uint8_t i = 0; i < layout.count; ++i) {
    uint64_t n = uint64_t(p.numbers[i]);
    std::string_view text = p.texts[i] ? p.texts[i] : "";
    switch (layout.fields[i].type) {
      case FieldType::kU32:
      case FieldType::kI32:
      case FieldType::kErrno:
        PutU32(out, uint32_t(n));
        break;
      case FieldType::kU64:
      case FieldType::kTimeNs:
        PutU64(out, n);
        break;
      case FieldType::kFlag:
        out->push_back(n ? 1 : 0);
        break;
      case FieldType::kText:
      case FieldType::kHex:
        out->append(text);
        break;
      case FieldType::kSizedText:
        PutU32(out, uint32_t(text.size()));
        out->append(text);
        break;
      case FieldType::kOptText:
        out->push_back(n ? 1 : 0);
        if (n) out->append(text);
        break;
      case FieldType::kTextList:
        PutU32(out, 0);
        break;
      case FieldType::kErrnoData:
        PutU32(out, uint32_t(n));
        if (n == 0) out->append(text);
        break;
      case FieldType::kUserResult:
        out->push_back(n ? 1 : 0);
        if (n) {
          std::string_view type = kChaosErrorType;
          PutU32(out, uint32_t(type.size()));
          out->append(type);
        }
        out->append(text);
        break;
    }
  }
}

bool SameName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? char(a[i] - 'A' + 'a') : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

std::string NamesOf(std::span<const Perturbation> list) {
  std::string out;
  for (const Perturbation& p : list) out += (out.empty() ? "" : ", ") + std::string(p.name);
  return out;
}

// Sets `probability` and `allowed` of every kind in [first, last].
void SetKinds(ChaosSpec* spec, int first, int last, double probability, uint32_t only) {
  for (int k = first; k <= last; ++k) {
    std::span<const Perturbation> list = kIndex[k];
    if (list.empty()) continue;
    spec->probability[k] = probability;
    spec->allowed[k] = only ? only : AllOf(list);
  }
}

// The milliseconds in the args field `p` names, as nanoseconds; 0 when the
// args do not parse (the runtime encoded them, so they do).
uint64_t WaitOf(const Layout& layout, const Perturbation& p, std::string_view args) {
  ParsedPayload parsed;
  if (!ParsePayload(layout, AsBytes(args), &parsed).empty()) return 0;
  for (uint8_t i = 0; i < parsed.count; ++i) {
    if (layout.fields[i].name != nullptr && std::strcmp(layout.fields[i].name, p.waits_for) == 0) {
      return parsed.fields[i].number * 1000000;
    }
  }
  return 0;
}

}  // namespace

std::span<const Perturbation> PerturbationsOf(uint8_t kind) { return kIndex[kind]; }

std::string ChaosTargetList() {
  std::string out;
  for (const KindPerturbations& k : kTable) {
    out += FindEffect(uint8_t(k.kind))->name;
    out += " (" + NamesOf(k.list) + "), ";
  }
  return out + "user (every user-defined effect: " + NamesOf(kUser) + "), or all";
}

Result<ChaosSpec> ParseChaosSpec(std::string_view given) {
  ChaosSpec spec;
  for (char c : given) {
    if (c != ' ' && c != '\t') spec.text += c;
  }
  const std::string example = " (e.g. fs.read=0.1,clock.now=0.01 or all=0.05)";
  if (spec.text.empty()) return Status::InvalidArgument("the chaos spec is empty" + example);
  if (spec.text.size() > format::kMaxShortString) {
    return Status::InvalidArgument("the chaos spec is " + std::to_string(spec.text.size()) +
                                   " bytes; at most " + std::to_string(format::kMaxShortString) +
                                   " fit in a trace");
  }
  std::string_view rest = spec.text;
  while (true) {
    size_t comma = rest.find(',');
    std::string_view entry = rest.substr(0, comma);
    std::string shown(entry);
    if (entry.empty()) {
      return Status::InvalidArgument("the chaos spec has an empty entry (a stray comma?)" +
                                     example);
    }
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument("'" + shown + "' has no probability; write EFFECT=P" +
                                     example);
    }
    std::string_view target = entry.substr(0, eq), number = entry.substr(eq + 1);
    double p = 0;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), p);
    if (number.empty() || ec != std::errc() || end != number.data() + number.size() ||
        !std::isfinite(p)) {
      return Status::InvalidArgument("'" + std::string(number) + "' in '" + shown +
                                     "' is not a probability (a number from 0 to 1, e.g. 0.05)");
    }
    if (p < 0 || p > 1) {
      return Status::InvalidArgument("the probability in '" + shown +
                                     "' is outside 0..1 (0.05 means one call in twenty)");
    }
    size_t colon = target.find(':');
    std::string_view name = target.substr(0, colon);
    std::string_view which =
        colon == std::string_view::npos ? std::string_view() : target.substr(colon + 1);
    if (colon != std::string_view::npos && which.empty()) {
      return Status::InvalidArgument("'" + shown + "' names no perturbation after ':'");
    }
    int first, last;
    if (name.empty()) {
      return Status::InvalidArgument("'" + shown + "' names no effect; write EFFECT=P" + example);
    }
    if (name == "all" || name == "user") {
      first = name == "all" ? 0 : kFirstUserKind;
      last = 255;
      if (name == "all" && !which.empty()) {
        return Status::InvalidArgument("'" + shown +
                                       "': 'all' takes no perturbation name; name an effect");
      }
    } else {
      const EffectSpec* e = FindEffectByName(name);
      if (e == nullptr) {
        return Status::InvalidArgument("unknown effect '" + std::string(name) + "' in '" + shown +
                                       "'; chaos can perturb " + ChaosTargetList());
      }
      if (kIndex[uint8_t(e->kind)].empty()) {
        return Status::InvalidArgument(
            std::string(e->name) +
            " cannot be perturbed: chaos changes what effects return to the program, and " +
            std::string(e->name) + " returns nothing worth changing; chaos can perturb " +
            ChaosTargetList());
      }
      first = last = uint8_t(e->kind);
    }
    uint32_t only = 0;
    if (!which.empty()) {
      std::span<const Perturbation> list = kIndex[first];
      for (size_t i = 0; i < list.size(); ++i) {
        if (SameName(which, list[i].name)) only = uint32_t(1) << i;
      }
      if (only == 0) {
        return Status::InvalidArgument("'" + shown + "': " + std::string(name) +
                                       " has no perturbation '" + std::string(which) +
                                       "'; its perturbations are " + NamesOf(list));
      }
    }
    SetKinds(&spec, first, last, p, only);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return spec;
}

uint64_t NewChaosSeed() {
  std::random_device source;  // getrandom(2) on Linux
  return uint64_t(source()) << 32 | source();
}

Chaos::Chaos(const ChaosSpec& spec, uint64_t seed) : state_(seed) {
  for (int k = 0; k < 256; ++k) {
    // floor(p * 2^53): exact in double for every p in [0, 1].
    threshold_[k] = uint64_t(std::ldexp(spec.probability[k], 53));
    allowed_[k] = spec.allowed[k];
    if (allowed_[k] == 0) threshold_[k] = 0;
  }
}

const Perturbation* Chaos::Pick(uint8_t kind) {
  std::span<const Perturbation> list = kIndex[kind];
  uint32_t allowed = allowed_[kind];
  uint32_t n = uint32_t(__builtin_popcount(allowed));
  uint32_t pick = uint32_t(Next() % n);
  for (size_t i = 0; i < list.size(); ++i) {
    if (!(allowed & (uint32_t(1) << i))) continue;
    if (pick-- == 0) return &list[i];
  }
  return nullptr;  // unreachable: n bits are set
}

std::string_view Chaos::Apply(const Perturbation& p, EffectKind kind, LiveEnv& env,
                              std::string_view args, std::string* scratch, bool* perturbed,
                              uint64_t* waited_ns) {
  *perturbed = true;
  if (waited_ns != nullptr) *waited_ns = 0;
  const EffectSpec* spec = FindEffect(uint8_t(kind));
  switch (p.op) {
    case Op::kReplace:
      if (p.waits_for != nullptr && spec != nullptr && waited_ns != nullptr) {
        *waited_ns = WaitOf(spec->args, p, args);
      }
      EncodeReplacement(spec ? spec->result : UserResultLayout(), p, scratch);
      return *scratch;
    case Op::kFill:
      // random.bits: args are a u32 count (the runtime encoded them).
      scratch->assign(format::LoadU32(AsBytes(args).data()), char(p.fill));
      return *scratch;
    default:
      break;
  }
  // The rest perform the call: built-in effects only (the table gives user
  // effects kReplace alone).
  if (p.op == Op::kEarly) {
    uint64_t ms = format::LoadU64(AsBytes(args).data());
    if (ms == 0) {
      *perturbed = false;  // nothing to cut short
      return spec->live(env, AsBytes(args), scratch);
    }
    uint8_t shorter[8];
    format::StoreU64(shorter, Next() % ms);
    return spec->live(env, Bytes(shorter, 8), scratch);
  }
  std::string_view real = spec->live(env, AsBytes(args), scratch);
  if (p.op == Op::kShiftTime) {
    int64_t ns = int64_t(format::LoadU64(AsBytes(real).data()));
    uint64_t span = uint64_t(p.hi_ns - p.lo_ns) + 1;
    int64_t jump = p.lo_ns + int64_t(Next() % span);
    uint8_t shifted[8];
    format::StoreU64(shifted, uint64_t(ns + p.sign * jump));
    scratch->assign(reinterpret_cast<const char*>(shifted), 8);
    return *scratch;
  }
  // kTruncate: an errno (0) followed by the data (fs.read's kErrnoData).
  if (real.size() <= 4 || format::LoadU32(AsBytes(real).data()) != 0) {
    *perturbed = false;  // a failed or empty read has nothing to cut
    return real;
  }
  uint64_t keep = Next() % (real.size() - 4);
  if (real.data() != scratch->data()) scratch->assign(real);
  scratch->resize(4 + keep);
  return *scratch;
}

}  // namespace tape::engine
