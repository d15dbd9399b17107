#include "engine/src/effect_text.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace tape::engine {

using format::AsChars;

namespace {

// Length of the valid UTF-8 sequence at s[i], 0 if invalid. C1 controls
// (U+0080..U+009F) count as invalid: some terminals obey them.
size_t Utf8Length(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return 0;
  }
  uint32_t cp = n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
  for (size_t k = 1; k < n; ++k) cp = cp << 6 | (static_cast<unsigned char>(s[i + k]) & 0x3f);
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;  // overlong, surrogate
  if (cp <= 0x9f) return 0;                                                          // C1 control
  return n;
}

// Text that is mostly readable: no control bytes but \n, \t, \r.
bool IsPrintableText(Bytes b) {
  for (uint8_t c : b) {
    if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f) return false;
  }
  return true;
}

// `missing`: bytes of the value that the caller did not pass (it holds only
// a prefix); they count towards the size shown. Bytes that are not valid
// UTF-8 are shown as \xNN, so nothing reaches a terminal raw.
std::string Quote(std::string_view s, size_t limit, uint64_t missing) {
  std::string out = "\"";
  size_t shown = 0, i = 0;
  char esc[8];
  while (i < s.size() && shown < limit) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out += char(c);
        } else if (size_t n = c >= 0x80 ? Utf8Length(s, i) : 0; n > 0) {
          out.append(s.substr(i, n));
          i += n;
          ++shown;
          continue;
        } else {
          std::snprintf(esc, sizeof esc, "\\x%02x", c);
          out += esc;
        }
    }
    ++i;
    ++shown;
  }
  out += '"';
  if (i < s.size() || missing > 0) out += "… (" + std::to_string(s.size() + missing) + " bytes)";
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
