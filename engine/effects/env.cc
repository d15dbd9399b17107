// env.get: an environment variable's value, or unset.

#include <cstdlib>

#include "engine/effects/bind.h"
#include "engine/effects/registry.h"
#include "engine/effects/script.h"
#include "engine/internal/redaction.h"
#include "format/layout.h"

namespace tape::engine {

namespace {

struct Request {
  std::string_view name;
};
constexpr Fields<Request> kRequest{Field<&Request::name>(FieldType::kText, "name").Key()};
using MaybeValue = std::optional<std::string>;
constexpr Fields<MaybeValue> kValue{Whole<MaybeValue>(FieldType::kOptText, "value")};

MaybeValue Get(LiveEnv& env, const Request& r) {
  std::string name(r.name);
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  if (env.redact_env != nullptr && *v != '\0' && MatchesAnyGlob(*env.redact_env, name)) {
    // §13.6: the program gets the value, the trace a marker in its place
    // (an empty value has nothing to hide and stays as it is).
    env.redact_marks = format::kMarkResultRedacted;
  }
  return std::string(v);
}

constexpr Perturbation kChaos[] = {
    Replace<kValue>("unset", [] { return MaybeValue(); }),
    Replace<kValue>("empty", [] { return MaybeValue(""); }),
};

// env.get(name) is "" when unset (as in the original), env.get(name,
// default) the default; env.has(name) tells unset from empty.
enum class Form { kGet, kGetOr, kHas };
template <Form kForm>
Value GetValue(ScriptCall& c) {
  const char* call = kForm == Form::kHas ? "env.has" : "env.get";
  std::optional<std::string> v = c.rt.EnvGetAt(c.site, NameArg(call, c.args[0], "name"));
  if (kForm == Form::kHas) return Value::Bool(v.has_value());
  if (!v.has_value()) return kForm == Form::kGetOr ? c.args[1] : Value::String("");
  return Value::String(std::move(*v));
}
constexpr ScriptBinding kScript[] = {
    {"env", "get", 1, GetValue<Form::kGet>},
    {"env", "get", 2, GetValue<Form::kGetOr>},
    {"env", "has", 1, GetValue<Form::kHas>},
};

}  // namespace

constinit const EffectSpec kEnvGet = {
    .kind = EffectKind::kEnvGet,
    .name = "env.get",
    .direction = Direction::kInput,
    .args = kRequest,
    .result = kValue,
    .live = LiveTyped<kRequest, kValue, Get>,
    .chaos = kChaos,
    .script = kScript,
};

}  // namespace tape::engine

namespace tape {

std::optional<std::string> Runtime::EnvGetAt(const Site& site, std::string_view name) {
  return engine::EffectCall::Perform<engine::kRequest, engine::kValue>(*this, site,
                                                                       EffectKind::kEnvGet, {name});
}

}  // namespace tape
