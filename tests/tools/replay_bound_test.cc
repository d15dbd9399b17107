// A script replay is bounded by the recorded step count: a trace altered so
// that the embedded script loops without effects ends with RanPastRecording
// instead of hanging (specs/trace-format.md §9).

#include <gtest/gtest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>

#include "format/trace_reader.h"
#include "format/trace_writer.h"
#include "tape/session.h"
#include "tests/format/trace_fixture.h"
#include "tools/program_loader.h"

namespace tape::cli {
namespace {

using format::testing::TempDir;

constexpr char kScript[] =
    "for i in 0..10 { }\n"
    "let v = env.get(\"TAPE_TEST_LOOP\");\n"
    "if v == \"1\" { while true { } }\n"
    "print(\"done\");\n";

// Copies `from` to `to`, replacing the env.get result by `value` (set).
void Tamper(const std::string& from, const std::string& to, const std::string& value) {
  auto reader = format::TraceReader::Open(from);
  ASSERT_TRUE(reader.has_value());
  const format::TraceReader& r = **reader;
  auto writer = format::TraceWriter::Create(to, r.header(), format::WriterOptions());
  ASSERT_TRUE(writer.has_value());
  for (const auto& [id, text] : r.sites()) (*writer)->DefineSite(id, text);
  format::EventCursor c(&r, format::kDecodeAll);
  ASSERT_TRUE(c.Seek(0).ok());
  std::string set = std::string(1, '\1') + value;
  while (!c.at_end()) {
    format::EventView e = c.event();
    format::Bytes result = e.result.bytes();
    if (e.kind == uint8_t(EffectKind::kEnvGet)) result = format::AsBytes(set);
    (*writer)->Append(e.site, e.kind, e.args.bytes(), result);
    ASSERT_TRUE(c.Next().ok());
  }
  // The footer keeps the honest run's step count.
  ASSERT_TRUE((*writer)->Finish(r.outcome(), r.program_steps()).ok());
}

TEST(ReplayBound, AnAlteredTraceCannotMakeAScriptLoopForever) {
  TempDir dir;
  std::string path = dir.File("loop.tape");
  std::ofstream(path) << kScript;
  Result<Program> program = LoadScript(path);
  ASSERT_TRUE(program.has_value()) << program.error().message();
  unsetenv("TAPE_TEST_LOOP");
  RecordOptions rec;
  rec.trace_path = dir.File("honest.bin");
  rec.stdout_fd = ::open("/dev/null", O_WRONLY);
  RunReport recorded = Record(*program, rec);
  ASSERT_EQ(recorded.status, RunReport::Status::kOk) << recorded.error;
  auto honest = format::TraceReader::Open(rec.trace_path);
  ASSERT_TRUE(honest.has_value());
  ASSERT_TRUE((*honest)->program_steps().has_value());
  EXPECT_GT(*(*honest)->program_steps(), 0u);

  ReplayOptions rep;
  rep.trace_path = rec.trace_path;
  rep.stdout_fd = rec.stdout_fd;
  EXPECT_EQ(Replay(*program, rep).status, RunReport::Status::kOk);

  Tamper(rec.trace_path, dir.File("altered.bin"), "1");
  rep.trace_path = dir.File("altered.bin");
  Result<Program> from_trace = LoadFromTrace((*honest)->header());
  ASSERT_TRUE(from_trace.has_value());
  RunReport r = Replay(*from_trace, rep);
  ASSERT_EQ(r.status, RunReport::Status::kDrift) << r.error;
  EXPECT_EQ(r.drift->kind, DriftKind::kRanPastRecording);
  EXPECT_NE(r.drift->expected.find(std::to_string(*(*honest)->program_steps()) + " steps"),
            std::string::npos)
      << r.drift->expected;
  ::close(rec.stdout_fd);
}

}  // namespace
}  // namespace tape::cli
