// Lexer: source bytes to tokens (specs/language.md §2).
//
// Lexing never stops early: an unreadable byte becomes a kError token and a
// diagnostic, so callers that only compare token streams (DescribeFirstChange)
// can still use the result. Compile refuses a script with any lexer error.

#ifndef TAPE_LANG_LEXER_H_
#define TAPE_LANG_LEXER_H_

#include <optional>
#include <string_view>
#include <vector>

#include "engine/lang/diagnostics.h"
#include "engine/lang/token.h"

namespace tape::lang {

// Tokens one at a time, in constant memory (besides the diagnostics).
// REQUIRES: `source` outlives the lexer and its tokens (lexemes point into it).
class Lexer {
 public:
  explicit Lexer(std::string_view source) : src_(source) {}

  // The next token; kEof at the end, and again on every later call.
  Token Next();

  // The diagnostics so far (complete once Next() has returned kEof).
  std::vector<Diagnostic>& errors() { return errors_; }
  // Where the first string literal that spans lines begins: when a script
  // does not compile, a missing closing quote there is a likely cause.
  std::optional<Diagnostic> first_multiline_string() const { return multiline_; }
  // The bytes of comments so far, from '#' to the end of the line (the
  // size limit counts code, not comments: limits.h).
  size_t comment_bytes() const { return comment_bytes_; }

 private:
  int Col() const { return static_cast<int>(pos_ - line_start_) + 1; }
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0';
  }
  bool Match(char expected);
  void SkipSpaceAndComments();
  Token Emit(Tok kind) const;
  Token Error(std::string message);
  Token LexToken();
  Token LexOperator(char c);
  Token LexUnreadable(char c);
  Token LexIdent();
  Token LexNumber();
  Token LexString();
  Token BadEscape(size_t backslash, int line, size_t line_start);

  std::string_view src_;
  size_t pos_ = 0;
  size_t line_start_ = 0;
  int line_ = 1;
  size_t start_ = 0;  // the current token's first byte, line and column
  int start_line_ = 1;
  int start_col_ = 1;
  bool at_eof_ = false;
  std::vector<Diagnostic> errors_;
  std::optional<Diagnostic> multiline_;
  int first_unreadable_ = -1;  // index of the error about unreadable bytes
  size_t unreadable_ = 0;
  size_t comment_bytes_ = 0;
};

struct LexResult {
  std::vector<Token> tokens;  // always ends with kEof
  std::vector<Diagnostic> errors;
  std::optional<Diagnostic> first_multiline_string;  // see Lexer
  size_t comment_bytes = 0;                           // see Lexer
};

// All tokens at once.
// REQUIRES: `source` outlives the tokens (lexemes point into it).
LexResult Lex(std::string_view source);

}  // namespace tape::lang

#endif  // TAPE_LANG_LEXER_H_
