// The builtins on strings (specs/language.md §7): str, chr, byte_at, split,
// join, trim, lower, upper, replace, starts_with, ends_with.

#include <fmt/core.h>

#include <string>
#include <vector>

#include "engine/lang/builtins_internal.h"
#include "engine/lang/limits.h"

namespace tape::lang::builtins {

Value Str(const Value& v) { return v.is_string() ? v : Value::String(ToString(v)); }

Value Chr(const Value& v) {
  int64_t n = IntArg("chr", v);
  if (n < 0 || n > 255) Fault(fmt::format("chr(): {} is not a byte (0..255)", n));
  return Value::String(std::string(1, static_cast<char>(n)));
}

Value ByteAt(const Value& s, const Value& i) {
  const std::string& text = StringArg("byte_at", s);
  int64_t index = IntArg("byte_at", i, "an int index");
  if (index < 0 || static_cast<uint64_t>(index) >= text.size()) {
    Fault(fmt::format("byte_at(): index {} is out of range for a string of length {}", index,
                      text.size()));
  }
  return Value::Int(static_cast<unsigned char>(text[static_cast<size_t>(index)]));
}

Value Split(const Value& s, const Value& sep) {
  const std::string& text = StringArg("split", s);
  const std::string& by = StringArg("split", sep, "a string separator");
  if (by.empty()) Fault("split(): the separator must not be empty");
  std::vector<Value> parts;
  size_t start = 0;
  for (;;) {
    size_t at = text.find(by, start);
    CheckElements(static_cast<int64_t>(parts.size()) + 1);
    if (at == std::string::npos) {
      parts.push_back(Value::String(text.substr(start)));
      break;
    }
    parts.push_back(Value::String(text.substr(start, at - start)));
    start = at + by.size();
  }
  return Value::NewList(std::move(parts));
}

Value Join(const Value& list, const Value& sep) {
  if (!list.is_list()) ArgFault("join", "a list", list);
  const std::string& by = StringArg("join", sep, "a string separator");
  std::string out;
  bool first = true;
  for (const Value& item : list.list()) {
    if (!first) out += by;
    first = false;
    if (item.is_string()) {
      out += item.str();
    } else {
      AppendRepr(&out, item);
    }
    CheckStringSize(static_cast<int64_t>(out.size()));
  }
  return Value::String(std::move(out));
}

Value Trim(const Value& s) {
  const std::string& text = StringArg("trim", s);
  size_t b = 0, e = text.size();
  while (b < e && IsAsciiSpace(text[b])) ++b;
  while (e > b && IsAsciiSpace(text[e - 1])) --e;
  return Value::String(text.substr(b, e - b));
}

Value ChangeCase(const char* fn, const Value& s, bool upper) {
  std::string text = StringArg(fn, s);
  for (char& c : text) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return Value::String(std::move(text));
}

// replace(s, old, new): every occurrence of `old`, left to right, without
// overlaps.
Value Replace(const Value& s, const Value& from, const Value& to) {
  const std::string& text = StringArg("replace", s);
  const std::string& old = StringArg("replace", from, "a string to replace");
  const std::string& with = StringArg("replace", to, "a replacement string");
  if (old.empty()) Fault("replace(): the string to replace must not be empty");
  std::string out;
  size_t start = 0;
  for (;;) {
    size_t at = text.find(old, start);
    size_t end = at == std::string::npos ? text.size() : at;
    CheckStringSize(static_cast<int64_t>(out.size() + (end - start) + with.size()));
    out.append(text, start, end - start);
    if (at == std::string::npos) break;
    out += with;
    start = at + old.size();
  }
  return Value::String(std::move(out));
}

Value StartsWith(const Value& s, const Value& prefix) {
  return Value::Bool(
      StringArg("starts_with", s).starts_with(StringArg("starts_with", prefix, "a string prefix")));
}

Value EndsWith(const Value& s, const Value& suffix) {
  return Value::Bool(
      StringArg("ends_with", s).ends_with(StringArg("ends_with", suffix, "a string suffix")));
}

}  // namespace tape::lang::builtins
