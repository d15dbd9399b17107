// Lexer: source bytes to tokens.
//
// Lexing never stops early: an unreadable byte becomes a kError token and a
// diagnostic, so callers that only compare token streams (DescribeFirstChange)
// can still use the result. Compile refuses a script with any lexer error.

#ifndef TAPE_LANG_LEXER_H_
#define TAPE_LANG_LEXER_H_

#include <string_view>
#include <vector>

#include "engine/lang/diagnostics.h"
#include "engine/lang/token.h"

namespace tape::lang {

struct LexResult {
  std::vector<Token> tokens;  // always ends with kEof
  std::vector<Diagnostic> errors;
};

// REQUIRES: `source` outlives the tokens (lexemes point into it).
LexResult Lex(std::string_view source);

}  // namespace tape::lang

#endif  // TAPE_LANG_LEXER_H_
