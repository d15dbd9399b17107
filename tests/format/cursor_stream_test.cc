// ChunkStream (read-ahead decoding) and ChunkCursor (replay's sequential
// walk, its integer runs, and the cursor-only decode) must agree with the
// random-access reader on every event.

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "format/chunk_cursor.h"
#include "format/chunk_stream.h"
#include "tests/format/trace_fixture.h"

namespace tape::format::testing {
namespace {

// With read-ahead (a decoding thread) and without (Next() decodes).
class ChunkStreamTest : public ::testing::TestWithParam<bool> {};
INSTANTIATE_TEST_SUITE_P(ReadAhead, ChunkStreamTest, ::testing::Bool());

TEST_P(ChunkStreamTest, YieldsEveryChunkInOrderThenNull) {
  TempDir dir;
  auto events = RandomEvents(31, 2000);
  WriterOptions o;
  o.chunk_max_events = 64;
  WriteTrace(dir.File("t"), events, o);
  auto reader = TraceReader::Open(dir.File("t"));
  ASSERT_TRUE(reader.has_value());
  ChunkStream stream(reader->get(), kDecodeAll, 0, GetParam());
  uint64_t seq = 0;
  size_t chunks = 0;
  for (;;) {
    auto next = stream.Next();
    ASSERT_TRUE(next.has_value()) << next.error().message();
    if (*next == nullptr) break;
    EXPECT_EQ((*next)->first_seq(), seq);
    for (uint32_t i = 0; i < (*next)->size(); ++i) {
      EXPECT_EQ((*next)->kind(i), events[seq + i].kind);
      EXPECT_EQ(AsChars((*next)->result(i).bytes()), events[seq + i].result);
    }
    seq += (*next)->size();
    ++chunks;
  }
  EXPECT_EQ(seq, events.size());
  EXPECT_EQ(chunks, (*reader)->chunks().size());
}

// The bytes of a trace of 100 events in chunks of 10, with one bit of chunk
// `damaged` flipped.
std::string TraceWithADamagedChunk(const TempDir& dir, uint32_t seed, size_t damaged) {
  WriterOptions o;
  o.chunk_max_events = 10;
  WriteTrace(dir.File("t"), RandomEvents(seed, 100), o);
  std::string bytes = ReadFile(dir.File("t"));
  auto good = TraceReader::OpenBytes(AsBytes(bytes));
  EXPECT_TRUE(good.has_value());
  if (!good.has_value()) return bytes;
  uint64_t at = (*good)->chunks()[damaged].file_offset + 40;
  bytes[at] = char(bytes[at] ^ 1);
  return bytes;
}

TEST_P(ChunkStreamTest, StopsAtADamagedChunkWithItsError) {
  TempDir dir;
  std::string bytes = TraceWithADamagedChunk(dir, 32, 3);
  auto reader = TraceReader::OpenBytes(AsBytes(bytes));
  ASSERT_TRUE(reader.has_value());
  ChunkStream stream(reader->get(), kDecodeAll, 0, GetParam());
  for (int c = 0; c < 3; ++c) ASSERT_TRUE(stream.Next().has_value());
  auto bad = stream.Next();
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("chunk 3"), std::string::npos) << bad.error().message();
  // The stream stays ended after the error.
  auto after = stream.Next();
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(*after, nullptr);
}

// The first chunk is decoded by the first Next() (on the caller's thread
// with read-ahead too): a damaged one is that call's error, and nothing the
// helper decoded after it is returned.
TEST_P(ChunkStreamTest, ADamagedFirstChunkIsTheFirstError) {
  TempDir dir;
  std::string bytes = TraceWithADamagedChunk(dir, 34, 0);
  auto reader = TraceReader::OpenBytes(AsBytes(bytes));
  ASSERT_TRUE(reader.has_value());
  ChunkStream stream(reader->get(), kDecodeAll, 0, GetParam());
  auto bad = stream.Next();
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("chunk 0"), std::string::npos) << bad.error().message();
  auto after = stream.Next();
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(*after, nullptr);
}

