// tape::Rerun of C++ programs: calls that moved to other lines still get
// their recorded inputs (by key, or by kind); outputs are compared.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "tape/thread.h"
#include "tests/engine/session_fixture.h"

namespace tape::testing {
namespace {

struct Seen {
  int64_t time = 0;
  std::string file, home, bytes;
};

// `moved`: the same calls from other lines (code inserted above them), plus
// a debug line, as after an edit.
Program Versioned(bool moved, const std::string& path, Seen* seen) {
  return TestProgram("cpp", [moved, path, seen](Runtime& rt) {
    if (!moved) {
      seen->time = rt.ClockNow();
      seen->file = rt.FsRead(path).data;
      seen->home = rt.EnvGet("HOME").value_or("");
      seen->bytes = rt.RandomBits(4);
      rt.IoWrite("file says " + seen->file + "\n");
      return 1;
    }
    rt.IoWrite("debug: here\n");
    seen->home = rt.EnvGet("HOME").value_or("");
    seen->file = rt.FsRead(path).data;
    seen->time = rt.ClockNow();
    seen->bytes = rt.RandomBits(4);
    rt.IoWrite("file says " + seen->file + "\n");
    return 0;
  });
}

RunReport RerunCaptured(const TempDir& dir, const Program& p, const std::string& trace,
                        bool live = false) {
  int fd = ::open(dir.File("rerun.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  RerunOptions o;
  o.trace_path = dir.File(trace);
  o.stdout_fd = fd;
  o.live = live;
  RunReport r = Rerun(p, o);
  ::close(fd);
  return r;
}

TEST(Rerun, MovedCallsGetTheirRecordedInputsByKeyAndKind) {
  TempDir dir;
  std::string path = dir.File("input.txt");
  std::ofstream(path) << "recorded contents";
  setenv("HOME", "/home/then", 1);
  Seen recorded, now;
  Captured rec = RecordCaptured(dir, Versioned(false, path, &recorded), "t");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;

  std::ofstream(path) << "changed contents";
  setenv("HOME", "/home/now", 1);
  RunReport r = RerunCaptured(dir, Versioned(true, path, &now), "t");
  ASSERT_EQ(r.status, RunReport::Status::kOk) << (r.drift ? r.drift->Describe() : r.error);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(now.time, recorded.time);
  EXPECT_EQ(now.file, "recorded contents");
  EXPECT_EQ(now.home, "/home/then");
  EXPECT_EQ(now.bytes, recorded.bytes);
  ASSERT_TRUE(r.rerun.has_value());
  EXPECT_EQ(r.rerun->by_site, 0u);
  EXPECT_EQ(r.rerun->by_key, 2u);   // fs.read by path, env.get by name
  EXPECT_EQ(r.rerun->by_kind, 2u);  // clock.now, random.bits
  EXPECT_EQ(r.rerun->outputs_same, 1u);
  EXPECT_EQ(r.rerun->outputs_added, 1u);
  EXPECT_NE(r.rerun->first_output_change.find("added: io.write(\"debug: here\\n\")"),
            std::string::npos)
      << r.rerun->first_output_change;
  EXPECT_EQ(r.rerun->recorded_outcome, "exited with code 1");
  EXPECT_EQ(ReadFile(dir.File("rerun.out")), "debug: here\nfile says recorded contents\n");
}

TEST(Rerun, UnchangedProgramMatchesEverythingBySite) {
  TempDir dir;
  std::string path = dir.File("input.txt");
  std::ofstream(path) << "x";
  Seen a, b;
  ASSERT_EQ(RecordCaptured(dir, Versioned(false, path, &a), "t").report.status,
            RunReport::Status::kOk);
  RunReport r = RerunCaptured(dir, Versioned(false, path, &b), "t");
  ASSERT_EQ(r.status, RunReport::Status::kOk);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.rerun->by_site, 4u);
  EXPECT_EQ(r.rerun->outputs_same, 1u);
  EXPECT_EQ(r.rerun->outputs_changed + r.rerun->outputs_added + r.rerun->outputs_removed, 0u);
  EXPECT_TRUE(r.rerun->first_output_change.empty());
}

TEST(Rerun, AFileReadOfAnotherPathIsUnrecorded) {
  TempDir dir;
  std::string path = dir.File("input.txt");
  std::ofstream(path) << "x";
  Seen a, b;
  ASSERT_EQ(RecordCaptured(dir, Versioned(false, path, &a), "t").report.status,
            RunReport::Status::kOk);
  std::string other = dir.File("other.txt");
  std::ofstream(other) << "live contents";
  RunReport r = RerunCaptured(dir, Versioned(false, other, &b), "t");
  ASSERT_EQ(r.status, RunReport::Status::kDrift);
  EXPECT_EQ(r.drift->kind, DriftKind::kUnrecordedInput);
  EXPECT_EQ(r.drift->seq, 1u);
  EXPECT_NE(r.drift->got.find("other.txt"), std::string::npos) << r.drift->got;
  RunReport live = RerunCaptured(dir, Versioned(false, other, &b), "t", /*live=*/true);
  ASSERT_EQ(live.status, RunReport::Status::kOk);
  EXPECT_EQ(b.file, "live contents");
  EXPECT_EQ(live.rerun->live, 1u);
}

TEST(Rerun, RefusesAProgramThatStartsThreads) {
  // Its inputs are matched in one sequence: a program with lanes is not
  // rerun (README "Threads"), and says so instead of serving them wrongly.
  TempDir dir;
  int worker_calls = 0;
  Program p = TestProgram("threads", [&worker_calls](Runtime& rt) {
    rt.ClockNow();
    tape::Thread t(rt, [&] {
      ++worker_calls;
      rt.ClockNow();
    });
    t.join();
    return 0;
  });
  Captured rec = RecordCaptured(dir, p, "t");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  ASSERT_EQ(worker_calls, 1);
  RunReport r = RerunCaptured(dir, p, "t");
  EXPECT_EQ(r.status, RunReport::Status::kBadOptions);
  EXPECT_NE(r.error.find("tape rerun does not run programs that start threads"), std::string::npos)
      << r.error;
  EXPECT_EQ(worker_calls, 1) << "the rerun ran the thread";
  // A program that catches every std::exception is refused all the same.
  Program catching = TestProgram("threads", [](Runtime& rt) {
    rt.ClockNow();
    try {
      tape::Thread t(rt, [] {});
      t.join();
    } catch (const std::exception&) {
      rt.IoWrite("carried on\n");
    }
    return 0;
  });
  r = RerunCaptured(dir, catching, "t");
  EXPECT_EQ(r.status, RunReport::Status::kBadOptions) << r.outcome;
}

}  // namespace
}  // namespace tape::testing
