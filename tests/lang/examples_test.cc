// The example scripts in examples/scripts/ run as documented under the fake
// runtime.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/lang/test_util.h"

namespace tape::lang {
namespace {

using testing::FakeRuntime;

struct ExampleRun {
  std::string out;
  int exit_code = -1;
  std::string error;
  std::string err;  // standard error
};

ExampleRun RunExample(const std::string& file, FakeRuntime& rt) {
  std::ifstream in(std::string(TAPE_EXAMPLES_DIR) + "/" + file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_FALSE(ss.str().empty()) << "cannot read " << file;
  testing::RunResult r = testing::RunSource(ss.str(), &rt, RunLimits{}, file);
  return ExampleRun{r.out, r.exit_code, r.error, r.err};
}

TEST(Examples, HelloGreetsTheNameOrAStranger) {
  FakeRuntime rt;
  EXPECT_EQ(RunExample("hello.tape", rt).out, "hello, stranger\n");
  FakeRuntime named;
  named.env["NAME"] = "ada";
  ExampleRun r = RunExample("hello.tape", named);
  EXPECT_EQ(r.out, "hello, ada\n") << r.error;
  EXPECT_EQ(r.exit_code, 0);
}

TEST(Examples, CoinflipFlipsAndSleeps) {
  FakeRuntime rt;
  rt.random_queue = {0, 1, 3, 4, 6};
  ExampleRun r = RunExample("coinflip.tape", rt);
  EXPECT_EQ(r.out,
            "flip 1: heads\nflip 2: tails\nflip 3: tails\nflip 4: heads\nflip 5: heads\n"
            "3 heads out of 5\n")
      << r.error;
  EXPECT_EQ(rt.sleeps_ms, std::vector<uint64_t>(5, 200));
}

TEST(Examples, FlakyFailsOnASmallRoll) {
  FakeRuntime rt;
  rt.random_queue = {7};
  ExampleRun r = RunExample("flaky.tape", rt);
  EXPECT_EQ(r.out, "FAIL: expected the answer to be 42, got 7 — this is the bug\n") << r.error;
  EXPECT_EQ(r.exit_code, 1);
}

TEST(Examples, FlakyPassesOtherwise) {
  FakeRuntime rt;
  rt.random_queue = {8};
  ExampleRun r = RunExample("flaky.tape", rt);
  EXPECT_EQ(r.out, "ok: roll was 8, no flake this time\n") << r.error;
  EXPECT_EQ(r.exit_code, 0);
  FakeRuntime fixed_seed;
  EXPECT_EQ(RunExample("flaky.tape", fixed_seed).out, "ok: roll was 189, no flake this time\n");
}

TEST(Examples, WordfreqCountsAFileFromArgs) {
  FakeRuntime rt;
  rt.args = {"notes.txt"};
  rt.files["notes.txt"] =
      "The cat and the hat.\nThe cat sat; the dog didn't.\n\tA dog, a cat!\n";
  ExampleRun r = RunExample("wordfreq.tape", rt);
  EXPECT_EQ(r.out,
            "15 words, 8 different\n"
            "    4  the\n"
            "    3  cat\n"
            "    2  a\n"
            "    2  dog\n"
            "    1  and\n")
      << r.error;
  EXPECT_EQ(r.exit_code, 0);
}

TEST(Examples, WordfreqTakesTheFileFromTheEnvironment) {
  FakeRuntime rt;
  rt.env["WORDFREQ_FILE"] = "in.txt";
  rt.files["in.txt"] = "b a b";
  EXPECT_EQ(RunExample("wordfreq.tape", rt).out, "3 words, 2 different\n    2  b\n    1  a\n");
}

TEST(Examples, WordfreqReportsAMissingFile) {
  FakeRuntime rt;
  rt.args = {"gone.txt"};
  ExampleRun r = RunExample("wordfreq.tape", rt);
  EXPECT_EQ(r.out, "cannot read gone.txt (errno 2)\n");
  EXPECT_EQ(r.exit_code, 1);
  FakeRuntime none;
  ExampleRun usage = RunExample("wordfreq.tape", none);
  EXPECT_EQ(usage.exit_code, 2);
}

TEST(Examples, RetrySucceedsAfterABackoff) {
  FakeRuntime rt;
  // attempt 1 fails (10 < 192) with jitter 5; attempt 2 succeeds (200).
  rt.random_queue = {10, 5, 200};
  ExampleRun r = RunExample("retry.tape", rt);
  EXPECT_EQ(r.out, "attempt 1: failed; retrying in 105 ms\nattempt 2: ok after 107 ms\n")
      << r.error;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(rt.sleeps_ms, std::vector<uint64_t>{105});
}

TEST(Examples, RetryGivesUp) {
  FakeRuntime rt;
  ExampleRun r = RunExample("retry.tape", rt);
  EXPECT_EQ(r.out,
            "attempt 1: failed; retrying in 140 ms\n"
            "attempt 2: failed; retrying in 238 ms\n"
            "attempt 3: failed; retrying in 422 ms\n"
            "attempt 4: failed; retrying in 804 ms\n"
            "attempt 5: failed; retrying in 1608 ms\n"
            "attempt 6: failed; giving up after 3218 ms\n")
      << r.error;
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(rt.sleeps_ms.size(), 5u);
}

// inventory.tape's happy path needs a real `sort`: cli_services.sh runs it.
// Here, every way it can fail, each a message on stderr and an exit code.
TEST(Examples, InventoryReportsAServiceItCannotReach) {
  FakeRuntime rt;
  rt.args = {"http://inv.example"};
  ExampleRun r = RunExample("inventory.tape", rt);
  EXPECT_EQ(r.exit_code, 2) << r.error;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "cannot reach the inventory at http://inv.example: no response for GET "
            "http://inv.example/items\n");
  ASSERT_EQ(rt.http_requests.size(), 1u);
  EXPECT_EQ(rt.http_requests[0].timeout_ms, 2000u);
}

TEST(Examples, InventoryReportsAnErrorStatus) {
  FakeRuntime rt;  // no arguments: the default URL
  rt.http["GET http://127.0.0.1:8080/items"].status = 503;
  ExampleRun r = RunExample("inventory.tape", rt);
  EXPECT_EQ(r.exit_code, 1) << r.error;
  EXPECT_EQ(r.err, "http://127.0.0.1:8080/items answered 503\n");
}

TEST(Examples, InventoryReportsACommandThatCannotRun) {
  FakeRuntime rt;  // the fake PATH has no sort
  HttpResponse& items = rt.http["GET http://127.0.0.1:8080/items"];
  items.status = 200;
  items.body = "pear 3\n";
  ExampleRun r = RunExample("inventory.tape", rt);
  EXPECT_EQ(r.exit_code, 1) << r.error;
  EXPECT_EQ(r.err, "cannot sort (status -1, errno 2): \n");
  ASSERT_EQ(rt.proc_requests.size(), 1u);
  EXPECT_EQ(rt.proc_requests[0].stdin_data, "pear 3\n");
}

}  // namespace
}  // namespace tape::lang
