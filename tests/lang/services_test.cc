// The host calls of language 2.1 (specs/language.md §8): what reaches the
// runtime, the sites they are, what a refused request leaves behind
// (nothing), and every fault message. The `# expect:` scripts in scripts/
// cover their answers; tests/lang/cli_services.sh runs them for real.

#include <gtest/gtest.h>
#include <xxhash.h>

#include <cerrno>
#include <string>

#include "tests/lang/test_util.h"

namespace tape::lang {
namespace {

using testing::FakeRuntime;
using testing::RunResult;
using testing::RunSource;
using testing::RuntimeError;

uint64_t Id(std::string_view text) { return XXH3_64bits(text.data(), text.size()); }

// The first line of the runtime error, and that the runtime saw no effect.
std::string RefusedBeforeRecording(const std::string& source) {
  FakeRuntime rt;
  RunResult r = RunSource(source, &rt);
  EXPECT_TRUE(rt.events.empty()) << source << ": " << rt.events.size() << " effects";
  return r.error.substr(0, r.error.find('\n'));
}

TEST(ServiceCalls, HttpRequestReachesTheRuntimeAsWritten) {
  FakeRuntime rt;
  RunResult r = RunSource(
      "http.request(\"PATCH\", \"https://svc.example/a?b=1\", {\"B\": \"2\", \"A\": \"\"},\n"
      "             \"x\\x00y\", {\"timeout_ms\": 1234});\n"
      "http.get(\"http://svc.example/\");\n"
      "http.request(\"GET\", \"http://svc.example/\", nil, nil);\n",
      &rt);
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(rt.http_requests.size(), 3u);
  const HttpRequest& a = rt.http_requests[0];
  EXPECT_EQ(a.method, "PATCH");
  EXPECT_EQ(a.url, "https://svc.example/a?b=1");
  ASSERT_EQ(a.headers.size(), 2u);  // in the map's order
  EXPECT_EQ(a.headers[0], (std::pair<std::string, std::string>{"B", "2"}));
  EXPECT_EQ(a.headers[1], (std::pair<std::string, std::string>{"A", ""}));
  EXPECT_EQ(a.body, std::string("x\0y", 3));
  EXPECT_EQ(a.timeout_ms, 1234u);
  for (int i : {1, 2}) {
    const HttpRequest& g = rt.http_requests[i];
    EXPECT_EQ(g.method, "GET");
    EXPECT_TRUE(g.headers.empty());
    EXPECT_EQ(g.body, "");
    EXPECT_EQ(g.timeout_ms, HttpRequest{}.timeout_ms);
  }
}

TEST(ServiceCalls, ProcRunReachesTheRuntimeAsWritten) {
  FakeRuntime rt;
  RunResult r = RunSource(
      "proc.run([\"echo\", \"a b\", \"\", \"\\xff\"]);\n"
      "proc.run([\"cat\"], {\"stdin\": \"in\", \"timeout_ms\": 0});\n"
      "proc.run([\"cat\"], {\"timeout_ms\": 86400000});\n",
      &rt);
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(rt.proc_requests.size(), 3u);
  EXPECT_EQ(rt.proc_requests[0].argv, (std::vector<std::string>{"echo", "a b", "", "\xff"}));
  EXPECT_EQ(rt.proc_requests[0].stdin_data, "");
  EXPECT_EQ(rt.proc_requests[0].timeout_ms, 0u);
  EXPECT_EQ(rt.proc_requests[1].stdin_data, "in");
  EXPECT_EQ(rt.proc_requests[2].timeout_ms, 86400000u);
  EXPECT_EQ(r.out, "");  // a command's output is the script's to print
}

TEST(ServiceCalls, ProcRunTakesTheCommandsWholeEnvironment) {
  FakeRuntime rt;
  RunResult r = RunSource(
      "proc.run([\"env\"], {\"env\": {\"PATH\": \"/bin\", \"TOKEN\": \"t=1\"}});\n"
      "proc.run([\"env\"], {\"env\": {}});\n"
      "proc.run([\"env\"]);\n",
      &rt);
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(rt.proc_requests.size(), 3u);
  using Env = std::vector<std::pair<std::string, std::string>>;
  ASSERT_TRUE(rt.proc_requests[0].env.has_value());
  EXPECT_EQ(*rt.proc_requests[0].env, (Env{{"PATH", "/bin"}, {"TOKEN", "t=1"}}));
  ASSERT_TRUE(rt.proc_requests[1].env.has_value());  // given, and empty
  EXPECT_TRUE(rt.proc_requests[1].env->empty());
  EXPECT_FALSE(rt.proc_requests[2].env.has_value());  // inherited
}

TEST(ServiceCalls, EachCallIsASiteOfItsEffect) {
  FakeRuntime rt;
  RunResult r = RunSource(
      "io.error(\"a\"); eprint(\"b\"); io.error(\"c\");\n"
      "fs.exists(\"x\"); fs.is_dir(\"x\"); fs.list(\"x\"); fs.append(\"x\", \"\");\n"
      "fn f() { http.get(\"http://echo/\"); http.request(\"GET\", \"http://echo/\", nil, nil);"
      " proc.run([\"echo\"], {}); proc.run([\"echo\"]); }\n"
      "f();\n",
      &rt);
  ASSERT_EQ(r.error, "");
  const char* expected[] = {
      "tape-script-site/1:<top>:io.error:0",  "tape-script-site/1:<top>:io.error:1",
      "tape-script-site/1:<top>:io.error:2",  "tape-script-site/1:<top>:fs.exists:0",
      "tape-script-site/1:<top>:fs.exists:1", "tape-script-site/1:<top>:fs.list:0",
      "tape-script-site/1:<top>:fs.append:0", "tape-script-site/1:f:http.request:0",
      "tape-script-site/1:f:http.request:1",  "tape-script-site/1:f:proc.run:0",
      "tape-script-site/1:f:proc.run:1",
  };
  const EffectKind kinds[] = {
      EffectKind::kIoError,  EffectKind::kIoError,     EffectKind::kIoError,
      EffectKind::kFsExists, EffectKind::kFsExists,    EffectKind::kFsList,
      EffectKind::kFsAppend, EffectKind::kHttpRequest, EffectKind::kHttpRequest,
      EffectKind::kProcRun,  EffectKind::kProcRun,
  };
  ASSERT_EQ(rt.events.size(), std::size(expected));
  for (size_t i = 0; i < std::size(expected); ++i) {
    EXPECT_EQ(rt.events[i].site_id, Id(expected[i])) << expected[i];
    EXPECT_EQ(rt.events[i].kind, kinds[i]) << expected[i];
  }
  EXPECT_EQ(rt.events[1].location, "test.tape:1:16");  // eprint's name
}

TEST(ServiceCalls, NewCallsLeaveTheSitesOfOtherEffectsAlone) {
  // Adding calls of the new effects between old ones renumbers nothing.
  FakeRuntime before, after;
  RunSource("print(1); let t = clock.now(); print(2);", &before);
  RunSource("print(1); eprint(0); fs.exists(\"a\"); let t = clock.now(); io.error(1); print(2);",
            &after);
  ASSERT_EQ(before.events.size(), 3u);
  ASSERT_EQ(after.events.size(), 6u);
  EXPECT_EQ(before.events[0].site_id, after.events[0].site_id);
  EXPECT_EQ(before.events[1].site_id, after.events[3].site_id);
  EXPECT_EQ(before.events[2].site_id, after.events[5].site_id);
}

TEST(ServiceCalls, AScriptsOwnEprintIsCalledAndIsNoSite) {
  FakeRuntime rt;
  RunResult r = RunSource("eprint(1);\nio.error(\"x\");\nfn eprint(v) { print(v); }\n", &rt);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.out, "1\n");
  EXPECT_EQ(r.err, "x");
  ASSERT_EQ(rt.events.size(), 2u);
  EXPECT_EQ(rt.events[1].site_id, Id("tape-script-site/1:<top>:io.error:0"));  // not :1
  // Without a declaration eprint is the host call, and `eprint` is no variable.
  EXPECT_NE(testing::CompileError("let f = eprint;").find("'eprint' is a function"),
            std::string::npos);
  EXPECT_NE(testing::CompileError("eprint();").find("eprint() takes 1 argument, got 0"),
            std::string::npos);
}

TEST(ServiceCalls, StandardErrorFailuresAreNilWithTheErrno) {
  FakeRuntime rt;
  rt.err_error = EBADF;
  RunResult r = RunSource(
      "let a = eprint(\"x\");\nlet b = io.error(\"y\");\nprint([a, b, io.last_error()]);\n"
      "print(1);\nprint(io.last_error());\n",
      &rt);
  EXPECT_EQ(r.out, "[nil, nil, 9]\n1\n0\n") << r.error;  // print succeeded after them
  EXPECT_EQ(r.err, "");
}

TEST(ServiceCalls, ArgumentCountsNameEveryForm) {
  EXPECT_NE(testing::CompileError("http.get();").find("http.get() takes 1 or 2 arguments, got 0"),
            std::string::npos);
  EXPECT_NE(testing::CompileError("http.request(\"GET\", \"u\");")
                .find("http.request() takes 4 or 5 arguments, got 2"),
            std::string::npos);
  EXPECT_NE(testing::CompileError("proc.run([\"a\"], {}, 1);")
                .find("proc.run() takes 1 or 2 arguments, got 3"),
            std::string::npos);
  EXPECT_NE(testing::CompileError("fs.list();").find("fs.list() takes 1 argument, got 0"),
            std::string::npos);
  // Unknown calls list every host call once.
  std::string unknown = testing::CompileError("http.post(\"u\", \"b\");");
  EXPECT_NE(unknown.find("http.request, http.get, proc.run"), std::string::npos) << unknown;
  EXPECT_EQ(unknown.find("http.get, http.get"), std::string::npos) << unknown;
}

TEST(ServiceCalls, MalformedHttpRequestsFaultBeforeAnythingIsRecorded) {
  struct Case {
    const char* source;
    const char* message;
  } cases[] = {
      {"http.request(1, \"http://a/\", nil, nil);",
       "http.request() expects the method as a string such as \"GET\", got int"},
      {"http.request(\"GET\", nil, nil, nil);",
       "http.request() expects the URL as a string such as \"http://host:port/path\", got nil"},
      {"http.get(3);", "http.get() expects the URL as a string"},
      {"http.request(\"GET\", \"http://a/\", [\"X: 1\"], nil);",
       "http.request() expects the headers as a map such as {\"Accept\": \"text/plain\"} (or nil), "
       "got list"},
      {"http.request(\"GET\", \"http://a/\", {1: \"x\"}, nil);",
       "http.request(): header names are strings, got the int key 1"},
      {"http.request(\"GET\", \"http://a/\", {\"X\": nil}, nil);",
       "the value of header \"X\" is nil; header values are strings"},
      {"http.request(\"POST\", \"http://a/\", nil, {\"a\": 1});",
       "http.request() expects the body as a string (or nil), got map (convert it with str())"},
      {"http.request(\"FETCH\", \"http://a/\", nil, nil);",
       "http.request(): unknown method 'FETCH' (use GET, HEAD, POST, PUT, PATCH, DELETE or "
       "OPTIONS)"},
      {"http.get(\"\");", "http.get(): the URL is empty"},
      {"http.get(\"a\\nb\");", "http.get(): the URL 'a?b' contains a line break"},
      {"http.get(\"http://a b/\");", "http.get(): malformed URL 'http://a b/'"},
      {"http.get(\"file:///etc/passwd\");", "is not http:// or https://"},
      {"http.request(\"GET\", \"http://a/\", {\"Bad Name\": \"1\"}, nil);",
       "http.request(): bad header name 'Bad Name'"},
      {"http.request(\"GET\", \"http://a/\", {\"\": \"1\"}, nil);",
       "http.request(): bad header name ''"},
      {"http.request(\"GET\", \"http://a/\", {\"X\": \"1\\r\\nY: 2\"}, nil);",
       "http.request(): header X has a line break in its value"},
      {"http.get(\"http://a/\", 5);",
       "http.get() expects its options as a map such as {\"timeout_ms\": 5000}, got int"},
      {"http.get(\"http://a/\", {\"timeout_ms\": 1.5});",
       "http.get(): the option \"timeout_ms\" must be an int (milliseconds), got float"},
      {"http.get(\"http://a/\", {\"timeout_ms\": 3600001});",
       "http.get(): timeout_ms 3600001 is out of range (1..3600000)"},
      {"http.request(\"GET\", \"http://a/\", nil, nil, {1: 2});",
       "http.request(): unknown option 1 (http.request takes \"timeout_ms\")"},
  };
  for (const Case& c : cases) {
    std::string error = RefusedBeforeRecording(c.source);
    EXPECT_NE(error.find(c.message), std::string::npos) << c.source << "\n  got: " << error;
    EXPECT_NE(error.find("test.tape:1:1: runtime error: "), std::string::npos) << error;
  }
}

TEST(ServiceCalls, MalformedCommandsFaultBeforeAnythingIsRecorded) {
  struct Case {
    const char* source;
    const char* message;
  } cases[] = {
      {"proc.run(nil);",
       "proc.run() expects the command as a list of strings such as [\"ls\", "
       "\"-l\"], got nil"},
      {"proc.run(\"ls\");", "not a string: there is no shell"},
      {"proc.run([]);", "proc.run(): the command is an empty list"},
      {"proc.run([\"ls\", [\"-l\"]]);", "proc.run(): element 1 of the command is a list"},
      {"proc.run([\"ls\", \"a\\x00b\"]);",
       "proc.run(): element 1 of the command contains a NUL byte"},
      {"proc.run([\"\"]);", "proc.run(): the program name (argv[0]) is empty"},
      {"proc.run([\"cat\"], [\"in\"]);", "proc.run() expects its options as a map"},
      {"proc.run([\"cat\"], {\"stdin\": 5});",
       "proc.run(): the option \"stdin\" must be a string, got int (convert it with str())"},
      {"proc.run([\"cat\"], {\"input\": \"x\"});",
       "proc.run(): unknown option \"input\" (proc.run takes \"stdin\", \"timeout_ms\" and "
       "\"env\")"},
      {"proc.run([\"env\"], {\"env\": [\"A=1\"]});",
       "proc.run(): the option \"env\" must be a map of the command's environment"},
      {"proc.run([\"env\"], {\"env\": {1: \"x\"}});",
       "proc.run(): environment variable names are strings, got the int key 1"},
      {"proc.run([\"env\"], {\"env\": {\"A=B\": \"x\"}});",
       "proc.run(): \"A=B\" cannot be an environment variable's name"},
      {"proc.run([\"env\"], {\"env\": {\"\": \"x\"}});",
       "proc.run(): \"\" cannot be an environment variable's name"},
      {"proc.run([\"env\"], {\"env\": {\"A\": 1}});",
       "proc.run(): the value of environment variable \"A\" is an int; values are strings"},
      {"proc.run([\"env\"], {\"env\": {\"A\": \"a\\x00b\"}});",
       "proc.run(): the value of environment variable \"A\" contains a NUL byte"},
      {"proc.run([\"cat\"], {\"timeout_ms\": 86400001});",
       "proc.run(): timeout_ms 86400001 is out of range (0..86400000)"},
  };
  for (const Case& c : cases) {
    std::string error = RefusedBeforeRecording(c.source);
    EXPECT_NE(error.find(c.message), std::string::npos) << c.source << "\n  got: " << error;
  }
}

TEST(ServiceCalls, FilePathsAreCheckedBeforeTheEffect) {
  for (const char* call : {"fs.exists", "fs.is_dir", "fs.list"}) {
    std::string source = std::string(call) + "(\"a\\x00b\");";
    EXPECT_NE(
        RefusedBeforeRecording(source).find(std::string(call) + "(): the path contains a NUL byte"),
        std::string::npos)
        << source;
    source = std::string(call) + "(nil);";
    EXPECT_NE(RefusedBeforeRecording(source).find(std::string(call) + "() expects path, got nil"),
              std::string::npos)
        << source;
  }
  EXPECT_NE(RefusedBeforeRecording("fs.append(1, \"x\");").find("fs.append() expects path"),
            std::string::npos);
}

TEST(ServiceCalls, AnswersCountAgainstTheMemoryBudget) {
  FakeRuntime rt;
  HttpResponse big;
  big.status = 200;
  big.body.assign(2 << 20, 'x');
  rt.http["GET http://big/"] = std::move(big);
  RunLimits limits;
  limits.max_memory = 1 << 20;
  RunResult r = RunSource("let r = http.get(\"http://big/\");", &rt, limits);
  EXPECT_NE(r.error.find("out of memory"), std::string::npos) << r.error;
  EXPECT_EQ(rt.events.size(), 1u);  // the exchange happened (and would be recorded)
}

TEST(ServiceCalls, RepeatedHeadersAreJoinedInOrderWithoutQuadraticWork) {
  FakeRuntime rt;
  HttpResponse many;
  many.status = 200;
  for (int i = 0; i < 50000; ++i) many.headers.emplace_back(i % 2 ? "X-A" : "x-b", "v");
  rt.http["GET http://many/"] = std::move(many);
  RunResult r = RunSource(
      "let r = http.get(\"http://many/\");\n"
      "print(len(r[\"headers\"])); print(len(r[\"header_list\"]));\n"
      "print(len(r[\"headers\"][\"x-a\"]));\n",
      &rt);
  EXPECT_EQ(r.out, "2\n50000\n" + std::to_string(25000 * 3 - 2) + "\n") << r.error;
}

}  // namespace
}  // namespace tape::lang