// From a chunk in the middle, and over a trace of one chunk (no chunk for
// the helper to decode).
TEST_P(ChunkStreamTest, StartsAtAnyChunkAndEndsAfterTheLast) {
  TempDir dir;
  auto events = RandomEvents(35, 500);
  WriterOptions o;
  o.chunk_max_events = 50;
  WriteTrace(dir.File("t"), events, o);
  WriterOptions whole;
  whole.flush_ms = 60 * 1000;  // sealed when closed only, whatever the machine's speed
  WriteTrace(dir.File("one"), events, whole);
  auto reader = TraceReader::Open(dir.File("t"));
  auto one = TraceReader::Open(dir.File("one"));
  ASSERT_TRUE(reader.has_value() && one.has_value());
  ASSERT_EQ((*reader)->chunks().size(), 10u);
  ASSERT_EQ((*one)->chunks().size(), 1u);
  for (size_t first : {0, 7, 9, 10}) {
    ChunkStream stream(reader->get(), kDecodeAll, first, GetParam());
    for (size_t c = first; c < 10; ++c) {
      auto next = stream.Next();
      ASSERT_TRUE(next.has_value() && *next != nullptr) << "chunk " << c;
      EXPECT_EQ((*next)->first_seq(), 50 * c);
      EXPECT_EQ(AsChars((*next)->result(49).bytes()), events[50 * c + 49].result);
    }
    auto end = stream.Next();
    ASSERT_TRUE(end.has_value());
    EXPECT_EQ(*end, nullptr) << "from chunk " << first;
  }
  ChunkStream stream(one->get(), kDecodeAll, 0, GetParam());
  auto only = stream.Next();
  ASSERT_TRUE(only.has_value() && *only != nullptr);
  EXPECT_EQ((*only)->size(), 500u);
  auto end = stream.Next();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(*end, nullptr);
}

TEST_P(ChunkStreamTest, NextAfterStopIsAnError) {
  TempDir dir;
  WriteTrace(dir.File("t"), RandomEvents(33, 100), WriterOptions{});
  auto reader = TraceReader::Open(dir.File("t"));
  ASSERT_TRUE(reader.has_value());
  ChunkStream stream(reader->get(), kDecodeAll, 0, GetParam());
  stream.Stop();
  EXPECT_FALSE(stream.Next().has_value());
}

TEST(ChunkCursor, AgreesWithRandomAccessOnEveryEvent) {
  for (uint32_t seed : {41u, 42u, 43u}) {
    TempDir dir;
    auto events = RandomEvents(seed, 3000);
    // Some spilled payloads, and many clock readings (integer-coded).
    events[100].result.assign(5000, 'r');
    events[200].args.assign(6000, 'a');
    WriterOptions o;
    o.chunk_max_events = 500;
    o.chunk_max_payload = 16384;
    o.spill_threshold = 4096;
    WriteTrace(dir.File("t"), events, o);
    auto reader = TraceReader::Open(dir.File("t"));
    ASSERT_TRUE(reader.has_value());
    ChunkDecoder decoder;
    DecodedChunk chunk;
    ChunkCursor cursor;
    for (size_t c = 0; c < (*reader)->chunks().size(); ++c) {
      ASSERT_TRUE((*reader)->ReadChunk(c, kDecodePayloads | kDecodeSites, &decoder, &chunk).ok());
      cursor.Reset(&chunk);
      for (uint32_t i = 0; i < chunk.size(); ++i) {
        ASSERT_FALSE(cursor.at_end());
        EXPECT_EQ(cursor.index(), i);
        EXPECT_EQ(cursor.site(), chunk.site(i));
        EXPECT_EQ(cursor.kind(), chunk.kind(i));
        PayloadView a, r;
        cursor.Take(&a, &r);
        PayloadView want_a = chunk.args(i), want_r = chunk.result(i);
        ASSERT_EQ(a.size, want_a.size);
        ASSERT_EQ(a.spilled(), want_a.spilled());
        ASSERT_EQ(r.size, want_r.size);
        ASSERT_EQ(r.spilled(), want_r.spilled());
        if (!a.spilled()) {
          EXPECT_EQ(AsChars(a.bytes()), AsChars(want_a.bytes()));
        }
        if (!r.spilled()) {
          EXPECT_EQ(AsChars(r.bytes()), AsChars(want_r.bytes()));
        }
      }
      EXPECT_TRUE(cursor.at_end());
    }
  }
}

