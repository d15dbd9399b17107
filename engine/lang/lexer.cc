#include "engine/lang/lexer.h"

#include <fmt/core.h>

#include <cstdio>
#include <string>

#include "engine/lang/diagnostics.h"
#include "engine/lang/number_text.h"

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
  return IsIdentChar(c) || IsSpace(c) || std::string_view("\"#(){}[],.;:+-*/%=!<>&|^~").find(c) !=
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

}  // namespace

Token Lexer::Next() {
  SkipSpaceAndComments();
  start_ = pos_;
  start_line_ = line_;
  start_col_ = Col();
  if (pos_ < src_.size()) return LexToken();
  if (!at_eof_) {
    at_eof_ = true;
    if (first_unreadable_ >= 0) {
      errors_[first_unreadable_].message +=
          unreadable_ == 1
              ? "; a script is text"
              : fmt::format(" ({} unreadable bytes in all; a script is text)", unreadable_);
    }
  }
  return Emit(Tok::kEof);
}

void Lexer::SkipSpaceAndComments() {
  while (pos_ < src_.size()) {
    char c = src_[pos_];
    if (c == '\n') {
      ++pos_;
      ++line_;
      line_start_ = pos_;
    } else if (IsSpace(c)) {
      ++pos_;
    } else if (c == '#') {
      size_t from = pos_;
      while (pos_ < src_.size() && src_[pos_] != '\n') ++pos_;
      comment_bytes_ += pos_ - from;
    } else {
      return;
    }
  }
}

bool Lexer::Match(char expected) {
  if (Peek() != expected) return false;
  ++pos_;
  return true;
}

Token Lexer::Emit(Tok kind) const {
  return Token{kind, src_.substr(start_, pos_ - start_), start_line_, start_col_};
}

Token Lexer::Error(std::string message) {
  errors_.push_back(Diagnostic{start_line_, start_col_, std::move(message)});
  return Emit(Tok::kError);
}

Token Lexer::LexToken() {
  char c = src_[pos_++];
  if (IsIdentStart(c)) return LexIdent();
  if (IsDigit(c)) return LexNumber();
  if (c == '"') return LexString();
  return LexOperator(c);
}

Token Lexer::LexOperator(char c) {
  switch (c) {
    case '(': return Emit(Tok::kLParen);
    case ')': return Emit(Tok::kRParen);
    case '{': return Emit(Tok::kLBrace);
    case '}': return Emit(Tok::kRBrace);
    case '[': return Emit(Tok::kLBracket);
    case ']': return Emit(Tok::kRBracket);
    case ',': return Emit(Tok::kComma);
    case ';': return Emit(Tok::kSemicolon);
    case ':': return Emit(Tok::kColon);
    case '~': return Emit(Tok::kTilde);
    case '+': return Emit(Match('=') ? Tok::kPlusAssign : Tok::kPlus);
    case '-': return Emit(Match('=') ? Tok::kMinusAssign : Tok::kMinus);
    case '*': return Emit(Match('=') ? Tok::kStarAssign : Tok::kStar);
    case '/': return Emit(Match('=') ? Tok::kSlashAssign : Tok::kSlash);
    case '%': return Emit(Match('=') ? Tok::kPercentAssign : Tok::kPercent);
    case '^': return Emit(Match('=') ? Tok::kCaretAssign : Tok::kCaret);
    case '.': return Emit(Match('.') ? Tok::kDotDot : Tok::kDot);
    case '=': return Emit(Match('=') ? Tok::kEq : Tok::kAssign);
    case '!': return Emit(Match('=') ? Tok::kNe : Tok::kBang);
    case '&':
      if (Match('&')) return Emit(Tok::kAndAnd);
      return Emit(Match('=') ? Tok::kAmpAssign : Tok::kAmp);
    case '|':
      if (Match('|')) return Emit(Tok::kOrOr);
      return Emit(Match('=') ? Tok::kPipeAssign : Tok::kPipe);
    case '<':
      if (Match('<')) return Emit(Match('=') ? Tok::kShlAssign : Tok::kShl);
      return Emit(Match('=') ? Tok::kLe : Tok::kLt);
    case '>':
      if (Match('>')) return Emit(Match('=') ? Tok::kShrAssign : Tok::kShr);
      return Emit(Match('=') ? Tok::kGe : Tok::kGt);
  }
  return LexUnreadable(c);
}

Token Lexer::LexUnreadable(char c) {
  // A run of unreadable bytes (binary garbage, say) is a single error.
  while (pos_ < src_.size() && !CanStartToken(src_[pos_])) ++pos_;
  std::string_view bad = src_.substr(start_, pos_ - start_);
  if (bad.size() == 1 && c >= 0x20 && c < 0x7f) {
    return Error(std::string("unexpected character '") + c + "'");
  }
  // Binary garbage is one error, at its first byte, however much of it
  // there is; the count is added to that message at the end.
  unreadable_ += bad.size();
  if (first_unreadable_ >= 0) return Emit(Tok::kError);
  char buf[64];
  std::snprintf(buf, sizeof buf, "unexpected byte 0x%02x", static_cast<unsigned char>(c));
  first_unreadable_ = static_cast<int>(errors_.size());
  return Error(buf);
}

Token Lexer::LexIdent() {
  while (IsIdentChar(Peek())) ++pos_;
  std::string_view text = src_.substr(start_, pos_ - start_);
  for (const Keyword& k : kKeywords) {
    if (k.text == text) return Emit(k.kind);
  }
  return Emit(Tok::kIdent);
}

