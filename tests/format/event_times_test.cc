// Event times (§7.8, §9.4): the writer's clock, the EVENT_TIMES column, the
// index's chunk times, and what a reader rejects.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "format/chunk_decoder.h"
#include "format/clock.h"
#include "format/event_clock.h"
#include "format/layout.h"
#include "format/records.h"
#include "format/recovery_writer.h"
#include "format/trace_reader.h"
#include "format/trace_writer.h"
#include "tests/format/raw_trace.h"
#include "tests/format/trace_fixture.h"

namespace tape::format {
namespace {

using testing::TestHeader;

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("tape-times-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

struct Event {
  int64_t time;
  uint64_t duration;
};

// Reads every event's time and duration.
std::vector<Event> ReadTimes(const TraceReader& r) {
  std::vector<Event> out;
  EventCursor cursor(&r, kDecodeAll);
  EXPECT_TRUE(cursor.Seek(0).ok());
  while (!cursor.at_end()) {
    EventView e = cursor.event();
    out.push_back({e.time_ns, e.duration_ns});
    EXPECT_TRUE(cursor.Next().ok());
  }
  return out;
}

// Waits for the clock's ticker to go idle, however long a loaded machine
// takes to run it (up to a minute): the next Now() then reads the clock
// itself. A test that slept instead would depend on the ticker having run.
bool WaitUntilIdle(const EventClock& clock) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (!clock.idle()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    ::usleep(1000);
  }
  return true;
}

WriterOptions SmallChunks() {
  WriterOptions o;
  o.chunk_max_events = 100;
  return o;
}

TEST(EventTimes, WriterStampsEveryEventWithANonDecreasingTimeFromTheRecording) {
  std::string path = TempPath("stamps");
  int64_t before = int64_t(WallClockNs());
  {
    auto w = TraceWriter::Create(path, TestHeader(), SmallChunks());
    ASSERT_TRUE(w.has_value());
    uint8_t r[8] = {};
    for (int i = 0; i < 1000; ++i) {
      (*w)->Append(0x1, 1, {}, {r, 8});
      if (i % 250 == 0) {  // pauses: the clock goes idle and wakes
        ASSERT_TRUE(WaitUntilIdle((*w)->clock()));
        ::usleep(3000);
      }
    }
    ASSERT_TRUE((*w)->Finish(Outcome::Exited(0)).ok());
  }
  int64_t after = int64_t(WallClockNs());
  auto r = TraceReader::Open(path);
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE((*r)->has_times());
  std::vector<Event> times = ReadTimes(**r);
  ASSERT_EQ(times.size(), 1000u);
  // The clock is CLOCK_MONOTONIC anchored to the wall clock at the start: allow
  // a millisecond for the anchoring and for NTP slewing during the test.
  const int64_t slack = 1000000;
  EXPECT_GE(times.front().time, before - slack);
  EXPECT_LE(times.back().time, after + slack);
  for (size_t i = 1; i < times.size(); ++i) {
    EXPECT_GE(times[i].time, times[i - 1].time) << "event " << i;
    EXPECT_EQ(times[i].duration, 0u);
  }
  // The pauses show: the event after each pause read the clock itself, at
  // least 3 ms after the one before it (which is never later than its
  // append; times are even, so allow 2 ns).
  for (size_t i = 1; i < 1000; i += 250) {
    EXPECT_GE(times[i].time - times[i - 1].time, 3000000 - 2) << "event " << i;
  }
  // The index holds each chunk's first and last time, as the column has them.
  for (size_t c = 0; c < (*r)->chunks().size(); ++c) {
    const ChunkIndexEntry& e = (*r)->chunks()[c];
    EXPECT_EQ(e.first_time_ns, times[e.first_seq].time);
    EXPECT_EQ(e.last_time_ns, times[e.first_seq + e.event_count - 1].time);
  }
  EXPECT_EQ((*r)->first_time_ns(), times.front().time);
  EXPECT_EQ((*r)->last_time_ns(), times.back().time);
  std::filesystem::remove(path);
}

TEST(EventTimes, GivenTimesAndDurationsReadBackExactly) {
  std::string path = TempPath("given");
  std::vector<Event> want;
  {
    auto w = TraceWriter::Create(path, TestHeader(), SmallChunks());
    ASSERT_TRUE(w.has_value());
    int64_t t = 1764000000000000000;
    for (int i = 0; i < 450; ++i) {
      t += (i * 7919) % 100000;
      uint64_t d = i % 3 == 0 ? uint64_t(i) * 1000 + 1 : 0;
      (*w)->AppendTimed(0x2, 8, {}, {}, t, d);
      want.push_back({t, d});
      t += int64_t(d);
    }
    ASSERT_TRUE((*w)->Finish(Outcome::Exited(0)).ok());
  }
  auto r = TraceReader::Open(path);
  ASSERT_TRUE(r.has_value());
  std::vector<Event> got = ReadTimes(**r);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].time, want[i].time) << i;
    EXPECT_EQ(got[i].duration, want[i].duration) << i;
  }
  std::filesystem::remove(path);
}