// Events with runs: stretches of clock readings at one site (of random
// lengths, some across chunk boundaries), broken by other effects, by clock
// readings at another site, and by an 8-byte result of a kind that is not
// integer-coded.
std::vector<TestEvent> RunEvents(uint32_t seed, size_t n) {
  std::mt19937_64 rng(seed);
  std::vector<TestEvent> events;
  int64_t clock = 1700000000000000000;
  auto clock_event = [&](uint64_t site) {
    TestEvent e;
    e.site = site;
    e.kind = 1;
    clock += int64_t(rng() % 300) - 20;  // small deltas, some negative, some multi-byte
    if (rng() % 50 == 0) clock += int64_t(1) << 40;
    e.result.resize(8);
    for (int k = 0; k < 8; ++k) e.result[k] = char(uint64_t(clock) >> (8 * k));
    return e;
  };
  while (events.size() < n) {
    uint64_t site = 0x2000 + rng() % 3;
    size_t len = rng() % 4 == 0 ? rng() % 200 : rng() % 9;
    for (size_t i = 0; i < len && events.size() < n; ++i) events.push_back(clock_event(site));
    TestEvent other;
    other.site = 0x3000;
    other.kind = uint8_t(2 + rng() % 3);
    other.args = rng() % 2 ? "" : "x";
    other.result = std::string(rng() % 2 ? 8 : 3, 'r');
    events.push_back(other);
  }
  events.resize(n);
  return events;
}

// True when event e of a chunk can be part of an integer run.
bool RunEligible(const DecodedChunk& chunk, uint32_t e) {
  PayloadView a = chunk.args(e), r = chunk.result(e);
  return !a.spilled() && a.size == 0 && !r.spilled() && r.size == 8 &&
         chunk.columns().int_kind[chunk.kind(e)];
}

TEST(ChunkCursor, CursorDecodingAgreesWithRandomAccess) {
  TempDir dir;
  auto events = RandomEvents(44, 3000);
  events[100].result.assign(5000, 'r');
  events[200].args.assign(6000, 'a');
  events[300].args.assign(7000, 'b');
  events[300].result.assign(8000, 'c');
  WriterOptions o;
  o.chunk_max_events = 500;
  o.chunk_max_payload = 16384;
  o.spill_threshold = 4096;
  WriteTrace(dir.File("t"), events, o);
  auto reader = TraceReader::Open(dir.File("t"));
  ASSERT_TRUE(reader.has_value());
  ChunkDecoder full_decoder, cursor_decoder;
  DecodedChunk full, slim;
  ChunkCursor cursor;
  int spilled = 0;
  for (size_t c = 0; c < (*reader)->chunks().size(); ++c) {
    ASSERT_TRUE((*reader)->ReadChunk(c, kDecodeAll, &full_decoder, &full).ok());
    ASSERT_TRUE((*reader)->ReadChunk(c, kDecodeCursor, &cursor_decoder, &slim).ok());
    cursor.Reset(&slim);
    for (uint32_t i = 0; i < full.size(); ++i) {
      ASSERT_FALSE(cursor.at_end());
      EXPECT_EQ(cursor.site(), full.site(i));
      EXPECT_EQ(cursor.kind(), full.kind(i));
      PayloadView a, r;
      cursor.Take(&a, &r);
      for (auto [got, want] : {std::pair{a, full.args(i)}, std::pair{r, full.result(i)}}) {
        ASSERT_EQ(got.size, want.size);
        ASSERT_EQ(got.spilled(), want.spilled());
        if (got.spilled()) {
          ++spilled;
          EXPECT_EQ(got.spill_hash, want.spill_hash);
          EXPECT_EQ(got.blob_offset, want.blob_offset);
        } else {
          EXPECT_EQ(AsChars(got.bytes()), AsChars(want.bytes()));
        }
      }
    }
    EXPECT_TRUE(cursor.at_end());
  }
  EXPECT_EQ(spilled, 4);
}

