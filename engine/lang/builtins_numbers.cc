// The builtins on numbers (specs/language.md §7): int, float, min, max, abs,
// round, floor, ceil.

#include <cmath>
#include <optional>
#include <string>

#include "engine/lang/builtins_internal.h"
#include "engine/lang/number_text.h"

namespace tape::lang::builtins {
namespace {

// A whole float as an int; nullopt outside int64.
std::optional<int64_t> WholeFloatToInt(double whole) {
  if (!(whole >= -9223372036854775808.0 && whole < 9223372036854775808.0)) return std::nullopt;
  return static_cast<int64_t>(whole);
}

[[noreturn]] void TooLargeForInt(const char* fn, double d) {
  Fault(std::string(fn) + "(): " + FormatFloat(d) +
        " does not fit in an int (-9223372036854775808..9223372036854775807)");
}

std::string_view TrimAscii(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsAsciiSpace(s.back())) s.remove_suffix(1);
  return s;
}

// int(x) without a default; nullopt (with the reason in *why) if `x` does not
// convert.
std::optional<int64_t> ConvertToInt(const Value& v, std::string* why) {
  switch (v.type()) {
    case Type::kInt:
    case Type::kBool:
      return v.as_int();
    case Type::kFloat: {
      std::optional<int64_t> n = WholeFloatToInt(std::trunc(v.as_float()));
      if (!n.has_value()) {
        *why = FormatFloat(v.as_float()) +
               " does not fit in an int (-9223372036854775808..9223372036854775807)";
      }
      return n;
    }
    case Type::kString: {
      std::optional<int64_t> n = ParseDecimal(TrimAscii(v.str()));
      if (!n.has_value()) {
        *why = Describe(v) +
               " is not a whole number between -9223372036854775808 and 9223372036854775807";
      }
      return n;
    }
    default:
      *why = std::string("cannot convert a ") + TypeName(v.type()) + " to an int";
      return std::nullopt;
  }
}

std::optional<double> ConvertToFloat(const Value& v, std::string* why) {
  switch (v.type()) {
    case Type::kFloat:
      return v.as_float();
    case Type::kInt:
    case Type::kBool:
      return static_cast<double>(v.as_int());
    case Type::kString: {
      bool too_large = false;
      std::optional<double> d = ParseFloat(TrimAscii(v.str()), /*allow_sign=*/true, &too_large);
      if (!d.has_value()) {
        *why = Describe(v) + (too_large ? " is too large for a float (about 1.8e308 at most)"
                                        : " is not a number");
      }
      return d;
    }
    default:
      *why = std::string("cannot convert a ") + TypeName(v.type()) + " to a float";
      return std::nullopt;
  }
}

}  // namespace

Value ToInt(const Value* args, int argc) {
  std::string why;
  std::optional<int64_t> n = ConvertToInt(args[0], &why);
  if (n.has_value()) return args[0].is_int() ? args[0] : Value::Int(*n);
  if (argc == 2) return args[1];
  Fault("int(): " + why + " (int(x, default) gives the default instead)");
}

Value ToFloat(const Value* args, int argc) {
  std::string why;
  std::optional<double> d = ConvertToFloat(args[0], &why);
  if (d.has_value()) return Value::Float(*d);
  if (argc == 2) return args[1];
  Fault("float(): " + why + " (float(x, default) gives the default instead)");
}

// min(a, b, ...) / min(list): the first smallest (or largest) of numbers, or
// of strings.
Value MinMax(const char* fn, const Value* args, int argc, bool max) {
  const Value* items = args;
  size_t n = static_cast<size_t>(argc);
  if (argc == 1) {
    if (!args[0].is_list()) ArgFault(fn, "a list, or two or more values", args[0]);
    items = args[0].list().data();
    n = args[0].list().size();
    if (n == 0) Fault(std::string(fn) + "() of an empty list");
  }
  bool numbers = items[0].is_number();
  const Value* best = &items[0];
  for (size_t i = 0; i < n; ++i) {
    const Value& v = items[i];
    if (numbers ? !v.is_number() : !v.is_string()) {
      Fault(std::string(fn) + "() compares numbers or strings, all of one kind; found " +
            TypeName(items[0].type()) + " and " + TypeName(v.type()));
    }
    int c = numbers ? CompareNumbers(v, *best) : v.str().compare(best->str());
    if (max ? c > 0 : c < 0) best = &v;
  }
  return *best;
}

Value Abs(const Value& v) {
  if (v.is_float()) return Value::Float(std::fabs(v.as_float()));
  int64_t n = IntArg("abs", v, "a number");
  if (n == INT64_MIN) Fault("integer overflow: abs(-9223372036854775808) does not fit in 64 bits");
  return Value::Int(n < 0 ? -n : n);
}

// round (halves away from zero), floor and ceil: a float to the int it
// rounds to; an int stays as it is.
Value Rounding(RoundMode mode, const Value& v) {
  const char* fn = mode == RoundMode::kRound   ? "round"
                   : mode == RoundMode::kFloor ? "floor"
                                               : "ceil";
  if (v.is_int()) return v;
  if (!v.is_float()) ArgFault(fn, "a number", v);
  double d = v.as_float();
  double whole = mode == RoundMode::kRound   ? std::round(d)
                 : mode == RoundMode::kFloor ? std::floor(d)
                                             : std::ceil(d);
  std::optional<int64_t> n = WholeFloatToInt(whole);
  if (!n.has_value()) TooLargeForInt(fn, d);
  return Value::Int(*n);
}

}  // namespace tape::lang::builtins
