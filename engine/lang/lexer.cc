#include "engine/lang/lexer.h"

#include <cstdio>
#include <string>

#include "engine/lang/int_literal.h"

namespace tape::lang {
namespace {

bool IsIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}
bool IsHex(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
// Bytes that may begin a token; a run of anything else is one error.
bool CanStartToken(char c) {
  return IsIdentChar(c) || IsSpace(c) || std::string_view("\"#(){}[],.;:+-*/%=!<>&|").find(c) !=
                                             std::string_view::npos;
}

struct Keyword {
  std::string_view text;
  Tok kind;
};
constexpr Keyword kKeywords[] = {
    {"let", Tok::kLet},     {"fn", Tok::kFn},         {"if", Tok::kIf},
    {"else", Tok::kElse},   {"while", Tok::kWhile},   {"for", Tok::kFor},
    {"in", Tok::kIn},       {"break", Tok::kBreak},   {"continue", Tok::kContinue},
    {"return", Tok::kReturn}, {"and", Tok::kAnd},     {"or", Tok::kOr},
    {"not", Tok::kNot},     {"true", Tok::kTrue},     {"false", Tok::kFalse},
    {"nil", Tok::kNil},
};

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}

  LexResult Run() {
    for (;;) {
      SkipSpaceAndComments();
      if (pos_ >= src_.size()) break;
      LexToken();
    }
    start_ = pos_;
    start_line_ = line_;
    start_col_ = Col();
    Emit(Tok::kEof);
    if (first_unreadable_ >= 0) {
      out_.errors[first_unreadable_].message +=
          unreadable_ == 1 ? "; a script is text"
                           : " (" + std::to_string(unreadable_) +
                                 " unreadable bytes in all; a script is text)";
    }
    return std::move(out_);
  }

 private:
  int Col() const { return static_cast<int>(pos_ - line_start_) + 1; }
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0';
  }

  void SkipSpaceAndComments() {
    while (pos_ < src_.size()) {
      char c = src_[pos_];
      if (c == '\n') {
        ++pos_;
        ++line_;
        line_start_ = pos_;
      } else if (IsSpace(c)) {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < src_.size() && src_[pos_] != '\n') ++pos_;
      } else {
        return;
      }
    }
  }

  void Emit(Tok kind) {
    out_.tokens.push_back(
        Token{kind, src_.substr(start_, pos_ - start_), start_line_, start_col_});
  }
  void Error(std::string message) {
    out_.errors.push_back(Diagnostic{start_line_, start_col_, std::move(message)});
    Emit(Tok::kError);
  }

  void LexToken() {
    start_ = pos_;
    start_line_ = line_;
    start_col_ = Col();
    char c = src_[pos_++];
    if (IsIdentStart(c)) return LexIdent();
    if (IsDigit(c)) return LexNumber();
    switch (c) {
      case '"': return LexString();
      case '(': return Emit(Tok::kLParen);
      case ')': return Emit(Tok::kRParen);
      case '{': return Emit(Tok::kLBrace);
      case '}': return Emit(Tok::kRBrace);
      case '[': return Emit(Tok::kLBracket);
      case ']': return Emit(Tok::kRBracket);
      case ',': return Emit(Tok::kComma);
      case ';': return Emit(Tok::kSemicolon);
      case ':': return Emit(Tok::kColon);
      case '+': return Emit(Tok::kPlus);
      case '-': return Emit(Tok::kMinus);
      case '*': return Emit(Tok::kStar);
      case '/': return Emit(Tok::kSlash);
      case '%': return Emit(Tok::kPercent);
      case '.':
        if (Peek() == '.') {
          ++pos_;
          return Emit(Tok::kDotDot);
        }
        return Emit(Tok::kDot);
      case '=': return Emit(Match('=') ? Tok::kEq : Tok::kAssign);
      case '<': return Emit(Match('=') ? Tok::kLe : Tok::kLt);
      case '>': return Emit(Match('=') ? Tok::kGe : Tok::kGt);
      case '!':
        if (Match('=')) return Emit(Tok::kNe);
        return Error("unexpected '!': write 'not' for logical negation");
      case '&':
        if (Match('&')) return Error("unexpected '&&': write 'and'");
        return Error("unexpected character '&'");
      case '|':
        if (Match('|')) return Error("unexpected '||': write 'or'");
        return Error("unexpected character '|'");
    }
    // A run of unreadable bytes (binary garbage, say) is a single error.
    while (pos_ < src_.size() && !CanStartToken(src_[pos_])) ++pos_;
    std::string_view bad = src_.substr(start_, pos_ - start_);
    if (bad.size() == 1 && c >= 0x20 && c < 0x7f) {
      return Error(std::string("unexpected character '") + c + "'");
    }
    // Binary garbage is one error, at its first byte, however much of it
    // there is; the count is added to that message at the end.
    unreadable_ += bad.size();
    if (first_unreadable_ >= 0) {
      Emit(Tok::kError);
      return;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "unexpected byte 0x%02x", static_cast<unsigned char>(c));
    first_unreadable_ = static_cast<int>(out_.errors.size());
    Error(buf);
  }

  bool Match(char expected) {
    if (Peek() != expected) return false;
    ++pos_;
    return true;
  }

  void LexIdent() {
    while (IsIdentChar(Peek())) ++pos_;
    std::string_view text = src_.substr(start_, pos_ - start_);
    for (const Keyword& k : kKeywords) {
      if (k.text == text) return Emit(k.kind);
    }
    Emit(Tok::kIdent);
  }

  void LexNumber() {
    bool hex = src_[start_] == '0' && (Peek() == 'x' || Peek() == 'X');
    if (hex) {
      ++pos_;
      while (IsHex(Peek())) ++pos_;
    } else {
      while (IsDigit(Peek())) ++pos_;
    }
    bool glued = IsIdentChar(Peek());
    while (IsIdentChar(Peek())) ++pos_;
    std::string_view text = src_.substr(start_, pos_ - start_);
    if (glued || (hex && text.size() == 2)) {
      return Error("invalid number " + QuoteForMessage(text));
    }
    if (!hex && text.size() > 1 && text[0] == '0') {
      // C would read 017 as octal; refusing it avoids the surprise.
      return Error("a number cannot start with 0 (write it without leading zeros, or 0x.. for hex)");
    }
    if (!ParseIntLiteral(text).has_value()) {
      return Error("integer literal " + QuoteForMessage(text) +
                   " is too large (the largest int is 9223372036854775807)");
    }
    Emit(Tok::kInt);
  }

  void LexString() {
    for (;;) {
      if (pos_ >= src_.size() || src_[pos_] == '\n') {
        return Error("unterminated string (a string ends on the line it starts)");
      }
      char c = src_[pos_];
      if (c == '"') {
        ++pos_;
        return Emit(Tok::kString);
      }
      if (c == '\\') {
        size_t esc = pos_;
        ++pos_;
        char e = Peek();
        if (e == 'x') {
          if (!IsHex(Peek(1)) || !IsHex(Peek(2))) return BadEscape(esc);
          pos_ += 3;
        } else if (e == 'n' || e == 't' || e == 'r' || e == '0' || e == '\\' || e == '"') {
          ++pos_;
        } else {
          return BadEscape(esc);
        }
        continue;
      }
      ++pos_;
    }
  }

  // Reports a bad escape at the backslash, then skips the rest of the string
  // so that its tail is not lexed as code.
  void BadEscape(size_t backslash) {
    int line = line_;
    int col = static_cast<int>(backslash - line_start_) + 1;
    std::string_view seq = src_.substr(backslash, 2);
    while (pos_ < src_.size() && src_[pos_] != '"' && src_[pos_] != '\n') {
      pos_ += src_[pos_] == '\\' && pos_ + 1 < src_.size() && src_[pos_ + 1] != '\n' ? 2 : 1;
    }
    if (pos_ < src_.size() && src_[pos_] == '"') ++pos_;
    out_.errors.push_back(Diagnostic{line, col, "unknown escape " + QuoteForMessage(seq) +
                                                    " (known: \\n \\t \\r \\0 \\\\ \\\" \\xHH)"});
    Emit(Tok::kError);
  }

  std::string_view src_;
  size_t pos_ = 0;
  size_t line_start_ = 0;
  int line_ = 1;
  size_t start_ = 0;
  int start_line_ = 1;
  int start_col_ = 1;
  LexResult out_;
  int first_unreadable_ = -1;  // index of the error about unreadable bytes
  size_t unreadable_ = 0;
};

}  // namespace

