// Parser: tokens to a syntax tree (the grammar is in specs/language.md §4).
//
// Recursive descent with precedence climbing for binary operators. After a
// syntax error the parser skips to the next statement (clox's panic mode) and
// never reports two errors at one token, so one mistake gives one message.
// Two common mistakes are repaired in place instead: a missing ';' at the end
// of a line, and a '=' where '==' was meant.

#ifndef TAPE_LANG_PARSER_H_
#define TAPE_LANG_PARSER_H_

#include <vector>

#include "engine/lang/ast.h"
#include "engine/lang/diagnostics.h"
#include "engine/lang/token.h"

namespace tape::lang {

struct ParseResult {
  Ast ast;  // complete only when `errors` is empty
  std::vector<Diagnostic> errors;
};

// REQUIRES: `tokens` ends with kEof and has no kError token.
ParseResult Parse(const std::vector<Token>& tokens);

}  // namespace tape::lang

#endif  // TAPE_LANG_PARSER_H_
