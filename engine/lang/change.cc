// DescribeFirstChange (script.h): the first token that differs between the
// recorded and the current version of a script, shown as whole lines.

#include <fmt/core.h>

#include <string>

#include "engine/lang/diagnostics.h"
#include "engine/lang/lexer.h"
#include "engine/lang/limits.h"
#include "engine/lang/script.h"

namespace tape::lang {
namespace {

constexpr size_t kMaxShown = 80;

// A source line, trimmed and cut to kMaxShown bytes, with control bytes and
// invalid UTF-8 shown as '?' (as in diagnostics).
std::string Shown(std::string_view source, int line) {
  std::string_view text = SourceLine(source, line);
  size_t b = text.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  text = text.substr(b);
  size_t e = text.find_last_not_of(" \t");
  text = text.substr(0, e + 1);
  std::string_view cut = text.substr(0, kMaxShown);
  std::string out;
  for (size_t i = 0; i < cut.size();) {
    size_t n = PrintableSequenceLength(cut, i);
    if (n == 0) {
      out.push_back('?');
      n = 1;
    } else {
      out.append(cut, i, n);
    }
    i += n;
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
  // A trace may hold any text as its script; one larger than a script may be
  // was never compiled, and is not lexed here either.
  for (std::string_view source : {recorded_source, current_source}) {
    if (static_cast<int64_t>(source.size()) > kMaxSourceFileBytes) {
      return fmt::format("{} script is {} bytes, more than a script may have ({} MiB)",
                         source.data() == recorded_source.data() ? "the recorded" : "the current",
                         source.size(), kMaxSourceFileBytes >> 20);
    }
  }
  // Token by token, in constant memory, up to the first difference. Lex
  // errors do not matter here: unreadable bytes are kError tokens and
  // compare like any other.
  Lexer recorded(recorded_source);
  Lexer current(current_source);
  Token was, now;
  for (;;) {
    was = recorded.Next();
    now = current.Next();
    if (!SameToken(was, now)) break;
    if (was.kind == Tok::kEof) return "";
  }
  if (now.kind == Tok::kEof) {
    return fmt::format("line {} removed: `{}`", was.line, Shown(recorded_source, was.line));
  }
  if (was.kind == Tok::kEof) {
    return fmt::format("line {} added: `{}`", now.line, Shown(current_source, now.line));
  }
  std::string where = fmt::format("line {}", now.line);
  if (was.line != now.line) where += fmt::format(" (line {} when recorded)", was.line);
  return where + " changed: `" + Shown(recorded_source, was.line) + "` \u2192 `" +
         Shown(current_source, now.line) + "`";
}

}  // namespace tape::lang
