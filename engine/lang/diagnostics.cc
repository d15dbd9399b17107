#include "engine/lang/diagnostics.h"

#include <algorithm>
#include <cstdio>

#include "engine/lang/limits.h"

namespace tape::lang {
namespace {

// Lines longer than this are shown as a window around the column.
constexpr size_t kMaxShownLine = 160;
constexpr size_t kWindowBefore = 60;

bool IsControl(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

}  // namespace

size_t PrintableSequenceLength(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return IsControl(c) ? 0 : 1;
  size_t n = c >= 0xC2 && c <= 0xDF   ? 2
             : c >= 0xE0 && c <= 0xEF ? 3
             : c >= 0xF0 && c <= 0xF4 ? 4
                                      : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  auto c1 = static_cast<unsigned char>(s[i + 1]);
  // C1 controls; overlong forms and surrogates; overlong forms and code
  // points past U+10FFFF.
  if (n == 2 && c == 0xC2 && c1 < 0xA0) return 0;
  if (n == 3 && ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0))) return 0;
  if (n == 4 && ((c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90))) return 0;
  return n;
}

std::string Displayable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t n = PrintableSequenceLength(text, i);
    if (n == 0) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(text[i]));
      out += buf;
      ++i;
    } else {
      out.append(text, i, n);
      i += n;
    }
  }
  return out;
}

std::string_view SourceLine(std::string_view source, int line) {
  size_t start = 0;
  for (int l = 1; l < line; ++l) {
    size_t nl = source.find('\n', start);
    if (nl == std::string_view::npos) return {};
    start = nl + 1;
  }
  size_t end = source.find('\n', start);
  if (end == std::string_view::npos) end = source.size();
  std::string_view text = source.substr(start, end - start);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  return text;
}

std::string FormatDiagnostic(std::string_view name, std::string_view source,
                             std::string_view severity, const Diagnostic& d) {
  std::string out = Displayable(name);
  out.append(":").append(std::to_string(d.line)).append(":");
  out.append(std::to_string(d.col)).append(": ").append(severity).append(": ");
  out.append(d.message);

  std::string_view line = SourceLine(source, d.line);
  size_t col = d.col > 0 ? static_cast<size_t>(d.col - 1) : 0;  // 0-based
  col = std::min(col, line.size());
  size_t from = 0, to = line.size();
  if (line.size() > kMaxShownLine) {
    from = col > kWindowBefore ? col - kWindowBefore : 0;
    to = std::min(line.size(), from + kMaxShownLine);
  }
  // A window may start inside a UTF-8 sequence: its tail then shows as '?'.
  std::string shown = from > 0 ? "..." : "";
  std::string caret = from > 0 ? "   " : "";
  for (size_t i = from; i < to;) {
    // Each character is shown in one column: a valid UTF-8 sequence as it
    // is, a control byte or a byte of invalid UTF-8 as '?', so that the
    // source cannot send a terminal escapes. Tabs are kept, in the caret
    // line too, so that the caret lines up under the column.
    size_t n = PrintableSequenceLength(line, i);
    if (line[i] == '\t') n = 1;
    if (n == 0 || i + n > to) {
      shown.push_back('?');
      n = 1;
    } else {
      shown.append(line, i, n);
    }
    if (i < col) caret.push_back(line[i] == '\t' ? '\t' : ' ');
    i += n;
  }
  if (to < line.size()) shown += "...";
  caret.push_back('^');
  out.append("\n").append(shown).append("\n").append(caret);
  return out;
}

std::string FormatDiagnostics(std::string_view name, std::string_view source,
                              std::vector<Diagnostic> diagnostics) {
  std::stable_sort(diagnostics.begin(), diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return a.line != b.line ? a.line < b.line : a.col < b.col;
                   });
  std::string out;
  size_t shown = std::min<size_t>(diagnostics.size(), kMaxReportedErrors);
  for (size_t i = 0; i < shown; ++i) {
    if (i > 0) out += "\n";
    out += FormatDiagnostic(name, source, "error", diagnostics[i]);
  }
  if (diagnostics.size() > shown) {
    out += "\n(further errors not shown)";
  }
  return out;
}

std::string QuoteForMessage(std::string_view text, size_t max) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size(); ++i) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    unsigned char c = text[i];
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out += "\"";
  return out;
}

}  // namespace tape::lang
