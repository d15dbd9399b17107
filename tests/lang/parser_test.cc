// Syntax errors: the message, its position, the caret, and that one mistake
// gives one message.

#include <gtest/gtest.h>
#include <pthread.h>

#include <functional>
#include <memory>

#include "engine/lang/compiler.h"
#include "engine/lang/lexer.h"
#include "engine/lang/limits.h"
#include "engine/lang/parser.h"
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
  EXPECT_NE(e.find("nested too deeply (more than 4096 levels)"), std::string::npos)
      << e.substr(0, 200);
  EXPECT_EQ(CountErrors(e), 1);
}

// 4096 levels of every kind of nesting compile and run (the original ran
// 300 nested parentheses and ifs, which 256 levels refused).
TEST(Parser, NestingUpToTheLimitWorks) {
  const int n = kMaxExprDepth;
  EXPECT_EQ(Output("print(" + std::string(n - 1, '(') + "1" + std::string(n - 1, ')') + ");"),
            "1\n");
  EXPECT_EQ(Output("let x = " + std::string(n, '(') + "1" + std::string(n, ')') + "; print(x);"),
            "1\n");
  std::string src;
  for (int i = 0; i < kMaxBlockDepth; ++i) src += "if true {\n";
  src += "print(\"deep\");\n";
  for (int i = 0; i < kMaxBlockDepth; ++i) src += "}\n";
  EXPECT_EQ(Output(src), "deep\n");
  std::string lists = "let l = " + std::string(99, '[') + "1" + std::string(99, ']') + ";";
  EXPECT_EQ(Output(lists + " print(len(l));"), "1\n");
  std::string calls = "fn f(x) { return x + 1; }\nlet y = ";
  for (int i = 0; i < n; ++i) calls += "f(";
  calls += "0" + std::string(n, ')') + ";\nprint(y);";
  EXPECT_EQ(Output(calls), std::to_string(n) + "\n");
  EXPECT_EQ(Output("let v = " + std::string(n, '-') + "1; print(v);"), "1\n");
  EXPECT_NE(CompileError("let v = " + std::string(n + 1, '-') + "1;").find("more than 4096 levels"),
            std::string::npos);
}

// A chain of binary operators is parsed and compiled without recursion: it
// is as long as the script's size allows.
TEST(Parser, LongOperatorChainsAreNotNesting) {
  std::string src = "let x = 1";
  for (int i = 0; i < 200000; ++i) src += "+1";
  EXPECT_EQ(Output(src + ";\nprint(x);"), "200001\n");
  std::string logic = "let t = true; let f = false;\nprint(f";
  for (int i = 0; i < 100000; ++i) logic += i % 2 ? " or f" : " and t";
  EXPECT_EQ(Output(logic + " or t);"), "true\n");
  // Mixed: a chain whose right operands are chains, and comparisons.
  std::string mixed = "print(0";
  for (int i = 0; i < 50000; ++i) mixed += " + 2 * 3 - 1";
  EXPECT_EQ(Output(mixed + " == 250000 and 1 < 2);"), "true\n");
}

// The syntax tree of a long chain is freed in a loop: on a thread's usual
// 8 MiB stack (this test's), half a million operators.
TEST(Parser, LongChainsAreFreedWithoutRecursion) {
  std::string src = "let x = 1";
  for (int i = 0; i < 500000; ++i) src += "+1";
  src += ";";
  LexResult lexed = Lex(src);
  ASSERT_TRUE(lexed.errors.empty());
  {
    ParseResult parsed = Parse(lexed.tokens);
    ASSERT_TRUE(parsed.errors.empty());
    CompileOutput compiled = CompileAst(parsed.ast, "chain.tape");
    EXPECT_TRUE(compiled.errors.empty());
  }  // the tree is freed here
}

// Runs `fn` on a thread with a stack of `bytes`.
void OnStack(size_t bytes, const std::function<void()>& fn) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, bytes);
  pthread_t t;
  auto body = [](void* arg) -> void* {
    (*static_cast<const std::function<void()>*>(arg))();
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&t, &attr, body, const_cast<std::function<void()>*>(&fn)), 0);
  pthread_join(t, nullptr);
  pthread_attr_destroy(&attr);
}

// On a stack smaller than the limits need (a thread of 512 KiB, 128 KiB),
// deep nesting is an error, not a crash: the parser and the compiler check
// how much stack is left.
TEST(Parser, DeepNestingOnASmallStackIsAnErrorNotACrash) {
  std::string parens = "let x = ";
  for (int i = 0; i < 2000; ++i) parens += "(-";
  parens += "1" + std::string(2000, ')') + ";";
  std::string blocks;
  for (int i = 0; i < 4000; ++i) blocks += "if true {";
  for (int i = 0; i < 4000; ++i) blocks += "}";
  for (const std::string* src : {&parens, &blocks}) {
    LexResult lexed = Lex(*src);
    std::vector<Diagnostic> errors;
    OnStack(size_t(512) << 10, [&] { errors = Parse(lexed.tokens).errors; });
    ASSERT_FALSE(errors.empty()) << "these levels parse in 512 KiB: make the test deeper";
    EXPECT_NE(errors[0].message.find("for the parser's stack"), std::string::npos)
        << errors[0].message;
    // Parsed on a stack that holds it, compiled on a small one.
    std::unique_ptr<ParseResult> parsed;
    OnStack(kCompileStackBytes, [&] { parsed = std::make_unique<ParseResult>(Parse(lexed.tokens)); });
    ASSERT_TRUE(parsed->errors.empty());
    OnStack(size_t(128) << 10, [&] { errors = CompileAst(parsed->ast, "t.tape").errors; });
    ASSERT_FALSE(errors.empty()) << "these levels compile in 128 KiB: make the test deeper";
    EXPECT_NE(errors[0].message.find("for the compiler's stack"), std::string::npos)
        << errors[0].message;
    OnStack(kCompileStackBytes, [&] { parsed.reset(); });
  }
}

}  // namespace
}  // namespace tape::lang
