// The code hash and site ids of a script (specs/language.md §11).
//
// Both are derived from the token stream, never from byte offsets or the
// file's path: reformatting a script or adding comments changes neither, and
// the same script replays from any directory. Any changed token changes the
// code hash, which replay checks before running.

#ifndef TAPE_LANG_CODE_HASH_H_
#define TAPE_LANG_CODE_HASH_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/lang/token.h"

namespace tape::lang {

// 16 bytes: XXH3-128 (seed 0) of "tape-script/1\n" followed by, per token
// before the end of file, its lexeme's length as u32 little-endian and the
// lexeme. The hash's canonical (big-endian) byte form.
std::string CodeHash(const std::vector<Token>& tokens);

// XXH3-64 (seed 0) of "tape-script-site/1:<scope>:<effect>:<ordinal>", where
// scope is the enclosing function's name or "<top>" for top-level code,
// effect is e.g. "clock.now", and ordinal counts that effect's call sites in
// the scope from 0 in source order.
uint64_t ScriptSiteId(std::string_view scope, std::string_view effect, int ordinal);

}  // namespace tape::lang

#endif  // TAPE_LANG_CODE_HASH_H_
