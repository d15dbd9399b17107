// Syntax errors: the message, its position, the caret, and that one mistake
// gives one message.

#include <gtest/gtest.h>

#include "tests/lang/test_util.h"

namespace tape::lang {
namespace {

using testing::CompileError;
using testing::Output;

int CountErrors(const std::string& message) {
  int n = 0;
  for (size_t at = message.find(": error: "); at != std::string::npos;
       at = message.find(": error: ", at + 1)) {
    ++n;
  }
  return n;
}

TEST(Parser, ErrorShowsPositionSourceLineAndCaret) {
  EXPECT_EQ(CompileError("let x = 1;\nlet y = (x + ;\n"),
            "test.tape:2:14: error: expected an expression, found ';'\n"
            "let y = (x + ;\n"
            "             ^");
}

TEST(Parser, CaretFollowsTabs) {
  EXPECT_EQ(CompileError("\tlet y = ;"),
            "test.tape:1:10: error: expected an expression, found ';'\n"
            "\tlet y = ;\n"
            "\t        ^");
}

TEST(Parser, MissingSemicolonAtEndOfLineIsOneErrorPointingAfterTheToken) {
  std::string e = CompileError("let x = 3\nprint(x);\nprint(x + 1);\n");
  EXPECT_EQ(e, "test.tape:1:10: error: expected ';' after the 'let'\nlet x = 3\n         ^");
}

TEST(Parser, ConditionsTakeParenthesesOrNot) {
  EXPECT_EQ(testing::Output("let x = 1;\nif x < 3 {\n  print(x);\n} else if (x > 9) {\n"
                            "  print(9);\n}\nwhile x < 3 { x += 1; }\nprint(x);"),
            "1\n3\n");
  // A parenthesised condition is an ordinary expression: it may go on.
  EXPECT_EQ(testing::Output("if (1 + 1) == 2 { print(\"two\"); }"), "two\n");
  // A map literal can still be compared with, but a condition cannot begin
  // with one.
  EXPECT_EQ(testing::Output("let m = {};\nif m == {} { print(\"empty\"); }"), "empty\n");
  std::string e = CompileError("if {1: 2} == m { }");
  EXPECT_NE(e.find("test.tape:1:4: error: expected a condition after 'if', found '{'"),
            std::string::npos)
      << e;
  EXPECT_NE(CompileError("while { }").find("expected a condition after 'while'"),
            std::string::npos);
}

TEST(Parser, AssignmentInAnUnparenthesisedConditionSuggestsEquals) {
  std::string e = CompileError("let x = 1;\nif x = 3 {\n  x = x + 1;\n}\n");
  EXPECT_NE(e.find("test.tape:2:6: error: '=' assigns; write '==' to compare"),
            std::string::npos)
      << e;
  EXPECT_EQ(CountErrors(e), 1) << e;
}

TEST(Parser, AssignmentInConditionSuggestsEquals) {
  std::string e = CompileError("let x = 1;\nwhile (x = 3) {\n  x = x + 1;\n}\n");
  EXPECT_NE(e.find("test.tape:2:10: error: '=' assigns; write '==' to compare"),
            std::string::npos)
      << e;
  EXPECT_EQ(CountErrors(e), 1) << e;
}

TEST(Parser, OneMistakeInsideABlockDoesNotCascade) {
  std::string e = CompileError(
      "fn f(a) {\n"
      "  let b = a +* 2;\n"
      "  if (b > 3) {\n"
      "    return b;\n"
      "  }\n"
      "  return 0;\n"
      "}\n"
      "print(f(1));\n");
  EXPECT_NE(e.find("test.tape:2:14: error: expected an expression, found '*'"), std::string::npos)
      << e;
  EXPECT_EQ(CountErrors(e), 1) << e;
}

TEST(Parser, IndependentMistakesAreAllReported) {
  std::string e = CompileError("let a = ;\nlet b = 1;\nlet c = );\n");
  EXPECT_EQ(CountErrors(e), 2) << e;
  EXPECT_NE(e.find("test.tape:1:9:"), std::string::npos);
  EXPECT_NE(e.find("test.tape:3:9:"), std::string::npos);
}

TEST(Parser, AtMostAFewErrorsAreReported) {
  std::string src;
  for (int i = 0; i < 50; ++i) src += "let = 1;\n";
  std::string e = CompileError(src);
  EXPECT_EQ(CountErrors(e), 5) << e;
  EXPECT_NE(e.find("(further errors not shown)"), std::string::npos);
}

TEST(Parser, UnclosedBlockNamesWhereItOpened) {
  std::string e = CompileError("fn f() {\n  print(1);\n\nprint(2);\n");
  EXPECT_NE(e.find("expected '}' to close the block opened at line 1, found end of file"),
            std::string::npos)
      << e;
  EXPECT_EQ(CountErrors(e), 1) << e;
}

TEST(Parser, StrayClosingBrace) {
  std::string e = CompileError("print(1);\n}\nprint(2);\n");
  EXPECT_NE(e.find("test.tape:2:1: error: unexpected '}': no block is open here"),
            std::string::npos)
      << e;
  EXPECT_EQ(CountErrors(e), 1) << e;
}

TEST(Parser, BracesAreRequired) {
  EXPECT_NE(CompileError("if (true) print(1);").find("expected '{'"), std::string::npos);
  EXPECT_NE(CompileError("while (true) print(1);").find("expected '{'"), std::string::npos);
}

TEST(Parser, ForTakesNoParentheses) {
  EXPECT_NE(CompileError("for (i in 0..3) { }").find("without parentheses"), std::string::npos);
}

TEST(Parser, FunctionsOnlyAtTopLevel) {
  std::string e = CompileError("if (true) {\n  fn f() { return 1; }\n}\nprint(2);\n");
  EXPECT_NE(e.find("test.tape:2:3: error: functions are declared at the top level only"),
            std::string::npos)
      << e;
  EXPECT_EQ(CountErrors(e), 1) << e;
}

TEST(Parser, BreakAndContinueOutsideALoop) {
  EXPECT_NE(CompileError("break;").find("'break' outside a loop"), std::string::npos);
  EXPECT_NE(CompileError("fn f() { continue; }").find("'continue' outside a loop"),
            std::string::npos);
  // A loop around a call does not count: the function is compiled on its own.
  EXPECT_NE(CompileError("while (true) { }\nfn f() { break; }").find("outside a loop"),
            std::string::npos);
}

TEST(Parser, AssignmentNeedsAPlace) {
  std::string e = CompileError("let x = 1;\nx + 1 = 3;\n");
  EXPECT_NE(e.find("test.tape:2:7: error: cannot assign to this expression"), std::string::npos)
      << e;
  EXPECT_NE(CompileError("len(x) = 3;").find("cannot assign"), std::string::npos);
}

TEST(Parser, ElseWithoutIf) {
  EXPECT_NE(CompileError("print(1);\nelse { }").find("'else' without an 'if'"),
            std::string::npos);
}

TEST(Parser, LetNeedsAValue) {
  EXPECT_NE(CompileError("let x;").find("every 'let' needs a value"), std::string::npos);
}

TEST(Parser, PrecedenceIsCLike) {
  EXPECT_EQ(Output("print(1 + 2 * 3);"), "7\n");
  EXPECT_EQ(Output("print((1 + 2) * 3);"), "9\n");
  EXPECT_EQ(Output("print(10 - 4 - 3);"), "3\n");  // left-associative
  EXPECT_EQ(Output("print(100 / 10 / 5);"), "2\n");
  EXPECT_EQ(Output("print(-2 * 3);"), "-6\n");
  EXPECT_EQ(Output("print(1 + 1 == 2);"), "true\n");
  EXPECT_EQ(Output("print(1 < 2 == 2 < 3);"), "true\n");  // relational above equality
  EXPECT_EQ(Output("print(true or false and false);"), "true\n");  // and above or
  EXPECT_EQ(Output("print(not false == true);"), "true\n");  // (not false) == true
  EXPECT_EQ(Output("print([1, [2, 3]][1][0] + 1);"), "3\n");
}

TEST(Parser, TrailingCommasAreAllowed) {
  EXPECT_EQ(Output("fn f(a, b,) { return a + b; }\nprint(f(1, 2,));\nprint([1, 2,]);\n"
                   "print({1: 2,});"),
            "3\n[1, 2]\n{1: 2}\n");
}

TEST(Parser, DeeplyNestedParenthesesAreAnErrorNotACrash) {
  std::string src = "let x = " + std::string(100000, '(') + "1" + std::string(100000, ')') + ";";
  std::string e = CompileError(src);
  EXPECT_NE(e.find("nested too deeply (more than 256 levels)"), std::string::npos)
      << e.substr(0, 200);
  EXPECT_EQ(CountErrors(e), 1);
}

TEST(Parser, NestingJustUnderTheLimitWorks) {
  std::string src = "print(" + std::string(200, '(') + "1" + std::string(200, ')') + ");";
  EXPECT_EQ(Output(src), "1\n");
}

TEST(Parser, LongOperatorChainsAreBoundedToo) {
  std::string src = "let x = 1";
  for (int i = 0; i < 100000; ++i) src += "+1";
  std::string e = CompileError(src + ";");
  EXPECT_NE(e.find("nested too deeply"), std::string::npos) << e.substr(0, 200);
  EXPECT_EQ(Output("print(1" + std::string() + [] {
              std::string s;
              for (int i = 0; i < 200; ++i) s += "+1";
              return s;
            }() + ");"),
            "201\n");
}

TEST(Parser, DeeplyNestedBlocksAreAnError) {
  std::string src;
  for (int i = 0; i < 10000; ++i) src += "if (true) {";
  std::string e = CompileError(src);
  EXPECT_NE(e.find("blocks nested too deeply"), std::string::npos) << e.substr(0, 300);
}

TEST(Parser, DeepUnaryChainsAreAnError) {
  std::string e = CompileError("let x = " + std::string(50000, '-') + "1;");
  EXPECT_NE(e.find("nested too deeply"), std::string::npos) << e.substr(0, 200);
}

}  // namespace
}  // namespace tape::lang
