// How `inspect` and `diff` show an event: a text line, or a JSON object;
// and how every verb prints JSON.

#ifndef TAPE_TOOLS_EVENT_TEXT_H_
#define TAPE_TOOLS_EVENT_TEXT_H_

#include <nlohmann/json.hpp>
#include <string>

#include "format/trace_reader.h"

namespace tape::cli {

// "     12  random.bits(8) -> 8 bytes 1f2e…  at dice.cc:10:33 [site 3f2a…]"; an
// event of a thread's lane other than 0 has "[lane N] " before the call.
std::string EventLine(const format::TraceReader& reader, const format::EventView& e);
// The call and result parts alone: "random.bits(8) -> 8 bytes 1f2e…", with
// " [chaos]" after a result chaos mode perturbed.
std::string EventCall(const format::TraceReader& reader, const format::EventView& e);
// {"seq":…, "lane":…, "kind":…, "site":…, "location":…, "args":…, "result":…},
// and "perturbed":true for a result chaos mode perturbed.
nlohmann::ordered_json EventJson(const format::TraceReader& reader, const format::EventView& e);
// The kind byte an effect name stands for in `reader`'s trace: a built-in
// effect ("clock.now", or "clock") or a user-defined one ("db.query").
bool ParseKind(const format::TraceReader& reader, std::string_view name, uint8_t* kind);

// How the tools print JSON: one line of ASCII. Strings from a trace may hold
// anything; every control and non-ASCII character is written as \uXXXX (so
// the line is safe on a terminal), and bytes that are not UTF-8 as U+FFFD.
std::string JsonLine(const nlohmann::ordered_json& j);

}  // namespace tape::cli

#endif  // TAPE_TOOLS_EVENT_TEXT_H_
