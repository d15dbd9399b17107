// Robustness: hostile scripts end with a clear error, never a crash, a hang
// or unbounded memory (specs/language.md §10).

#include <gtest/gtest.h>

#include <random>

#include "engine/lang/limits.h"
#include "tests/lang/test_util.h"

namespace tape::lang {
namespace {

using testing::CompileError;
using testing::RunSource;
using testing::RuntimeError;

TEST(Limits, HugeStringRepetitionIsRefused) {
  EXPECT_NE(RuntimeError("let s = \"ab\" * 9223372036854775807;").find("string too long"),
            std::string::npos);
  EXPECT_NE(RuntimeError("let s = \"x\" * 300000000;").find("string too long: 300000000 bytes"),
            std::string::npos);
  EXPECT_NE(RuntimeError("let s = \"x\" * -1;").find("cannot repeat a string -1 times"),
            std::string::npos);
  EXPECT_NE(RuntimeError("let l = [1] * 100000000;").find("too many elements"), std::string::npos);
  // Empty things repeated many times are empty, at once.
  EXPECT_EQ(testing::Output("print(len(\"\" * 9223372036854775807));\n"
                            "print(len([] * 9223372036854775807));"),
            "0\n0\n");
}

TEST(Limits, DoublingAStringHitsTheLimit) {
  EXPECT_NE(RuntimeError("let s = \"x\";\nwhile (true) { s = s + s; }").find("string too long"),
            std::string::npos);
}

TEST(Limits, MemoryBudgetStopsManyLargeValues) {
  RunLimits limits;
  limits.max_memory = 64 << 20;
  testing::RunResult r = RunSource(
      "let l = [];\nfor i in 0..100 { push(l, \"x\" * 10000000 + str(i)); }", nullptr, limits);
  EXPECT_NE(r.error.find("out of memory: the script's strings, lists and maps would take more "
                         "than 64 MiB"),
            std::string::npos)
      << r.error;
}

TEST(Limits, MemoryIsGivenBackWhenValuesDie) {
  RunLimits limits;
  limits.max_memory = 64 << 20;
  testing::RunResult r = RunSource(
      "for i in 0..100 { let s = \"x\" * 10000000; }\nprint(\"ok\");", nullptr, limits);
  EXPECT_EQ(r.out, "ok\n") << r.error;
}

TEST(Limits, DeeplyNestedValuesAreRefused) {
  EXPECT_NE(RuntimeError("let l = [];\nfor i in 0..1000 { l = [l]; }").find("value nested too deeply"),
            std::string::npos);
  EXPECT_NE(RuntimeError("let m = {};\nfor i in 0..1000 { let n = {}; n[\"k\"] = m; m = n; }")
                .find("value nested too deeply"),
            std::string::npos);
  EXPECT_NE(RuntimeError("let l = [];\nfor i in 0..1000 { let n = [0]; n[0] = l; l = n; }")
                .find("value nested too deeply"),
            std::string::npos);
  EXPECT_NE(RuntimeError("let l = [[]];\nfor i in 0..1000 { push(l[0], l); }")
                .find("value nested too deeply"),
            std::string::npos);
  // 99 levels is fine, and prints.
  EXPECT_EQ(testing::Output("let l = [];\nfor i in 0..99 { l = [l]; }\nprint(len(str(l)));"),
            "200\n");
}

TEST(Limits, ExponentiallyLargeSharedValuesDoNotHang) {
  // Each list holds its predecessor twice: 2^90 leaves in a few kilobytes.
  std::string build = "let a = [1];\nlet b = [1];\nfor i in 0..90 { a = [a, a]; b = [b, b]; }\n";
  EXPECT_NE(RuntimeError(build + "print(a == b);").find("values too large to compare"),
            std::string::npos);
  EXPECT_NE(RuntimeError(build + "print(len(str(a)));").find("string too long"),
            std::string::npos);
  EXPECT_NE(RuntimeError(build + "print(contains([a] * 1000, b));").find("values too large"),
            std::string::npos);
  EXPECT_EQ(testing::Output(build + "print(a == a); print(len(a));"), "true\n2\n");
}

TEST(Limits, StepLimitStopsInfiniteLoops) {
  RunLimits limits;
  limits.max_steps = 10000;
  testing::RunResult r = RunSource("while (true) { }", nullptr, limits);
  EXPECT_NE(r.error.find("test.tape:1:1: runtime error: step limit reached: more than 10000"),
            std::string::npos)
      << r.error;
  r = RunSource("fn f() { return 1; }\nwhile (true) { f(); }", nullptr, limits);
  EXPECT_NE(r.error.find("step limit"), std::string::npos) << r.error;
  r = RunSource("print(1);\nfor i in 0..9223372036854775807 { }", nullptr, limits);
  EXPECT_NE(r.error.find("test.tape:2:1: runtime error: step limit reached"), std::string::npos)
      << r.error;
  r = RunSource("let l = [0] * 20000;\nfor x in l { if (x == 1) { continue; } }", nullptr, limits);
  EXPECT_NE(r.error.find("test.tape:2:1: runtime error: step limit reached"), std::string::npos)
      << r.error;
  // Exactly at the limit is fine: 10000 iterations are 10000 steps.
  EXPECT_EQ(RunSource("for i in 0..10000 { }\nprint(\"ok\");", nullptr, limits).out, "ok\n");
}

TEST(Limits, SourceSizeIsCapped) {
  std::string big(kMaxSourceBytes + 1, ' ');
  EXPECT_NE(CompileError(big).find("scripts may be at most 1 MiB"), std::string::npos);
}

TEST(Limits, LongStatementListsAreFine) {
  std::string src;
  for (int i = 0; i < 20000; ++i) src += "let v" + std::to_string(i) + " = " + std::to_string(i) + ";\n";
  src += "print(v19999);\n";
  EXPECT_EQ(testing::Output(src), "19999\n");
}

TEST(Limits, ManyLocalsInAFunction) {
  std::string src = "fn f() {\n";
  for (int i = 0; i < 3000; ++i) src += "let v" + std::to_string(i) + " = " + std::to_string(i) + ";\n";
  src += "return v2999;\n}\nprint(f());\n";
  EXPECT_EQ(testing::Output(src), "2999\n");
}

TEST(Limits, DeepRecursionWithManyLocalsGrowsTheStack) {
  std::string src = "fn f(n) {\n";
  for (int i = 0; i < 200; ++i) src += "let v" + std::to_string(i) + " = n;\n";
  src += "if (n == 0) { return 0; }\nreturn f(n - 1) + 1;\n}\nprint(f(900));\n";
  EXPECT_EQ(testing::Output(src), "900\n");
}

// Random token soup and random bytes must never crash the lexer, the parser
// or the compiler, and whatever compiles must run to an end.
TEST(Limits, RandomInputsNeverCrash) {
  const char* pieces[] = {"let", "x", "=", "1", ";", "(", ")", "{", "}", "[", "]", "fn",
                          "f",   "if", "else", "while", "for", "in", "..", "+", "*", "-",
                          "\"s\"", ",", "return", "print", "clock.now()", "push", "and",
                          "not", ":", "break", "9223372036854775807", "\n", "#c\n", "\x01"};
  std::mt19937 gen(1234);
  RunLimits limits;
  limits.max_steps = 2000;
  limits.max_memory = 32 << 20;
  int compiled = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string src;
    int n = static_cast<int>(gen() % 60);
    for (int i = 0; i < n; ++i) {
      if (gen() % 10 == 0) {
        src.push_back(static_cast<char>(gen() % 256));
      } else {
        src += pieces[gen() % (sizeof pieces / sizeof *pieces)];
        src += ' ';
      }
    }
    testing::RunResult r = RunSource(src, nullptr, limits);
    if (r.compiled) ++compiled;
    // Errors are well formed: "test.tape:L:C: error:" or "... runtime error:".
    if (!r.error.empty()) {
      EXPECT_EQ(r.error.rfind("test.tape:", 0), 0u) << r.error;
    }
  }
  EXPECT_GT(compiled, 0);
}

}  // namespace
}  // namespace tape::lang