TEST(ChunkCursor, IntRunsAreTheMaximalStretchesAndServeTheRecordedValues) {
  // Seeds 51-53: every length one byte (the decoder's fast path); 54-55: a
  // long result every 300 events, so that every chunk takes the general path.
  for (uint32_t seed : {51u, 52u, 53u, 54u, 55u}) {
    TempDir dir;
    auto events = RunEvents(seed, 5000);
    if (seed >= 54) {
      size_t bucket = SIZE_MAX;  // one long result in every 300 events
      for (size_t i = 0; i < events.size(); ++i) {
        if (events[i].kind != 1 && i / 300 != bucket) {
          events[i].result.assign(100, 'L');
          bucket = i / 300;
        }
      }
    }
    WriterOptions o;
    o.chunk_max_events = 700;
    WriteTrace(dir.File("t"), events, o);
    auto reader = TraceReader::Open(dir.File("t"));
    ASSERT_TRUE(reader.has_value());
    ChunkDecoder full_decoder, cursor_decoder;
    DecodedChunk full, slim;
    ChunkCursor cursor;
    std::mt19937 rng(seed);
    uint64_t in_runs = 0, served_by_runs = 0;
    for (size_t c = 0; c < (*reader)->chunks().size(); ++c) {
      ASSERT_TRUE((*reader)->ReadChunk(c, kDecodeAll, &full_decoder, &full).ok());
      ASSERT_TRUE((*reader)->ReadChunk(c, kDecodeCursor, &cursor_decoder, &slim).ok());
      // Every maximal stretch of >= kMinRun eligible events with one site
      // and kind is a run, and nothing else is.
      std::vector<DecodedChunk::Run> want;
      for (uint32_t i = 0; i < full.size();) {
        uint32_t j = i;
        while (j < full.size() && RunEligible(full, j) && full.site(j) == full.site(i) &&
               full.kind(j) == full.kind(i)) {
          ++j;
        }
        if (j - i >= DecodedChunk::kMinRun) want.push_back({i, j - i});
        i = std::max(j, i + 1);
      }
      const auto& runs = slim.columns().int_runs;
      ASSERT_EQ(runs.size(), want.size()) << "chunk " << c;
      for (size_t k = 0; k < runs.size(); ++k) {
        EXPECT_EQ(runs[k].first, want[k].first);
        EXPECT_EQ(runs[k].count, want[k].count);
        in_runs += runs[k].count;
      }
      // Serve a random part of each run through the run interface, the rest
      // one event at a time: every value is the recorded one.
      cursor.Reset(&slim);
      uint32_t i = 0;
      while (!cursor.at_end()) {
        uint32_t left = cursor.IntRunLeft();
        if (left > 0) {
          uint32_t take = 1 + rng() % left;
          const int64_t* values = cursor.int_values();
          for (uint32_t t = 0; t < take; ++t, ++i) {
            EXPECT_EQ(uint64_t(values[t]), LoadU64(full.result(i).data)) << "event " << i;
          }
          cursor.SkipIntRun(take);
          served_by_runs += take;
          continue;
        }
        EXPECT_EQ(cursor.index(), i);
        PayloadView a, r;
        cursor.Take(&a, &r);
        EXPECT_EQ(AsChars(r.bytes()), AsChars(full.result(i).bytes())) << "event " << i;
        ++i;
      }
      EXPECT_EQ(i, full.size());
    }
    EXPECT_GT(in_runs, events.size() / 2);
    EXPECT_GT(served_by_runs, 0u);
  }
}

