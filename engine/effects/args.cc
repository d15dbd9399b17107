// args.get: the program's arguments (not including the program's name).

#include "engine/effects/bind.h"
#include "engine/effects/registry.h"
#include "engine/effects/script.h"

namespace tape::engine {

namespace {

using Args = std::vector<std::string>;
constexpr Fields<Args> kArgs{Whole<Args>(FieldType::kTextList, "args")};

Args Get(LiveEnv& env, const NoArgs&) { return env.args ? *env.args : Args(); }

Value GetValue(ScriptCall& c) { return StringList(c.rt.ArgsGetAt(c.site)); }
constexpr ScriptBinding kScript[] = {{"args", "get", 0, GetValue}};

}  // namespace

constinit const EffectSpec kArgsGet = {
    .kind = EffectKind::kArgsGet,
    .name = "args.get",
    .direction = Direction::kInput,
    .args = kNoArgs,
    .result = kArgs,
    .live = LiveTyped<kNoArgs, kArgs, Get>,
    .script = kScript,
};

}  // namespace tape::engine

namespace tape {

std::vector<std::string> Runtime::ArgsGetAt(const Site& site) {
  return engine::EffectCall::Perform<engine::kNoArgs, engine::kArgs>(*this, site,
                                                                     EffectKind::kArgsGet, {});
}

}  // namespace tape