TEST(EventTimes, TimesThatWouldDecreaseAreRaisedToThePreviousOne) {
  std::string path = TempPath("raise");
  {
    auto w = TraceWriter::Create(path, TestHeader(), SmallChunks());
    ASSERT_TRUE(w.has_value());
    int64_t times[] = {5000, 7000, 6000, 9000, 8999};
    for (int64_t t : times) (*w)->AppendTimed(0x2, 1, {}, {}, t, 0);
    ASSERT_TRUE((*w)->Finish(Outcome::Exited(0)).ok());
  }
  auto r = TraceReader::Open(path);
  ASSERT_TRUE(r.has_value());
  std::vector<Event> got = ReadTimes(**r);
  std::vector<int64_t> times;
  for (const Event& e : got) times.push_back(e.time);
  EXPECT_EQ(times, (std::vector<int64_t>{5000, 7000, 7000, 9000, 9000}));
  std::filesystem::remove(path);
}

TEST(EventTimes, ATraceWithoutTimesHasNoColumnAndReadsAsUnknown) {
  std::string path = TempPath("untimed");
  {
    auto w = TraceWriter::Create(path, TestHeader(), SmallChunks());
    ASSERT_TRUE(w.has_value());
    for (int i = 0; i < 150; ++i) (*w)->AppendTimed(0x2, 1, {}, {}, 0, 0);
    ASSERT_TRUE((*w)->Finish(Outcome::Exited(0)).ok());
  }
  auto r = TraceReader::Open(path);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE((*r)->has_times());
  for (const ChunkIndexEntry& e : (*r)->chunks()) EXPECT_EQ(e.first_time_ns, 0);
  for (const Event& e : ReadTimes(**r)) EXPECT_EQ(e.time, 0);
  std::filesystem::remove(path);
}

TEST(EventTimes, OlderTracesReadWithTheirTimesUnknown) {
  // Written by format 1.0 and early 1.1 writers, before EVENT_TIMES existed.
  for (const char* name : {"two-chunks.trace", "spec-example.trace", "gaps.trace"}) {
    auto r = TraceReader::Open(std::string(TAPE_GOLDEN_DIR) + "/" + name);
    ASSERT_TRUE(r.has_value()) << name;
    EXPECT_FALSE((*r)->has_times()) << name;
    for (const Event& e : ReadTimes(**r)) EXPECT_EQ(e.time, 0) << name;
  }
}

TEST(EventTimes, AScannedTraceTakesChunkTimesFromTheColumn) {
  std::string path = TempPath("scan");
  {
    auto w = TraceWriter::Create(path, TestHeader(), SmallChunks());
    ASSERT_TRUE(w.has_value());
    for (int i = 0; i < 350; ++i) (*w)->AppendTimed(0x2, 1, {}, {}, 1000000 + i * 10, 0);
    ASSERT_TRUE((*w)->Finish(Outcome::Exited(0)).ok());
  }
  auto whole = TraceReader::Open(path);
  ASSERT_TRUE(whole.has_value());
  std::vector<ChunkIndexEntry> indexed = (*whole)->chunks();
  whole->reset();
  std::string bytes = testing::ReadFile(path);
  testing::WriteFile(path, bytes.substr(0, bytes.size() - kTrailerSize));  // no trailer: scan
  auto scanned = TraceReader::Open(path);
  ASSERT_TRUE(scanned.has_value());
  ASSERT_FALSE((*scanned)->finalized());
  ASSERT_EQ((*scanned)->chunks().size(), indexed.size());
  for (size_t c = 0; c < indexed.size(); ++c) {
    EXPECT_EQ((*scanned)->chunks()[c].first_time_ns, indexed[c].first_time_ns);
    EXPECT_EQ((*scanned)->chunks()[c].last_time_ns, indexed[c].last_time_ns);
  }
  EXPECT_EQ((*scanned)->first_time_ns(), 1000000);
  EXPECT_EQ((*scanned)->last_time_ns(), 1000000 + 349 * 10);
  std::filesystem::remove(path);
}

