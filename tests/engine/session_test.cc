// Record -> replay through the engine, in-process.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "engine/programs/programs.h"
#include "format/trace_reader.h"
#include "tests/engine/session_fixture.h"

namespace tape::testing {
namespace {

TEST(Builtins, EveryDemoReplaysItsOutputByteForByte) {
  TempDir dir;
  setenv("TAPE_INPUT", "CMakeLists.txt", 1);
  for (const programs::BuiltinProgram& b : programs::Builtins()) {
    SCOPED_TRACE(b.name);
    Program p = programs::MakeProgram(b);
    EXPECT_EQ(p.code_hash.size(), 16u);
    Captured rec = RecordCaptured(dir, p, b.name);
    ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
    EXPECT_FALSE(rec.out.empty());
    Captured rep = ReplayCaptured(dir, p, b.name);
    ASSERT_EQ(rep.report.status, RunReport::Status::kOk)
        << (rep.report.drift ? rep.report.drift->Describe() : rep.report.error);
    EXPECT_EQ(rep.out, rec.out);
    EXPECT_EQ(rep.report.exit_code, rec.report.exit_code);
    EXPECT_EQ(rep.report.events, rec.report.events);
  }
}

TEST(Builtins, FlakyFailureReplaysWithItsExitCode) {
  TempDir dir;
  Program p = programs::MakeProgram(*programs::FindBuiltin("flaky"));
  Captured rec;
  for (int i = 0; i < 2000; ++i) {
    rec = RecordCaptured(dir, p, "flaky");
    if (rec.report.exit_code == 1) break;
  }
  ASSERT_EQ(rec.report.exit_code, 1) << "flaky never failed in 2000 runs";
  EXPECT_NE(rec.out.find("FAIL: expected the answer to be 42"), std::string::npos);
  for (int i = 0; i < 3; ++i) {
    Captured rep = ReplayCaptured(dir, p, "flaky");
    EXPECT_EQ(rep.report.status, RunReport::Status::kOk);
    EXPECT_EQ(rep.report.exit_code, 1);
    EXPECT_EQ(rep.out, rec.out);
  }
}

TEST(Builtins, GreetReplaysTheRecordedEnvironment) {
  TempDir dir;
  Program p = programs::MakeProgram(*programs::FindBuiltin("greet"));
  setenv("NAME", "ada", 1);
  Captured rec = RecordCaptured(dir, p, "greet");
  EXPECT_EQ(rec.out, "hello, ada\n");
  setenv("NAME", "grace", 1);
  EXPECT_EQ(ReplayCaptured(dir, p, "greet").out, "hello, ada\n");
  unsetenv("NAME");
  EXPECT_EQ(ReplayCaptured(dir, p, "greet").out, "hello, ada\n");
  EXPECT_EQ(RecordCaptured(dir, p, "greet2").out, "hello, stranger\n");
}

TEST(Builtins, WordcountReplaysAFileThatIsGone) {
  TempDir dir;
  std::string input = dir.File("input.txt");
  format::testing::WriteFile(input, "one two\nthree\n");
  setenv("TAPE_INPUT", input.c_str(), 1);
  Program p = programs::MakeProgram(*programs::FindBuiltin("wordcount"));
  Captured rec = RecordCaptured(dir, p, "wc");
  EXPECT_EQ(rec.out, input + ": 2 lines, 3 words, 14 chars\n");
  std::filesystem::remove(input);
  Captured rep = ReplayCaptured(dir, p, "wc");
  EXPECT_EQ(rep.report.status, RunReport::Status::kOk);
  EXPECT_EQ(rep.out, rec.out);
}

TEST(Builtins, HeartbeatReplayDoesNotSleep) {
  TempDir dir;
  Program p = programs::MakeProgram(*programs::FindBuiltin("heartbeat"));
  Captured rec = RecordCaptured(dir, p, "hb");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk);
  auto start = std::chrono::steady_clock::now();
  Captured rep = ReplayCaptured(dir, p, "hb");
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(rep.out, rec.out);
  // Recording slept 3 x 200 ms; replay must not (a generous bound, not a benchmark).
  EXPECT_LT(took, std::chrono::milliseconds(300));
}

TEST(Effects, FsWriteDoesNotTouchTheDiskOnReplay) {
  TempDir dir;
  std::string target = dir.File("written.txt");
  Program p = TestProgram("writer", [&](Runtime& rt) {
    int err = rt.FsWrite(target, "recorded contents");
    return err == 0 ? 0 : 3;
  });
  Captured rec = RecordCaptured(dir, p, "w");
  ASSERT_EQ(rec.report.exit_code, 0);
  EXPECT_EQ(ReadFile(target), "recorded contents");
  std::filesystem::remove(target);
  Captured rep = ReplayCaptured(dir, p, "w");
  EXPECT_EQ(rep.report.status, RunReport::Status::kOk);
  EXPECT_EQ(rep.report.exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(target));
}

TEST(Effects, EveryEffectRoundTrips) {
  TempDir dir;
  std::string file = dir.File("in.bin");
  format::testing::WriteFile(file, std::string("bin\0ary", 7));
  setenv("TAPE_TEST_VAR", "value", 1);
  unsetenv("TAPE_TEST_UNSET");
  std::string seen;
  Program p = TestProgram("all", [&](Runtime& rt) {
    seen.clear();
    seen += std::to_string(rt.ClockNow() > 0);
    seen += "|" + rt.RandomBits(16);
    seen += "|" + std::to_string(rt.IoWrite("out\n"));
    FsReadResult r = rt.FsRead(file);
    seen += "|" + std::to_string(r.error) + r.data;
    FsReadResult missing = rt.FsRead(dir.File("missing"));
    seen += "|" + std::to_string(missing.error);
    seen += "|" + std::to_string(rt.FsWrite(dir.File("nodir/x"), "data"));
    seen += "|" + rt.EnvGet("TAPE_TEST_VAR").value_or("<unset>");
    seen += "|" + rt.EnvGet("TAPE_TEST_UNSET").value_or("<unset>");
    for (const std::string& a : rt.ArgsGet()) seen += "|" + a;
    rt.TimeSleep(1);
    return 0;
  });
  Captured rec = RecordCaptured(dir, p, "all", {"--flag", "two words", ""});
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  std::string recorded = seen;
  EXPECT_NE(recorded.find("|0bin"), std::string::npos);
  EXPECT_NE(recorded.find("|2|2|value|<unset>|--flag|two words|"), std::string::npos) << recorded;
  setenv("TAPE_TEST_VAR", "changed", 1);
  std::filesystem::remove(file);
  Captured rep = ReplayCaptured(dir, p, "all");
  ASSERT_EQ(rep.report.status, RunReport::Status::kOk)
      << (rep.report.drift ? rep.report.drift->Describe() : rep.report.error);
  EXPECT_EQ(seen, recorded);
  EXPECT_EQ(rep.out, "out\n");
  EXPECT_EQ(rep.report.events, 10u);
}

TEST(Outcome, UncaughtExceptionIsRecordedAndReplayed) {
  TempDir dir;
  Program p = TestProgram("thrower", [](Runtime& rt) -> int {
    rt.ClockNow();
    throw std::runtime_error("boom");
  });
  Captured rec = RecordCaptured(dir, p, "t");
  EXPECT_EQ(rec.report.status, RunReport::Status::kOk);
  EXPECT_EQ(rec.report.exit_code, 1);
  EXPECT_EQ(rec.report.outcome, "threw std::runtime_error: boom");
  auto reader = format::TraceReader::Open(dir.File("t"));
  ASSERT_TRUE(reader.has_value());
  EXPECT_EQ((*reader)->outcome().kind, format::OutcomeKind::kException);
  Captured rep = ReplayCaptured(dir, p, "t");
  EXPECT_EQ(rep.report.status, RunReport::Status::kOk);
  EXPECT_EQ(rep.report.outcome, "threw std::runtime_error: boom");
}

TEST(Record, UnwritableTracePathIsATraceError) {
  Program p = TestProgram("x", [](Runtime&) { return 0; });
  RecordOptions o;
  o.trace_path = "/nonexistent-dir/trace.bin";
  RunReport r = Record(p, o);
  EXPECT_EQ(r.status, RunReport::Status::kTraceError);
  EXPECT_NE(r.error.find("/nonexistent-dir/trace.bin"), std::string::npos);
}

// tape::Main and the CLI refuse the same paths, with the same exit code (2).
TEST(Record, AFileThatIsNotATraceIsRefusedUnlessForced) {
  TempDir dir;
  Program p = TestProgram("x", [](Runtime&) { return 0; });
  RecordOptions o;
  o.trace_path = dir.File("main.cc");
  { std::ofstream(o.trace_path) << "int main() {}\n"; }
  RunReport r = Record(p, o);
  EXPECT_EQ(r.status, RunReport::Status::kBadOptions);
  EXPECT_NE(r.error.find("refusing to overwrite"), std::string::npos) << r.error;
  EXPECT_EQ(ReadFile(o.trace_path), "int main() {}\n");
  o.force = true;
  r = Record(p, o);
  EXPECT_EQ(r.status, RunReport::Status::kOk) << r.error;
  EXPECT_TRUE(format::TraceReader::Open(o.trace_path).has_value());
}

TEST(Replay, MissingTraceIsATraceError) {
  Program p = TestProgram("x", [](Runtime&) { return 0; });
  ReplayOptions o;
  o.trace_path = "/nonexistent-dir/trace.bin";
  RunReport r = Replay(p, o);
  EXPECT_EQ(r.status, RunReport::Status::kTraceError);
  EXPECT_NE(r.error.find("no such file"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace tape::testing
