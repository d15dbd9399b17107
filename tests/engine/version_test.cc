// Version markers (specs/trace-format.md §13.7): a recording takes the
// newest version, a trace recorded before the marker existed the oldest,
// and a trace that needs a version the program dropped is drift.

#include <gtest/gtest.h>

#include <stdexcept>

#include "format/trace_reader.h"
#include "tape/thread.h"
#include "tests/engine/session_fixture.h"

namespace tape::testing {
namespace {

// Before the change: no marker. After it: a marker guards the new output.
Program Greeter(bool guarded, int32_t min, int32_t max, int32_t* took = nullptr) {
  return TestProgram("greeter", [=](Runtime& rt) {
    std::string name = rt.EnvGet("NAME").value_or("stranger");
    int32_t v = guarded ? rt.Version("greeting-style", min, max) : 1;
    if (took != nullptr) *took = v;
    rt.IoWrite((v >= 2 ? "hi, " : "hello, ") + name + "\n");
    return 0;
  });
}

RunReport RerunOn(const TempDir& dir, const Program& p, const std::string& trace,
                  const std::string& out = "") {
  RerunOptions o;
  o.trace_path = dir.File(trace);
  o.stdout_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (!out.empty()) o.out_path = dir.File(out);
  RunReport r = Rerun(p, o);
  ::close(o.stdout_fd);
  return r;
}

std::string Why(const RunReport& r) { return r.drift ? r.drift->Describe() : r.error; }

TEST(Version, ARecordingTakesTheNewestVersionAndStoresAMarker) {
  TempDir dir;
  int32_t took = 0;
  Captured rec = RecordCaptured(dir, Greeter(true, 1, 2, &took), "new");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  EXPECT_EQ(took, 2);
  EXPECT_EQ(rec.out.substr(0, 4), "hi, ");
  auto reader = format::TraceReader::Open(dir.File("new"));
  ASSERT_TRUE(reader.has_value());
  EXPECT_EQ((*reader)->event_count(), 3u);  // env.get, version.marker, io.write

  Captured rep = ReplayCaptured(dir, Greeter(true, 1, 2, &took), "new");
  EXPECT_EQ(rep.report.status, RunReport::Status::kOk) << Why(rep.report);
  EXPECT_EQ(rep.out, rec.out);
}

TEST(Version, ATraceFromBeforeTheMarkerTakesTheOldestVersion) {
  TempDir dir;
  ASSERT_EQ(RecordCaptured(dir, Greeter(false, 1, 1), "old").report.status,
            RunReport::Status::kOk);
  int32_t took = 0;
  Captured rep = ReplayCaptured(dir, Greeter(true, 1, 2, &took), "old");
  EXPECT_EQ(rep.report.status, RunReport::Status::kOk) << Why(rep.report);
  EXPECT_EQ(took, 1);
  EXPECT_EQ(rep.out.substr(0, 7), "hello, ");

  took = 0;
  RunReport r = RerunOn(dir, Greeter(true, 1, 2, &took), "old", "old-rerun");
  ASSERT_EQ(r.status, RunReport::Status::kOk) << Why(r);
  EXPECT_EQ(took, 1);
  EXPECT_FALSE(r.rerun->Changed());
  // The rerun's trace stores the version it served.
  took = 0;
  EXPECT_EQ(ReplayCaptured(dir, Greeter(true, 1, 2, &took), "old-rerun").report.status,
            RunReport::Status::kOk);
  EXPECT_EQ(took, 1);
}

TEST(Version, RerunServesTheRecordedVersion) {
  TempDir dir;
  ASSERT_EQ(RecordCaptured(dir, Greeter(true, 1, 2), "new").report.status,
            RunReport::Status::kOk);
  int32_t took = 0;
  // Version 3 added since: the trace still takes version 2.
  RunReport r = RerunOn(dir, Greeter(true, 1, 3, &took), "new");
  ASSERT_EQ(r.status, RunReport::Status::kOk) << Why(r);
  EXPECT_EQ(took, 2);
  EXPECT_FALSE(r.rerun->Changed());
}

TEST(Version, AVersionOutsideTheRangeIsVersionUnsupported) {
  TempDir dir;
  ASSERT_EQ(RecordCaptured(dir, Greeter(true, 1, 2), "new").report.status,
            RunReport::Status::kOk);
  for (bool rerun : {false, true}) {
    RunReport r = rerun ? RerunOn(dir, Greeter(true, 3, 4), "new")
                        : ReplayCaptured(dir, Greeter(true, 3, 4), "new").report;
    ASSERT_EQ(r.status, RunReport::Status::kDrift) << rerun;
    EXPECT_EQ(r.drift->kind, DriftKind::kVersionUnsupported);
    EXPECT_NE(r.drift->Describe().find(
                  "the trace needs version 2 of 'greeting-style'; the program supports 3..4"),
              std::string::npos)
        << r.drift->Describe();
  }
}

TEST(Version, BadArgumentsThrowBeforeAnythingIsRecorded) {
  TempDir dir;
  std::string error;
  Program p = TestProgram("bad", [&error](Runtime& rt) {
    for (auto call : {+[](Runtime& r) { r.Version("", 1, 2); },
                      +[](Runtime& r) { r.Version("has space", 1, 2); },
                      +[](Runtime& r) { r.Version("fine", 3, 2); }}) {
      try {
        call(rt);
      } catch (const std::invalid_argument& e) {
        error += std::string(e.what()) + "\n";
      }
    }
    return 0;
  });
  ASSERT_EQ(RecordCaptured(dir, p, "t").report.status, RunReport::Status::kOk);
  EXPECT_NE(error.find("change id"), std::string::npos) << error;
  EXPECT_NE(error.find("min is above max"), std::string::npos) << error;
  auto reader = format::TraceReader::Open(dir.File("t"));
  ASSERT_TRUE(reader.has_value());
  EXPECT_EQ((*reader)->event_count(), 0u);
}

TEST(Version, AMarkerInAThreadIsServedFromItsLane) {
  TempDir dir;
  auto program = [](bool guarded, int32_t* took) {
    return TestProgram("threaded", [guarded, took](Runtime& rt) {
      Thread t(rt, [&rt, guarded, took] {
        *took = guarded ? rt.Version("worker-change", 1, 2) : 1;
        rt.ClockNow();
      });
      t.join();
      return 0;
    });
  };
  int32_t took = 0;
  ASSERT_EQ(RecordCaptured(dir, program(true, &took), "new").report.status,
            RunReport::Status::kOk);
  EXPECT_EQ(took, 2);
  took = 0;
  EXPECT_EQ(ReplayCaptured(dir, program(true, &took), "new").report.status,
            RunReport::Status::kOk);
  EXPECT_EQ(took, 2);
  ASSERT_EQ(RecordCaptured(dir, program(false, &took), "old").report.status,
            RunReport::Status::kOk);
  took = 0;
  RunReport r = ReplayCaptured(dir, program(true, &took), "old").report;
  EXPECT_EQ(r.status, RunReport::Status::kOk) << Why(r);
  EXPECT_EQ(took, 1);
  took = 0;
  r = RerunOn(dir, program(true, &took), "new");
  EXPECT_EQ(r.status, RunReport::Status::kOk) << Why(r);
  EXPECT_EQ(took, 2);
}

}  // namespace
}  // namespace tape::testing