TEST(EventTimes, RecoverKeepsTimesAndDurations) {
  std::string path = TempPath("recover-src"), out = TempPath("recover-out");
  {
    auto w = TraceWriter::Create(path, TestHeader(), SmallChunks());
    ASSERT_TRUE(w.has_value());
    for (int i = 0; i < 250; ++i) (*w)->AppendTimed(0x2, 8, {}, {}, 5000 + i * 100, i % 2 ? 40 : 0);
    ASSERT_TRUE((*w)->Finish(Outcome::Exited(0)).ok());
  }
  auto source = TraceReader::Open(path);
  ASSERT_TRUE(source.has_value());
  {
    auto rw = RecoveryWriter::Create(out, **source);
    ASSERT_TRUE(rw.has_value());
    EventCursor cursor(source->get(), kDecodeAll);
    ASSERT_TRUE(cursor.Seek(0).ok());
    while (!cursor.at_end()) {
      ASSERT_TRUE((*rw)->Append(cursor.event()).ok());
      ASSERT_TRUE(cursor.Next().ok());
    }
    ASSERT_TRUE((*rw)->Finish(Outcome::Exited(0), 250, 0).ok());
  }
  auto copy = TraceReader::Open(out);
  ASSERT_TRUE(copy.has_value());
  std::vector<Event> a = ReadTimes(**source), b = ReadTimes(**copy);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].time, b[i].time);
    EXPECT_EQ(a[i].duration, b[i].duration);
  }
  EXPECT_EQ((*copy)->first_time_ns(), 5000);
  std::filesystem::remove(path);
  std::filesystem::remove(out);
}

// --- with lanes (§7.7) ------------------------------------------------------------

struct LaneEvent {
  uint32_t lane;
  int64_t time;
  uint64_t duration;
  uint8_t marks;
};

std::vector<LaneEvent> ReadLaneEvents(const TraceReader& r) {
  std::vector<LaneEvent> out;
  EventCursor cursor(&r, kDecodeAll);
  EXPECT_TRUE(cursor.Seek(0).ok());
  while (!cursor.at_end()) {
    EventView e = cursor.event();
    out.push_back({e.lane, e.time_ns, e.duration_ns, e.marks});
    EXPECT_TRUE(cursor.Next().ok());
  }
  return out;
}

TEST(EventTimes, EachLaneKeepsItsOwnTimesThroughTheMerge) {
  std::string path = TempPath("lanes");
  {
    auto w = TraceWriter::Create(path, TestHeader(), SmallChunks());
    ASSERT_TRUE(w.has_value());
    (*w)->Append(0x1, 1, {}, {});  // seq 0, before the threads: the event clock
    (*w)->EnableLanes();
    LaneQueue* q1 = (*w)->AcquireLaneQueue();
    LaneQueue* q2 = (*w)->AcquireLaneQueue();
    int64_t t = (*w)->PreciseTime() + 1000000;  // after seq 0's time
    (*w)->AppendFromLane(q1, 1, 0x2, 3, {}, {}, 0, t, 0);             // seq 1
    (*w)->AppendFromLane(q2, 2, 0x2, 3, {}, {}, 0, t + 3000, 0);      // seq 2
    // Seq 3: an effect of lane 1 that began before seq 2 and ended at t+7000;
    // it is shown from seq 2's time, still ending at t+7000.
    (*w)->AppendFromLane(q1, 1, 0x3, 8, {}, {}, 0, t + 2000, 5000);
    // Seq 4: one that ended (t+2500) before seq 3's time: instantaneous there.
    (*w)->AppendFromLane(q2, 2, 0x3, 8, {}, {}, 0, t + 1500, 1000);
    (*w)->AppendFromLane(q2, 2, 0x2, 3, {}, {}, 0, t + 9000, 0);      // seq 5
    (*w)->AppendFromLane(q1, 1, 0x2, 3, {}, {});  // seq 6: the event clock, lane 1's reading
    ASSERT_TRUE((*w)->Finish(Outcome::Exited(0)).ok());
  }
  auto r = TraceReader::Open(path);
  ASSERT_TRUE(r.has_value());
  std::vector<LaneEvent> e = ReadLaneEvents(**r);
  ASSERT_EQ(e.size(), 7u);
  int64_t t = e[1].time;
  EXPECT_GT(e[0].time, 0);
  EXPECT_LT(e[0].time, t);
  EXPECT_EQ(e[1].lane, 1u);
  EXPECT_EQ(e[2].lane, 2u);
  EXPECT_EQ(e[2].time, t + 3000);
  EXPECT_EQ(e[3].lane, 1u);
  EXPECT_EQ(e[3].time, t + 3000);
  EXPECT_EQ(e[3].duration, 4000u);
  EXPECT_EQ(e[4].time, t + 3000);
  EXPECT_EQ(e[4].duration, 0u);
  EXPECT_EQ(e[5].time, t + 9000);
  EXPECT_EQ(e[6].lane, 1u);
  EXPECT_GE(e[6].time, e[0].time);  // a clock reading, raised to seq 5's if earlier
  EXPECT_GE(e[6].time, t + 9000);
  std::filesystem::remove(path);
}