// Integers: 42, 0x2a. Floats: digits, then a fraction (".5", at least one
// digit, so that 0..3 stays a range) and/or an exponent ("e-3").
Token Lexer::LexNumber() {
  bool hex = src_[start_] == '0' && (Peek() == 'x' || Peek() == 'X');
  bool is_float = false;
  if (hex) {
    ++pos_;
    while (IsHex(Peek())) ++pos_;
  } else {
    while (IsDigit(Peek())) ++pos_;
    if (Peek() == '.' && IsDigit(Peek(1))) {
      is_float = true;
      ++pos_;
      while (IsDigit(Peek())) ++pos_;
    }
    if ((Peek() == 'e' || Peek() == 'E') &&
        (IsDigit(Peek(1)) || ((Peek(1) == '+' || Peek(1) == '-') && IsDigit(Peek(2))))) {
      is_float = true;
      pos_ += 2;
      while (IsDigit(Peek())) ++pos_;
    }
  }
  bool glued = IsIdentChar(Peek());
  while (IsIdentChar(Peek())) ++pos_;
  std::string_view text = src_.substr(start_, pos_ - start_);
  if (glued || (hex && text.size() == 2)) {
    return Error("invalid number " + QuoteForMessage(text));
  }
  if (!hex && text.size() > 1 && text[0] == '0' && IsDigit(text[1])) {
    // C would read 017 as octal; refusing it avoids the surprise.
    return Error("a number cannot start with 0 (write it without leading zeros, or 0x.. for hex)");
  }
  if (is_float) {
    bool too_large = false;
    if (!ParseFloat(text, /*allow_sign=*/false, &too_large).has_value()) {
      return Error("float literal " + QuoteForMessage(text) +
                   (too_large ? " is too large (floats are finite; the largest is about 1.8e308)"
                              : " is malformed"));
    }
    return Emit(Tok::kFloat);
  }
  if (!ParseIntLiteral(text).has_value()) {
    return Error("integer literal " + QuoteForMessage(text) +
                 " is too large (the largest int is 9223372036854775807)");
  }
  return Emit(Tok::kInt);
}

// A string may span lines (as in the original); its newlines are part of it.
Token Lexer::LexString() {
  int first_line = line_;
  for (;;) {
    if (pos_ >= src_.size()) {
      return Error("unterminated string: no closing '\"' before the end of the file");
    }
    char c = src_[pos_];
    if (c == '"') {
      ++pos_;
      if (line_ != first_line && !multiline_.has_value()) {
        multiline_ = Diagnostic{start_line_, start_col_,
                                "this string goes on past the end of its line (strings may "
                                "span lines): is its closing '\"' missing?"};
      }
      return Emit(Tok::kString);
    }
    if (c == '\n') {
      ++pos_;
      ++line_;
      line_start_ = pos_;
      continue;
    }
    if (c == '\\') {
      size_t esc = pos_;
      ++pos_;
      char e = Peek();
      if (e == 'x') {
        if (!IsHex(Peek(1)) || !IsHex(Peek(2))) return BadEscape(esc, line_, line_start_);
        pos_ += 3;
      } else if (e == 'n' || e == 't' || e == 'r' || e == '0' || e == '\\' || e == '"') {
        ++pos_;
      } else {
        return BadEscape(esc, line_, line_start_);
      }
      continue;
    }
    ++pos_;
  }
}

// Reports a bad escape at the backslash, then skips the rest of the string
// so that its tail is not lexed as code.
Token Lexer::BadEscape(size_t backslash, int line, size_t line_start) {
  int col = static_cast<int>(backslash - line_start) + 1;
  std::string_view seq = src_.substr(backslash, 2);
  while (pos_ < src_.size() && src_[pos_] != '"') {
    if (src_[pos_] == '\n') {
      ++line_;
      line_start_ = pos_ + 1;
    }
    pos_ += src_[pos_] == '\\' && pos_ + 1 < src_.size() && src_[pos_ + 1] != '\n' ? 2 : 1;
  }
  if (pos_ < src_.size()) ++pos_;
  errors_.push_back(Diagnostic{line, col, "unknown escape " + QuoteForMessage(seq) +
                                              " (known: \\n \\t \\r \\0 \\\\ \\\" \\xHH)"});
  return Emit(Tok::kError);
}

std::string_view TokName(Tok kind) {
  switch (kind) {
    case Tok::kEof: return "end of file";
    case Tok::kError: return "unreadable text";
    case Tok::kIdent: return "a name";
    case Tok::kInt: return "a number";
    case Tok::kFloat: return "a number";
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
    case Tok::kAmp: return "'&'";
    case Tok::kPipe: return "'|'";
    case Tok::kCaret: return "'^'";
    case Tok::kTilde: return "'~'";
    case Tok::kShl: return "'<<'";
    case Tok::kShr: return "'>>'";
    case Tok::kAndAnd: return "'&&'";
    case Tok::kOrOr: return "'||'";
    case Tok::kBang: return "'!'";
    case Tok::kPlusAssign: return "'+='";
    case Tok::kMinusAssign: return "'-='";
    case Tok::kStarAssign: return "'*='";
    case Tok::kSlashAssign: return "'/='";
    case Tok::kPercentAssign: return "'%='";
    case Tok::kAmpAssign: return "'&='";
    case Tok::kPipeAssign: return "'|='";
    case Tok::kCaretAssign: return "'^='";
    case Tok::kShlAssign: return "'<<='";
    case Tok::kShrAssign: return "'>>='";
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

LexResult Lex(std::string_view source) {
  Lexer lexer(source);
  LexResult out;
  do {
    out.tokens.push_back(lexer.Next());
  } while (out.tokens.back().kind != Tok::kEof);
  out.errors = std::move(lexer.errors());
  out.first_multiline_string = lexer.first_multiline_string();
  out.comment_bytes = lexer.comment_bytes();
  return out;
}

}  // namespace tape::lang