// Payload runs: stretches of one site and kind whose args and results have
// one size each (random draws, writes of one length) are found whole, with
// integer runs beside them, and serve each event's recorded payloads.
TEST(ChunkCursor, PayloadRunsAreTheMaximalStretchesAndServeTheRecordedPayloads) {
  TempDir dir;
  std::mt19937_64 rng(57);
  std::vector<TestEvent> events;
  while (events.size() < 5000) {
    uint64_t site = 0x4000 + rng() % 3;
    uint8_t kind = uint8_t(2 + rng() % 2);  // random.bits or io.write, each its own layout
    size_t len = rng() % 4 == 0 ? rng() % 100 : rng() % 7;
    size_t arg_size = 1 + rng() % 2;  // a change of size ends a run
    for (size_t i = 0; i < len && events.size() < 5000; ++i) {
      TestEvent e{site, kind, std::string(arg_size, char('a' + rng() % 3)), ""};
      for (int k = 0; k < 8; ++k) e.result.push_back(char(rng()));
      events.push_back(std::move(e));
    }
    TestEvent clock{0x5000, 1, "", std::string(8, '\0')};  // short integer runs between
    for (size_t i = 0; i < rng() % 6 && events.size() < 5000; ++i) {
      clock.result[0] = char(i);
      events.push_back(clock);
    }
  }
  WriterOptions o;
  o.chunk_max_events = 700;
  WriteTrace(dir.File("t"), events, o);
  auto reader = TraceReader::Open(dir.File("t"));
  ASSERT_TRUE(reader.has_value());
  ChunkDecoder full_decoder, cursor_decoder;
  DecodedChunk full, slim;
  ChunkCursor cursor;
  size_t served = 0;
  for (size_t c = 0; c < (*reader)->chunks().size(); ++c) {
    ASSERT_TRUE((*reader)->ReadChunk(c, kDecodeAll, &full_decoder, &full).ok());
    ASSERT_TRUE((*reader)->ReadChunk(c, kDecodeCursor, &cursor_decoder, &slim).ok());
    std::vector<DecodedChunk::Run> want;
    for (uint32_t i = 0; i < full.size();) {
      uint32_t j = i;
      while (j < full.size() && full.kind(j) != 1 && full.site(j) == full.site(i) &&
             full.kind(j) == full.kind(i) && full.args(j).size == full.args(i).size &&
             full.result(j).size == full.result(i).size) {
        ++j;
      }
      if (j - i >= DecodedChunk::kMinRun) want.push_back({i, j - i});
      i = std::max(j, i + 1);
    }
    const auto& runs = slim.columns().payload_runs;
    ASSERT_EQ(runs.size(), want.size()) << "chunk " << c;
    for (size_t k = 0; k < runs.size(); ++k) {
      EXPECT_EQ(runs[k].first, want[k].first);
      EXPECT_EQ(runs[k].count, want[k].count);
    }
    EXPECT_FALSE(slim.columns().int_runs.empty());
    cursor.Reset(&slim);
    uint32_t i = 0;
    while (!cursor.at_end()) {
      if (uint32_t left = cursor.PayloadRunLeft(); left > 0) {
        uint32_t take = 1 + uint32_t(rng() % left);
        for (uint32_t t = 0; t < take; ++t, ++i) {
          ASSERT_EQ(cursor.args_size(), full.args(i).size);
          ASSERT_EQ(cursor.result_size(), full.result(i).size);
          std::string args(reinterpret_cast<const char*>(cursor.args()) + t * cursor.args_size(),
                           cursor.args_size());
          std::string result(
              reinterpret_cast<const char*>(cursor.result()) + t * cursor.result_size(),
              cursor.result_size());
          EXPECT_EQ(args, AsChars(full.args(i).bytes())) << "event " << i;
          EXPECT_EQ(result, AsChars(full.result(i).bytes())) << "event " << i;
        }
        cursor.SkipPayloadRun(take);
        served += take;
        continue;
      }
      PayloadView a, r;
      cursor.Take(&a, &r);
      EXPECT_EQ(AsChars(r.bytes()), AsChars(full.result(i).bytes())) << "event " << i;
      ++i;
    }
    EXPECT_EQ(i, full.size());
  }
  EXPECT_GT(served, events.size() / 2);
}

