// Tokens: what the lexer makes of a script's bytes.
//
// A token's lexeme is its exact source text. The code hash and the site ids
// are derived from lexemes alone (code_hash.h), never from positions, so
// whitespace and comments do not change them.

#ifndef TAPE_LANG_TOKEN_H_
#define TAPE_LANG_TOKEN_H_

#include <cstdint>
#include <string_view>

namespace tape::lang {

enum class Tok : uint8_t {
  kEof,
  kError,  // bytes the lexer could not read; already reported
  kIdent,
  kInt,
  kFloat,
  kString,
  // Punctuation.
  kLParen, kRParen, kLBrace, kRBrace, kLBracket, kRBracket,
  kComma, kDot, kDotDot, kSemicolon, kColon,
  kPlus, kMinus, kStar, kSlash, kPercent,
  kAmp, kPipe, kCaret, kTilde, kShl, kShr,
  kAssign, kEq, kNe, kLt, kLe, kGt, kGe,
  kAndAnd, kOrOr, kBang,  // the same as 'and', 'or', 'not'
  // Compound assignment: += -= *= /= %= &= |= ^= <<= >>=.
  kPlusAssign, kMinusAssign, kStarAssign, kSlashAssign, kPercentAssign,
  kAmpAssign, kPipeAssign, kCaretAssign, kShlAssign, kShrAssign,
  // Keywords.
  kLet, kFn, kIf, kElse, kWhile, kFor, kIn, kBreak, kContinue, kReturn,
  kAnd, kOr, kNot, kTrue, kFalse, kNil,
};

struct Token {
  Tok kind = Tok::kEof;
  std::string_view lexeme;  // points into the source
  int line = 1;             // 1-based
  int col = 1;              // 1-based, in bytes
};

// "'+'", "'let'", "identifier", "end of file", ... for error messages.
std::string_view TokName(Tok kind);

}  // namespace tape::lang

#endif  // TAPE_LANG_TOKEN_H_
