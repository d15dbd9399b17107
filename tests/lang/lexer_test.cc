#include "engine/lang/lexer.h"

#include <gtest/gtest.h>

#include "tests/lang/test_util.h"

namespace tape::lang {
namespace {

using testing::CompileError;

std::vector<Tok> Kinds(std::string_view src) {
  std::vector<Tok> kinds;
  for (const Token& t : Lex(src).tokens) kinds.push_back(t.kind);
  return kinds;
}

TEST(Lexer, TokensCarryKindLexemeLineAndColumn) {
  LexResult r = Lex("let x = 42;\n  print(\"hi\") # note\n");
  ASSERT_TRUE(r.errors.empty());
  ASSERT_EQ(r.tokens.size(), 10u);
  EXPECT_EQ(r.tokens[0].kind, Tok::kLet);
  EXPECT_EQ(r.tokens[3].kind, Tok::kInt);
  EXPECT_EQ(r.tokens[3].lexeme, "42");
  EXPECT_EQ(r.tokens[3].col, 9);
  EXPECT_EQ(r.tokens[5].lexeme, "print");
  EXPECT_EQ(r.tokens[5].line, 2);
  EXPECT_EQ(r.tokens[5].col, 3);
  EXPECT_EQ(r.tokens[7].kind, Tok::kString);
  EXPECT_EQ(r.tokens[7].lexeme, "\"hi\"");
  EXPECT_EQ(r.tokens.back().kind, Tok::kEof);
}

TEST(Lexer, OperatorsAndKeywords) {
  EXPECT_EQ(Kinds("== != <= >= < > = .. . + - * / %"),
            (std::vector<Tok>{Tok::kEq, Tok::kNe, Tok::kLe, Tok::kGe, Tok::kLt, Tok::kGt,
                              Tok::kAssign, Tok::kDotDot, Tok::kDot, Tok::kPlus, Tok::kMinus,
                              Tok::kStar, Tok::kSlash, Tok::kPercent, Tok::kEof}));
  EXPECT_EQ(Kinds("and or not nil true false in"),
            (std::vector<Tok>{Tok::kAnd, Tok::kOr, Tok::kNot, Tok::kNil, Tok::kTrue, Tok::kFalse,
                              Tok::kIn, Tok::kEof}));
  // A range right after a number: no floats, so "0..10" is three tokens.
  EXPECT_EQ(Kinds("0..10"), (std::vector<Tok>{Tok::kInt, Tok::kDotDot, Tok::kInt, Tok::kEof}));
  EXPECT_EQ(Kinds("letter"), (std::vector<Tok>{Tok::kIdent, Tok::kEof}));
}

TEST(Lexer, CommentsAndWhitespaceProduceNoTokens) {
  EXPECT_EQ(Kinds("# only a comment"), (std::vector<Tok>{Tok::kEof}));
  EXPECT_EQ(Kinds("\t\r\n  x # y z\n"), (std::vector<Tok>{Tok::kIdent, Tok::kEof}));
}

TEST(Lexer, IntegerLiterals) {
  EXPECT_EQ(testing::Output("print(9223372036854775807);"), "9223372036854775807\n");
  EXPECT_EQ(testing::Output("print(0x7fffffffffffffff);"), "9223372036854775807\n");
  EXPECT_EQ(testing::Output("print(0xff + 0);"), "255\n");
}

TEST(Lexer, IntegerLiteralOverflowIsAnError) {
  std::string e = CompileError("let x = 9223372036854775808;");
  EXPECT_NE(e.find("test.tape:1:9: error: integer literal \"9223372036854775808\" is too large"),
            std::string::npos)
      << e;
  EXPECT_NE(CompileError("let x = 0x10000000000000000;").find("too large"), std::string::npos);
  EXPECT_NE(CompileError("let x = 99999999999999999999999999999999;").find("too large"),
            std::string::npos);
}

TEST(Lexer, MalformedNumbers) {
  EXPECT_NE(CompileError("let x = 12ab;").find("invalid number \"12ab\""), std::string::npos);
  EXPECT_NE(CompileError("let x = 0x;").find("invalid number"), std::string::npos);
  EXPECT_NE(CompileError("let x = 017;").find("cannot start with 0"), std::string::npos);
}

TEST(Lexer, StringEscapes) {
  EXPECT_EQ(testing::Output(R"(print("a\tb\\c\"d\x41\x7a");)"), "a\tb\\c\"dAz\n");
  EXPECT_EQ(testing::Output(R"(print(len("\0\n\r"));)"), "3\n");
}

TEST(Lexer, BadEscapeIsReportedAtTheBackslash) {
  std::string e = CompileError("let s = \"ab\\qc\";");
  EXPECT_NE(e.find("test.tape:1:12: error: unknown escape \"\\\\q\""), std::string::npos) << e;
  EXPECT_NE(CompileError(R"(let s = "\x4";)").find("unknown escape"), std::string::npos);
}

TEST(Lexer, UnterminatedString) {
  std::string e = CompileError("let s = \"abc\nprint(s);");
  EXPECT_NE(e.find("test.tape:1:9: error: unterminated string: no closing '\"' before the end of "
                   "the file"),
            std::string::npos)
      << e;
  EXPECT_NE(CompileError("let s = \"abc").find("unterminated string"), std::string::npos);
}

TEST(Lexer, StringsMaySpanLines) {
  EXPECT_EQ(testing::Output("let s = \"two\nlines\";\nprint(len(s)); print(s);"),
            "9\ntwo\nlines\n");
  // Positions after such a string are right.
  EXPECT_NE(CompileError("let s = \"a\nb\";\nlet t = ;").find("test.tape:3:9: error:"),
            std::string::npos);
}

TEST(Lexer, AMissingQuoteBeforeALaterStringIsPointedOut) {
  // The string opened on line 1 runs to the quote on line 2; the error comes
  // after, and the note shows where the string began.
  std::string e = CompileError("let a = \"one;\nlet b = \"two\";\nprint(a);\n");
  EXPECT_NE(e.find("test.tape:1:9: error: this string goes on past the end of its line"),
            std::string::npos)
      << e;
  // No note when the error comes first, or for a well-formed script.
  EXPECT_EQ(CompileError("let x = ;\nlet s = \"a\nb\";").find("goes on past"), std::string::npos);
}

TEST(Lexer, CStyleOperatorsAreTheKeywords) {
  EXPECT_EQ(testing::Output("print(true && false); print(false || true); print(!true);"),
            "false\ntrue\nfalse\n");
  EXPECT_EQ(Kinds("a && b || !c & d | e ^ ~f << g >> h"),
            (std::vector<Tok>{Tok::kIdent, Tok::kAndAnd, Tok::kIdent, Tok::kOrOr, Tok::kBang,
                              Tok::kIdent, Tok::kAmp, Tok::kIdent, Tok::kPipe, Tok::kIdent,
                              Tok::kCaret, Tok::kTilde, Tok::kIdent, Tok::kShl, Tok::kIdent,
                              Tok::kShr, Tok::kIdent, Tok::kEof}));
}

TEST(Lexer, CompoundAssignments) {
  EXPECT_EQ(Kinds("+= -= *= /= %= &= |= ^= <<= >>= <= >= != =="),
            (std::vector<Tok>{Tok::kPlusAssign, Tok::kMinusAssign, Tok::kStarAssign,
                              Tok::kSlashAssign, Tok::kPercentAssign, Tok::kAmpAssign,
                              Tok::kPipeAssign, Tok::kCaretAssign, Tok::kShlAssign,
                              Tok::kShrAssign, Tok::kLe, Tok::kGe, Tok::kNe, Tok::kEq, Tok::kEof}));
}

TEST(Lexer, Floats) {
  EXPECT_EQ(Kinds("1.5 1e3 2E-7 3.25e+2 0.0 1..3 1.x"),
            (std::vector<Tok>{Tok::kFloat, Tok::kFloat, Tok::kFloat, Tok::kFloat, Tok::kFloat,
                              Tok::kInt, Tok::kDotDot, Tok::kInt, Tok::kInt, Tok::kDot,
                              Tok::kIdent, Tok::kEof}));
  EXPECT_NE(CompileError("let f = 1e999;").find("float literal \"1e999\" is too large"),
            std::string::npos);
  EXPECT_NE(CompileError("let f = 01.5;").find("a number cannot start with 0"), std::string::npos);
  EXPECT_NE(CompileError("let f = 1.5x;").find("invalid number \"1.5x\""), std::string::npos);
  EXPECT_NE(CompileError("let f = 1e;").find("invalid number \"1e\""), std::string::npos);
  // Too small for a double is 0.
  EXPECT_EQ(testing::Output("print(1e-999);"), "0.0\n");
}

TEST(Lexer, BinaryGarbageIsOneError) {
  std::string garbage = "\x01\x02\xff\xfe\x80\x81";
  for (int i = 0; i < 200; ++i) garbage += static_cast<char>(0x80 + (i * 7) % 0x7f);
  std::string e = CompileError(garbage);
  EXPECT_NE(e.find("unexpected byte 0x01"), std::string::npos) << e;
  EXPECT_NE(e.find("206 unreadable bytes in all"), std::string::npos) << e;
  EXPECT_EQ(e.find("error:", e.find("error:") + 1), std::string::npos) << "one error only: " << e;
}

TEST(Lexer, UnexpectedPrintableCharacter) {
  std::string e = CompileError("let x = 3 @ 4;");
  EXPECT_NE(e.find("test.tape:1:11: error: unexpected character '@'"), std::string::npos) << e;
}

}  // namespace
}  // namespace tape::lang
