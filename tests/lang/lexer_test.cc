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
  EXPECT_NE(e.find("test.tape:1:9: error: unterminated string"), std::string::npos) << e;
  EXPECT_NE(CompileError("let s = \"abc").find("unterminated string"), std::string::npos);
}

TEST(Lexer, CStyleLogicalOperatorsGetAHint) {
  EXPECT_NE(CompileError("let a = true && false;").find("write 'and'"), std::string::npos);
  EXPECT_NE(CompileError("let a = true || false;").find("write 'or'"), std::string::npos);
  EXPECT_NE(CompileError("let a = !true;").find("write 'not'"), std::string::npos);
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
