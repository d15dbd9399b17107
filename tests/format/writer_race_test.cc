// The trace writer's two threads: the recording thread appends and rotates
// builders, the encoder thread seals them on rotation and on flush ticks.
// These tests force the interleavings that once lost events (with
// WriterTestHooks, never with sleeps), check that the writer refuses to
// finish a trace whose chunks do not cover every seq once, and run the
// concurrent paths hard enough for ThreadSanitizer (make tsan-test) to see
// them.

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <semaphore>
#include <thread>

#include "format/layout.h"
#include "tests/format/trace_fixture.h"

namespace tape::format {
namespace {

using testing::ReadAll;
using testing::TempDir;
using testing::TestEvent;
using testing::TestHeader;

// A one-shot event one thread waits for and another sets.
class Latch {
 public:
  void Set() {
    std::lock_guard lock(mu_);
    set_ = true;
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return set_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool set_ = false;
};

// Holds the thread that makes the n-th call (counting from 0) until
// Release(). Calls come from one thread.
class HoldOnCall {
 public:
  explicit HoldOnCall(int n) : n_(n) {}
  void Call() {
    if (calls_++ != n_) return;
    reached_.Set();
    release_.Wait();
  }
  void WaitUntilHeld() { reached_.Wait(); }
  void Release() { release_.Set(); }