// A spilled payload's heap entry is its 8-byte hash, whatever its length
// (§7.4): a stretch of spilled payloads of one size is not a payload run,
// and the cursor still reads each event's bytes, inline or spilled.
TEST(ChunkCursor, SpilledPayloadsAreNeverInAPayloadRun) {
  TempDir dir;
  std::vector<TestEvent> events;
  for (int i = 0; i < 200; ++i) {
    // Alternately 20 small draws (inline) and 20 of 40 bytes (spilled, with
    // one-byte lengths).
    size_t size = (i / 20) % 2 == 0 ? 3 : 40;
    events.push_back({0x4000, 2, std::string(size, 'a'), std::string(size, char('A' + i % 26))});
  }
  WriterOptions o;
  o.spill_threshold = 24;  // the least
  WriteTrace(dir.File("t"), events, o);
  auto reader = TraceReader::Open(dir.File("t"));
  ASSERT_TRUE(reader.has_value());
  ASSERT_EQ((*reader)->chunks().size(), 1u);
  ChunkDecoder decoder;
  DecodedChunk slim;
  ASSERT_TRUE((*reader)->ReadChunk(0, kDecodeCursor, &decoder, &slim).ok());
  for (const DecodedChunk::Run& run : slim.columns().payload_runs) {
    for (uint32_t i = run.first; i < run.first + run.count; ++i) {
      EXPECT_EQ(events[i].result.size(), 3u) << "a spilled event in a run at " << run.first;
    }
  }
  ChunkCursor cursor;
  cursor.Reset(&slim);
  for (uint32_t i = 0; !cursor.at_end(); ++i) {
    if (uint32_t left = cursor.PayloadRunLeft(); left > 0) {
      ASSERT_EQ(cursor.result_size(), 3u);
      for (uint32_t t = 0; t < left; ++t) {
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(cursor.result()) + 3 * t, 3),
                  events[i + t].result);
      }
      cursor.SkipPayloadRun(left);
      i += left - 1;
      continue;
    }
    PayloadView a, r;
    cursor.Take(&a, &r);
    ASSERT_EQ(r.size, events[i].result.size()) << "event " << i;
    EXPECT_EQ(r.spilled(), r.size == 40) << "event " << i;
    if (!r.spilled()) {
      EXPECT_EQ(AsChars(r.bytes()), events[i].result) << "event " << i;
    }
  }
}