TEST(EventTimes, RecoverKeepsTimesLanesAndMarksTogether) {
  std::string path = TempPath("recover-lanes-src"), out = TempPath("recover-lanes-out");
  {
    auto w = TraceWriter::Create(path, TestHeader(), SmallChunks());
    ASSERT_TRUE(w.has_value());
    (*w)->EnableLanes();
    LaneQueue* q[3] = {(*w)->AcquireLaneQueue(), (*w)->AcquireLaneQueue(),
                       (*w)->AcquireLaneQueue()};
    for (int i = 0; i < 250; ++i) {
      uint32_t lane = uint32_t(i % 3);
      (*w)->AppendFromLane(q[lane], lane, 0x2, 8, {}, {}, uint8_t(i % 5 == 0 ? kMarkPerturbed : 0),
                           5000 + i * 100, i % 2 ? 40 : 0);
    }
    ASSERT_TRUE((*w)->Finish(Outcome::Exited(0)).ok());
  }
  auto source = TraceReader::Open(path);
  ASSERT_TRUE(source.has_value());
  {
    auto rw = RecoveryWriter::Create(out, **source);
    ASSERT_TRUE(rw.has_value());
    EventCursor cursor(source->get(), kDecodeAll);
    ASSERT_TRUE(cursor.Seek(0).ok());
    while (!cursor.at_end()) {
      ASSERT_TRUE((*rw)->Append(cursor.event()).ok());
      ASSERT_TRUE(cursor.Next().ok());
    }
    ASSERT_TRUE((*rw)->Finish(Outcome::Exited(0), 250, 0).ok());
  }
  auto copy = TraceReader::Open(out);
  ASSERT_TRUE(copy.has_value());
  std::vector<LaneEvent> a = ReadLaneEvents(**source), b = ReadLaneEvents(**copy);
  ASSERT_EQ(a.size(), 250u);
  ASSERT_EQ(b.size(), 250u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].lane, uint32_t(i % 3)) << i;
    EXPECT_EQ(a[i].time, 5000 + int64_t(i) * 100) << i;
    EXPECT_EQ(b[i].lane, a[i].lane) << i;
    EXPECT_EQ(b[i].time, a[i].time) << i;
    EXPECT_EQ(b[i].duration, a[i].duration) << i;
    EXPECT_EQ(b[i].marks, a[i].marks) << i;
  }
  EXPECT_EQ((*copy)->first_time_ns(), 5000);
  EXPECT_EQ((*copy)->last_time_ns(), 5000 + 249 * 100);
  std::filesystem::remove(path);
  std::filesystem::remove(out);
}

// --- the column's rules (§7.8), on hand-made chunks --------------------------

// A chunk body of `n` clock events whose EVENT_TIMES section holds `column`.
std::vector<uint8_t> ChunkWithTimes(uint32_t n, const std::vector<uint8_t>& column) {
  std::vector<std::pair<uint8_t, std::vector<uint8_t>>> sections = {
      {1, std::vector<uint8_t>(8, 0x11)},  // SITE_DICT: one site
      {2, std::vector<uint8_t>(n, 0)},     // SITE_INDEX
      {3, std::vector<uint8_t>(n, 1)},     // KINDS: clock.now
      {4, std::vector<uint8_t>(n, 0)},     // ARG_LENS: empty
      {6, std::vector<uint8_t>(n, 0)},     // RESULT_LENS: empty (not a clock's layout; the format does not care)
      {kEventTimesSection, column},
  };
  std::vector<uint8_t> body(kChunkFixedSize, 0);
  StoreU32(body.data() + 12, n);
  body[16] = 1;
  StoreU16(body.data() + 18, uint16_t(sections.size()));
  for (auto& [id, data] : sections) {
    uint8_t entry[kSectionEntrySize] = {id, 0, 0, 0};
    StoreU32(entry + 4, uint32_t(data.size()));
    StoreU32(entry + 8, uint32_t(data.size()));
    body.insert(body.end(), entry, entry + kSectionEntrySize);
  }
  for (auto& [id, data] : sections) body.insert(body.end(), data.begin(), data.end());
  return body;
}