 private:
  const int n_;
  int calls_ = 0;
  Latch reached_, release_;
};

constexpr uint64_t kSite = 0x51;

std::string Result(uint64_t i) {
  std::string r(8, '\0');
  StoreU64(reinterpret_cast<uint8_t*>(r.data()), i);
  return r;
}

// Chunks of `events` events and heaps of 4 KiB: payloads over 2 KiB spill.
WriterOptions SmallChunks(uint32_t events) {
  WriterOptions options;
  options.chunk_max_events = events;
  options.chunk_max_payload = 4096;
  options.spill_threshold = 2048;
  return options;
}

// Every event of the trace at `path`, which must open as finalized, with
// results 0..n-1 in seq order.
void ExpectEvents(const std::string& path, uint64_t n) {
  auto reader = TraceReader::Open(path);
  ASSERT_TRUE(reader.has_value()) << reader.error().message();
  EXPECT_TRUE((*reader)->finalized());
  ASSERT_EQ((*reader)->event_count(), n);
  std::vector<TestEvent> events;
  Status s = ReadAll(**reader, &events);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(events.size(), n);
  for (uint64_t i = 0; i < n; ++i) {
    ASSERT_EQ(events[i].result, Result(i)) << "seq " << i;
  }
}

// The interleaving behind "footer is damaged (index entry 6 starts at seq
// 196608, expected 262144)": the recording thread hands over builder 1
// while builder 0 is still being sealed, so it waits in Rotate; the encoder
// seals and frees both; before the recording thread takes builder 0 back,
// two flush ticks come. current_index_ still names builder 1, which is
// sealed and free: a tick that trusted it sealed seqs 4..7 a second time and
// left that builder marked as sealed, so its next fill (seqs 12..15) was
// never written. Every recording exited 0.
TEST(WriterRace, TicksWhileTheRecorderIsBetweenBuildersSealNothingTwice) {
  TempDir dir;
  std::string path = dir.File("race.bin");
  HoldOnCall first_seal(0);  // the encoder, before it seals seqs 0..3
  HoldOnCall second_take(1);  // the recorder, before it takes builder 0 back
  Latch rotate_waits;
  std::counting_semaphore<16> ticked(0);
  WriterTestHooks hooks;
  hooks.manual_ticks = true;
  hooks.at = [&](WriterStage stage) {
    if (stage == WriterStage::kSealFull) first_seal.Call();
    if (stage == WriterStage::kRotateWaiting) rotate_waits.Set();
    if (stage == WriterStage::kRotateTaking) second_take.Call();
    if (stage == WriterStage::kTicked) ticked.release();
  };
  WriterOptions options;
  options.chunk_max_events = 4;
  options.builders = 2;  // the recorder waits once it hands over the second
  options.test_hooks = &hooks;
  auto writer = TraceWriter::Create(path, TestHeader(), options);
  ASSERT_TRUE(writer.has_value()) << writer.error().message();
  TraceWriter& w = **writer;
  w.DefineSite(kSite, "race.cc:1:1");
  constexpr uint64_t kEvents = 22;
  std::thread recorder([&] {
    for (uint64_t i = 0; i < kEvents; ++i) {
      std::string r = Result(i);
      w.AppendTimed(kSite, 1, {}, AsBytes(r), 1700000000000000000 + int64_t(i), 0);
    }
  });
  first_seal.WaitUntilHeld();   // seqs 0..3 handed over; the encoder is held before sealing them
  rotate_waits.Wait();          // seqs 4..7 handed over too; the recorder waits for builder 0
  first_seal.Release();         // the encoder seals and frees both builders
  second_take.WaitUntilHeld();  // the recorder is about to take builder 0 back
  w.TickForTest();
  ticked.acquire();
  w.TickForTest();
  ticked.acquire();
  second_take.Release();
  recorder.join();
  Status s = w.Finish(Outcome::Exited(0));
  ASSERT_TRUE(s.ok()) << s.message();
  ExpectEvents(path, kEvents);
}

// While the encoder thread is held (a CPU slow to wake it), the recording
// thread makes builders rather than wait, up to WriterOptions::builders, and
// waits only then. The builders then fill out of index order (builder 0
// holds the newest events while 1..3 wait): the encoder seals them oldest
// first, so every event reaches the file in order.
TEST(WriterRace, TheRecorderWaitsOnlyWhenEveryBuilderIsFull) {
  TempDir dir;
  std::string path = dir.File("ring.bin");
  HoldOnCall first_seal(0);   // the encoder, before it seals seqs 0..3
  HoldOnCall second_seal(1);  // and before it seals seqs 4..7
  std::atomic<bool> rotate_waited{false};
  Latch progressed;  // the recorder filled the free builders, or waited before
  std::counting_semaphore<8> rotate_waits(0);
  Latch go_on;
  WriterTestHooks hooks;
  hooks.manual_ticks = true;
  hooks.at = [&](WriterStage stage) {
    if (stage == WriterStage::kSealFull) {
      first_seal.Call();
      second_seal.Call();
    }
    if (stage == WriterStage::kRotateWaiting) {
      rotate_waited = true;
      progressed.Set();
      rotate_waits.release();
    }
  };
  WriterOptions options;
  options.chunk_max_events = 4;
  options.builders = 4;
  options.test_hooks = &hooks;
  auto writer = TraceWriter::Create(path, TestHeader(), options);
  ASSERT_TRUE(writer.has_value()) << writer.error().message();
  TraceWriter& w = **writer;
  uint64_t seq = 0;
  auto append = [&](uint64_t n) {
    for (uint64_t k = 0; k < n; ++k, ++seq) {
      std::string r = Result(seq);
      w.Append(kSite, 1, {}, AsBytes(r));
    }
  };
  std::thread recorder([&] {
    append(5);  // builder 0 handed over: the encoder is held before sealing it
    first_seal.WaitUntilHeld();
    EXPECT_EQ(w.builders_made(), 2u);  // none made while one was free
    append(4 * 3 - 1);  // builders 1 and 2 filled and handed over, builder 3 filled
    progressed.Set();
    go_on.Wait();
    // Every builder full: it waits; then it refills builder 0 (seqs 16..19)
    // and waits again, while builders 1..3 are still full.
    append(1 + 4 + 1);
  });
  progressed.Wait();
  EXPECT_FALSE(rotate_waited.load()) << "the recorder waited while it could make a builder";
  EXPECT_EQ(w.builders_made(), 4u);
  go_on.Set();
  rotate_waits.acquire();
  first_seal.Release();
  second_seal.WaitUntilHeld();
  rotate_waits.acquire();
  second_seal.Release();
  recorder.join();
  Status s = w.Finish(Outcome::Exited(0));
  ASSERT_TRUE(s.ok()) << s.message();
  ExpectEvents(path, seq);
}

// Ticks that come while the recorder fills a builder seal what waited a
// whole tick, from where the last seal stopped; a full builder is then
// sealed from there, never again from its start.
TEST(WriterRace, TickSealsPartOfABuilderAndRotationSealsTheRest) {
  TempDir dir;
  std::string path = dir.File("ticks.bin");
  std::counting_semaphore<64> ticked(0);
  WriterTestHooks hooks;
  hooks.manual_ticks = true;
  hooks.at = [&](WriterStage stage) {
    if (stage == WriterStage::kTicked) ticked.release();
  };
  WriterOptions options;
  options.chunk_max_events = 8;
  options.test_hooks = &hooks;
  auto writer = TraceWriter::Create(path, TestHeader(), options);
  ASSERT_TRUE(writer.has_value()) << writer.error().message();
  TraceWriter& w = **writer;
  uint64_t seq = 0;
  auto append = [&](int n) {
    for (int k = 0; k < n; ++k, ++seq) {
      std::string r = Result(seq);
      w.Append(kSite, 1, {}, AsBytes(r));
    }
  };
  auto tick = [&] {
    w.TickForTest();
    ticked.acquire();
  };
  append(3);
  tick();  // sees seqs 0..2
  tick();  // they waited a tick: chunk 0 is seqs 0..2
  append(2);
  tick();     // seqs 3..4 have not waited a tick yet
  append(6);  // fills the builder at seq 7; seq 8 starts the other one
  tick();     // the full builder was sealed first, from seq 3: chunk 1 is seqs 3..7
  tick();     // seqs 8..10 waited a tick: chunk 2
  append(20);
  Status s = w.Finish(Outcome::Exited(0));
  ASSERT_TRUE(s.ok()) << s.message();
  ExpectEvents(path, seq);
  auto reader = TraceReader::Open(path);
  ASSERT_TRUE(reader.has_value());
  const std::vector<ChunkIndexEntry>& chunks = (*reader)->chunks();
  ASSERT_GE(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].first_seq, 0u);
  EXPECT_EQ(chunks[0].event_count, 3u);
  EXPECT_EQ(chunks[1].first_seq, 3u);
  EXPECT_EQ(chunks[1].event_count, 5u);
  EXPECT_EQ(chunks[2].first_seq, 8u);
  EXPECT_EQ(chunks[2].event_count, 3u);
}

// The check at the end: chunks that do not cover every seq once make
// Finish fail with an internal error, and the trace gets no footer (it reads
// as interrupted, with the events its chunks hold).
TEST(WriterRace, ChunksThatDoNotCoverEverySeqOnceAreRefusedAtTheEnd) {
  struct Case {
    const char* name;
    std::function<void(std::vector<ChunkIndexEntry>*)> alter;
  };
  const Case cases[] = {
      {"duplicate", [](std::vector<ChunkIndexEntry>* index) { index->push_back(index->back()); }},
      {"gap", [](std::vector<ChunkIndexEntry>* index) { index->erase(index->begin() + 1); }},
      {"overlap", [](std::vector<ChunkIndexEntry>* index) { (*index)[1].first_seq -= 1; }},
      {"short", [](std::vector<ChunkIndexEntry>* index) { index->pop_back(); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    std::string path = dir.File("bad.bin");
    WriterTestHooks hooks;
    hooks.alter_index = c.alter;
    WriterOptions options;
    options.chunk_max_events = 4;
    options.test_hooks = &hooks;
    auto writer = TraceWriter::Create(path, TestHeader(), options);
    ASSERT_TRUE(writer.has_value()) << writer.error().message();
    for (uint64_t i = 0; i < 12; ++i) {
      std::string r = Result(i);
      (*writer)->Append(kSite, 1, {}, AsBytes(r));
    }
    Status s = (*writer)->Finish(Outcome::Exited(0));
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), StatusCode::kInternal);
    EXPECT_NE(s.message().find("internal error in tape's writer"), std::string::npos)
        << s.message();
    auto reader = TraceReader::Open(path);
    ASSERT_TRUE(reader.has_value()) << reader.error().message();
    EXPECT_FALSE((*reader)->finalized());
    EXPECT_EQ((*reader)->event_count(), 12u);
  }
}

// Item 3 of the same audit: a file that another program truncates or
// rewrites during the recording is reported, never finished as if whole.
TEST(WriterFile, TruncationBeforeTheEndIsAnError) {
  TempDir dir;
  std::string path = dir.File("cut.bin");
  WriterTestHooks hooks;
  hooks.manual_ticks = true;  // nothing is written before Finish
  WriterOptions options;
  options.test_hooks = &hooks;
  auto writer = TraceWriter::Create(path, TestHeader(), options);
  ASSERT_TRUE(writer.has_value());
  for (uint64_t i = 0; i < 6; ++i) {
    std::string r = Result(i);
    (*writer)->Append(kSite, 1, {}, AsBytes(r));
  }
  ASSERT_EQ(::truncate(path.c_str(), 10), 0);
  Status s = (*writer)->Finish(Outcome::Exited(0));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("was changed by another program while it was being recorded: it "
                             "was truncated (it is 10 bytes long, tape wrote "),
            std::string::npos)
      << s.message();
}

TEST(WriterFile, TruncationBetweenChunksStopsTheWriter) {
  TempDir dir;
  std::string path = dir.File("cut.bin");
  Latch sealed;
  WriterTestHooks hooks;
  hooks.manual_ticks = true;
  int seals = 0;
  hooks.at = [&](WriterStage stage) {
    if (stage == WriterStage::kSealFull && seals++ == 1) sealed.Set();
  };
  WriterOptions options;
  options.chunk_max_events = 4;
  options.test_hooks = &hooks;
  auto writer = TraceWriter::Create(path, TestHeader(), options);
  ASSERT_TRUE(writer.has_value());
  TraceWriter& w = **writer;
  uint64_t seq = 0;
  auto append = [&](int n) {
    for (int k = 0; k < n; ++k, ++seq) {
      std::string r = Result(seq);
      w.Append(kSite, 1, {}, AsBytes(r));
    }
  };
  append(5);  // seqs 0..3 are handed over
  append(4);  // and seqs 4..7: once the encoder is at those, seqs 0..3 are in the file
  sealed.Wait();
  ASSERT_EQ(::truncate(path.c_str(), 120), 0);
  append(4);  // the next chunk would be written after a hole
  Status s = w.Finish(Outcome::Exited(0));
  ASSERT_FALSE(s.ok());
  // The truncation may land just before a chunk is written, which then
  // goes to the end of the shortened file: the file stays short either way.
  EXPECT_NE(s.message().find("it was truncated (it is "), std::string::npos) << s.message();
  EXPECT_FALSE(w.ok());
}

TEST(WriterFile, HeaderRewrittenInPlaceIsAnError) {
  TempDir dir;
  std::string path = dir.File("head.bin");
  auto writer = TraceWriter::Create(path, TestHeader(), WriterOptions());
  ASSERT_TRUE(writer.has_value());
  std::string r = Result(0);
  (*writer)->Append(kSite, 1, {}, AsBytes(r));
  int fd = ::open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, "XXXX", 4, 20), 4);
  ::close(fd);
  Status s = (*writer)->Finish(Outcome::Exited(0));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("its header (bytes 0.."), std::string::npos) << s.message();
}

