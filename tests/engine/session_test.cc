// Record -> replay through the engine, in-process.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <vector>

#include "engine/programs/programs.h"
#include "format/bytes.h"
#include "format/chunk_decoder.h"
#include "format/trace_reader.h"
#include "format/trace_writer.h"
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

// Copies trace `from` to `to`, every time.sleep event's args (u64 ms, §13)
// replaced by `ms`.
void RewriteSleeps(const std::string& from, const std::string& to, uint64_t ms) {
  auto r = format::TraceReader::Open(from);
  ASSERT_TRUE(r.has_value()) << r.error().message();
  auto w = format::TraceWriter::Create(to, (*r)->header(), format::WriterOptions());
  ASSERT_TRUE(w.has_value()) << w.error().message();
  uint8_t sleep_args[8];
  format::StoreU64(sleep_args, ms);
  format::ChunkDecoder decoder;
  format::DecodedChunk chunk;
  for (size_t c = 0; c < (*r)->chunks().size(); ++c) {
    ASSERT_TRUE((*r)->ReadChunk(c, format::kDecodeAll, &decoder, &chunk).ok());
    for (uint32_t i = 0; i < chunk.size(); ++i) {
      format::EventView e = chunk.event(i);
      (*w)->DefineSite(e.site, (*r)->SiteLocation(e.site));
      bool sleep = e.kind == uint8_t(EffectKind::kTimeSleep);
      (*w)->AppendTimed(e.site, e.kind, sleep ? format::Bytes(sleep_args, 8) : e.args.bytes(),
                        e.result.bytes(), e.time_ns, e.duration_ns, e.marks);
    }
  }
  ASSERT_TRUE((*w)->Finish((*r)->outcome(), (*r)->program_steps()).ok());
}

TEST(Builtins, HeartbeatReplays) {
  TempDir dir;
  Program p = programs::MakeProgram(*programs::FindBuiltin("heartbeat"));
  Captured rec = RecordCaptured(dir, p, "hb");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk);
  Captured rep = ReplayCaptured(dir, p, "hb");
  EXPECT_EQ(rep.report.status, RunReport::Status::kOk);
  EXPECT_EQ(rep.out, rec.out);
}

// Replay does not sleep. The recording slept 1 ms; its trace is rewritten to
// say the program slept an hour, and the program replayed asks for an hour:
// a replay that slept could not end within the deadline (which is far
// beyond what a loaded machine needs, and far below an hour).
TEST(Effects, TimeSleepReturnsAtOnceOnReplay) {
  TempDir dir;
  uint64_t ms = 1;
  Program p = TestProgram("sleeper", [&ms](Runtime& rt) {
    rt.TimeSleep(ms);
    rt.IoWrite("awake\n");
    return 0;
  });
  Captured rec = RecordCaptured(dir, p, "short");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  RewriteSleeps(dir.File("short"), dir.File("hour"), 3600 * 1000);
  ms = 3600 * 1000;
  Captured rep = FinishesWithin(std::chrono::seconds(120), [&] {
    return ReplayCaptured(dir, p, "hour");
  });
  ASSERT_EQ(rep.report.status, RunReport::Status::kOk)
      << (rep.report.drift ? rep.report.drift->Describe() : rep.report.error);
  EXPECT_EQ(rep.out, "awake\n");
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

// A C++ program may change its environment between two env.get calls at one
// place: each call reads the environment, and the trace has each value.
TEST(Effects, EnvGetRecordsAVariableThatChangedBetweenCalls) {
  TempDir dir;
  const std::vector<std::optional<std::string>> values = {"one", "one", "two", std::nullopt,
                                                          "three"};
  bool recording = true;
  std::vector<std::string> seen;
  Program p = TestProgram("changing-env", [&](Runtime& rt) {
    seen.clear();
    for (const std::optional<std::string>& v : values) {
      if (recording && v.has_value()) {
        setenv("TAPE_TEST_CHANGING", v->c_str(), 1);
      } else if (recording) {
        unsetenv("TAPE_TEST_CHANGING");
      }
      seen.push_back(rt.EnvGet("TAPE_TEST_CHANGING").value_or("<unset>"));
    }
    return 0;
  });
  Captured rec = RecordCaptured(dir, p, "env");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  const std::vector<std::string> expected = {"one", "one", "two", "<unset>", "three"};
  EXPECT_EQ(seen, expected);
  // Replay answers from the trace, whatever the environment is now.
  recording = false;
  setenv("TAPE_TEST_CHANGING", "now", 1);
  Captured rep = ReplayCaptured(dir, p, "env");
  unsetenv("TAPE_TEST_CHANGING");
  ASSERT_EQ(rep.report.status, RunReport::Status::kOk)
      << (rep.report.drift ? rep.report.drift->Describe() : rep.report.error);
  EXPECT_EQ(seen, expected);
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
