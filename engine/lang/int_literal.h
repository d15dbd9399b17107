// Integer text to int64, exactly: no locale, no whitespace, no overflow.

#ifndef TAPE_LANG_INT_LITERAL_H_
#define TAPE_LANG_INT_LITERAL_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace tape::lang {

// A literal as the lexer accepts it: decimal digits, or 0x/0X and hex digits.
// nullopt if malformed or larger than INT64_MAX.
std::optional<int64_t> ParseIntLiteral(std::string_view text);

// What int(s) accepts: an optional '+' or '-', then decimal digits. nullopt if
// malformed or outside int64 (so "-9223372036854775808" is accepted).
std::optional<int64_t> ParseDecimal(std::string_view text);

}  // namespace tape::lang

#endif  // TAPE_LANG_INT_LITERAL_H_
