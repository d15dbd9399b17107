#include "engine/lang/number_text.h"

#include <algorithm>
#include <charconv>
#include <system_error>

namespace tape::lang {
namespace {

int DigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}

// Accumulates digits as a negative number, which has the larger range.
std::optional<int64_t> AccumulateNegative(std::string_view digits, int base) {
  if (digits.empty()) return std::nullopt;
  int64_t v = 0;
  for (char c : digits) {
    int d = DigitValue(c);
    if (d >= base) return std::nullopt;
    if (__builtin_mul_overflow(v, base, &v) || __builtin_sub_overflow(v, d, &v)) {
      return std::nullopt;
    }
  }
  return v;
}

}  // namespace

std::optional<int64_t> ParseIntLiteral(std::string_view text) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  std::optional<int64_t> neg = AccumulateNegative(text, base);
  if (!neg.has_value() || *neg == INT64_MIN) return std::nullopt;
  return -*neg;
}

std::optional<int64_t> ParseDecimal(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  std::optional<int64_t> neg = AccumulateNegative(text, 10);
  if (!neg.has_value()) return std::nullopt;
  if (negative) return *neg;
  if (*neg == INT64_MIN) return std::nullopt;
  return -*neg;
}

}  // namespace tape::lang

namespace tape::lang {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// For a decimal text that std::from_chars found out of range: whether it is
// too large (rather than too small) for a double. Its magnitude is the
// position of the first non-zero digit relative to the point, plus the
// exponent; out-of-range texts are far from 0 either way.
bool TooLarge(std::string_view text) {
  size_t i = 0;
  int64_t magnitude = 0;
  bool seen_nonzero = false;
  while (i < text.size() && IsDigit(text[i])) {
    if (text[i] != '0') seen_nonzero = true;
    if (seen_nonzero) ++magnitude;
    ++i;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && IsDigit(text[i])) {
      if (!seen_nonzero) {
        if (text[i] != '0') {
          seen_nonzero = true;
        } else {
          --magnitude;
        }
      }
      ++i;
    }
  }
  int64_t exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool negative = i < text.size() && text[i] == '-';
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
    for (; i < text.size(); ++i) {
      exponent = std::min<int64_t>(exponent * 10 + (text[i] - '0'), 1'000'000'000);
    }
    if (negative) exponent = -exponent;
  }
  return magnitude + exponent > 0;
}

}  // namespace

std::optional<double> ParseFloat(std::string_view text, bool allow_sign, bool* too_large) {
  if (too_large != nullptr) *too_large = false;
  bool negative = false;
  if (allow_sign && !text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  // The shape is checked here, not left to from_chars, which would also take
  // "inf", "nan" and a second sign.
  size_t i = 0, mantissa_digits = 0;
  while (i < text.size() && IsDigit(text[i])) ++i, ++mantissa_digits;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && IsDigit(text[i])) ++i, ++mantissa_digits;
  }
  if (mantissa_digits == 0) return std::nullopt;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    size_t exponent_digits = 0;
    while (i < text.size() && IsDigit(text[i])) ++i, ++exponent_digits;
    if (exponent_digits == 0) return std::nullopt;
  }
  if (i != text.size()) return std::nullopt;
  // from_chars does not take a '+' before the exponent's digits in every
  // implementation, nor "5." or ".5"; normalise to what it surely takes.
  std::string plain;
  plain.reserve(text.size() + 2);
  if (text[0] == '.') plain.push_back('0');
  for (size_t k = 0; k < text.size(); ++k) {
    char c = text[k];
    if (c == '+') continue;
    plain.push_back(c);
    if (c == '.' && (k + 1 == text.size() || !IsDigit(text[k + 1]))) plain.push_back('0');
  }
  double d = 0;
  auto [end, ec] =
      std::from_chars(plain.data(), plain.data() + plain.size(), d, std::chars_format::general);
  if (ec == std::errc::result_out_of_range) {
    if (TooLarge(plain)) {
      if (too_large != nullptr) *too_large = true;
      return std::nullopt;
    }
    d = 0;  // too small: rounds to zero
  } else if (ec != std::errc() || end != plain.data() + plain.size()) {
    return std::nullopt;
  }
  return negative ? -d : d;
}

std::string FormatFloat(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  std::string out(buf, ec == std::errc() ? end : buf);
  if (out.find_first_of(".e") == std::string::npos) out += ".0";
  return out;
}

}  // namespace tape::lang
