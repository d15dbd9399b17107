#include "engine/lang/int_literal.h"

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