std::vector<uint8_t> Varints(std::initializer_list<uint64_t> values) {
  std::vector<uint8_t> out;
  for (uint64_t v : values) {
    uint8_t tmp[kMaxVarintBytes];
    out.insert(out.end(), tmp, tmp + StoreVarint(tmp, v));
  }
  return out;
}

Status DecodeTimes(const std::vector<uint8_t>& body, DecodedChunk* chunk) {
  ChunkDecoder decoder;
  return decoder.Decode(Bytes(body.data(), body.size()), 100, kDecodeTimes, chunk);
}

TEST(EventTimesColumn, TimesAreAStartAndDeltasThenOptionalDurations) {
  DecodedChunk chunk;
  ASSERT_TRUE(DecodeTimes(ChunkWithTimes(3, Varints({1000, 0, 25})), &chunk).ok());
  EXPECT_EQ(chunk.time(0), 1000);
  EXPECT_EQ(chunk.time(1), 1000);
  EXPECT_EQ(chunk.time(2), 1025);
  EXPECT_EQ(chunk.duration(2), 0u);
  ASSERT_TRUE(DecodeTimes(ChunkWithTimes(3, Varints({1000, 0, 25, 7, 0, 9})), &chunk).ok());
  EXPECT_EQ(chunk.duration(0), 7u);
  EXPECT_EQ(chunk.duration(1), 0u);
  EXPECT_EQ(chunk.duration(2), 9u);
  EventView e = chunk.event(0);
  EXPECT_EQ(e.time_ns, 1000);
  EXPECT_EQ(e.duration_ns, 7u);
}

TEST(EventTimesColumn, APresentSectionMustHoldATimePerEvent) {
  // Writers omit an empty section; a present one with 0 bytes lacks the times.
  DecodedChunk chunk;
  EXPECT_FALSE(DecodeTimes(ChunkWithTimes(2, {}), &chunk).ok());
}

void ExpectRejected(uint32_t n, const std::vector<uint8_t>& column, const std::string& why) {
  DecodedChunk chunk;
  Status s = DecodeTimes(ChunkWithTimes(n, column), &chunk);
  ASSERT_FALSE(s.ok()) << why;
  EXPECT_EQ(s.code(), StatusCode::kCorrupt) << why;
  EXPECT_NE(s.message().find("EVENT_TIMES"), std::string::npos) << s.message();
}

TEST(EventTimesColumn, ABrokenColumnMakesTheChunkCorrupt) {
  ExpectRejected(3, Varints({1000, 0}), "ends inside the times");
  ExpectRejected(3, {0xe8, 0x87}, "ends inside a varint");
  ExpectRejected(2, Varints({0, 5}), "the first time is 0 (unknown is no section)");
  ExpectRejected(2, Varints({uint64_t(INT64_MAX) + 1, 0}), "the first time is not an i64");
  ExpectRejected(2, Varints({uint64_t(INT64_MAX) - 5, 6}), "the running time overflows");
  ExpectRejected(2, Varints({1000, 5, 1}), "one duration for two events");
  ExpectRejected(2, Varints({1000, 5, 1, 2, 3}), "bytes after the durations");
  ExpectRejected(1, Varints({uint64_t(INT64_MAX) - 5, 6}), "a duration that ends past 2^63-1");
  ExpectRejected(1, std::vector<uint8_t>(21, 0x80), "larger than 20 bytes per event");
}

// --- the index's chunk times (§9.4) -------------------------------------------

// A finalized trace of two chunks with the given index times.
std::string TwoChunks(int64_t a_first, int64_t a_last, int64_t b_first, int64_t b_last) {
  testing::RawTrace raw(TestHeader(), 2);
  raw.Define(0x1, "t.cc:1:1");
  for (int i = 0; i < 4; ++i) raw.Append(0x1, 1, {}, {});
  raw.Seal();
  raw.SetChunkTimes(0, a_first, a_last);
  raw.SetChunkTimes(1, b_first, b_last);
  raw.Finish(Outcome::Exited(0));
  return raw.str();
}