std::string_view TokName(Tok kind) {
  switch (kind) {
    case Tok::kEof: return "end of file";
    case Tok::kError: return "unreadable text";
    case Tok::kIdent: return "a name";
    case Tok::kInt: return "a number";
    case Tok::kString: return "a string";
    case Tok::kLParen: return "'('";
    case Tok::kRParen: return "')'";
    case Tok::kLBrace: return "'{'";
    case Tok::kRBrace: return "'}'";
    case Tok::kLBracket: return "'['";
    case Tok::kRBracket: return "']'";
    case Tok::kComma: return "','";
    case Tok::kDot: return "'.'";
    case Tok::kDotDot: return "'..'";
    case Tok::kSemicolon: return "';'";
    case Tok::kColon: return "':'";
    case Tok::kPlus: return "'+'";
    case Tok::kMinus: return "'-'";
    case Tok::kStar: return "'*'";
    case Tok::kSlash: return "'/'";
    case Tok::kPercent: return "'%'";
    case Tok::kAssign: return "'='";
    case Tok::kEq: return "'=='";
    case Tok::kNe: return "'!='";
    case Tok::kLt: return "'<'";
    case Tok::kLe: return "'<='";
    case Tok::kGt: return "'>'";
    case Tok::kGe: return "'>='";
    case Tok::kLet: return "'let'";
    case Tok::kFn: return "'fn'";
    case Tok::kIf: return "'if'";
    case Tok::kElse: return "'else'";
    case Tok::kWhile: return "'while'";
    case Tok::kFor: return "'for'";
    case Tok::kIn: return "'in'";
    case Tok::kBreak: return "'break'";
    case Tok::kContinue: return "'continue'";
    case Tok::kReturn: return "'return'";
    case Tok::kAnd: return "'and'";
    case Tok::kOr: return "'or'";
    case Tok::kNot: return "'not'";
    case Tok::kTrue: return "'true'";
    case Tok::kFalse: return "'false'";
    case Tok::kNil: return "'nil'";
  }
  return "a token";
}

LexResult Lex(std::string_view source) { return Lexer(source).Run(); }

}  // namespace tape::lang