// Threads' events (LANES, §7.7): clock readings at one site from several
// lanes, in bursts of random length. A run never spans two lanes, so that
// replay, which serves each lane its own events, can hand a run to one lane.
TEST(ChunkCursor, IntRunsStayInOneLane) {
  for (uint32_t seed : {61u, 62u}) {
    TempDir dir;
    std::vector<TestEvent> events = RunEvents(seed, 4000);
    std::vector<uint32_t> lanes(events.size());
    std::mt19937 rng(seed);
    for (size_t i = 0; i < events.size();) {
      uint32_t lane = rng() % 3, burst = 1 + rng() % 12;
      for (uint32_t b = 0; b < burst && i < events.size(); ++b) lanes[i++] = lane;
    }
    {
      WriterOptions o;
      o.chunk_max_events = 600;
      // Chunks end only when full: a timed flush on a slow (sanitized) run
      // could seal a chunk whose events are all in lane 0, which has no LANES.
      o.flush_ms = 3600 * 1000;
      auto writer = TraceWriter::Create(dir.File("t"), TestHeader(), o);
      ASSERT_TRUE(writer.has_value()) << writer.error().message();
      (*writer)->EnableLanes();
      LaneQueue* q = (*writer)->AcquireLaneQueue();
      for (size_t i = 0; i < events.size(); ++i) {
        const TestEvent& e = events[i];
        (*writer)->DefineSite(e.site, SiteText(e.site));
        (*writer)->AppendFromLane(q, lanes[i], e.site, e.kind, AsBytes(e.args),
                                  AsBytes(e.result));
      }
      (*writer)->ReleaseLaneQueue(q);
      Status s = (*writer)->Finish(Outcome::Exited(0));
      ASSERT_TRUE(s.ok()) << s.message();
    }
    auto reader = TraceReader::Open(dir.File("t"));
    ASSERT_TRUE(reader.has_value());
    ChunkDecoder full_decoder, cursor_decoder;
    DecodedChunk full, slim;
    uint64_t in_runs = 0, cut_by_lane = 0;
    for (size_t c = 0; c < (*reader)->chunks().size(); ++c) {
      ASSERT_TRUE((*reader)->ReadChunk(c, kDecodeAll, &full_decoder, &full).ok());
      ASSERT_TRUE((*reader)->ReadChunk(c, kDecodeCursor, &cursor_decoder, &slim).ok());
      ASSERT_EQ(slim.has_lanes(), full.has_lanes());
      auto same = [&](uint32_t j, uint32_t i) {
        return RunEligible(full, j) && full.site(j) == full.site(i) &&
               full.kind(j) == full.kind(i);
      };
      std::vector<DecodedChunk::Run> want;
      for (uint32_t i = 0; i < full.size();) {
        uint32_t j = i;
        while (j < full.size() && same(j, i) && full.lane(j) == full.lane(i)) ++j;
        if (j - i >= DecodedChunk::kMinRun) want.push_back({i, j - i});
        // A stretch that only a change of lane ends.
        if (j > i && j < full.size() && same(j, i)) ++cut_by_lane;
        i = std::max(j, i + 1);
      }
      const auto& runs = slim.columns().int_runs;
      ASSERT_EQ(runs.size(), want.size()) << "chunk " << c;
      for (size_t k = 0; k < runs.size(); ++k) {
        EXPECT_EQ(runs[k].first, want[k].first);
        EXPECT_EQ(runs[k].count, want[k].count);
        for (uint32_t e = 1; e < runs[k].count; ++e) {
          EXPECT_EQ(slim.lane(runs[k].first + e), slim.lane(runs[k].first));
        }
        in_runs += runs[k].count;
      }
    }
    EXPECT_GT(in_runs, events.size() / 10);
    EXPECT_GT(cut_by_lane, 10u);  // the lanes did cut stretches that would otherwise be runs
  }
}

TEST(ChunkDecoder, DecodedContentHashIsTheContentHash) {
  TempDir dir;
  auto events = RandomEvents(45, 2000);
  events[10].result.assign(5000, 'r');
  WriterOptions o;
  o.chunk_max_events = 300;
  o.spill_threshold = 4096;
  WriteTrace(dir.File("t"), events, o);
  auto reader = TraceReader::Open(dir.File("t"));
  ASSERT_TRUE(reader.has_value());
  ChunkDecoder decoder, again;
  DecodedChunk chunk;
  for (size_t c = 0; c < (*reader)->chunks().size(); ++c) {
    ASSERT_TRUE((*reader)->ReadChunk(c, kDecodeAll, &decoder, &chunk).ok());
    std::optional<uint64_t> decoded = decoder.DecodedContentHash();
    ASSERT_TRUE(decoded.has_value());
    Result<uint64_t> hash = (*reader)->ChunkContentHash(c, &again);
    ASSERT_TRUE(hash.has_value());
    EXPECT_EQ(*decoded, *hash);
    // A decode that skips the heaps cannot give it.
    ASSERT_TRUE((*reader)->ReadChunk(c, kDecodeSites | kDecodeSizes, &decoder, &chunk).ok());
    EXPECT_FALSE(decoder.DecodedContentHash().has_value());
  }
}

}  // namespace
}  // namespace tape::format::testing
