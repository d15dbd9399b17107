// version.marker: which version of a change a run took (Runtime::Version,
// `version(change_id, min, max)` in scripts; specs/trace-format.md §13.7).
// The runtime performs it (runtime.cc): recording stores `max`, replay and
// rerun serve the stored version or, for a trace recorded before the
// marker existed, `min`. It has no live implementation and no chaos.

#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "engine/effects/bind.h"
#include "engine/effects/registry.h"
#include "engine/effects/script.h"

namespace tape::engine {

namespace {

struct Request {
  std::string_view change;
};
constexpr Fields<Request> kRequest{Field<&Request::change>(FieldType::kText, "change").Key()};
constexpr Fields<int32_t> kVersion{Whole<int32_t>(FieldType::kI32, "version")};

// version(change_id, min, max): checked here so that a script gets its own
// runtime error (the runtime's std::invalid_argument is for C++ callers).
Value Version(ScriptCall& c) {
  const std::string& id = StringArg("version", c.args[0], "a change id string");
  bool printable = !id.empty() && id.size() <= kMaxEffectNameBytes &&
                   std::all_of(id.begin(), id.end(), [](char ch) {
                     return uint8_t(ch) > 0x20 && uint8_t(ch) < 0x7f;
                   });
  if (!printable) {
    lang::Fault(
        fmt::format("version(): the change id must be 1 to {} printable characters without spaces, "
                    "such as \"rounding-fix\", got {}",
                    kMaxEffectNameBytes, Quoted(id)));
  }
  for (int i : {1, 2}) {
    const Value& v = c.args[i];
    if (!v.is_int() || v.as_int() < INT32_MIN || v.as_int() > INT32_MAX) {
      lang::Fault(fmt::format(
          "version() expects {} as an int from -2147483648 to 2147483647, got {}",
          i == 1 ? "min" : "max", v.is_int() ? std::to_string(v.as_int()) : Article(v)));
    }
  }
  int64_t min = c.args[1].as_int(), max = c.args[2].as_int();
  if (min > max) {
    lang::Fault(fmt::format("version(\"{}\", {}, {}): min is above max", id, min, max));
  }
  return Value::Int(c.rt.VersionAt(c.site, id, int32_t(min), int32_t(max)));
}
constexpr ScriptBinding kScript[] = {
    {"", "version", 3, Version},
};

}  // namespace

constinit const EffectSpec kVersionMarker = {
    .kind = EffectKind::kVersionMarker,
    .name = "version.marker",
    .direction = Direction::kInput,
    .args = kRequest,
    .result = kVersion,
    .script = kScript,
};

}  // namespace tape::engine
