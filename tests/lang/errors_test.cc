// Runtime errors and the compile errors a parser cannot see: the message,
// the position, the call stack, and every failure the spec lists.

#include <gtest/gtest.h>

#include "engine/lang/diagnostics.h"
#include "engine/lang/value.h"
#include "engine/internal/redaction.h"
#include "tape/drift.h"
#include "tests/lang/test_util.h"

namespace tape::lang {
namespace {

using testing::CompileError;
using testing::FakeRuntime;
using testing::RunSource;
using testing::RuntimeError;

// Redaction finds a secret in an outcome message as scripts quote it
// (engine::MessageValueFinder keeps its own copy of the quoting rules, since
// the engine does not link the language): in an error, cut short or whole,
// and printed inside a list.
TEST(RuntimeErrors, RedactionFindsAStringAsScriptsQuoteIt) {
  std::string secret = "tok\"\\\n\t\r\x01\x7f\xc3\xb6-secret-value";
  engine::MessageValueFinder values;
  values.Add(format::AsBytes(secret));
  engine::MarkerTable markers;
  std::string out, printed;
  AppendRepr(&printed, Value::NewList({Value::String(secret)}));
  for (const std::string& text :
       {QuoteForMessage(secret), QuoteForMessage(secret, 1000), printed}) {
    out.clear();
    ASSERT_TRUE(values.Redact(text, &markers, &out)) << text;
    EXPECT_EQ(out.find("secret"), std::string::npos) << out;
    EXPECT_NE(out.find("[redacted #1]"), std::string::npos) << out;
  }
}

TEST(RuntimeErrors, FormatHasPositionLineCaretAndCallStack) {
  testing::RunResult r = RunSource(
      "fn inner(l, i) {\n"
      "  return l[i];\n"
      "}\n"
      "fn outer(i) {\n"
      "  return inner([1, 2], i) + 1;\n"
      "}\n"
      "print(outer(1));\n"
      "print(outer(5));\n");
  EXPECT_EQ(r.out, "3\n");
  EXPECT_EQ(r.error,
            "test.tape:2:11: runtime error: index 5 is out of range for a list of length 2\n"
            "  return l[i];\n"
            "          ^\n"
            "  in fn inner (test.tape:2)\n"
            "  in fn outer (test.tape:5)\n"
            "  in top-level code (test.tape:8)");
}

TEST(RuntimeErrors, TopLevelErrorHasNoCallStack) {
  testing::RunResult r = RunSource("let x = 0;\nprint(10 / x);\n");
  EXPECT_EQ(r.error, "test.tape:2:10: runtime error: division by zero\nprint(10 / x);\n         ^");
}

TEST(RuntimeErrors, ScriptNameIsTheBaseName) {
  testing::RunResult r = RunSource("print(1 / 0);", nullptr, RunLimits{}, "/some/dir/x.tape");
  EXPECT_EQ(r.error.substr(0, 13), "x.tape:1:9: r") << r.error;
}

TEST(RuntimeErrors, IntegerOverflow) {
  EXPECT_EQ(RuntimeError("print(9223372036854775807 + 1);"),
            "test.tape:1:27: runtime error: integer overflow: 9223372036854775807 + 1 does not "
            "fit in 64 bits");
  EXPECT_NE(RuntimeError("print(-9223372036854775807 - 2);").find("integer overflow"),
            std::string::npos);
  EXPECT_NE(RuntimeError("print(4611686018427387904 * 2);").find("integer overflow"),
            std::string::npos);
  EXPECT_NE(RuntimeError("let m = -9223372036854775807 - 1; print(-m);").find("integer overflow"),
            std::string::npos);
}

TEST(RuntimeErrors, DivisionAndModulo) {
  EXPECT_NE(RuntimeError("print(1 / 0);").find("division by zero"), std::string::npos);
  EXPECT_NE(RuntimeError("print(1 % 0);").find("modulo by zero"), std::string::npos);
  EXPECT_NE(RuntimeError("let m = -9223372036854775807 - 1; print(m / -1);")
                .find("integer overflow: -9223372036854775808 / -1"),
            std::string::npos);
  EXPECT_NE(RuntimeError("let m = -9223372036854775807 - 1; print(m % -1);")
                .find("integer overflow"),
            std::string::npos);
  // Truncation toward zero, remainder takes the dividend's sign (as in C).
  EXPECT_EQ(testing::Output("print(-7 / 2); print(-7 % 2); print(7 % -2);"), "-3\n-1\n1\n");
}

TEST(RuntimeErrors, TypeErrorsNameTheTypes) {
  EXPECT_EQ(RuntimeError("print(1 - \"a\");"),
            "test.tape:1:9: runtime error: cannot apply '-' to int and string");
  EXPECT_NE(RuntimeError("print([1] - [1]);").find("cannot apply '-' to list and list"),
            std::string::npos);
  EXPECT_NE(RuntimeError("print(1 + [1]);").find("cannot apply '+' to int and list"),
            std::string::npos);
  EXPECT_NE(RuntimeError("print(1 < \"a\");").find("cannot compare int and string with '<'"),
            std::string::npos);
  EXPECT_NE(RuntimeError("print(-\"a\");").find("cannot negate a string"), std::string::npos);
  EXPECT_NE(RuntimeError("print(1.5 & 1);").find("cannot apply '&' to float and int (bitwise "
                                                  "operators take ints)"),
            std::string::npos);
  EXPECT_NE(RuntimeError("print(~1.5);").find("cannot apply '~' to a float"), std::string::npos);
  EXPECT_NE(RuntimeError("print(3[0]);").find("cannot index an int"), std::string::npos);
  EXPECT_NE(RuntimeError("print(2 * \"ab\");").find("write the count on the right"),
            std::string::npos);
}

TEST(RuntimeErrors, ShortCircuitSkipsTheRightOperand) {
  EXPECT_EQ(testing::Output("print(false and 1 / 0 == 1);\nprint(true or 1 / 0 == 1);"),
            "false\ntrue\n");
}

TEST(RuntimeErrors, IndexingFailures) {
  EXPECT_NE(RuntimeError("print([1][1]);").find("index 1 is out of range for a list of length 1"),
            std::string::npos);
  EXPECT_NE(RuntimeError("print([1][-1]);").find("index -1 is out of range"), std::string::npos);
  EXPECT_NE(RuntimeError("print([1][\"a\"]);").find("a list index must be an int, got string"),
            std::string::npos);
  EXPECT_NE(RuntimeError("print(\"ab\"[2]);").find("out of range for a string of length 2"),
            std::string::npos);
  EXPECT_EQ(RuntimeError("let m = {\"a\": 1};\nprint(m[\"b\"]);"),
            "test.tape:2:8: runtime error: no key \"b\" in the map (test with contains(m, k) first)");
  EXPECT_NE(RuntimeError("let m = {}; print(m[[1]]);").find("map keys are ints or strings, got list"),
            std::string::npos);
  EXPECT_NE(RuntimeError("let m = {[1]: 2};").find("map keys are ints or strings"),
            std::string::npos);
  EXPECT_NE(RuntimeError("let s = \"abc\"; s[0] = \"x\";").find("strings cannot be changed"),
            std::string::npos);
  EXPECT_NE(RuntimeError("let l = [1]; l[1] = 2;").find("index 1 is out of range"),
            std::string::npos);
  EXPECT_NE(RuntimeError("let m = {}; m[\"a\"][0] = 2;").find("no key \"a\""), std::string::npos);
}

TEST(RuntimeErrors, ExitCodes) {
  EXPECT_EQ(RunSource("return 7;").exit_code, 7);
  EXPECT_EQ(RunSource("print(1);").exit_code, 0);
  EXPECT_EQ(RunSource("return;").exit_code, 0);
  EXPECT_EQ(RunSource("return 255;").exit_code, 255);
  EXPECT_EQ(RunSource("if (true) { return 3; } print(1);").out, "");
  // As in the original: an int's low 8 bits; any other value is 0.
  EXPECT_EQ(RunSource("return 256;").exit_code, 0);
  EXPECT_EQ(RunSource("return 300;").exit_code, 44);
  EXPECT_EQ(RunSource("return -1;").exit_code, 255);
  EXPECT_EQ(RunSource("return -9223372036854775807 - 1;").exit_code, 0);
  EXPECT_EQ(RunSource("return \"x\";").exit_code, 0);
  EXPECT_EQ(RunSource("return 2.5;").exit_code, 0);
  EXPECT_EQ(RunSource("return nil;").exit_code, 0);
}

TEST(RuntimeErrors, ExitFromAnywhere) {
  testing::RunResult r = RunSource(
      "fn check(n) {\n  for i in 0..10 {\n    if i == n { print(i); exit(3); }\n  }\n}\n"
      "check(2);\nprint(\"not reached\");");
  EXPECT_EQ(r.out, "2\n");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(RunSource("exit();").exit_code, 0);
  EXPECT_EQ(RunSource("exit(-2);").exit_code, 254);
  EXPECT_EQ(RunSource("let x = 1 + exit(5);").exit_code, 5);
  EXPECT_NE(testing::CompileError("exit(1, 2);").find("exit() takes 0 or 1 argument"),
            std::string::npos);
}

TEST(RuntimeErrors, RunawayRecursionIsAnErrorNotACrash) {
  std::string e = RunSource("fn down(n) { return down(n + 1); }\ndown(0);").error;
  EXPECT_NE(e.find("test.tape:1:21: runtime error: too many nested calls (more than 1000)"),
            std::string::npos)
      << e;
  // The stack is shortened: innermost frames, a count, the outermost ones.
  EXPECT_NE(e.find("  ... 989 more calls ...\n"), std::string::npos) << e;
  EXPECT_NE(e.find("  in top-level code (test.tape:2)"), std::string::npos) << e;
  EXPECT_LT(e.size(), 1000u);
}

TEST(RuntimeErrors, RecursionWithinTheLimitWorks) {
  EXPECT_EQ(testing::Output("fn sum(n) { if (n == 0) { return 0; } return n + sum(n - 1); }\n"
                            "print(sum(990));"),
            "490545\n");
}

TEST(RuntimeErrors, GlobalUsedByAFunctionBeforeItsLetRan) {
  EXPECT_NE(RuntimeError("fn f() { return limit; }\nprint(f());\nlet limit = 3;")
                .find("'limit' is used before its 'let' ran"),
            std::string::npos);
  EXPECT_EQ(testing::Output("let limit = 3;\nfn f() { return limit * 2; }\nprint(f());"), "6\n");
  EXPECT_NE(RuntimeError("fn set() { limit = 1; }\nset();\nlet limit = 3;")
                .find("'limit' is used before its 'let' ran"),
            std::string::npos);
  EXPECT_NE(RuntimeError("fn add() { push(items, 1); }\nadd();\nlet items = [];")
                .find("'items' is used before its 'let' ran"),
            std::string::npos);
}

TEST(CompileErrors, Names) {
  EXPECT_EQ(CompileError("print(y);"),
            "test.tape:1:7: error: undefined variable 'y' (declare it with 'let y = ...;')\n"
            "print(y);\n"
            "      ^");
  EXPECT_NE(CompileError("y = 3;").find("undefined variable 'y'"), std::string::npos);
  EXPECT_NE(CompileError("print(x);\nlet x = 1;").find("'x' is used before its 'let' on line 2"),
            std::string::npos);
  EXPECT_NE(CompileError("fn f() {}\nprint(f);").find("'f' is a function, not a variable"),
            std::string::npos);
  EXPECT_NE(CompileError("let f = 1;\nf(2);").find("'f' is a variable, not a function"),
            std::string::npos);
  EXPECT_NE(CompileError("nope(2);").find("undefined function 'nope'"), std::string::npos);
  EXPECT_NE(CompileError("fn f(a, a) { }").find("parameter 'a' appears twice"), std::string::npos);
  EXPECT_NE(CompileError("fn f() {}\nfn f() {}").find("function 'f' is already declared at line 1"),
            std::string::npos);
  EXPECT_NE(CompileError("fn print(x) {}").find("'print' is a host call"), std::string::npos);
  // A function may take a builtin's name; calls go to the function.
  EXPECT_EQ(testing::Output("fn len(x) { return 42; }\nprint(len([]));"), "42\n");
  // Names new in a block end with it; the error says where it was declared.
  EXPECT_EQ(CompileError("if (true) { let t = 1; }\nprint(t);"),
            "test.tape:2:7: error: 't' was declared on line 1 inside a block that has ended; to "
            "use it after the block, declare it before the block (let t = nil;)\n"
            "print(t);\n"
            "      ^");
  // A `let` of a name the function already has rebinds it: in the same
  // block, in an inner block, and for a parameter.
  EXPECT_EQ(testing::Output("let a = 1;\n{ let a = 2; print(a); }\nprint(a);"), "2\n2\n");
  EXPECT_EQ(testing::Output("let a = 1;\nlet a = a + 1;\nprint(a);"), "2\n");
  EXPECT_EQ(testing::Output("fn f(a) { let a = a * 2; { let a = a + 1; } return a; }\n"
                            "print(f(5));"),
            "11\n");
  // A function's `let` never rebinds a global: functions have their own
  // variables.
  EXPECT_EQ(testing::Output("let g = 1;\nfn f() { let g = 5; return g; }\nprint(f()); print(g);"),
            "5\n1\n");
}

// Source bytes that a terminal would act on never reach it: control bytes
// and invalid UTF-8 show as '?', valid UTF-8 as it is, and the caret still
// lines up (one column per character).
TEST(CompileErrors, RawBytesInTheSourceAreNotEchoed) {
  EXPECT_EQ(CompileError("let s = \"\x1b[31m\xff\xc2\x9b\xc3\xa9\"; let t = ;"),
            "test.tape:1:31: error: expected an expression, found ';'\n"
            "let s = \"?[31m???\xc3\xa9\"; let t = ;\n"
            "                             ^");
  // A script's name is shown with such bytes escaped, in compile errors,
  // runtime errors and site locations.
  auto script = Script::Compile("\x1b]0;x\x07.tape", "let t = ;");
  ASSERT_FALSE(script.has_value());
  EXPECT_EQ(script.error().message().substr(0, 28), "\\x1b]0;x\\x07.tape:1:9: error");
  auto ok = Script::Compile("dir/\xff.tape", "fn f() { return 1 / 0; }\nprint(f());");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ((*ok)->name(), "\\xff.tape");
  EXPECT_EQ(std::string((*ok)->sites()[0].location), "\\xff.tape:2:1");
  testing::FakeRuntime rt;
  try {
    (*ok)->Run(rt);
    ADD_FAILURE() << "no error";
  } catch (const ProgramError& e) {
    EXPECT_EQ(std::string(e.what()).find('\xff'), std::string::npos) << e.what();
  }
}

TEST(CompileErrors, Calls) {
  EXPECT_NE(CompileError("fn f(a, b) {}\nf(1);").find("f() takes 2 arguments, got 1"),
            std::string::npos);
  EXPECT_NE(CompileError("len();").find("len() takes 1 argument, got 0"), std::string::npos);
  EXPECT_NE(CompileError("clock.now(1);").find("clock.now() takes 0 arguments, got 1"),
            std::string::npos);
  EXPECT_NE(CompileError("clock.later();").find("unknown host call 'clock.later()'; the host calls "
                                                "are clock.now, random.bits"),
            std::string::npos);
  EXPECT_NE(CompileError("push([1], 2);").find("push() changes its first argument in place"),
            std::string::npos);
  EXPECT_NE(CompileError("let l = []; push(slice(l, 0, 0)[0], 2);")
                .find("only a variable or an element of one"),
            std::string::npos);
}

TEST(CompileErrors, SeveralAreReportedInSourceOrder) {
  std::string e = CompileError("print(a);\nprint(b);\n");
  size_t first = e.find("test.tape:1:7");
  size_t second = e.find("test.tape:2:7");
  ASSERT_NE(first, std::string::npos) << e;
  ASSERT_NE(second, std::string::npos) << e;
  EXPECT_LT(first, second);
}

// A runtime whose effects throw DriftError, as a replay that diverged does.
class DriftingRuntime : public FakeRuntime {
 public:
  std::string_view Perform(const Site&, EffectKind kind, std::string_view,
                           const LiveCall&) override {
    DriftInfo info;
    info.kind = kind == EffectKind::kEnvGet ? DriftKind::kArgsMismatch : DriftKind::kSiteMismatch;
    info.seq = kind == EffectKind::kEnvGet ? 7 : 3;
    throw DriftError(info);
  }
};

TEST(RuntimeErrors, DriftErrorPassesThroughUntouched) {
  auto script = Script::Compile("d.tape", "fn f() { return clock.now(); }\nprint(f());");
  ASSERT_TRUE(script.has_value());
  DriftingRuntime rt;
  try {
    (*script)->Run(rt);
    FAIL() << "expected a DriftError";
  } catch (const DriftError& e) {
    EXPECT_EQ(e.info().kind, DriftKind::kSiteMismatch);
    EXPECT_EQ(e.info().seq, 3u);
  }
}

// No form of a call that does not fault (a default, a test) catches what
// the runtime throws, and the run still reports its steps.
TEST(RuntimeErrors, DriftErrorPassesThroughTheNonFaultingForms) {
  for (const char* source : {"for i in 0..2 { }\nlet n = int(env.get(\"N\", \"x\"), 0);",
                             "for i in 0..2 { }\nif env.has(\"N\") { }",
                             "for i in 0..2 { }\nlet v = get({}, env.get(\"N\"), 0);"}) {
    auto script = Script::Compile("d.tape", source);
    ASSERT_TRUE(script.has_value());
    DriftingRuntime rt;
    RunStats stats;
    try {
      (*script)->Run(rt, RunLimits{}, &stats);
      ADD_FAILURE() << "expected a DriftError: " << source;
    } catch (const DriftError& e) {
      EXPECT_EQ(e.info().seq, 7u);
    }
    EXPECT_EQ(stats.steps, 2u);
  }
}

}  // namespace
}  // namespace tape::lang