// Over an old trace the new one is written to a temporary file opened for
// writing only; the checks read it back all the same.
TEST(WriterFile, ANewTraceOverAnOldOneIsCheckedAndFinished) {
  TempDir dir;
  std::string path = dir.File("again.bin");
  for (int round = 0; round < 2; ++round) {
    WriterOptions options;
    options.chunk_max_events = 4;
    auto writer = TraceWriter::Create(path, TestHeader(), options);
    ASSERT_TRUE(writer.has_value()) << writer.error().message();
    for (uint64_t i = 0; i < 10; ++i) {
      std::string r = Result(i);
      (*writer)->Append(kSite, 1, {}, AsBytes(r));
    }
    Status s = (*writer)->Finish(Outcome::Exited(round));
    ASSERT_TRUE(s.ok()) << "round " << round << ": " << s.message();
    ExpectEvents(path, 10);
  }
}

// Once the trace is finished from another path (std::exit, a fatal signal),
// the encoder thread is gone: events recorded later (an atexit handler's)
// are dropped, never waited on for ever, and the trace stays as finished.
TEST(WriterFinished, LaterEventsAreDroppedWithoutBlocking) {
  TempDir dir;
  std::string path = dir.File("later.bin");
  auto writer = TraceWriter::Create(path, TestHeader(), SmallChunks(4));
  ASSERT_TRUE(writer.has_value());
  TraceWriter& w = **writer;
  for (uint64_t i = 0; i < 6; ++i) {
    std::string r = Result(i);
    w.Append(kSite, 1, {}, AsBytes(r));
  }
  std::thread exiting([&] {
    EXPECT_TRUE(w.FinishFromSignal(OutcomeKind::kExited, 3, "", 60000));
  });
  exiting.join();
  std::string big(3000, 'b');
  for (uint64_t i = 6; i < 40; ++i) {
    std::string r = Result(i);
    w.Append(kSite, 1, i % 5 == 0 ? AsBytes(big) : Bytes(), AsBytes(r));
  }
  EXPECT_EQ(w.builders_made(), 2u);  // none made for events that go nowhere
  EXPECT_TRUE(w.Finish(Outcome::Exited(0)).ok());
  auto reader = TraceReader::Open(path);
  ASSERT_TRUE(reader.has_value()) << reader.error().message();
  EXPECT_TRUE((*reader)->finalized());
  EXPECT_EQ((*reader)->outcome(), Outcome::Exited(3));
  EXPECT_EQ((*reader)->event_count(), 6u);
}

