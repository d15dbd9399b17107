// How events read for people: drift reports, inspect, diff. Generic over the
// registry: a payload is shown field by field from its effect's layout.

#ifndef TAPE_ENGINE_EFFECT_TEXT_H_
#define TAPE_ENGINE_EFFECT_TEXT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/effects/printable.h"
#include "engine/effects/registry.h"
#include "format/bytes.h"
#include "format/trace_info.h"

namespace tape::engine {

// The name of a kind byte: a built-in effect's ("clock.now"), else the name
// `names` gives it (a trace's user-defined effects), else "kind N".
std::string KindName(uint8_t kind, const format::KindNames* names = nullptr);

// "random.bits(8)", "fs.read(\"data.txt\")", "db.query(\"select 1\")".
// `name` as from KindName. `missing` as for Printable: the payload was cut
// at its end.
std::string DescribeCall(std::string_view name, uint8_t kind, Bytes args, size_t limit = 48,
                         uint64_t missing = 0);
// "1700000000.123456789", "8 bytes 1f2e…", "errno 2 (No such file or directory)".
std::string DescribeResult(uint8_t kind, Bytes result, size_t limit = 48, uint64_t missing = 0);

// For two payloads that differ: the offset of the first differing byte and
// a window of both around it, e.g.
//   "first difference at byte 70 of 90: …\"tail-A\" vs …\"tail-B\"".
// Empty when they are equal.
std::string FirstDifference(Bytes recorded, Bytes now);

}  // namespace tape::engine

#endif  // TAPE_ENGINE_EFFECT_TEXT_H_
