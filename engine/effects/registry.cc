#include "engine/effects/registry.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

namespace tape::engine {

namespace {

constexpr std::array<const EffectSpec*, 256> BuildIndex() {
  std::array<const EffectSpec*, 256> index{};
#define TAPE_INDEX_EFFECT_(name, number) index[number] = &k##name;
  TAPE_BUILTIN_EFFECTS(TAPE_INDEX_EFFECT_)
#undef TAPE_INDEX_EFFECT_
  return index;
}

std::vector<const EffectSpec*> ListAll() {
  std::vector<const EffectSpec*> all;
  for (size_t k = 0; k < kEffectIndex.size(); ++k) {
    const EffectSpec* e = kEffectIndex[k];
    if (e == nullptr) continue;
    // Each file declares the kind it is filed under in TAPE_BUILTIN_EFFECTS.
    if (size_t(e->kind) != k) {
      fmt::print(stderr, "tape: the declaration of {} is filed under another kind\n", e->name);
      std::abort();
    }
    all.push_back(e);
  }
  return all;
}

// Per kind: the args and result sizes with which an event is well formed
// without parsing it (no cross check; layouts of fixed-width numbers and
// at most one rest of any bytes).
struct SizeRules {
  SizeRule args[256], result[256];
  SizeRules() {
    for (int k = 0; k < 256; ++k) {
      const EffectSpec* spec = FindEffect(uint8_t(k));
      if (spec == nullptr || spec->cross_check != nullptr) continue;
      args[k] = SizeRuleOf(spec->args.layout);
      result[k] = SizeRuleOf(spec->result.layout);
    }
  }
};

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

const Layout* ArgsLayout(uint8_t kind) {
  const EffectSpec* e = FindEffectOrUser(kind);
  return e ? &e->args.layout : nullptr;
}

const Layout* ResultLayout(uint8_t kind) {
  const EffectSpec* e = FindEffectOrUser(kind);
  return e ? &e->result.layout : nullptr;
}

Status CheckEvent(uint8_t kind, Bytes args, Bytes result) {
  // The common case (a clock reading, a sleep, a write) costs two compares:
  // verify calls this for every event.
  static const SizeRules sizes;
  if (sizes.args[kind].Holds(args.size()) && sizes.result[kind].Holds(result.size())) {
    return Status::Ok();
  }
  const EffectSpec* spec = FindEffectOrUser(kind);
  if (spec == nullptr) return Status::Corrupt(fmt::format("kind {} is reserved", kind));
  ParsedPayload a, r;
  Status s = ParsePayload(spec->args.layout, args, &a);
  if (!s.ok()) return s.WithContext("args");
  s = ParsePayload(spec->result.layout, result, &r);
  if (!s.ok()) return s.WithContext("result");
  if (spec->cross_check) return spec->cross_check(a, r);
  return Status::Ok();
}

}  // namespace tape::engine

// Public names of the built-in kinds (tape/effects.h), from the registry.
namespace tape {

std::string EffectName(EffectKind kind) {
  if (const engine::EffectSpec* e = engine::FindEffect(uint8_t(kind))) return std::string(e->name);
  return fmt::format("kind {}", unsigned(kind));
}

bool IsKnownEffect(uint8_t kind) { return engine::FindEffect(kind) != nullptr; }

bool ParseEffectName(std::string_view name, EffectKind* kind) {
  const engine::EffectSpec* e = engine::FindEffectByName(name);
  if (e == nullptr) return false;
  *kind = e->kind;
  return true;
}

}  // namespace tape