// ThreadSanitizer's view of the concurrent paths: a recording thread that
// yields at every rotation, an encoder ticking every millisecond, chunks of
// a few events, and payloads large enough to spill.
TEST(WriterStress, OneRecorderAgainstFastTicks) {
  TempDir dir;
  std::string path = dir.File("stress.bin");
  WriterTestHooks hooks;
  hooks.at = [](WriterStage stage) {
    if (stage == WriterStage::kRotateTaking || stage == WriterStage::kSealFull) {
      std::this_thread::yield();
    }
  };
  WriterOptions options = SmallChunks(7);
  options.flush_ms = 1;
  options.test_hooks = &hooks;
  auto writer = TraceWriter::Create(path, TestHeader(), options);
  ASSERT_TRUE(writer.has_value());
  constexpr uint64_t kEvents = 6000;
  std::string big(3000, 'b');
  for (uint64_t i = 0; i < kEvents; ++i) {
    std::string r = Result(i);
    Bytes args = i % 499 == 0 ? AsBytes(big) : Bytes();
    (*writer)->Append(kSite, 1, args, AsBytes(r));
  }
  Status s = (*writer)->Finish(Outcome::Exited(0));
  ASSERT_TRUE(s.ok()) << s.message();
  ExpectEvents(path, kEvents);
}

