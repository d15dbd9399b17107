// Value semantics: types, equality, printing, and that lists and maps are
// values (copied on write), not shared references.

#include <gtest/gtest.h>

#include "engine/lang/value.h"
#include "tests/lang/test_util.h"

namespace tape::lang {
namespace {

using testing::Output;

TEST(Values, Printing) {
  EXPECT_EQ(Output("print(nil); print(true); print(false); print(-5); print(\"s\");"),
            "nil\ntrue\nfalse\n-5\ns\n");
  EXPECT_EQ(Output("print([1, \"a\\n\", nil, [true], {}]);"), "[1, \"a\\n\", nil, [true], {}]\n");
  EXPECT_EQ(Output("print({\"k\": [1], 2: \"v\"});"), "{\"k\": [1], 2: \"v\"}\n");
  EXPECT_EQ(Output("print(str([\"q\\\"\\x01\"]));"), "[\"q\\\"\\x01\"]\n");
}

TEST(Values, TypeNames) {
  EXPECT_EQ(Output("print(type(nil)); print(type(true)); print(type(1)); print(type(\"\"));"
                   "print(type([])); print(type({}));"),
            "nil\nbool\nint\nstring\nlist\nmap\n");
}

TEST(Values, StringsAreByteStrings) {
  EXPECT_EQ(Output("let s = \"\\x00\\xff\";\nprint(len(s)); print(byte_at(s, 1));"), "2\n255\n");
  EXPECT_EQ(Output("print(\"ab\" + \"cd\"); print(\"ab\"[1]); print(\"-\" * 3);"),
            "abcd\n98\n---\n");
  EXPECT_EQ(Output("print(\"a\" < \"b\"); print(\"ab\" < \"a\"); print(\"\\xff\" > \"a\");"),
            "true\nfalse\ntrue\n");  // unsigned bytes, lexicographic
}

TEST(Values, EqualityIsStructural) {
  EXPECT_EQ(Output("print([1, [2]] == [1, [2]]); print([1] == [1, 2]); print([] != []);"),
            "true\nfalse\nfalse\n");
  // Maps compare as sets of entries: insertion order does not matter.
  EXPECT_EQ(Output("print({1: 2, 3: 4} == {3: 4, 1: 2}); print({1: 2} == {1: 3});"),
            "true\nfalse\n");
  // Different types are never equal, and == never fails.
  EXPECT_EQ(Output("print(1 == \"1\"); print(nil == false); print(0 == false); print(nil == nil);"),
            "false\nfalse\nfalse\ntrue\n");
}

TEST(Values, ListsAreCopiedOnWrite) {
  EXPECT_EQ(Output("let a = [1, 2];\nlet b = a;\nb[0] = 9;\npush(b, 3);\nprint(a); print(b);"),
            "[1, 2]\n[9, 2, 3]\n");
}

TEST(Values, MapsAreCopiedOnWrite) {
  EXPECT_EQ(Output("let a = {\"x\": 1};\nlet b = a;\nb[\"y\"] = 2;\nprint(a); print(b);"),
            "{\"x\": 1}\n{\"x\": 1, \"y\": 2}\n");
}

TEST(Values, FunctionsGetCopiesOfTheirArguments) {
  EXPECT_EQ(Output("fn add(l) { push(l, 9); return l; }\nlet a = [1];\nlet b = add(a);\n"
                   "print(a); print(b);"),
            "[1]\n[1, 9]\n");
}

TEST(Values, NestedElementsChangeInPlaceThroughTheirPath) {
  EXPECT_EQ(Output("let m = {\"l\": [1, [2]]};\nm[\"l\"][1][0] = 5;\npush(m[\"l\"], 3);\n"
                   "print(m);"),
            "{\"l\": [1, [5], 3]}\n");
}

TEST(Values, AValueCannotContainItself) {
  // push(l, l) pushes the list's value as it was: no cycle, nothing leaks.
  EXPECT_EQ(Output("let l = [1];\npush(l, l);\npush(l, l);\nprint(l);"),
            "[1, [1], [1, [1]]]\n");
  EXPECT_EQ(Output("let m = {};\nm[\"self\"] = m;\nprint(m);"), "{\"self\": {}}\n");
}

TEST(Values, MapsKeepInsertionOrder) {
  EXPECT_EQ(Output("let m = {};\nm[\"b\"] = 1; m[\"a\"] = 2; m[3] = 3; m[\"b\"] = 4;\n"
                   "print(keys(m)); print(m);"),
            "[\"b\", \"a\", 3]\n{\"b\": 4, \"a\": 2, 3: 3}\n");
  // Large maps (with a hash index) keep it too.
  EXPECT_EQ(Output("let m = {};\nfor i in 0..100 { m[99 - i] = i; }\nlet k = keys(m);\n"
                   "print(k[0]); print(k[99]); print(m[42]); print(len(m));"),
            "99\n0\n57\n100\n");
}

TEST(Values, IntAndStringKeysAreDistinct) {
  EXPECT_EQ(Output("let m = {1: \"int\", \"1\": \"string\"};\nprint(m[1]); print(m[\"1\"]);"),
            "int\nstring\n");
}

TEST(Values, LiteralDuplicateKeysKeepTheLastValue) {
  EXPECT_EQ(Output("print({1: \"a\", 2: \"b\", 1: \"c\"});"), "{1: \"c\", 2: \"b\"}\n");
}

TEST(Values, ListConcatenationAndRepetition) {
  EXPECT_EQ(Output("print([1] + [2, 3]); print([0] * 3); print([1] * 0);"),
            "[1, 2, 3]\n[0, 0, 0]\n[]\n");
}

TEST(Values, LoopVariablesAreFreshPerIteration) {
  // Assigning the loop variable does not change the iteration.
  EXPECT_EQ(Output("for i in 0..3 { print(i); i = 10; }"), "0\n1\n2\n");
  // The range bounds are read once.
  EXPECT_EQ(Output("let n = 2;\nfor i in 0..n { n = 10; print(i); }"), "0\n1\n");
  // A list loop walks the list as it was when the loop began.
  EXPECT_EQ(Output("let l = [1, 2];\nfor x in l { push(l, x); print(x); }\nprint(l);"),
            "1\n2\n[1, 2, 1, 2]\n");
  EXPECT_EQ(Output("for i in 5..2 { print(i); }\nprint(\"none\");"), "none\n");
}

TEST(Values, BreakAndContinue) {
  EXPECT_EQ(Output("for i in 0..10 {\n  if (i == 1) { continue; }\n  if (i == 4) { break; }\n"
                   "  let sq = i * i;\n  print(sq);\n}"),
            "0\n4\n9\n");
  EXPECT_EQ(Output("let i = 0;\nwhile (true) {\n  i = i + 1;\n  if (i % 2 == 0) { continue; }\n"
                   "  if (i > 5) { break; }\n  print(i);\n}"),
            "1\n3\n5\n");
}

TEST(ValueApi, EqualAndToString) {
  Value a = Value::NewList({Value::Int(1), Value::String("x")});
  Value b = Value::NewList({Value::Int(1), Value::String("x")});
  EXPECT_TRUE(Equal(a, b));
  EXPECT_EQ(ToString(a), "[1, \"x\"]");
  b.MutableList().push_back(Value());
  EXPECT_FALSE(Equal(a, b));
  EXPECT_EQ(ToString(a), "[1, \"x\"]");
}

TEST(ValueApi, CopyOnWriteLeavesOtherCopiesAlone) {
  Value a = Value::NewList({Value::Int(1)});
  Value b = a;
  b.MutableList()[0] = Value::Int(2);
  EXPECT_EQ(a.list()[0].as_int(), 1);
  EXPECT_EQ(b.list()[0].as_int(), 2);
  // A sole owner changes in place.
  const Value* before = &b.list()[0];
  b.MutableList()[0] = Value::Int(3);
  EXPECT_EQ(&b.list()[0], before);
}

TEST(ValueApi, MemoryBudgetCountsLiveObjects) {
  MemoryBudget budget(1 << 20);
  {
    Value s = Value::String(std::string(1000, 'x'));
    EXPECT_GE(budget.used(), 1000);
  }
  EXPECT_EQ(budget.used(), 0);
  EXPECT_THROW(Value::String(std::string(2 << 20, 'x')), RuntimeFault);
}

}  // namespace
}  // namespace tape::lang
