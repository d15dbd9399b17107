// tape::Rerun of C++ programs: calls that moved to other lines still get
// their recorded inputs (by key, or by kind); outputs are compared.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <mutex>
#include <vector>

#include "format/trace_reader.h"
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
                        bool live = false, const std::string& out = "") {
  int fd = ::open(dir.File("rerun.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  RerunOptions o;
  o.trace_path = dir.File(trace);
  o.stdout_fd = fd;
  o.live = live;
  if (!out.empty()) o.out_path = dir.File(out);
  RunReport r = Rerun(p, o);
  ::close(fd);
  return r;
}

std::string Why(const RunReport& r) { return r.drift ? r.drift->Describe() : r.error; }

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

// A program whose calls are given by `steps`: "w:TEXT" writes TEXT, "e:NAME"
// reads an environment variable, "r" draws a random byte, "c" reads the clock.
Program Steps(std::vector<std::string> steps, int exit_code = 0) {
  return TestProgram("steps", [steps, exit_code](Runtime& rt) {
    for (const std::string& s : steps) {
      Site site{SiteIdOf(s), s};  // one site per step text: edits keep the others'
      if (s.starts_with("w:")) rt.IoWriteAt(site, s.substr(2));
      if (s.starts_with("e:")) rt.EnvGetAt(site, s.substr(2));
      if (s == "r") rt.RandomBitsAt(site, 1);
      if (s == "c") rt.ClockNowAt(site);
    }
    return exit_code;
  });
}

TEST(Rerun, AnEarlyStopCountsWhatWasComparedAndWhatWasNotReached) {
  TempDir dir;
  setenv("TAPE_RERUN_X", "x", 1);
  ASSERT_EQ(RecordCaptured(dir, Steps({"w:A", "w:B0", "e:TAPE_RERUN_X", "w:C", "r"}), "t")
                .report.status,
            RunReport::Status::kOk);
  RunReport r = RerunCaptured(dir, Steps({"w:A", "w:B", "e:TAPE_RERUN_Y", "w:C"}), "t");
  ASSERT_EQ(r.status, RunReport::Status::kDrift) << Why(r);
  EXPECT_EQ(r.drift->kind, DriftKind::kUnrecordedInput);
  ASSERT_TRUE(r.rerun.has_value());
  const RerunSummary& s = *r.rerun;
  // B took B0's place: one changed, as the whole run would have said.
  EXPECT_EQ(s.outputs_same, 1u);
  EXPECT_EQ(s.outputs_changed, 1u);
  EXPECT_EQ(s.outputs_added + s.outputs_removed, 0u);
  EXPECT_EQ(s.first_change.what, "changed");
  EXPECT_EQ(s.first_change.seq, 1u);
  EXPECT_EQ(s.first_change.recorded, "io.write(\"B0\")");
  EXPECT_EQ(s.first_change.now, "io.write(\"B\")");
  // env.get, the write of C and random.bits were never reached.
  EXPECT_EQ(s.not_reached, 3u);
  EXPECT_EQ(s.inputs_unused, 0u);
  EXPECT_FALSE(s.outcome_same);
  EXPECT_TRUE(s.Changed());
}

TEST(Rerun, AnInputWithAnotherKeySaysTheKeyDiffersAndShowsBoth) {
  TempDir dir;
  setenv("TAPE_RERUN_X", "x", 1);
  ASSERT_EQ(RecordCaptured(dir, Steps({"e:TAPE_RERUN_X"}), "t").report.status,
            RunReport::Status::kOk);
  // The same place asks for another variable.
  Program p = TestProgram("steps", [](Runtime& rt) {
    rt.EnvGetAt(Site{SiteIdOf("e:TAPE_RERUN_X"), "e:TAPE_RERUN_X"}, "TAPE_RERUN_Y");
    return 0;
  });
  RunReport r = RerunCaptured(dir, p, "t");
  ASSERT_EQ(r.status, RunReport::Status::kDrift) << Why(r);
  EXPECT_EQ(r.drift->kind, DriftKind::kUnrecordedInput);
  EXPECT_NE(r.drift->hint.find("the key differs"), std::string::npos) << r.drift->Describe();
  EXPECT_NE(r.drift->expected.find("env.get(\"TAPE_RERUN_X\")"), std::string::npos)
      << r.drift->Describe();
  EXPECT_NE(r.drift->got.find("env.get(\"TAPE_RERUN_Y\")"), std::string::npos)
      << r.drift->Describe();
  EXPECT_EQ(r.drift->hint.find("within 4096"), std::string::npos) << r.drift->Describe();
}

TEST(Rerun, LockstepAndTheGeneralPathGiveTheSameReport) {
  // A long unchanged stretch (served in lockstep, clock readings as runs),
  // a change in the middle, and the same again: the counts add up.
  TempDir dir;
  std::vector<std::string> before, after;
  for (int i = 0; i < 3000; ++i) before.push_back(i % 3 == 0 ? "w:line" : "c");
  after = before;
  after[1501] = "w:changed";
  after.insert(after.begin() + 2000, "w:extra");
  ASSERT_EQ(RecordCaptured(dir, Steps(before), "t").report.status, RunReport::Status::kOk);
  RunReport same = RerunCaptured(dir, Steps(before), "t");
  ASSERT_EQ(same.status, RunReport::Status::kOk) << Why(same);
  EXPECT_EQ(same.rerun->by_site, 2000u);
  EXPECT_EQ(same.rerun->outputs_same, 1000u);
  EXPECT_FALSE(same.rerun->Changed());
  RunReport r = RerunCaptured(dir, Steps(after), "t");
  ASSERT_EQ(r.status, RunReport::Status::kOk) << Why(r);
  EXPECT_EQ(r.rerun->by_site, 1999u);  // the clock reading at 1501 is now a write
  EXPECT_EQ(r.rerun->inputs_unused, 1u);
  EXPECT_EQ(r.rerun->outputs_same, 1000u);
  EXPECT_EQ(r.rerun->outputs_added, 2u);
  EXPECT_EQ(r.rerun->first_change.what, "added");
  EXPECT_EQ(r.rerun->first_change.now, "io.write(\"changed\")");
  EXPECT_EQ(r.rerun->first_change.call, 1501u);
  EXPECT_TRUE(r.rerun->Changed());
}

TEST(Rerun, OutWritesATraceThatReplaysTheProgramAsItIsNow) {
  TempDir dir;
  std::string path = dir.File("input.txt");
  std::ofstream(path) << "recorded contents";
  setenv("HOME", "/home/then", 1);
  Seen recorded, now, again;
  ASSERT_EQ(RecordCaptured(dir, Versioned(false, path, &recorded), "t").report.status,
            RunReport::Status::kOk);
  std::ofstream(path) << "changed contents";
  setenv("HOME", "/home/now", 1);
  RunReport r = RerunCaptured(dir, Versioned(true, path, &now), "t", false, "new.trace");
  ASSERT_EQ(r.status, RunReport::Status::kOk) << Why(r);
  // Strict replay of the new program on the new trace: the recorded inputs
  // it was served, its own outputs, its own ending.
  Captured rep = ReplayCaptured(dir, Versioned(true, path, &again), "new.trace");
  ASSERT_EQ(rep.report.status, RunReport::Status::kOk) << Why(rep.report);
  EXPECT_EQ(rep.report.exit_code, 0);
  EXPECT_EQ(again.file, "recorded contents");
  EXPECT_EQ(again.home, "/home/then");
  EXPECT_EQ(again.time, recorded.time);
  EXPECT_EQ(rep.out, "debug: here\nfile says recorded contents\n");
  // The old program does not replay it.
  Captured old = ReplayCaptured(dir, Versioned(false, path, &again), "new.trace");
  EXPECT_EQ(old.report.status, RunReport::Status::kDrift);
}

TEST(Rerun, OutWithLiveKeepsTheInputsPerformedLive) {
  TempDir dir;
  setenv("TAPE_RERUN_X", "x", 1);
  ASSERT_EQ(RecordCaptured(dir, Steps({"e:TAPE_RERUN_X", "w:A"}), "t").report.status,
            RunReport::Status::kOk);
  setenv("TAPE_RERUN_Y", "live value", 1);
  std::string seen;
  Program p = TestProgram("steps", [&seen](Runtime& rt) {
    rt.EnvGetAt(Site{SiteIdOf("e:TAPE_RERUN_X"), "e:TAPE_RERUN_X"}, "TAPE_RERUN_X");
    seen = rt.EnvGet("TAPE_RERUN_Y").value_or("");
    rt.IoWriteAt(Site{SiteIdOf("w:A"), "w:A"}, "A");
    return 0;
  });
  RunReport r = RerunCaptured(dir, p, "t", /*live=*/true, "new.trace");
  ASSERT_EQ(r.status, RunReport::Status::kOk) << Why(r);
  EXPECT_EQ(r.rerun->live, 1u);
  unsetenv("TAPE_RERUN_Y");
  seen.clear();
  Captured rep = ReplayCaptured(dir, p, "new.trace");
  ASSERT_EQ(rep.report.status, RunReport::Status::kOk) << Why(rep.report);
  EXPECT_EQ(seen, "live value");
}

TEST(Rerun, AStoppedRerunLeavesAnInterruptedTrace) {
  TempDir dir;
  ASSERT_EQ(RecordCaptured(dir, Steps({"w:A"}), "t").report.status, RunReport::Status::kOk);
  RunReport r = RerunCaptured(dir, Steps({"w:A", "e:TAPE_RERUN_UNSET"}), "t", false, "new.trace");
  ASSERT_EQ(r.status, RunReport::Status::kDrift) << Why(r);
  auto reader = format::TraceReader::Open(dir.File("new.trace"));
  ASSERT_TRUE(reader.has_value()) << reader.error().message();
  EXPECT_EQ((*reader)->outcome().kind, format::OutcomeKind::kInterrupted);
  EXPECT_EQ((*reader)->event_count(), 1u);
}

// Workers append to a log under a tape::Mutex and print it at the end;
// `debug_lane` (>= 0) prints a debug line in that worker first, and
// `extra_worker` starts one worker more than recorded.
Program Workers(int workers, int rounds, int debug_worker = -1) {
  return TestProgram("workers", [=](Runtime& rt) {
    tape::Mutex m(rt, "log");
    std::vector<std::string> log;
    std::vector<tape::Thread> threads;
    for (int w = 0; w < workers; ++w) {
      threads.push_back(tape::Thread(rt, [&, w] {
        if (w == debug_worker) rt.IoWrite("debug: worker " + std::to_string(w) + "\n");
        for (int i = 0; i < rounds; ++i) {
          std::string b = rt.RandomBits(1);
          std::lock_guard g(m);
          log.push_back(std::to_string(w) + ":" + std::to_string(uint8_t(b[0])));
        }
      }));
    }
    for (auto& t : threads) t.join();
    std::string out;
    for (const std::string& line : log) out += line + "\n";
    rt.IoWrite(out);
    return 0;
  });
}

TEST(Rerun, ThreadsAreServedTheirLanesInTheRecordedOrder) {
  TempDir dir;
  for (int run = 0; run < 10; ++run) {
    Captured rec = RecordCaptured(dir, Workers(4, 30), "w");
    ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
    RunReport r = RerunCaptured(dir, Workers(4, 30), "w");
    ASSERT_EQ(r.status, RunReport::Status::kOk) << Why(r);
    ASSERT_TRUE(r.rerun.has_value());
    EXPECT_EQ(r.rerun->threads, 4u);
    EXPECT_EQ(r.rerun->by_site, 120u) << "run " << run;
    EXPECT_EQ(r.rerun->outputs_same, 1u) << "run " << run;
    EXPECT_FALSE(r.rerun->Changed()) << "run " << run << ": " << r.rerun->first_output_change;
    EXPECT_EQ(ReadFile(dir.File("rerun.out")), rec.out) << "run " << run;
  }
}

TEST(Rerun, AChangeInOneThreadIsFoundInItsLane) {
  TempDir dir;
  Captured rec = RecordCaptured(dir, Workers(3, 20), "w");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  RunReport r = RerunCaptured(dir, Workers(3, 20, /*debug_worker=*/2), "w", false, "new.trace");
  ASSERT_EQ(r.status, RunReport::Status::kOk) << Why(r);
  EXPECT_EQ(r.rerun->by_site, 60u);
  EXPECT_EQ(r.rerun->outputs_same, 1u);  // the log: the same bytes
  EXPECT_EQ(r.rerun->outputs_added, 1u);
  EXPECT_EQ(r.rerun->first_change.what, "added");
  EXPECT_EQ(r.rerun->first_change.lane, 3);  // worker 2 runs in lane 3
  EXPECT_EQ(r.rerun->first_change.now, "io.write(\"debug: worker 2\\n\")");
  // The trace of what it saw replays the changed program, threads and all.
  Captured rep = ReplayCaptured(dir, Workers(3, 20, 2), "new.trace");
  ASSERT_EQ(rep.report.status, RunReport::Status::kOk) << Why(rep.report);
}

TEST(Rerun, AThreadTheRecordingDoesNotHaveGetsNoRecordedInputs) {
  TempDir dir;
  ASSERT_EQ(RecordCaptured(dir, Workers(2, 5), "w").report.status, RunReport::Status::kOk);
  RunReport r = RerunCaptured(dir, Workers(3, 5), "w");
  ASSERT_EQ(r.status, RunReport::Status::kDrift) << Why(r);
  EXPECT_EQ(r.drift->kind, DriftKind::kUnrecordedInput);
  EXPECT_NE(r.drift->expected.find("not in the recording"), std::string::npos)
      << r.drift->Describe();
  RunReport live = RerunCaptured(dir, Workers(3, 5), "w", /*live=*/true);
  ASSERT_EQ(live.status, RunReport::Status::kOk) << Why(live);
  EXPECT_EQ(live.rerun->live, 5u);
  EXPECT_EQ(live.rerun->by_site, 10u);
}

TEST(Rerun, ThreadsThatNowWaitForEachOtherGoOutOfTurnInsteadOfHanging) {
  // The change: each worker draws its byte while it holds the mutex. The
  // recorded order (draw, then lock) makes a holder wait for its turn while
  // the thread whose turn it is waits for the mutex: one goes out of turn.
  auto program = [](bool draw_inside) {
    return TestProgram("workers", [draw_inside](Runtime& rt) {
      tape::Mutex m(rt, "log");
      std::string log;
      std::vector<tape::Thread> threads;
      for (int w = 0; w < 3; ++w) {
        threads.push_back(tape::Thread(rt, [&, w] {
          for (int i = 0; i < 1000; ++i) {
            std::string b = draw_inside ? "" : rt.RandomBits(1);
            std::lock_guard g(m);
            if (draw_inside) b = rt.RandomBits(1);
            log += std::to_string(w) + ":" + std::to_string(uint8_t(b[0])) + "\n";
          }
        }));
      }
      for (auto& t : threads) t.join();
      rt.IoWrite(log);
      return 0;
    });
  };
  TempDir dir;
  for (int run = 0; run < 3; ++run) {
    ASSERT_EQ(RecordCaptured(dir, program(false), "w").report.status, RunReport::Status::kOk);
    RunReport r = RerunCaptured(dir, program(true), "w");
    ASSERT_EQ(r.status, RunReport::Status::kOk) << Why(r);
    EXPECT_EQ(r.rerun->by_site + r.rerun->by_kind, 3000u);
    EXPECT_EQ(r.rerun->threads, 3u);
  }
}

TEST(Rerun, FewerThreadsLeaveTheOtherLanesNotAskedFor) {
  TempDir dir;
  ASSERT_EQ(RecordCaptured(dir, Workers(3, 5), "w").report.status, RunReport::Status::kOk);
  RunReport r = RerunCaptured(dir, Workers(2, 5), "w");
  ASSERT_EQ(r.status, RunReport::Status::kOk) << Why(r);
  EXPECT_EQ(r.rerun->by_site, 10u);
  EXPECT_EQ(r.rerun->inputs_unused, 5u);  // the third worker's draws
  EXPECT_EQ(r.rerun->outputs_changed, 1u);  // the log has fewer lines
}

}  // namespace
}  // namespace tape::testing
