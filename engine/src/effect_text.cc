#include "engine/src/effect_text.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace tape::engine {

using format::AsChars;

namespace {

// Text that is mostly readable: no control bytes but \n, \t, \r.
bool IsPrintableText(Bytes b) {
  for (uint8_t c : b) {
    if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f) return false;
  }
  return true;
}

// `missing`: bytes of the value that the caller did not pass (it holds only
// a prefix); they count towards the size shown.
std::string Quote(std::string_view s, size_t limit, uint64_t missing) {
  size_t used = 0;
  std::string out = "\"";
  out.append(EscapeText(s, false, true, limit, &used)).append("\"");
  if (used < s.size() || missing > 0) out += "… (" + std::to_string(s.size() + missing) + " bytes)";
  return out;
}

std::string Hex(Bytes b, size_t limit) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  size_t n = std::min(b.size(), limit / 2);
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[b[i] >> 4];
    out += kDigits[b[i] & 15];
  }
  if (b.size() > n) out += "…";
  return out;
}

std::string Errno(uint64_t err) {
  if (err == 0) return "ok";
  return "errno " + std::to_string(int32_t(err)) + " (" + std::strerror(int(int32_t(err))) + ")";
}

std::string TimeText(int64_t ns) {
  // Sign first, then magnitude: -1 ns is "-0.000000001", not "0.-00000001".
  uint64_t mag = ns < 0 ? uint64_t(0) - uint64_t(ns) : uint64_t(ns);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%llu.%09llu", ns < 0 ? "-" : "",
                (unsigned long long)(mag / 1000000000u), (unsigned long long)(mag % 1000000000u));
  return buf;
}

// `missing` applies to a field that takes the rest of the payload.
std::string FieldText(const FieldValue& v, size_t limit, uint64_t missing) {
  switch (v.type) {
    case FieldType::kU32:
    case FieldType::kU64:
      return std::to_string(v.number);
    case FieldType::kI32:
      return std::to_string(int32_t(v.number));
    case FieldType::kTimeNs:
      return TimeText(int64_t(v.number));
    case FieldType::kErrno:
      return Errno(v.number);
    case FieldType::kFlag:
      return v.number ? "true" : "false";
    case FieldType::kText:
      return Printable(v.bytes, limit, missing);
    case FieldType::kSizedText:
      return Printable(v.bytes, limit, 0);
    case FieldType::kHex:
      return std::to_string(v.bytes.size() + missing) + " bytes " + Hex(v.bytes, limit) +
             (missing && v.bytes.size() * 2 <= limit ? "…" : "");
    case FieldType::kOptText:
      return v.number ? Printable(v.bytes, limit, missing) : "unset";
    case FieldType::kErrnoData:
      return v.number ? Errno(v.number) : Printable(v.bytes, limit, missing);
    case FieldType::kTextList: {
      std::string out = "[";
      for (size_t i = 0; i < v.list.size(); ++i) {
        if (i) out += ", ";
        out += Printable(v.list[i], limit, 0);
      }
      return out + "]";
    }
    case FieldType::kUserResult:
      if (v.number == 0) return Printable(v.bytes, limit, missing);
      return "threw " + Printable(v.bytes, limit, 0) + ": " + Printable(v.message, limit, missing);
  }
  return "?";
}

// The fields of `payload` as text joined by ", ", or "" with *ok false when
// the payload does not have the layout.
// With `named`, each field reads "name=value".
std::string FieldsText(const Layout* layout, Bytes payload, size_t limit, uint64_t missing,
                       bool named, bool* ok) {
  ParsedPayload parsed;
  *ok = layout != nullptr && ParsePayload(*layout, payload, &parsed).empty();
  if (!*ok) return "";
  std::string out;
  for (uint8_t i = 0; i < parsed.count; ++i) {
    if (i) out += ", ";
    if (named) out.append(layout->fields[i].name).append("=");
    out += FieldText(parsed.fields[i], limit, i + 1 == parsed.count ? missing : 0);
  }
  return out;
}

}  // namespace

