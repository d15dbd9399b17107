// DescribeFirstChange (script.h): the first token that differs between the
// recorded and the current version of a script, shown as whole lines.

#include <string>

#include "engine/lang/diagnostics.h"
#include "engine/lang/lexer.h"
#include "engine/lang/script.h"

namespace tape::lang {
namespace {

constexpr size_t kMaxShown = 80;

// A source line, trimmed, with control bytes replaced and cut to kMaxShown.
std::string Shown(std::string_view source, int line) {
  std::string_view text = SourceLine(source, line);
  size_t b = text.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  text = text.substr(b);
  size_t e = text.find_last_not_of(" \t");
  text = text.substr(0, e + 1);
  std::string out;
  for (unsigned char c : text.substr(0, kMaxShown)) {
    out.push_back(c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c));
  }
  if (text.size() > kMaxShown) out += "...";
  return out;
}

bool SameToken(const Token& a, const Token& b) {
  return a.kind == b.kind && a.lexeme == b.lexeme;
}

}  // namespace

std::string DescribeFirstChange(std::string_view recorded_source,
                                std::string_view current_source) {
  // Lex errors do not matter here: the unreadable bytes are kError tokens
  // and compare like any other.
  LexResult recorded = Lex(recorded_source);
  LexResult current = Lex(current_source);
  const std::vector<Token>& r = recorded.tokens;
  const std::vector<Token>& c = current.tokens;
  size_t i = 0;
  while (i < r.size() && i < c.size() && SameToken(r[i], c[i])) {
    if (r[i].kind == Tok::kEof) return "";
    ++i;
  }
  const Token& was = r[i];
  const Token& now = c[i];
  if (now.kind == Tok::kEof) {
    return "line " + std::to_string(was.line) + " removed: `" + Shown(recorded_source, was.line) +
           "`";
  }
  if (was.kind == Tok::kEof) {
    return "line " + std::to_string(now.line) + " added: `" + Shown(current_source, now.line) +
           "`";
  }
  std::string where = "line " + std::to_string(now.line);
  if (was.line != now.line) where += " (line " + std::to_string(was.line) + " when recorded)";
  return where + " changed: `" + Shown(recorded_source, was.line) + "` \u2192 `" +
         Shown(current_source, now.line) + "`";
}

}  // namespace tape::lang
