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

// Runtime::EnvGetAt passes the name as it is and reads the result's
// set/unset byte and value itself: the hot path (a script's env.get in a
// loop) parses and builds nothing.
static_assert(kRequest.layout.count == 1 && kRequest.layout.fields[0].type == FieldType::kText);
static_assert(kValue.layout.count == 1 && kValue.layout.fields[0].type == FieldType::kOptText);

// Reads the variable `name` from the environment. `scratch` holds the name
// (getenv wants it NUL-terminated), then the result: the set byte and the
// value.
std::string_view GetFromEnvironment(LiveEnv& env, std::string_view name, std::string* scratch) {
  scratch->assign(name);
  const char* v = std::getenv(scratch->c_str());
  scratch->clear();
  if (v == nullptr) {
    scratch->push_back('\0');
    return *scratch;
  }
  if (env.redact_env != nullptr && *v != '\0' && MatchesAnyGlob(*env.redact_env, name)) {
    // §13.6: the program gets the value, the trace a marker in its place
    // (an empty value has nothing to hide and stays as it is).
    env.redact_marks = format::kMarkResultRedacted;
  }
  scratch->push_back('\1');
  scratch->append(v);
  return *scratch;
}

// What env.get read before in a fixed environment (LiveEnv::fixed_environment),
// or nullptr.
const LiveEnv::EnvRead* FindRead(const LiveEnv& env, std::string_view name) {
  for (const LiveEnv::EnvRead& r : env.env_read) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

void RememberRead(LiveEnv& env, std::string_view name, std::string_view result) {
  LiveEnv::EnvRead* r;
  if (env.env_read.size() < LiveEnv::kMaxEnvRead) {
    r = &env.env_read.emplace_back();
  } else {
    r = &env.env_read[env.env_read_next];
    env.env_read_next = (env.env_read_next + 1) % LiveEnv::kMaxEnvRead;
  }
  r->name.assign(name);
  r->result.assign(result);
  r->marks = env.redact_marks;
}

// Raw (bytes in, bytes out) rather than LiveTyped: the typed form decoded the
// name into a struct and encoded the value back, most of a recorded call's
// cost.
std::string_view Get(LiveEnv& env, Bytes args, std::string* scratch) {
  std::string_view name = format::AsChars(args);
  if (env.fixed_environment) {
    // The variable cannot have changed since it was read: the same answer
    // (and the same redaction), without scanning the environment again.
    if (const LiveEnv::EnvRead* r = FindRead(env, name)) {
      env.redact_marks = r->marks;
      return r->result;
    }
    std::string_view result = GetFromEnvironment(env, name, scratch);
    RememberRead(env, name, result);
    return result;
  }
  return GetFromEnvironment(env, name, scratch);
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
  std::optional<std::string_view> v =
      c.rt.EnvGetViewAt(c.site, NameArg(call, c.args[0], "name"));
  if (kForm == Form::kHas) return Value::Bool(v.has_value());
  if (!v.has_value()) return kForm == Form::kGetOr ? c.args[1] : SiteString(c, "");
  // A loop reading one variable gets the same value each time: shared.
  return SiteString(c, *v);
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
    .live = Get,
    .chaos = kChaos,
    .script = kScript,
};

}  // namespace tape::engine

namespace tape {

std::optional<std::string> Runtime::EnvGetAt(const Site& site, std::string_view name) {
  std::optional<std::string_view> v = EnvGetViewAt(site, name);
  if (!v.has_value()) return std::nullopt;
  return std::string(*v);
}

}  // namespace tape
