// Every builtin and host call: what it returns and how it fails.

#include <gtest/gtest.h>

#include <optional>
#include <set>

#include "tests/lang/test_util.h"

namespace tape::lang {
namespace {

using testing::FakeRuntime;
using testing::Output;
using testing::RunSource;
using testing::RuntimeError;

TEST(Builtins, Len) {
  EXPECT_EQ(Output("print(len(\"abc\")); print(len([1, 2])); print(len({1: 2})); print(len(\"\"));"),
            "3\n2\n1\n0\n");
  EXPECT_NE(RuntimeError("len(3);").find("len() expects a string, list or map, got int"),
            std::string::npos);
}

TEST(Builtins, Int) {
  EXPECT_EQ(Output("print(int(\"42\") + 1); print(int(\"-7\")); print(int(\"+3\")); print(int(5));"),
            "43\n-7\n3\n5\n");
  EXPECT_EQ(Output("print(int(\"-9223372036854775808\"));"), "-9223372036854775808\n");
  EXPECT_NE(RuntimeError("int(\"12a\");").find("int(): \"12a\" is not a whole number"),
            std::string::npos);
  EXPECT_NE(RuntimeError("int(\"1 2\");").find("is not a whole number"), std::string::npos);
  EXPECT_NE(RuntimeError("int(\"\");").find("is not a whole number"), std::string::npos);
  EXPECT_NE(RuntimeError("int(\"9223372036854775808\");").find("is not a whole number"),
            std::string::npos);
  EXPECT_NE(RuntimeError("int(nil);").find("int(): cannot convert a nil to an int"),
            std::string::npos);
  EXPECT_NE(RuntimeError("int(\"x\");").find("(int(x, default) gives the default instead)"),
            std::string::npos);
  // As in the original: surrounding ASCII whitespace is ignored, and bools
  // are 0 and 1.
  EXPECT_EQ(Output("print(int(\" 12\\n\")); print(int(true) + int(false));"), "12\n1\n");
  // Floats are truncated toward zero.
  EXPECT_EQ(Output("print(int(2.9)); print(int(-2.9)); print(int(-0.5));"), "2\n-2\n0\n");
  EXPECT_NE(RuntimeError("int(1e19);").find("int(): 1e+19 does not fit in an int"),
            std::string::npos);
  // With a default, nothing faults.
  EXPECT_EQ(Output("print(int(\"x\", -1)); print(int(nil, 0)); print(int(1e19, nil));"
                   "print(int(\"7\", -1));"),
            "-1\n0\nnil\n7\n");
}

TEST(Builtins, Float) {
  EXPECT_EQ(Output("print(float(2)); print(float(\"1.5\")); print(float(\" -2e3 \"));"
                   "print(float(\"+.5\")); print(float(\"7.\")); print(float(true));"),
            "2.0\n1.5\n-2000.0\n0.5\n7.0\n1.0\n");
  EXPECT_EQ(Output("print(float(\"1e-400\")); print(float(\"-1e-400\"));"), "0.0\n-0.0\n");
  EXPECT_NE(RuntimeError("float(\"1e400\");").find("float(): \"1e400\" is too large for a float"),
            std::string::npos);
  for (const char* bad : {"inf", "nan", "0x10", "", "1e", "--1", "1.2.3", "e5"}) {
    EXPECT_NE(RuntimeError(std::string("float(\"") + bad + "\");").find("is not a number"),
              std::string::npos)
        << bad;
  }
  EXPECT_EQ(Output("print(float(\"x\", 0.5)); print(float([], nil));"), "0.5\nnil\n");
  EXPECT_NE(RuntimeError("float([]);").find("float(): cannot convert a list to a float"),
            std::string::npos);
}

TEST(Builtins, StrAndChr) {
  EXPECT_EQ(Output("print(str(12) + str(true) + str(nil) + str(\"s\"));"), "12truenils\n");
  EXPECT_EQ(Output("print(chr(65) + chr(0x62)); print(len(chr(0)));"), "Ab\n1\n");
  EXPECT_NE(RuntimeError("chr(256);").find("chr(): 256 is not a byte"), std::string::npos);
}

TEST(Builtins, ByteAt) {
  EXPECT_EQ(Output("print(byte_at(\"A\\xfe\", 0)); print(byte_at(\"A\\xfe\", 1));"), "65\n254\n");
  EXPECT_NE(RuntimeError("byte_at(\"ab\", 2);").find("index 2 is out of range for a string of length 2"),
            std::string::npos);
  EXPECT_NE(RuntimeError("byte_at(1, 0);").find("byte_at() expects a string, got int"),
            std::string::npos);
}

TEST(Builtins, Keys) {
  EXPECT_EQ(Output("print(keys({\"z\": 1, \"a\": 2})); print(keys({}));"), "[\"z\", \"a\"]\n[]\n");
  EXPECT_NE(RuntimeError("keys([1]);").find("keys() expects a map, got list"), std::string::npos);
}

TEST(Builtins, SplitAndJoin) {
  EXPECT_EQ(Output("print(split(\"a,b,,c\", \",\")); print(split(\"\", \",\"));"
                   "print(split(\"a--b\", \"--\"));"),
            "[\"a\", \"b\", \"\", \"c\"]\n[\"\"]\n[\"a\", \"b\"]\n");
  EXPECT_NE(RuntimeError("split(\"a\", \"\");").find("the separator must not be empty"),
            std::string::npos);
  EXPECT_EQ(Output("print(join([\"a\", 1, [2]], \"+\")); print(join([], \",\"));"),
            "a+1+[2]\n\n");
  EXPECT_NE(RuntimeError("join(\"ab\", \",\");").find("join() expects a list, got string"),
            std::string::npos);
}

TEST(Builtins, Slice) {
  EXPECT_EQ(Output("print(slice(\"hello\", 1, 3)); print(slice([1, 2, 3], 1, 3));"
                   "print(slice(\"abc\", 3, 3));"),
            "el\n[2, 3]\n\n");
  EXPECT_NE(RuntimeError("slice(\"abc\", 2, 1);").find("bounds 2..1 are out of range"),
            std::string::npos);
  EXPECT_NE(RuntimeError("slice([1], 0, 2);").find("for a list of length 1"), std::string::npos);
  EXPECT_NE(RuntimeError("slice({}, 0, 0);").find("expects a string or a list, got map"),
            std::string::npos);
}

TEST(Builtins, Contains) {
  EXPECT_EQ(Output("print(contains(\"hello\", \"ll\")); print(contains(\"hello\", \"x\"));"
                   "print(contains([1, [2]], [2])); print(contains([1], \"1\"));"
                   "print(contains({\"k\": nil}, \"k\")); print(contains({1: 1}, [1]));"),
            "true\nfalse\ntrue\nfalse\ntrue\nfalse\n");
  EXPECT_NE(RuntimeError("contains(1, 1);").find("contains() expects a string, list or map"),
            std::string::npos);
}

TEST(Builtins, TrimLowerUpper) {
  EXPECT_EQ(Output("print(\"[\" + trim(\" \\t a b \\n\") + \"]\"); print(lower(\"AbC\\xc9\"));"
                   "print(upper(\"abc1\"));"),
            "[a b]\nabc\xc9\nABC1\n");
}

TEST(Builtins, Sort) {
  EXPECT_EQ(Output("print(sort([3, -1, 2])); print(sort([\"b\", \"a\", \"B\"])); print(sort([]));"),
            "[-1, 2, 3]\n[\"B\", \"a\", \"b\"]\n[]\n");
  EXPECT_NE(RuntimeError("sort([1, \"a\"]);").find("sort() needs numbers or strings to compare"),
            std::string::npos);
  EXPECT_NE(RuntimeError("sort([nil]);").find("found nil and nil"), std::string::npos);
  // Ints and floats sort together, by value.
  EXPECT_EQ(Output("print(sort([2, 1.5, -3, 0.0]));"), "[-3, 0.0, 1.5, 2]\n");
  // The argument is not changed: sort returns a new list.
  EXPECT_EQ(Output("let l = [2, 1];\nlet s = sort(l);\nprint(l); print(s);"), "[2, 1]\n[1, 2]\n");
}

TEST(Builtins, Assert) {
  EXPECT_EQ(Output("assert(1 == 1, \"fine\"); print(\"ok\");"), "ok\n");
  EXPECT_EQ(RuntimeError("let x = 2;\nassert(x == 1, \"x should be 1\");"),
            "test.tape:2:1: runtime error: assertion failed: x should be 1");
  // The condition is tested for truth; the message is optional.
  EXPECT_EQ(Output("assert(1, \"m\"); assert([0]); print(\"ok\");"), "ok\n");
  EXPECT_EQ(RuntimeError("assert(\"\");"), "test.tape:1:1: runtime error: assertion failed");
  EXPECT_EQ(RuntimeError("assert(0, [1]);"), "test.tape:1:1: runtime error: assertion failed: [1]");
}

TEST(Builtins, PushPopRemove) {
  EXPECT_EQ(Output("let l = [];\npush(l, 1); push(l, 2);\nprint(pop(l)); print(l);"),
            "2\n[1]\n");
  EXPECT_EQ(Output("let m = {1: 2, 3: 4};\nprint(remove(m, 1)); print(remove(m, 9)); print(m);"),
            "true\nfalse\n{3: 4}\n");
  EXPECT_NE(RuntimeError("let l = []; pop(l);").find("pop() from an empty list"), std::string::npos);
  EXPECT_NE(RuntimeError("let m = {}; push(m, 1);").find("push() needs a list, got map"),
            std::string::npos);
  EXPECT_NE(RuntimeError("let l = []; remove(l, 1);")
                .find("remove() needs a map, got list (to remove element i of a list: pop(l, i))"),
            std::string::npos);
  // push evaluates to nil.
  EXPECT_EQ(Output("let l = [];\nprint(push(l, 1));"), "nil\n");
}

TEST(HostCalls, ClockNow) {
  EXPECT_EQ(Output("let a = clock.now();\nlet b = clock.now();\nprint(a); print(b - a);"),
            "1700000000000000000\n1000000\n");
}

TEST(HostCalls, RandomBits) {
  FakeRuntime rt;
  rt.random_queue = {7, 255, 0};
  testing::RunResult r = RunSource(
      "let r = random.bits(3);\nprint(len(r)); print(byte_at(r, 0)); print(byte_at(r, 1));\n"
      "print(len(random.bits(0)));",
      &rt);
  EXPECT_EQ(r.out, "3\n7\n255\n0\n") << r.error;
  EXPECT_NE(RuntimeError("random.bits(-1);").find("random.bits(): -1 bytes is out of range (0..1048576)"),
            std::string::npos);
  EXPECT_NE(RuntimeError("random.bits(1048577);").find("out of range"), std::string::npos);
  EXPECT_NE(RuntimeError("random.bits(\"8\");").find("random.bits() expects an int, got string"),
            std::string::npos);
}

TEST(HostCalls, IoWriteAndPrint) {
  // Both return the bytes written (print counts its newline).
  EXPECT_EQ(Output("let n = io.write(\"no newline\");\nio.write(str(n));"), "no newline10");
  EXPECT_EQ(Output("let n = print(\"abc\");\nprint(n);"), "abc\n4\n");
  // A failed write returns nil; io.last_error() has its errno until the next
  // write.
  FakeRuntime rt;
  rt.io_error = EPIPE;
  testing::RunResult r = RunSource(
      "let a = io.write(\"x\");\nlet b = print(1);\n"
      "if a == nil && b == nil { return io.last_error(); }", &rt);
  EXPECT_EQ(r.exit_code, EPIPE) << r.error;
  EXPECT_EQ(Output("io.write(\"\");\nprint(io.last_error());"), "0\n");
  // Other values are written as str() renders them, as print does.
  EXPECT_EQ(Output("io.write(12); io.write([1, \"a\"]); io.write(nil);"), "12[1, \"a\"]nil");
  EXPECT_EQ(Output("print([1, \"a\"]);"), "[1, \"a\"]\n");
}

TEST(HostCalls, FsReadAndWrite) {
  FakeRuntime rt;
  rt.files["in.txt"] = "data";
  testing::RunResult r = RunSource(
      "print(fs.read(\"in.txt\"));\n"
      "print(fs.read(\"missing\") == nil); print(fs.last_error());\n"
      "print(fs.write(\"out.txt\", \"x\")); print(fs.last_error());\n"
      "print(fs.read(\"out.txt\"));\n"
      "print(fs.write(\"/denied/f\", \"x\")); print(fs.last_error());\n",
      &rt);
  EXPECT_EQ(r.out, "data\ntrue\n2\n1\n0\nx\nnil\n13\n") << r.error;
  EXPECT_EQ(rt.files["out.txt"], "x");
  EXPECT_NE(RuntimeError("fs.read(\"a\\0b\");").find("fs.read(): the path contains a NUL byte"),
            std::string::npos);
  FakeRuntime written;
  RunSource("fs.write(\"n.txt\", 3.5);", &written);
  EXPECT_EQ(written.files["n.txt"], "3.5");
}

TEST(HostCalls, EnvGet) {
  FakeRuntime rt;
  rt.env["NAME"] = "ada";
  testing::RunResult r = RunSource(
      "print(env.get(\"NAME\")); print(env.get(\"UNSET\") == \"\");\n"
      "print(env.get(\"NAME\", 1)); print(env.get(\"UNSET\", nil));\n"
      "print(env.has(\"NAME\")); print(env.has(\"UNSET\"));",
      &rt);
  EXPECT_EQ(r.out, "ada\ntrue\nada\nnil\ntrue\nfalse\n") << r.error;
  // Each form is one env.get effect, and each has a site of its own.
  std::set<uint64_t> sites;
  for (const auto& e : rt.events) {
    if (e.kind == EffectKind::kEnvGet) sites.insert(e.site_id);
  }
  EXPECT_EQ(sites.size(), 6u);
  EXPECT_NE(testing::CompileError("env.get(\"a\", 1, 2);")
                .find("env.get() takes 1 or 2 arguments, got 3"),
            std::string::npos);
  EXPECT_NE(RuntimeError("env.has(1);").find("env.has() expects name, got int"),
            std::string::npos);
}

// A site that returns the same string again shares it with its last result
// (SiteString); a value that changed between two calls at one site must
// still be the new value, whatever its size, and set again after unset.
TEST(HostCalls, EnvGetInALoopSeesEachValue) {
  // The environment changes after each env.get, as another process's
  // setenv would change it between two recorded calls.
  class Changing : public FakeRuntime {
   public:
    std::vector<std::optional<std::string>> values;
    size_t calls = 0;
    std::string_view Perform(const Site& site, EffectKind kind, std::string_view in,
                             const LiveCall& live) override {
      if (kind == EffectKind::kEnvGet) {
        const std::optional<std::string>& v = values[calls++ % values.size()];
        if (v.has_value()) {
          env["N"] = *v;
        } else {
          env.erase("N");
        }
      }
      return FakeRuntime::Perform(site, kind, in, live);
    }
  } rt;
  std::string big(5000, 'x');  // over kMaxSiteString: not kept by the site
  rt.values = {"a", "a", "b", "bb", std::nullopt, "bb", "", big, big, "a"};
  testing::RunResult r = RunSource(
      "let seen = [];\n"
      "for i in 0..10 { push(seen, env.get(\"N\", nil)); }\n"
      "for v in seen {\n"
      "  if v == nil { print(\"unset\"); continue; }\n"
      "  let head = v;\n"
      "  if len(v) > 2 { head = slice(v, 0, 2); }\n"
      "  print(str(len(v)) + \":\" + head);\n"
      "}",
      &rt);
  EXPECT_EQ(r.out, "1:a\n1:a\n1:b\n2:bb\nunset\n2:bb\n0:\n5000:xx\n5000:xx\n1:a\n") << r.error;
  EXPECT_EQ(rt.calls, 10u);
}

TEST(HostCalls, ArgsGet) {
  FakeRuntime rt;
  rt.args = {"a b", "c"};
  testing::RunResult r = RunSource("let a = args.get();\nprint(len(a)); print(a[0]);", &rt);
  EXPECT_EQ(r.out, "2\na b\n") << r.error;
}

TEST(HostCalls, TimeSleep) {
  FakeRuntime rt;
  testing::RunResult r = RunSource("print(time.sleep(250));", &rt);
  EXPECT_EQ(r.out, "nil\n") << r.error;
  EXPECT_EQ(rt.sleeps_ms, std::vector<uint64_t>{250});
  EXPECT_NE(RuntimeError("time.sleep(-5);").find("time.sleep(): -5 milliseconds is out of range"),
            std::string::npos);
  EXPECT_NE(RuntimeError("time.sleep(86400001);").find("out of range"), std::string::npos);
}

TEST(HostCalls, EachCallIsOneEffectInOrder) {
  FakeRuntime rt;
  testing::RunResult r = RunSource(
      "clock.now(); random.bits(1); io.write(\"\"); fs.read(\"x\"); fs.write(\"y\", \"\");\n"
      "env.get(\"E\"); args.get(); time.sleep(0); print(1); fs.last_error();",
      &rt);
  ASSERT_TRUE(r.error.empty()) << r.error;
  std::vector<EffectKind> kinds;
  for (const auto& e : rt.events) kinds.push_back(e.kind);
  EXPECT_EQ(kinds, (std::vector<EffectKind>{EffectKind::kClockNow, EffectKind::kRandomBits,
                                            EffectKind::kIoWrite, EffectKind::kFsRead,
                                            EffectKind::kFsWrite, EffectKind::kEnvGet,
                                            EffectKind::kArgsGet, EffectKind::kTimeSleep,
                                            EffectKind::kIoWrite}));
}

}  // namespace
}  // namespace tape::lang
