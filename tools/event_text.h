// How `inspect` and `diff` show an event: a text line, or a JSON object.

#ifndef TAPE_TOOLS_EVENT_TEXT_H_
#define TAPE_TOOLS_EVENT_TEXT_H_

#include <nlohmann/json.hpp>
#include <string>

#include "format/trace_reader.h"

namespace tape::cli {

// "     12  random.bits(8) -> 8 bytes 1f2e…  at dice.cc:10:33 [site 3f2a…]".
std::string EventLine(const format::TraceReader& reader, const format::EventView& e);
// The call and result parts alone: "random.bits(8) -> 8 bytes 1f2e…".
std::string EventCall(const format::TraceReader& reader, const format::EventView& e);
// {"seq":…, "kind":…, "site":…, "location":…, "args":…, "result":…}.
nlohmann::ordered_json EventJson(const format::TraceReader& reader, const format::EventView& e);
// The kind byte an effect name stands for in `reader`'s trace: a built-in
// effect ("clock.now", or "clock") or a user-defined one ("db.query").
bool ParseKind(const format::TraceReader& reader, std::string_view name, uint8_t* kind);

}  // namespace tape::cli

#endif  // TAPE_TOOLS_EVENT_TEXT_H_
