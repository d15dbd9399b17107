#include "engine/internal/chaos.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <random>

#include "format/bytes.h"
#include "format/layout.h"

namespace tape::engine {

namespace {

using format::AsBytes;

// Every perturbation of a list.
uint32_t AllOf(std::span<const Perturbation> list) { return uint32_t((1ull << list.size()) - 1); }

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
    std::span<const Perturbation> list = PerturbationsOf(uint8_t(k));
    if (list.empty()) continue;
    spec->probability[k] = probability;
    spec->allowed[k] = only ? only : AllOf(list);
  }
}

}  // namespace

std::span<const Perturbation> PerturbationsOf(uint8_t kind) {
  const EffectSpec* spec = FindEffectOrUser(kind);
  return spec ? spec->chaos : std::span<const Perturbation>();
}

std::string ChaosTargetList() {
  std::string out;
  for (const EffectSpec* e : AllEffects()) {
    if (e->chaos.empty()) continue;
    out += fmt::format("{} ({}), ", e->name, NamesOf(e->chaos));
  }
  return out + "user (every user-defined effect: " + NamesOf(kUserEffects.chaos) + "), or all";
}

Result<ChaosSpec> ParseChaosSpec(std::string_view given) {
  ChaosSpec spec;
  for (char c : given) {
    if (c != ' ' && c != '\t') spec.text += c;
  }
  const std::string example = " (e.g. fs.read=0.1,clock.now=0.01 or all=0.05)";
  if (spec.text.empty()) return Status::InvalidArgument("the chaos spec is empty" + example);
  if (spec.text.size() > format::kMaxShortString) {
    return Status::InvalidArgument(
        fmt::format("the chaos spec is {} bytes; at most {} fit in a trace", spec.text.size(),
                    format::kMaxShortString));
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
      if (e->chaos.empty()) {
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
      std::span<const Perturbation> list = PerturbationsOf(uint8_t(first));
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

Chaos::Chaos(const ChaosSpec& spec, uint64_t seed) : draw_{seed} {
  for (int k = 0; k < 256; ++k) {
    // floor(p * 2^53): exact in double for every p in [0, 1].
    threshold_[k] = uint64_t(std::ldexp(spec.probability[k], 53));
    allowed_[k] = spec.allowed[k];
    if (allowed_[k] == 0) threshold_[k] = 0;
  }
}

const Perturbation* Chaos::Pick(uint8_t kind) {
  std::span<const Perturbation> list = PerturbationsOf(kind);
  uint32_t allowed = allowed_[kind];
  uint32_t n = uint32_t(__builtin_popcount(allowed));
  uint32_t pick = uint32_t(draw_.Next() % n);
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
  if (p.replace != nullptr) {
    if (p.waits_ns != nullptr && waited_ns != nullptr) *waited_ns = p.waits_ns(AsBytes(args));
    p.replace(AsBytes(args), scratch);
    return *scratch;
  }
  // The rest perform the call: built-in effects only (user effects' are
  // replacements: their function is never run).
  const EffectSpec& spec = *FindEffect(uint8_t(kind));
  if (p.change_args != nullptr) {
    std::string changed;
    if (!p.change_args(AsBytes(args), draw_, &changed)) {
      *perturbed = false;
      return spec.live(env, AsBytes(args), scratch);
    }
    return spec.live(env, AsBytes(changed), scratch);
  }
  std::string_view real = spec.live(env, AsBytes(args), scratch);
  if (real.data() != scratch->data()) scratch->assign(real);
  *perturbed = p.change_result(scratch, draw_);
  return *scratch;
}

}  // namespace tape::engine
