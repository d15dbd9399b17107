// Threads: tape::Thread lanes, tape::Mutex order, replay in the recorded
// order, drift and stuck threads ending the replay, and threads tape does
// not know.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "format/chunk_decoder.h"
#include "format/trace_reader.h"
#include "tape/thread.h"
#include "tests/engine/session_fixture.h"

namespace tape::testing {
namespace {

// The program: `workers` threads append to a shared log under a
// tape::Mutex; the log is written at the end. `drift_lane_worker`, when
// >= 0, makes that worker call clock.now instead of random.bits in its
// tenth round (a changed program, for replay).
Program Workers(int workers, int rounds, int drift_worker = -1) {
  return TestProgram("workers", [=](Runtime& rt) {
    tape::Mutex m(rt, "log");
    std::vector<std::string> log;
    std::vector<tape::Thread> threads;
    for (int w = 0; w < workers; ++w) {
      threads.push_back(tape::Thread(rt, [&, w] {
        for (int i = 0; i < rounds; ++i) {
          std::string b = w == drift_worker && i == 10 ? std::to_string(rt.ClockNow())
                                                       : rt.RandomBits(1);
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

// Every event's lane, in seq order.
std::vector<uint32_t> Lanes(const std::string& path) {
  auto r = format::TraceReader::Open(path);
  EXPECT_TRUE(r.has_value()) << r.error().message();
  std::vector<uint32_t> lanes;
  format::ChunkDecoder decoder;
  format::DecodedChunk chunk;
  for (size_t c = 0; c < (*r)->chunks().size(); ++c) {
    Status s = (*r)->ReadChunk(c, format::kDecodeAll, &decoder, &chunk);
    EXPECT_TRUE(s.ok()) << s.message();
    for (uint32_t i = 0; i < chunk.size(); ++i) lanes.push_back(chunk.event(i).lane);
  }
  return lanes;
}

TEST(Threads, ReplaysTheRecordedOrderByteForByte) {
  TempDir dir;
  for (int workers : {2, 4, 8}) {
    int orders = 0;
    std::set<std::string> outputs;
    for (int run = 0; run < 50; ++run) {
      Program p = Workers(workers, 40);
      Captured rec = RecordCaptured(dir, p, "w.tape");
      ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
      ASSERT_EQ(rec.out.size() > 0, true);
      Captured rep = ReplayCaptured(dir, p, "w.tape");
      ASSERT_EQ(rep.report.status, RunReport::Status::kOk)
          << workers << " workers, run " << run << ": "
          << (rep.report.drift ? rep.report.drift->Describe() : rep.report.error);
      ASSERT_EQ(rep.out, rec.out) << workers << " workers, run " << run;
      outputs.insert(rec.out);
      ++orders;
    }
    // 40 random bytes per worker: recordings differ from each other, and
    // each replay gave its own recording's output.
    EXPECT_GT(outputs.size(), 1u) << workers << " workers";
    EXPECT_EQ(orders, 50);
  }
}

TEST(Threads, EventsCarryTheirLanes) {
  TempDir dir;
  Program p = Workers(3, 5);
  Captured rec = RecordCaptured(dir, p, "w.tape");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  std::vector<uint32_t> lanes = Lanes(dir.File("w.tape"));
  // 3 thread.starts and the final write in lane 0; per worker 5 draws, 5
  // locks and its end.
  std::map<uint32_t, int> per_lane;
  for (uint32_t l : lanes) ++per_lane[l];
  EXPECT_EQ(per_lane.size(), 4u);
  EXPECT_EQ(per_lane[0], 4);
  for (uint32_t l = 1; l <= 3; ++l) EXPECT_EQ(per_lane[l], 11) << "lane " << l;
}

// Event times with lanes (trace-format §7.8): every event has one, in seq
// order; each thread's sleep keeps its own end; a mutex.lock records how
// long its thread waited.
TEST(Threads, EachLaneStampsItsOwnTimes) {
  TempDir dir;
  Program p = TestProgram("sleepers", [](Runtime& rt) {
    tape::Mutex m(rt, "m");
    std::vector<tape::Thread> threads;
    // The workers sleep only once every thread.start is recorded, however
    // late the scheduler runs the main thread: then each sleep begins after
    // every start's time, and the durations below are exact lower bounds.
    std::atomic<bool> started{false};
    for (int w = 0; w < 3; ++w) {
      threads.push_back(tape::Thread(rt, [&] {
        while (!started.load()) std::this_thread::yield();
        rt.TimeSleep(50);
        std::lock_guard g(m);
        rt.ClockNow();
      }));
    }
    started = true;
    for (auto& t : threads) t.join();
    return 0;
  });
  Captured rec = RecordCaptured(dir, p, "s.tape");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  auto r = format::TraceReader::Open(dir.File("s.tape"));
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE((*r)->has_times());
  std::vector<format::EventView> events;
  format::ChunkDecoder decoder;
  format::DecodedChunk chunk;
  for (size_t c = 0; c < (*r)->chunks().size(); ++c) {
    ASSERT_TRUE((*r)->ReadChunk(c, format::kDecodeAll, &decoder, &chunk).ok());
    for (uint32_t i = 0; i < chunk.size(); ++i) events.push_back(chunk.event(i));
  }
  ASSERT_EQ(events.size(), 3u + 3 * 4);  // 3 starts; per thread sleep, lock, clock, end
  std::map<uint32_t, int64_t> started;  // lane -> its thread.start's time (lanes 1, 2, 3 in order)
  std::vector<std::pair<int64_t, int64_t>> sleeps;
  int locks = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const format::EventView& e = events[i];
    ASSERT_GT(e.time_ns, 0) << "seq " << i;
    if (i > 0) {
      EXPECT_GE(e.time_ns, events[i - 1].time_ns) << "seq " << i;
    }
    if (e.kind == uint8_t(EffectKind::kTimeSleep)) {
      int64_t end = e.time_ns + int64_t(e.duration_ns);
      // The sleep began after its lane's thread.start event and lasted 50 ms.
      ASSERT_TRUE(started.count(e.lane));
      // Its duration may be 0: when another lane's events took earlier seqs
      // after this sleep had ended, its start is moved up to theirs (times
      // never go back along seqs) and the duration shrinks to keep its end.
      EXPECT_GE(end - started[e.lane], 50'000'000) << "seq " << i;
      sleeps.push_back({e.time_ns, end});
    }
    if (e.kind == uint8_t(EffectKind::kMutexLock)) {
      ++locks;
      EXPECT_NE(e.lane, 0u);
    }
    if (e.kind == uint8_t(EffectKind::kThreadStart)) started[uint32_t(started.size() + 1)] = e.time_ns;
  }
  ASSERT_EQ(sleeps.size(), 3u);
  EXPECT_EQ(locks, 3);
  // The first sleep to end keeps its 50 ms: every event before it (the
  // thread starts) was recorded before it began. The others, which ended
  // after other lanes' events took earlier seqs, start no earlier than the
  // event before them and still end when they ended (checked above).
  EXPECT_GE(sleeps[0].second - sleeps[0].first, 50'000'000);
}

TEST(Threads, OneThreadTracesHaveNoLanes) {
  TempDir dir;
  Program p = TestProgram("one", [](Runtime& rt) {
    tape::Mutex m(rt);
    std::lock_guard g(m);
    rt.IoWrite(std::to_string(rt.ClockNow()) + "\n");
    return 0;
  });
  Captured rec = RecordCaptured(dir, p, "one.tape");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  for (uint32_t l : Lanes(dir.File("one.tape"))) EXPECT_EQ(l, 0u);
  Captured rep = ReplayCaptured(dir, p, "one.tape");
  EXPECT_EQ(rep.report.status, RunReport::Status::kOk);
  EXPECT_EQ(rep.out, rec.out);
}

TEST(Threads, DriftInOneLaneEndsTheReplayNamingIt) {
  TempDir dir;
  Captured rec = RecordCaptured(dir, Workers(4, 50), "w.tape");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  // No lane is left waiting for a turn that never comes: the replay ends.
  Captured rep = FinishesWithin(std::chrono::seconds(120), [&] {
    return ReplayCaptured(dir, Workers(4, 50, /*drift_worker=*/2), "w.tape");
  });
  ASSERT_EQ(rep.report.status, RunReport::Status::kDrift);
  ASSERT_TRUE(rep.report.drift.has_value());
  // Worker 2 is the third thread started: lane 3.
  EXPECT_EQ(rep.report.drift->lane, 3);
  EXPECT_NE(rep.report.drift->Describe().find("in lane 3"), std::string::npos)
      << rep.report.drift->Describe();
}

// Recorded: main holds m while it reads the clock; the worker then takes m.
// Replayed by a program that joins the worker without reading the clock:
// the worker waits for its turn, main waits in join, the due event is
// main's. Replay stops with ThreadsStuck instead of hanging.
TEST(Threads, StuckThreadsEndTheReplay) {
  TempDir dir;
  auto program = [](bool read_clock) {
    return TestProgram("stuck", [read_clock](Runtime& rt) {
      tape::Mutex m(rt, "m");
      m.lock();
      tape::Thread worker(rt, [&] {
        std::lock_guard g(m);
        rt.ClockNow();
      });
      if (read_clock) rt.ClockNow();
      m.unlock();
      worker.join();
      return 0;
    });
  };
  Captured rec = RecordCaptured(dir, program(true), "s.tape");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  Captured ok = ReplayCaptured(dir, program(true), "s.tape");
  EXPECT_EQ(ok.report.status, RunReport::Status::kOk);
  Captured rep = ReplayCaptured(dir, program(false), "s.tape");
  ASSERT_EQ(rep.report.status, RunReport::Status::kDrift);
  ASSERT_TRUE(rep.report.drift.has_value());
  EXPECT_EQ(rep.report.drift->kind, DriftKind::kThreadsStuck) << rep.report.drift->Describe();
  EXPECT_EQ(rep.report.drift->lane, 0);
}

TEST(Threads, ExceptionsReachJoin) {
  TempDir dir;
  Program p = TestProgram("throws", [](Runtime& rt) {
    tape::Thread t(rt, [](Runtime& worker_rt) {  // the function may take the runtime
      worker_rt.ClockNow();
      throw std::runtime_error("worker failed");
    });
    try {
      t.join();
    } catch (const std::runtime_error& e) {
      rt.IoWrite(std::string("caught: ") + e.what() + "\n");
    }
    return 0;
  });
  Captured rec = RecordCaptured(dir, p, "t.tape");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  EXPECT_EQ(rec.out, "caught: worker failed\n");
  Captured rep = ReplayCaptured(dir, p, "t.tape");
  EXPECT_EQ(rep.report.status, RunReport::Status::kOk);
  EXPECT_EQ(rep.out, rec.out);
}

TEST(Threads, NestedThreadsGetLanesInStartOrder) {
  TempDir dir;
  Program p = TestProgram("nested", [](Runtime& rt) {
    std::string lanes;
    tape::Mutex m(rt);
    tape::Thread outer(rt, [&] {
      tape::Thread inner(rt, [&] {
        rt.ClockNow();
        std::lock_guard g(m);
        lanes += "inner " + std::to_string(rt.CurrentLane()) + "\n";
      });
      inner.join();
      std::lock_guard g(m);
      lanes += "outer " + std::to_string(rt.CurrentLane()) + "\n";
    });
    outer.join();
    rt.IoWrite(lanes);
    return 0;
  });
  Captured rec = RecordCaptured(dir, p, "n.tape");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  EXPECT_EQ(rec.out, "inner 2\nouter 1\n");
  Captured rep = ReplayCaptured(dir, p, "n.tape");
  EXPECT_EQ(rep.report.status, RunReport::Status::kOk);
  EXPECT_EQ(rep.out, rec.out);
}

// Clock loops in several lanes at one site. Replay serves a loop of clock
// readings as integer runs; with threads, each lane must still get its own
// readings. The workers read the clock through one site in bursts of 10,
// taking turns (an atomic the program itself waits on, so the recorded
// order is fixed): the recording holds long stretches of clock.now at one
// site that change lane every 10 events. Main reads it before the threads
// (replayed as runs), and after them (in lanes mode).
int64_t ReadClock(Runtime& rt) { return rt.ClockNow(); }

Program ClockLanes(std::vector<std::vector<int64_t>>* seen) {
  return TestProgram("clock-lanes", [seen](Runtime& rt) {
    constexpr int kWorkers = 3, kBursts = 20, kBurst = 10;
    seen->assign(kWorkers + 1, {});
    for (int i = 0; i < 100; ++i) (*seen)[0].push_back(ReadClock(rt));
    std::atomic<int> turn{0};
    std::vector<tape::Thread> threads;
    for (int w = 0; w < kWorkers; ++w) {
      threads.push_back(tape::Thread(rt, [&rt, &turn, seen, w] {
        for (int b = 0; b < kBursts; ++b) {
          while (turn.load() != b * kWorkers + w) std::this_thread::yield();
          for (int i = 0; i < kBurst; ++i) (*seen)[w + 1].push_back(ReadClock(rt));
          turn.store(b * kWorkers + w + 1);
        }
      }));
    }
    for (auto& t : threads) t.join();
    for (int i = 0; i < 100; ++i) (*seen)[0].push_back(ReadClock(rt));
    return 0;
  });
}

TEST(Threads, ClockLoopsInSeveralLanesReplayLaneByLane) {
  TempDir dir;
  std::vector<std::vector<int64_t>> seen;
  Captured rec = RecordCaptured(dir, ClockLanes(&seen), "c.tape");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  std::vector<std::vector<int64_t>> recorded = seen;

  // The trace is what the test needs: bursts of 10 in turn, and integer
  // runs (the cursor-only decode replay uses) that never span two lanes.
  auto r = format::TraceReader::Open(dir.File("c.tape"));
  ASSERT_TRUE(r.has_value()) << r.error().message();
  format::ChunkDecoder decoder;
  format::DecodedChunk full, slim;
  // Lane changes are counted across chunk boundaries too: how many chunks
  // the flush timer cut the recording into depends on the machine's load.
  uint32_t lane_changes = 0;
  std::optional<format::EventView> before;
  std::vector<uint32_t> run_lanes;
  for (size_t c = 0; c < (*r)->chunks().size(); ++c) {
    ASSERT_TRUE((*r)->ReadChunk(c, format::kDecodeAll, &decoder, &full).ok());
    for (uint32_t i = 0; i < full.size(); ++i) {
      format::EventView e = full.event(i);
      if (before && e.kind == 1 && before->kind == 1 && e.site == before->site &&
          e.lane != before->lane) {
        ++lane_changes;
      }
      before = e;
    }
    ASSERT_TRUE((*r)->ReadChunk(c, format::kDecodeCursor, &decoder, &slim).ok());
    for (const format::DecodedChunk::Run& run : slim.columns().int_runs) {
      for (uint32_t i = run.first; i < run.first + run.count; ++i) {
        ASSERT_EQ(slim.lane(i), slim.lane(run.first)) << "run at " << run.first;
      }
      run_lanes.push_back(slim.lane(run.first));
    }
  }
  EXPECT_GE(lane_changes, 50u);  // 60 bursts, one site: the lane changes between them
  EXPECT_NE(std::find(run_lanes.begin(), run_lanes.end(), 0u), run_lanes.end());
  EXPECT_NE(std::find(run_lanes.begin(), run_lanes.end(), 2u), run_lanes.end());

  Captured rep = ReplayCaptured(dir, ClockLanes(&seen), "c.tape");
  ASSERT_EQ(rep.report.status, RunReport::Status::kOk)
      << (rep.report.drift ? rep.report.drift->Describe() : rep.report.error);
  EXPECT_EQ(rep.report.events, rec.report.events);
  ASSERT_EQ(seen.size(), recorded.size());
  for (size_t lane = 0; lane < seen.size(); ++lane) {
    EXPECT_EQ(seen[lane], recorded[lane]) << "lane " << lane;
  }
}

// A raw std::thread calling an effect: exit 83 with a message naming the
// site and tape::Thread, on record (the trace finished with the error as its
// outcome) and on replay.
int64_t Now(Runtime& rt) { return rt.ClockNow(); }

Program RawThread() {
  return TestProgram("raw", [](Runtime& rt) {
    Now(rt);
    std::thread t([&] { Now(rt); });
    t.join();
    return 0;
  });
}

TEST(ThreadsDeathTest, RawThreadIsMisuseOnRecord) {
  TempDir dir;
  EXPECT_EXIT(RecordCaptured(dir, RawThread(), "raw.tape"), ::testing::ExitedWithCode(83),
              "from a thread tape does not know.*tape::Thread");
  auto r = format::TraceReader::Open(dir.File("raw.tape"));
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ((*r)->outcome().kind, format::OutcomeKind::kError);
  EXPECT_NE((*r)->outcome().message.find("thread tape does not know"), std::string::npos);
  EXPECT_EQ((*r)->event_count(), 1u);
}

TEST(ThreadsDeathTest, RawThreadIsMisuseOnReplay) {
  TempDir dir;
  Program once = TestProgram("raw", [](Runtime& rt) {
    Now(rt);
    Now(rt);
    return 0;
  });
  ASSERT_EQ(RecordCaptured(dir, once, "raw.tape").report.status, RunReport::Status::kOk);
  EXPECT_EXIT(ReplayCaptured(dir, RawThread(), "raw.tape"), ::testing::ExitedWithCode(83),
              "from a thread tape does not know.*tape::Thread");
}

}  // namespace
}  // namespace tape::testing
