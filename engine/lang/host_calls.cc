#include "engine/lang/host_calls.h"

#include <algorithm>
#include <cassert>

#include "engine/effects/registry.h"
#include "engine/effects/script.h"
#include "engine/lang/limits.h"

namespace tape::lang {
namespace {

using engine::ScriptBinding;
using engine::ScriptErrors;

struct HostEntry {
  HostInfo info;
  const ScriptBinding* binding;  // nullptr for M.last_error()
  int error_slot;                // HostState::last_error index, or -1
};

struct HostTable {
  std::vector<HostEntry> entries;
  std::vector<Value> first_errors;  // each slot's value before any call
};

// Grouped by module, in the order modules first appear among the effects
// (kind order), each module's last_error() after its calls; print and
// eprint last. A call's forms are adjacent, the one FindHost() falls back
// to first.
HostTable BuildTable() {
  struct Bound {
    const ScriptBinding* binding;
    std::string_view effect;
  };
  std::vector<Bound> all;
  std::vector<std::string_view> modules;
  for (const engine::EffectSpec* e : engine::AllEffects()) {
    for (const ScriptBinding& b : e->script) {
      all.push_back({&b, e->name});
      if (std::find(modules.begin(), modules.end(), b.module) == modules.end()) {
        modules.push_back(b.module);
      }
    }
  }
  // Modules without a name (print, eprint) come last.
  std::stable_partition(modules.begin(), modules.end(),
                        [](std::string_view m) { return !m.empty(); });
  HostTable t;
  std::vector<std::string_view> slots;  // the module of each error slot
  auto slot_of = [&](std::string_view module, ScriptErrors errors) {
    auto it = std::find(slots.begin(), slots.end(), module);
    if (it != slots.end()) return int(it - slots.begin());
    slots.push_back(module);
    t.first_errors.push_back(errors == ScriptErrors::kErrno ? Value::Int(0) : Value::String(""));
    return int(slots.size() - 1);
  };
  for (std::string_view module : modules) {
    ScriptErrors errors = ScriptErrors::kNone;
    for (const Bound& b : all) {
      if (b.binding->module != module) continue;
      int slot = -1;
      if (b.binding->errors != ScriptErrors::kNone) {
        slot = slot_of(b.binding->errors_module(), b.binding->errors);
        if (b.binding->errors_module() == module) errors = b.binding->errors;
      }
      auto id = Host(uint8_t(t.entries.size()));
      t.entries.push_back({{b.binding->module, b.binding->function, id, b.binding->arity, b.effect},
                           b.binding,
                           slot});
    }
    if (errors != ScriptErrors::kNone) {
      auto id = Host(uint8_t(t.entries.size()));
      t.entries.push_back({{module, "last_error", id, 0, ""}, nullptr, slot_of(module, errors)});
    }
  }
  assert(t.entries.size() <= 256 && "a host call's number is a byte");
  assert(t.entries[0].info.effect == "clock.now" && "Host::kClockNow");
  return t;
}

const HostTable& Table() {
  static const HostTable table = BuildTable();
  return table;
}

}  // namespace

HostState::HostState() : last_error(Table().first_errors) {}

const HostInfo* FindHost(std::string_view module, std::string_view function, int argc) {
  const HostInfo* first = nullptr;
  for (const HostEntry& e : Table().entries) {
    const HostInfo& h = e.info;
    if (h.module != module || h.function != function) continue;
    if (h.arity == argc) return &h;
    if (first == nullptr) first = &h;
  }
  return first;
}

void HostArgCounts(std::string_view module, std::string_view function, int* min, int* max) {
  *min = kMaxArgs;
  *max = 0;
  for (const HostEntry& e : Table().entries) {
    const HostInfo& h = e.info;
    if (h.module != module || h.function != function) continue;
    *min = std::min(*min, h.arity);
    *max = std::max(*max, h.arity);
  }
}

std::string HostCallList() {
  std::string out;
  for (const HostEntry& e : Table().entries) {
    const HostInfo& h = e.info;
    // One mention per call, however many forms it has.
    if (h.module.empty() || FindHost(h.module, h.function) != &h) continue;
    if (!out.empty()) out += ", ";
    out.append(h.module).append(".").append(h.function);
  }
  return out;
}

Value CallHost(Host id, Runtime& rt, const Site& site, int site_index, Value* args,
               HostState* state) {
  const HostEntry& e = Table().entries[uint8_t(id)];
  Value* last_error = e.error_slot >= 0 ? &state->last_error[size_t(e.error_slot)] : nullptr;
  if (e.binding == nullptr) return *last_error;
  Value* site_result = site_index >= 0 ? &state->site_results[size_t(site_index)] : nullptr;
  engine::ScriptCall call{rt, site, args, last_error, site_result};
  return e.binding->call(call);
}

}  // namespace tape::lang
