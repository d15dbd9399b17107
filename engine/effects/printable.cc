#include "engine/effects/printable.h"

#include <fmt/format.h>

#include <algorithm>

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
  if (used < s.size() || missing > 0) out += fmt::format("… ({} bytes)", s.size() + missing);
  return out;
}

}  // namespace

std::string Excerpt(std::string_view s) {
  std::string out(s.substr(0, 80));
  for (char& c : out) {
    if (uint8_t(c) < 0x20 || uint8_t(c) == 0x7f) c = '?';
  }
  return out + (s.size() > 80 ? "..." : "");
}

std::string HexPrefix(Bytes b, size_t limit) {
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
    size_t n = c >= 0xc2 && c <= 0xdf   ? 2
               : c >= 0xe0 && c <= 0xef ? 3
               : c >= 0xf0 && c <= 0xf4 ? 4
                                        : 0;
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
      out += fmt::format("\\u{{{:04x}}}", unsigned(cp));
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  if (used) *used = i;
  return out;
}

std::string Printable(Bytes bytes, size_t limit, uint64_t missing) {
  if (IsPrintableText(bytes)) return Quote(AsChars(bytes), limit, missing);
  std::string hex = HexPrefix(bytes, limit);
  if (missing > 0 && hex.find("…") == std::string::npos) hex += "…";
  return fmt::format("{} bytes {}", bytes.size() + missing, hex);
}

}  // namespace tape::engine