TEST(EventTimesIndex, ChunkTimesMustFollowEachOther) {
  struct Case {
    int64_t a0, a1, b0, b1;
    bool valid;
  } cases[] = {
      {10, 20, 20, 30, true},  {0, 0, 0, 0, true},    {10, 20, 0, 0, true},
      {10, 20, 15, 30, false}, {20, 10, 30, 40, false}, {10, 0, 30, 40, false},
      {-5, 10, 30, 40, false},
  };
  for (const Case& c : cases) {
    std::string bytes = TwoChunks(c.a0, c.a1, c.b0, c.b1);
    auto r = TraceReader::OpenBytes(AsBytes(bytes));
    ASSERT_TRUE(r.has_value());
    // A footer that breaks the rule is damaged: the reader scans instead.
    EXPECT_EQ((*r)->finalized(), c.valid) << c.a0 << " " << c.a1 << " " << c.b0 << " " << c.b1;
  }
}

TEST(EventTimesIndex, AChunkWhoseColumnDisagreesWithTheIndexIsCorrupt) {
  testing::RawTrace raw(TestHeader(), 4);
  raw.Define(0x1, "t.cc:1:1");
  for (int i = 0; i < 4; ++i) raw.AppendTimed(0x1, 1, {}, {}, 100 + i, 0);
  raw.Seal();
  raw.SetChunkTimes(0, 100, 104);  // the column says 100..103
  raw.Finish(Outcome::Exited(0));
  std::string bytes = raw.str();
  auto r = TraceReader::OpenBytes(AsBytes(bytes));
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE((*r)->finalized());
  ChunkDecoder decoder;
  DecodedChunk chunk;
  Status s = (*r)->ReadChunk(0, kDecodeAll, &decoder, &chunk);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("index says 100 to 104"), std::string::npos) << s.message();
  // Without the times, the chunk reads (the index is only checked against them).
  EXPECT_TRUE((*r)->ReadChunk(0, kDecodeKinds, &decoder, &chunk).ok());
}

TEST(EventTimesIndex, AScanStopsAtAChunkWhoseTimesGoBackwards) {
  testing::RawTrace raw(TestHeader(), 2);
  raw.Define(0x1, "t.cc:1:1");
  raw.AppendTimed(0x1, 1, {}, {}, 500, 0);
  raw.AppendTimed(0x1, 1, {}, {}, 600, 0);
  raw.AppendTimed(0x1, 1, {}, {}, 550, 0);  // a new chunk, earlier than the last
  raw.Seal();
  std::string bytes = raw.str();  // no footer: read by scanning
  auto r = TraceReader::OpenBytes(AsBytes(bytes));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)->chunks().size(), 1u);
  EXPECT_NE((*r)->recovery_note().find("before the previous chunk's last time"), std::string::npos)
      << (*r)->recovery_note();
}

// --- the clock ------------------------------------------------------------------

TEST(EventClock, NeverGoesBackwardsAcrossThreadsAndIsExactAfterAPause) {
  std::atomic<uint64_t> activity{0};
  EventClock clock([&] { return activity.load(); });
  int64_t last = 0;
  for (int i = 0; i < 20000; ++i) {
    int64_t t = clock.Now();
    ASSERT_GE(t, last);
    ASSERT_EQ(t % 2, 0);
    last = t;
    activity.fetch_add(1);
  }
  // Idle: after a pause, Now() reads the clock itself.
  ASSERT_TRUE(WaitUntilIdle(clock));
  ::usleep(20000);
  EXPECT_GE(clock.Now(), last + 20000000 - 2);
  // Precise() publishes: no later Now() is earlier.
  int64_t p = clock.Precise();
  EXPECT_GE(clock.Now(), p);
  std::atomic<bool> stop{false};
  std::thread other([&] {
    int64_t mine = 0;
    while (!stop.load()) {
      int64_t v = clock.Now();
      EXPECT_GE(v, mine);
      mine = v;
      activity.fetch_add(1);
    }
  });
  for (int i = 0; i < 2000; ++i) EXPECT_GE(clock.Precise(), p), p = clock.Precise();
  stop = true;
  other.join();
}

}  // namespace
}  // namespace tape::format
