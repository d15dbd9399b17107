// json.parse, json.error and json.dump (specs/language.md §7.2): JSON text
// to script values and back. Pure builtins: no effect, nothing recorded.

#ifndef TAPE_LANG_JSON_H_
#define TAPE_LANG_JSON_H_

#include <string>

#include "engine/lang/value.h"

namespace tape::lang {

// json.parse(text[, default]): the value `text` holds. When `text` is not
// JSON (or holds a number too large for a float, or nests deeper than
// values may), `default` if given, else a fault naming the byte and why.
Value JsonParse(const Value* args, int argc);
// json.error(text): "" when json.parse(text) succeeds, else why not
// ("at byte 1 (line 1, column 1): ...").
Value JsonError(const Value& text);
// json.dump(value[, indent]): compact JSON text, or with `indent` (0..16)
// one element per line, indented that many spaces per level.
Value JsonDump(const Value* args, int argc);

}  // namespace tape::lang

#endif  // TAPE_LANG_JSON_H_
