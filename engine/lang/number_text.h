// Numbers to text and back, exactly and the same on every machine: no
// locale, no whitespace, no overflow, no platform-dependent rounding.

#ifndef TAPE_LANG_NUMBER_TEXT_H_
#define TAPE_LANG_NUMBER_TEXT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tape::lang {

// A literal as the lexer accepts it: decimal digits, or 0x/0X and hex digits.
// nullopt if malformed or larger than INT64_MAX.
std::optional<int64_t> ParseIntLiteral(std::string_view text);

// What int(s) accepts: an optional '+' or '-', then decimal digits. nullopt if
// malformed or outside int64 (so "-9223372036854775808" is accepted).
std::optional<int64_t> ParseDecimal(std::string_view text);

// Float text (specs/language.md §2, §7): an optional sign (when `allow_sign`),
// then digits with an optional fraction and exponent ("1.5", "2e-3", "7",
// ".5", "5."), rounded to the nearest double. A value too small for a double
// is 0 (with its sign). nullopt if malformed, or too large for a double
// (`*too_large` is then set, when given); "inf" and "nan" are malformed.
std::optional<double> ParseFloat(std::string_view text, bool allow_sign, bool* too_large = nullptr);

// The shortest text that ParseFloat reads back as exactly `d`, always with a
// '.' or an exponent so that it does not read as an int: 1.0 is "1.0",
// 0.1 is "0.1", 1e20 is "1e+20", -0.0 is "-0.0".
// REQUIRES: `d` is finite.
std::string FormatFloat(double d);

}  // namespace tape::lang

#endif  // TAPE_LANG_NUMBER_TEXT_H_
