// Bytes shown to people: text made safe for a terminal, payloads quoted
// when they are text and in hex when they are not. Used by the field types'
// text form (fields.cc) and by every message that quotes recorded bytes.

#ifndef TAPE_ENGINE_EFFECTS_PRINTABLE_H_
#define TAPE_ENGINE_EFFECTS_PRINTABLE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "format/bytes.h"

namespace tape::engine {

using format::Bytes;

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

// A short, printable excerpt of `s` for a message: its first 80 bytes,
// control bytes as '?', "..." when cut.
std::string Excerpt(std::string_view s);

// The first bytes of `b` in hex, at most `limit` digits, "…" when cut.
std::string HexPrefix(Bytes b, size_t limit);

}  // namespace tape::engine

#endif  // TAPE_ENGINE_EFFECTS_PRINTABLE_H_
