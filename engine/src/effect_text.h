// How events read for people: drift reports, inspect, diff. Generic over the
// effect table: a payload is shown field by field from its effect's layout.

#ifndef TAPE_ENGINE_EFFECT_TEXT_H_
#define TAPE_ENGINE_EFFECT_TEXT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/src/effect_table.h"
#include "format/bytes.h"
#include "format/trace_info.h"

namespace tape::engine {

// The name of a kind byte: a built-in effect's ("clock.now"), else the name
// `names` gives it (a trace's user-defined effects), else "kind N".
std::string KindName(uint8_t kind, const format::KindNames* names = nullptr);

// The layouts of a kind's args and result: the table's, the user layouts
// for kinds >= kFirstUserKind, nullptr for a reserved kind.
const Layout* ArgsLayout(uint8_t kind);
const Layout* ResultLayout(uint8_t kind);

// `text` made safe for a terminal: control bytes, DEL, C1 controls, bidi
// overrides and bytes that are not valid UTF-8 become escapes (\n, \t, \r,
// \xNN, \u{NNNN}); with `keep_lines`, newlines and tabs stay as they are;
// with `quoting`, " and \ are escaped too. At most `limit` characters of
// `text` are shown; `*used` (if given) gets how many bytes were.
std::string EscapeText(std::string_view text, bool keep_lines, bool quoting = false,
                       size_t limit = SIZE_MAX, size_t* used = nullptr);

// A payload as text when it is printable (quoted, escaped), else as hex;
// shortened to about `limit` characters with the total length noted.
// `missing` counts bytes of the payload left out of `bytes` (the caller
// passed a prefix of a long payload).
std::string Printable(Bytes bytes, size_t limit = 48, uint64_t missing = 0);

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
