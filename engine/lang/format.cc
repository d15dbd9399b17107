// format(template, values...) (specs/language.md §7.1): values into a
// template, with widths and alignment for tables.
//
//   {}       the next value (strings as they are, others as str() renders them)
//   {:>8}    right-aligned in 8 characters; {:<8} left, {:^8} centred
//   {:08}    a number padded with zeros after its sign
//   {:.2}    a float with 2 digits after the point; a string cut to 2 characters
//   {{ }}    literal braces

#include <fmt/core.h>

#include <charconv>
#include <string>

#include "engine/lang/builtins_internal.h"
#include "engine/lang/limits.h"

namespace tape::lang::builtins {
namespace {

struct Spec {
  char align = 0;  // '<', '>', '^', or 0 for the default (numbers right, others left)
  bool zero_pad = false;
  int width = 0;
  int precision = -1;  // -1: none
};

[[noreturn]] void FormatFault(const std::string& message) { Fault("format(): " + message); }

// Characters, counting each UTF-8 sequence as one: bytes that do not
// continue a sequence.
size_t Characters(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// The first `max` characters of `s`.
std::string_view FirstCharacters(std::string_view s, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && n++ == max) return s.substr(0, i);
  }
  return s;
}

// Reads a decimal count at `*at` in `text` (at most kMaxFormatWidth).
int ReadCount(std::string_view text, size_t* at, const char* what) {
  size_t start = *at;
  int64_t n = 0;
  while (*at < text.size() && text[*at] >= '0' && text[*at] <= '9') {
    n = n * 10 + (text[*at] - '0');
    if (n > kMaxFormatWidth) {
      FormatFault(std::string("the ") + what + " in {:" + std::string(text) + "} is more than " +
                  std::to_string(kMaxFormatWidth));
    }
    ++*at;
  }
  if (*at == start) {
    FormatFault(std::string("expected a ") + what + " in {:" + std::string(text) + "}");
  }
  return static_cast<int>(n);
}

// SPEC = [ALIGN] ['0'] [WIDTH] ['.' PRECISION]
Spec ParseSpec(std::string_view text) {
  Spec spec;
  size_t at = 0;
  if (at < text.size() && (text[at] == '<' || text[at] == '>' || text[at] == '^')) {
    spec.align = text[at++];
  }
  if (at < text.size() && text[at] == '0') {
    spec.zero_pad = true;
    ++at;
  }
  if (at < text.size() && text[at] >= '1' && text[at] <= '9') {
    spec.width = ReadCount(text, &at, "width");
  }
  if (at < text.size() && text[at] == '.') {
    ++at;
    spec.precision = ReadCount(text, &at, "precision");
  }
  if (at != text.size()) {
    FormatFault("cannot read {:" + std::string(text) +
                "}; a field is {}, {:WIDTH}, {:<WIDTH}, {:>WIDTH}, {:^WIDTH}, {:0WIDTH} or "
                "{:.PRECISION}");
  }
  return spec;
}

// One field: the value rendered, then padded to the width.
void AppendField(std::string* out, const Value& v, const Spec& spec, std::string_view text) {
  std::string body;
  if (spec.precision >= 0) {
    if (v.is_float()) {
      char buf[2 * kMaxFormatWidth + 400];  // 309 integer digits at most
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.as_float(), std::chars_format::fixed,
                                     spec.precision);
      body.assign(buf, ec == std::errc() ? end : buf);
    } else if (v.is_string()) {
      body = FirstCharacters(v.str(), static_cast<size_t>(spec.precision));
    } else {
      FormatFault("a precision ({:" + std::string(text) + "}) is for floats and strings, not " +
                  TypeName(v.type()) + " (convert with float() first)");
    }
  } else {
    body = v.is_string() ? v.str() : ToString(v);
  }
  if (spec.zero_pad && !v.is_number()) {
    FormatFault("zero padding ({:" + std::string(text) + "}) is for numbers, not " +
                TypeName(v.type()));
  }
  size_t chars = Characters(body);
  size_t pad = static_cast<size_t>(spec.width) > chars ? spec.width - chars : 0;
  CheckStringSize(static_cast<int64_t>(out->size() + body.size() + pad));
  if (spec.zero_pad) {
    size_t sign = !body.empty() && body[0] == '-' ? 1 : 0;
    out->append(body, 0, sign).append(pad, '0').append(body, sign);
    return;
  }
  char align = spec.align != 0 ? spec.align : v.is_number() ? '>' : '<';
  size_t before = align == '>' ? pad : align == '^' ? pad / 2 : 0;
  out->append(before, ' ').append(body).append(pad - before, ' ');
}

}  // namespace

Value Format(const Value* args, int argc) {
  const std::string& tmpl = StringArg("format", args[0], "a template string");
  std::string out;
  int next = 1;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    char c = tmpl[i];
    if (c == '}') {
      if (i + 1 < tmpl.size() && tmpl[i + 1] == '}') {
        out.push_back('}');
        ++i;
        continue;
      }
      FormatFault("a '}' at byte " + std::to_string(i) + " closes nothing (write }} for a brace)");
    }
    if (c != '{') {
      out.push_back(c);
      continue;
    }
    if (i + 1 < tmpl.size() && tmpl[i + 1] == '{') {
      out.push_back('{');
      ++i;
      continue;
    }
    size_t close = tmpl.find('}', i);
    if (close == std::string::npos) {
      FormatFault("the '{' at byte " + std::to_string(i) + " is not closed (write {{ for a brace)");
    }
    std::string_view field(tmpl.data() + i + 1, close - i - 1);
    if (!field.empty() && field[0] != ':') {
      FormatFault("cannot read {" + std::string(field) + "}; a field is {} or {:SPEC}");
    }
    Spec spec = field.empty() ? Spec{} : ParseSpec(field.substr(1));
    if (next >= argc) {
      FormatFault(fmt::format("the template has more fields than there are values ({})", argc - 1));
    }
    AppendField(&out, args[next++], spec, field.empty() ? field : field.substr(1));
    i = close;
  }
  if (next < argc) {
    FormatFault(
        fmt::format("more values ({}) than fields in the template ({})", argc - 1, next - 1));
  }
  CheckStringSize(static_cast<int64_t>(out.size()));
  return Value::String(std::move(out));
}

}  // namespace tape::lang::builtins
