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

// Runs `source` and returns the steps it reported, and whether it stopped at
// the step limit.
struct StepsRun {
  uint64_t steps = 0;
  bool hit_limit = false;
  std::string error;
};
StepsRun RunCountingSteps(const std::string& source, uint64_t max_steps = 0) {
  auto script = Script::Compile("steps.tape", source);
  EXPECT_TRUE(script.has_value());
  testing::FakeRuntime rt;
  RunLimits limits;
  limits.max_steps = max_steps;
  StepsRun run;
  RunStats stats;
  stats.steps = 12345;  // overwritten however the run ends
  try {
    (*script)->Run(rt, limits, &stats);
  } catch (const StepLimitError& e) {
    run.hit_limit = true;
    run.error = e.what();
  } catch (const ProgramError& e) {
    run.error = e.what();
  }
  run.steps = stats.steps;
  return run;
}

TEST(Limits, RunsReportTheirSteps) {
  // A step is a loop iteration or a function call.
  EXPECT_EQ(RunCountingSteps("print(1);").steps, 0u);
  EXPECT_EQ(RunCountingSteps("for i in 0..10 { }").steps, 10u);
  EXPECT_EQ(RunCountingSteps("for x in [1, 2, 3] { }").steps, 3u);
  EXPECT_EQ(RunCountingSteps("let i = 0;\nwhile i < 5 { i += 1; }").steps, 5u);
  EXPECT_EQ(RunCountingSteps("fn f(n) { if n > 0 { return f(n - 1); } return 0; }\nf(4);").steps,
            5u);
  // Also when the run ends with an error, or with exit().
  StepsRun failed = RunCountingSteps("for i in 0..7 { }\nlet x = 1 / 0;");
  EXPECT_EQ(failed.steps, 7u);
  EXPECT_FALSE(failed.hit_limit);
  EXPECT_NE(failed.error.find("division by zero"), std::string::npos);
  EXPECT_EQ(RunCountingSteps("for i in 0..9 { if i == 2 { exit(1); } }").steps, 3u);
}

TEST(Limits, TheStepLimitIsItsOwnErrorType) {
  std::string loop = "let n = 0;\nfor i in 0..100 { n += i; }\nprint(n);";
  uint64_t recorded = RunCountingSteps(loop).steps;
  EXPECT_EQ(recorded, 100u);
  // A replay bounded by the recorded count runs to the end...
  StepsRun bounded = RunCountingSteps(loop, recorded);
  EXPECT_FALSE(bounded.hit_limit) << bounded.error;
  EXPECT_EQ(bounded.steps, recorded);
  // ...and one more step than allowed is a StepLimitError (a ProgramError,
  // formatted like any runtime error), with the steps that ran.
  StepsRun cut = RunCountingSteps(loop, recorded - 1);
  EXPECT_TRUE(cut.hit_limit);
  EXPECT_EQ(cut.steps, recorded - 1);
  EXPECT_NE(cut.error.find("steps.tape:2:1: runtime error: step limit reached: more than 99 "),
            std::string::npos)
      << cut.error;
}

TEST(Limits, SourceSizeIsCountedOnCodeNotComments) {
  std::string big(kMaxSourceBytes + 1, ' ');
  EXPECT_NE(CompileError(big).find("the script holds 1048577 bytes of code (outside comments); a "
                                   "script may hold at most 1 MiB of code"),
            std::string::npos);
  // 2 MiB of comments around a line of code.
  std::string documented;
  while (documented.size() < (size_t(2) << 20)) documented += "# a line of the documentation\n";
  EXPECT_EQ(testing::Output(documented + "print(\"ok\");\n" + documented), "ok\n");
  // The file as a whole is capped, comments included.
  std::string huge(kMaxSourceFileBytes + 1, '#');
  EXPECT_NE(CompileError(huge).find("a script file may be at most 16 MiB"), std::string::npos);
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