std::string EscapeText(std::string_view text, bool keep_lines, bool quoting, size_t limit,
                       size_t* used) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  auto byte = [&](unsigned char c) {
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 15];
  };
  size_t i = 0, shown = 0;
  while (i < text.size() && shown < limit) {
    ++shown;
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (quoting && (c == '"' || c == '\\')) {
        out += '\\';
        out += char(c);
      } else if (c >= 0x20 && c != 0x7f) {
        out += char(c);
      } else if ((c == '\n' || c == '\t') && keep_lines) {
        out += char(c);
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c == '\r') {
        out += "\\r";
      } else {
        byte(c);
      }
      ++i;
      continue;
    }
    // A UTF-8 sequence: lead byte, continuation bytes, and the ranges that
    // exclude overlong forms, surrogates and code points past U+10FFFF.
    size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    uint32_t cp = n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
    bool valid = n != 0 && i + n <= text.size();
    for (size_t k = 1; valid && k < n; ++k) {
      unsigned char d = static_cast<unsigned char>(text[i + k]);
      valid = (d & 0xc0) == 0x80;
      cp = cp << 6 | (d & 0x3f);
    }
    if (valid) {
      valid = (n == 3 && cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff)) ||
              (n == 4 && cp >= 0x10000 && cp <= 0x10ffff) || n == 2;
    }
    if (!valid) {
      byte(c);
      ++i;
      continue;
    }
    bool control = (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
                   (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
    if (control) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\u{%04x}", unsigned(cp));
      out += buf;
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  if (used) *used = i;
  return out;
}

std::string KindName(uint8_t kind, const format::KindNames* names) {
  if (const EffectSpec* e = FindEffect(kind)) return std::string(e->name);
  if (names && !(*names)[kind].empty()) {
    // Names come from the trace: a hostile one must not reach a terminal raw.
    std::string name = (*names)[kind];
    for (char& c : name) {
      if (uint8_t(c) <= 0x20 || uint8_t(c) >= 0x7f) c = '?';
    }
    return name;
  }
  return "kind " + std::to_string(kind);
}

const Layout* ArgsLayout(uint8_t kind) {
  if (const EffectSpec* e = FindEffect(kind)) return &e->args;
  return kind >= kFirstUserKind ? &UserArgsLayout() : nullptr;
}

const Layout* ResultLayout(uint8_t kind) {
  if (const EffectSpec* e = FindEffect(kind)) return &e->result;
  return kind >= kFirstUserKind ? &UserResultLayout() : nullptr;
}

std::string Printable(Bytes bytes, size_t limit, uint64_t missing) {
  if (IsPrintableText(bytes)) return Quote(AsChars(bytes), limit, missing);
  std::string hex = Hex(bytes, limit);
  if (missing > 0 && hex.find("…") == std::string::npos) hex += "…";
  return std::to_string(bytes.size() + missing) + " bytes " + hex;
}

std::string DescribeCall(std::string_view name, uint8_t kind, Bytes args, size_t limit,
                         uint64_t missing) {
  bool ok;
  const Layout* layout = ArgsLayout(kind);
  std::string fields = FieldsText(layout, args, limit, missing, layout && layout->count > 2, &ok);
  if (!ok) fields = Printable(args, limit, missing);
  return std::string(name) + "(" + fields + ")";
}

std::string DescribeResult(uint8_t kind, Bytes result, size_t limit, uint64_t missing) {
  bool ok;
  const Layout* layout = ResultLayout(kind);
  std::string fields = FieldsText(layout, result, limit, missing, layout && layout->count > 1, &ok);
  if (!ok) return Printable(result, limit, missing);
  return fields.empty() ? "done" : fields;
}

std::string FirstDifference(Bytes recorded, Bytes now) {
  size_t n = std::min(recorded.size(), now.size());
  size_t at = 0;
  while (at < n && recorded[at] == now[at]) ++at;
  if (at == n && recorded.size() == now.size()) return "";
  constexpr size_t kBefore = 16, kAfter = 32;
  size_t from = at > kBefore ? at - kBefore : 0;
  auto window = [&](Bytes b) {
    Bytes w = b.subspan(std::min(from, b.size()));
    uint64_t cut = w.size() > kBefore + kAfter ? w.size() - (kBefore + kAfter) : 0;
    std::string text = Printable(w.first(w.size() - cut), kBefore + kAfter, cut);
    return (from > 0 ? "…" : "") + text;
  };
  return "first difference at byte " + std::to_string(at) + " (recorded " +
         std::to_string(recorded.size()) + " bytes, now " + std::to_string(now.size()) +
         "): recorded " + window(recorded) + ", now " + window(now);
}

}  // namespace tape::engine
