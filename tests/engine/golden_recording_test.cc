// A fresh recording of a fixed program, compared byte for byte with the
// recording committed in tests/golden/recorded/ (see the README there for
// when and how to regenerate it). The golden readers (format/golden_test.cc)
// check that old bytes keep reading; this checks that the recorder still
// writes the bytes it wrote: a change to the writer, the encoder, an effect's
// payload layout or the recorder that alters a trace fails here until the
// golden file is regenerated on purpose, with the spec updated.
//
// What varies between runs is fixed by design, not by loosening the check:
// the trace's times come from a frozen clock (RecordOptions::frozen_time_ns),
// chunks are sealed by size only (a flush period longer than the test), and
// the program's effects answer the same way on every run.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "format/trace_reader.h"
#include "tests/engine/session_fixture.h"

namespace tape::testing {
namespace {

constexpr int64_t kGoldenTime = 1764000000000000000;  // 2025-11-24 16:00:00 UTC
const std::string kGoldenFile = std::string(TAPE_GOLDEN_DIR) + "/recorded/program.trace";

// The fixed program. No clock or random readings: its own writes (one large
// enough to spill to BLOB records, and enough small ones for several chunks),
// an environment variable the test sets and one it unsets, its arguments, a
// file that does not exist, a user-defined effect and a sleep of 0 ms.
// Editing this function moves its sites (file:line:col): regenerate then.
int GoldenMain(Runtime& rt) {
  rt.IoWrite("golden\n");
  std::optional<std::string> name = rt.EnvGet("TAPE_GOLDEN_NAME");
  (void)rt.EnvGet("TAPE_GOLDEN_UNSET");
  for (const std::string& arg : rt.ArgsGet()) rt.IoWrite(arg + "\n");
  (void)rt.FsRead("/nonexistent/tape-golden");
  std::string big(300 * 1024, ' ');
  for (size_t i = 0; i < big.size(); ++i) big[i] = char('a' + (i * 7 + i / 1000) % 26);
  rt.IoWrite(big);
  std::string sum = rt.Effect("golden.sum", "1+2", [] { return std::string("3"); });
  rt.TimeSleep(0);
  for (int i = 0; i < 20; ++i) rt.IoWrite("line " + std::to_string(i) + " " + sum + "\n");
  return name == "ada" ? 3 : 1;
}

Program Golden() {
  Program p = TestProgram("golden", GoldenMain);
  p.code_hash = "golden-v1";
  return p;
}

RunReport RecordGolden(const TempDir& dir, const std::string& trace) {
  setenv("TAPE_GOLDEN_NAME", "ada", 1);
  unsetenv("TAPE_GOLDEN_UNSET");
  std::string out = dir.File(trace + ".out");
  int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  RecordOptions o;
  o.trace_path = dir.File(trace);
  o.args = {"one", "two"};
  o.stdout_fd = fd;
  o.frozen_time_ns = kGoldenTime;
  o.chunk_events = 8;
  o.flush_ms = 3600 * 1000;  // chunks end when full, never on a timer
  RunReport r = Record(Golden(), o);
  ::close(fd);
  unsetenv("TAPE_GOLDEN_NAME");
  return r;
}

// Where two byte strings first differ, for the failure message.
std::string FirstDifference(const std::string& a, const std::string& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return "first difference at byte " + std::to_string(i) + " (recorded " +
         std::to_string(a.size()) + " bytes, golden " + std::to_string(b.size()) + ")";
}

TEST(GoldenRecording, AFreshRecordingIsTheCommittedBytes) {
  TempDir dir;
  RunReport r = RecordGolden(dir, "fresh.trace");
  ASSERT_EQ(r.status, RunReport::Status::kOk) << r.error;
  ASSERT_EQ(r.exit_code, 3);
  std::string fresh = ReadFile(dir.File("fresh.trace"));
  if (const char* regen = std::getenv("TAPE_REGENERATE_GOLDEN"); regen && *regen == '1') {
    std::ofstream(kGoldenFile, std::ios::binary).write(fresh.data(), std::streamsize(fresh.size()));
    GTEST_SKIP() << "wrote " << kGoldenFile << " (" << fresh.size() << " bytes)";
  }
  std::string golden = ReadFile(kGoldenFile);
  ASSERT_FALSE(golden.empty()) << kGoldenFile << " is missing";
  EXPECT_TRUE(fresh == golden)
      << "the recorder no longer writes the committed bytes: " << FirstDifference(fresh, golden)
      << ". If the format or the recorder changed on purpose, update specs/ and regenerate "
         "(tests/golden/README.md)";
}

TEST(GoldenRecording, TheRecordingIsWhatTheDesignSays) {
  // The properties that make the golden comparison meaningful: several
  // chunks, a spilled payload, every time the frozen one.
  TempDir dir;
  RunReport r = RecordGolden(dir, "g.trace");
  ASSERT_EQ(r.status, RunReport::Status::kOk) << r.error;
  auto reader = format::TraceReader::Open(dir.File("g.trace"));
  ASSERT_TRUE(reader.has_value()) << reader.error().message();
  const format::TraceReader& t = **reader;
  EXPECT_EQ(t.header().created_unix_ns, uint64_t(kGoldenTime));
  EXPECT_EQ(t.finished_unix_ns(), uint64_t(kGoldenTime));
  EXPECT_GE(t.chunks().size(), 4u);
  format::ChunkDecoder decoder;
  format::DecodedChunk chunk;
  bool spilled = false;
  for (size_t c = 0; c < t.chunks().size(); ++c) {
    ASSERT_TRUE(t.ReadChunk(c, format::kDecodeAll, &decoder, &chunk).ok());
    for (uint32_t i = 0; i < chunk.size(); ++i) {
      format::EventView e = chunk.event(i);
      EXPECT_EQ(e.time_ns, kGoldenTime) << "seq " << e.seq;
      EXPECT_EQ(e.duration_ns, 0u) << "seq " << e.seq;
      spilled |= e.args.spilled();
    }
  }
  EXPECT_TRUE(spilled) << "the 300 KiB write should be stored in BLOB records";
}

TEST(GoldenRecording, TheCommittedRecordingReplays) {
  // Old bytes keep replaying: the golden file, not a fresh recording.
  TempDir dir;
  std::string out = dir.File("replay.out");
  int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ReplayOptions o;
  o.trace_path = kGoldenFile;
  o.stdout_fd = fd;
  RunReport r = Replay(Golden(), o);
  ::close(fd);
  ASSERT_EQ(r.status, RunReport::Status::kOk) << r.error;
  EXPECT_EQ(r.exit_code, 3);
  std::string printed = ReadFile(out);
  EXPECT_EQ(printed.substr(0, 15), "golden\none\ntwo\n");
  EXPECT_EQ(printed.size(), 15 + 300 * 1024 + 20 * 9 + 10 * 1);
}

}  // namespace
}  // namespace tape::testing
