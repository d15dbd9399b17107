// tape verify on traces with event times (trace-format §7.8, §9.4) and lanes
// (§7.7): a column that disagrees with the index is a problem; a recording
// of several threads with times is sound.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "format/layout.h"
#include "tape/effects.h"
#include "format/trace_writer.h"
#include "tests/format/raw_trace.h"
#include "tools/cli.h"

namespace tape::cli {
namespace {

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("tape-verify-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

format::TraceHeader Header() {
  format::TraceHeader h;
  h.program_name = "verify-test";
  h.created_unix_ns = 1764000000000000000;
  return h;
}

// Runs `tape verify --json FILE`: its exit code and output.
int Verify(const std::string& path, std::string* out) {
  VerifyArgs args;
  args.file = path;
  args.json = true;
  ::testing::internal::CaptureStdout();
  int code = RunVerify(args);
  std::fflush(stdout);
  *out = ::testing::internal::GetCapturedStdout();
  return code;
}

TEST(Verify, AChunkWhoseTimesDisagreeWithTheIndexIsAProblem) {
  format::testing::RawTrace raw(Header(), 4);
  raw.Define(0x1, "t.cc:1:1");
  for (int i = 0; i < 8; ++i) raw.AppendTimed(0x1, 8, {}, {}, 5000 + i * 10, 3);
  raw.Seal();
  // Still a valid pair of the index (§9.4), but not the column's times.
  raw.SetChunkTimes(1, 5045, 5070);
  raw.Finish(format::Outcome::Exited(0));
  std::string path = TempPath("bad-times");
  std::ofstream(path, std::ios::binary) << raw.str();
  std::string out;
  EXPECT_EQ(Verify(path, &out), kExitDifferent) << out;
  EXPECT_NE(out.find("\"sound\":false"), std::string::npos) << out;
  EXPECT_NE(out.find("chunk 1"), std::string::npos) << out;
  EXPECT_NE(out.find("5045"), std::string::npos) << out;  // the index's times, named
  std::filesystem::remove(path);
}

TEST(Verify, ARecordingOfThreadsWithTimesIsSound) {
  std::string path = TempPath("lanes");
  {
    format::WriterOptions o;
    o.chunk_max_events = 16;
    auto w = format::TraceWriter::Create(path, Header(), o);
    ASSERT_TRUE(w.has_value());
    (*w)->EnableLanes();
    format::LaneQueue* q0 = (*w)->AcquireLaneQueue();
    format::LaneQueue* q1 = (*w)->AcquireLaneQueue();
    uint8_t lane[4] = {1, 0, 0, 0}, clock[8] = {}, ms[8] = {5, 0, 0, 0, 0, 0, 0, 0};
    (*w)->AppendFromLane(q0, 0, 0x1, uint8_t(EffectKind::kThreadStart), {}, {lane, 4});
    for (int i = 0; i < 40; ++i) {
      // Lane 1's sleep began before lane 0's clock.now took the earlier seq:
      // the writer raises its time (§7.8) and the column stays in order.
      int64_t begin = (*w)->PreciseTime();
      (*w)->AppendFromLane(q0, 0, 0x2, uint8_t(EffectKind::kClockNow), {}, {clock, 8});
      (*w)->AppendFromLane(q1, 1, 0x3, uint8_t(EffectKind::kTimeSleep), {ms, 8}, {}, 0, begin,
                           5000000);
    }
    (*w)->AppendFromLane(q1, 1, 0x4, uint8_t(EffectKind::kThreadEnd), {}, {});
    ASSERT_TRUE((*w)->Finish(format::Outcome::Exited(0)).ok());
  }
  std::string out;
  EXPECT_EQ(Verify(path, &out), kExitOk) << out;
  EXPECT_NE(out.find("\"sound\":true"), std::string::npos) << out;
  EXPECT_NE(out.find("\"events\":82"), std::string::npos) << out;
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace tape::cli
