// The script driver's checker: it must catch a script whose output, error
// or exit code differs from its expectations, or the suite proves nothing.

#include "tests/lang/script_expect.h"

#include <gtest/gtest.h>

namespace tape::lang::testing {
namespace {

std::vector<std::string> Check(const std::string& source) {
  ScriptSpec spec = ParseScriptSpec(source);
  return CheckOutcome(spec, RunScript("t.tape", source, spec));
}

TEST(ScriptExpect, ParsesDirectives) {
  ScriptSpec spec = ParseScriptSpec(
      "print(1); # expect: 1\n"
      "# expect: \n"
      "# expect error: [line 4] boom\n"
      "# expect exit: 3\n"
      "# env: A=b=c\n"
      "# arg: x y\n"
      "# file: f.txt=one\\ntwo\n"
      "# random: 07 ff\n"
      "# step limit: 99\n");
  EXPECT_EQ(spec.stdout_lines, (std::vector<std::string>{"1", ""}));
  ASSERT_EQ(spec.errors.size(), 1u);
  EXPECT_EQ(spec.errors[0].line, 4);
  EXPECT_EQ(spec.errors[0].text, "boom");
  EXPECT_EQ(spec.exit_code, 3);
  EXPECT_EQ(spec.env["A"], "b=c");
  EXPECT_EQ(spec.args, std::vector<std::string>{"x y"});
  EXPECT_EQ(spec.files["f.txt"], "one\ntwo");
  EXPECT_EQ(spec.random, (std::vector<uint8_t>{7, 255}));
  EXPECT_EQ(spec.step_limit, 99u);
}

TEST(ScriptExpect, PassingScriptHasNoProblems) {
  EXPECT_TRUE(Check("print(1 + 1); # expect: 2\n").empty());
  EXPECT_TRUE(Check("print(1);\n# expect: 1\nprint(1 / 0); # expect error: [line 3] division by zero\n")
                  .empty());
  EXPECT_TRUE(Check("return 4; # expect exit: 4\n").empty());
}

TEST(ScriptExpect, CatchesWrongOutput) {
  EXPECT_FALSE(Check("print(1 + 1); # expect: 3\n").empty());
  EXPECT_FALSE(Check("print(1); print(2); # expect: 1\n").empty());
}

TEST(ScriptExpect, CatchesWrongOrMissingErrors) {
  EXPECT_FALSE(Check("print(1 / 0); # expect error: [line 2] division by zero\n").empty());
  EXPECT_FALSE(Check("print(1 / 0); # expect error: [line 1] overflow\n").empty());
  EXPECT_FALSE(Check("print(1); # expect error: [line 1] anything\n").empty());
  EXPECT_FALSE(Check("print(1 / 0);\n").empty());
}

TEST(ScriptExpect, CatchesWrongExitCode) {
  EXPECT_FALSE(Check("return 4; # expect exit: 3\n").empty());
  EXPECT_FALSE(Check("return 4;\n").empty());
}

TEST(ScriptExpect, SetsUpTheRuntime) {
  EXPECT_TRUE(Check("# env: N=ada\n# arg: a1\n# file: f=xy\n# random: 05\n"
                    "print(env.get(\"N\")); # expect: ada\n"
                    "print(args.get()[0]); # expect: a1\n"
                    "print(fs.read(\"f\")); # expect: xy\n"
                    "print(byte_at(random.bits(1), 0)); # expect: 5\n")
                  .empty());
}

}  // namespace
}  // namespace tape::lang::testing