TEST(WriterStress, LanesAgainstFastTicks) {
  TempDir dir;
  std::string path = dir.File("lanes.bin");
  WriterOptions options;
  options.chunk_max_events = 16;
  options.flush_ms = 1;
  auto writer = TraceWriter::Create(path, TestHeader(), options);
  ASSERT_TRUE(writer.has_value());
  TraceWriter& w = **writer;
  for (uint64_t i = 0; i < 100; ++i) {
    std::string r = Result(i);
    w.Append(kSite, 1, {}, AsBytes(r));
  }
  w.EnableLanes();
  constexpr int kLanes = 4;
  constexpr uint64_t kPerLane = 5000;
  std::vector<std::thread> threads;
  for (int lane = 0; lane < kLanes; ++lane) {
    threads.emplace_back([&w, lane] {
      LaneQueue* q = w.AcquireLaneQueue();
      std::string r = Result(uint64_t(lane));
      for (uint64_t i = 0; i < kPerLane; ++i) {
        w.AppendFromLane(q, uint32_t(lane), kSite, 1, {}, AsBytes(r));
      }
      w.ReleaseLaneQueue(q);
    });
  }
  for (std::thread& t : threads) t.join();
  Status s = w.Finish(Outcome::Exited(0));
  ASSERT_TRUE(s.ok()) << s.message();
  auto reader = TraceReader::Open(path);
  ASSERT_TRUE(reader.has_value()) << reader.error().message();
  EXPECT_TRUE((*reader)->finalized());
  EXPECT_EQ((*reader)->event_count(), 100 + kLanes * kPerLane);
  std::vector<TestEvent> events;
  Status read = ReadAll(**reader, &events);
  ASSERT_TRUE(read.ok()) << read.message();
  EXPECT_EQ(events.size(), 100 + kLanes * kPerLane);
}

}  // namespace
}  // namespace tape::format
