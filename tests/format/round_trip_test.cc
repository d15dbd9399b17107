// Write-then-read round trips through the real writer and reader.

#include <gtest/gtest.h>
#include <xxhash.h>

#include <chrono>
#include <thread>

#include "format/layout.h"
#include "tests/format/trace_fixture.h"

namespace tape::format::testing {
namespace {

WriterOptions SmallChunks() {
  WriterOptions o;
  o.chunk_max_events = 97;  // odd, so boundaries fall everywhere
  o.chunk_max_payload = 4096;
  o.spill_threshold = 2048;
  return o;
}

TEST(RoundTrip, EmptyTraceHasNoEventsAndItsOutcome) {
  TempDir dir;
  WriteTrace(dir.File("t"), {}, SmallChunks(), Outcome::Exited(3));
  auto reader = TraceReader::Open(dir.File("t"));
  ASSERT_TRUE(reader.has_value()) << reader.error().message();
  EXPECT_TRUE((*reader)->finalized());
  EXPECT_EQ((*reader)->event_count(), 0u);
  EXPECT_TRUE((*reader)->chunks().empty());
  EXPECT_EQ((*reader)->outcome(), Outcome::Exited(3));
  EXPECT_EQ((*reader)->header().program_name, "test");
  EXPECT_EQ((*reader)->header().code_hash, std::string("\x01\x02\x03\x04", 4));
}

TEST(RoundTrip, RandomStreamsSurviveChunkBoundaries) {
  for (uint32_t seed : {1u, 2u, 3u, 4u, 5u}) {
    SCOPED_TRACE(seed);
    TempDir dir;
    auto events = RandomEvents(seed, 3000);
    WriteTrace(dir.File("t"), events, SmallChunks());
    auto reader = TraceReader::Open(dir.File("t"));
    ASSERT_TRUE(reader.has_value()) << reader.error().message();
    EXPECT_EQ((*reader)->event_count(), events.size());
    EXPECT_GT((*reader)->chunks().size(), 30u);
    std::vector<TestEvent> back;
    Status s = ReadAll(**reader, &back);
    ASSERT_TRUE(s.ok()) << s.message();
    ASSERT_EQ(back.size(), events.size());
    for (size_t i = 0; i < events.size(); ++i) ASSERT_EQ(back[i], events[i]) << "event " << i;
    for (const auto& e : events) EXPECT_EQ((*reader)->SiteLocation(e.site), SiteText(e.site));
  }
}

TEST(RoundTrip, EventNAtAndAroundEveryChunkBoundary) {
  TempDir dir;
  auto events = RandomEvents(7, 1500);
  WriteTrace(dir.File("t"), events, SmallChunks());
  auto reader = TraceReader::Open(dir.File("t"));
  ASSERT_TRUE(reader.has_value());
  const TraceReader& r = **reader;
  ChunkDecoder decoder;
  DecodedChunk chunk;
  for (const ChunkIndexEntry& c : r.chunks()) {
    for (int64_t delta : {-1, 0, 1}) {
      int64_t seq = int64_t(c.first_seq) + delta;
      if (seq < 0 || uint64_t(seq) >= events.size()) continue;
      size_t i = r.ChunkFor(uint64_t(seq));
      ASSERT_TRUE(r.ReadChunk(i, kDecodeAll, &decoder, &chunk).ok());
      EventView e = chunk.event(uint32_t(uint64_t(seq) - chunk.first_seq()));
      EXPECT_EQ(e.seq, uint64_t(seq));
      EXPECT_EQ(e.site, events[seq].site);
      EXPECT_EQ(e.kind, events[seq].kind);
      EXPECT_EQ(AsChars(e.args.bytes()), events[seq].args);
      EXPECT_EQ(AsChars(e.result.bytes()), events[seq].result);
    }
  }
}

TEST(RoundTrip, DecodingOnlyKindsLeavesPayloadsAlone) {
  TempDir dir;
  auto events = RandomEvents(8, 500);
  WriteTrace(dir.File("t"), events, SmallChunks());
  auto reader = TraceReader::Open(dir.File("t"));
  ASSERT_TRUE(reader.has_value());
  EventCursor cursor(reader->get(), kDecodeKinds);
  ASSERT_TRUE(cursor.Seek(0).ok());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(cursor.chunk().kind(cursor.index()), events[i].kind);
    EXPECT_EQ(cursor.chunk().parts(), unsigned(kDecodeKinds));
    ASSERT_TRUE(cursor.Next().ok());
  }
  EXPECT_TRUE(cursor.at_end());
}

TEST(RoundTrip, HugePayloadIsSpilledAndReadBack) {
  TempDir dir;
  std::vector<TestEvent> events = RandomEvents(9, 50);
  TestEvent big;
  big.site = 0x77;
  big.kind = 4;
  big.args = "big-file.txt";
  big.result.resize(9u << 20);  // spans three BLOB records
  for (size_t i = 0; i < big.result.size(); ++i) big.result[i] = char((i * 7) ^ (i >> 12));
  events.insert(events.begin() + 20, big);
  TestEvent big_args = big;
  big_args.args.swap(big_args.result);  // a spilled argument, too
  events.push_back(big_args);
  WriteTrace(dir.File("t"), events, SmallChunks());
  auto reader = TraceReader::Open(dir.File("t"));
  ASSERT_TRUE(reader.has_value()) << reader.error().message();
  std::vector<TestEvent> back;
  ASSERT_TRUE(ReadAll(**reader, &back).ok());
  ASSERT_EQ(back.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(back[i], events[i]) << "event " << i;

  // A prefix read decodes only the first BLOB record.
  EventCursor cursor(reader->get(), kDecodeAll);
  ASSERT_TRUE(cursor.Seek(20).ok());
  PayloadView result = cursor.event().result;
  ASSERT_TRUE(result.spilled());
  std::string prefix;
  ASSERT_TRUE((*reader)->ReadPayload(result, 100, &prefix).ok());
  EXPECT_EQ(prefix, big.result.substr(0, 100));
}

TEST(RoundTrip, ClockReadingsAreIntegerCoded) {
  // §7.5: monotonic 8-byte results cost about a byte each, not eight.
  TempDir dir;
  std::vector<TestEvent> events;
  int64_t t = 1700000000000000000;
  for (int i = 0; i < 200000; ++i) {
    t += 30 + (i * 7919) % 40;
    TestEvent e;
    e.site = 1;
    e.kind = 1;
    e.result.assign(reinterpret_cast<const char*>(&t), 8);
    events.push_back(e);
  }
  WriteTrace(dir.File("t"), events, WriterOptions());
  auto size = std::filesystem::file_size(dir.File("t"));
  EXPECT_LT(size, events.size() * 2) << "bytes per event: " << double(size) / events.size();
  auto reader = TraceReader::Open(dir.File("t"));
  ASSERT_TRUE(reader.has_value());
  std::vector<TestEvent> back;
  ASSERT_TRUE(ReadAll(**reader, &back).ok());
  EXPECT_EQ(back, events);
}

TEST(RoundTrip, ContentHashesMatchForEqualContentAndRecompute) {
  TempDir dir;
  auto events = RandomEvents(11, 1000);
  WriteTrace(dir.File("a"), events, SmallChunks());
  events[500].result += "x";
  WriteTrace(dir.File("b"), events, SmallChunks());
  auto a = TraceReader::Open(dir.File("a"));
  auto b = TraceReader::Open(dir.File("b"));
  ASSERT_TRUE(a.has_value() && b.has_value());
  ASSERT_EQ((*a)->chunks().size(), (*b)->chunks().size());
  size_t differing = 0;
  ChunkDecoder decoder;
  for (size_t i = 0; i < (*a)->chunks().size(); ++i) {
    const auto& ca = (*a)->chunks()[i];
    const auto& cb = (*b)->chunks()[i];
    if (ca.content_hash != cb.content_hash) {
      ++differing;
      EXPECT_EQ((*a)->ChunkFor(500), i);
    }
    // A reader recomputing the hash from the chunk agrees with the writer.
    auto recomputed = decoder.ContentHash(
        (*a)->file().subspan(ca.file_offset + 16, ca.record_size - 16), ca.file_offset);
    ASSERT_TRUE(recomputed.has_value());
    EXPECT_EQ(*recomputed, ca.content_hash);
  }
  EXPECT_EQ(differing, 1u);
}

TEST(RoundTrip, ASiteIsDefinedInTheChunkOfItsFirstEvent) {
  // Whenever the encoder thread seals a chunk, the sites defined for later
  // events wait for their own chunk: the bytes depend on the events alone
  // (tests/golden/recorded/ compares a recording with committed bytes).
  TempDir dir;
  WriterOptions o;
  o.chunk_max_events = 2;
  auto w = TraceWriter::Create(dir.File("sites"), TestHeader(), o);
  ASSERT_TRUE(w.has_value());
  const uint64_t kEvents = 2000;
  for (uint64_t i = 0; i < kEvents; ++i) {
    uint64_t site = 1000 + i / 3;  // a new site every third event
    (*w)->DefineSite(site, "f.cc:" + std::to_string(site));
    (*w)->Append(site, 1, {}, {});
  }
  ASSERT_TRUE((*w)->Finish(Outcome::Exited(0)).ok());
  auto r = TraceReader::Open(dir.File("sites"));
  ASSERT_TRUE(r.has_value());
  ChunkDecoder decoder;
  DecodedChunk chunk;
  for (size_t c = 0; c < (*r)->chunks().size(); ++c) {
    ASSERT_TRUE((*r)->ReadChunk(c, kDecodeAll, &decoder, &chunk).ok());
    std::vector<uint64_t> first_used, defined;
    for (uint32_t i = 0; i < chunk.size(); ++i) {
      uint64_t seq = chunk.event(i).seq;
      if (seq % 3 == 0) first_used.push_back(1000 + seq / 3);
    }
    for (const auto& [id, text] : chunk.new_sites()) defined.push_back(id);
    ASSERT_EQ(defined, first_used) << "chunk " << c;
  }
}

TEST(RoundTrip, FlushMsSealsEventsOfASlowProgram) {
  // A reader opening the file while it is recorded sees the sealed events.
  TempDir dir;
  WriterOptions o;
  o.flush_ms = 20;
  auto writer = TraceWriter::Create(dir.File("live"), TestHeader(), o);
  ASSERT_TRUE(writer.has_value());
  for (uint8_t k = 1; k <= 3; ++k) (*writer)->Append(5, k, {}, {});
  uint64_t seen = 0;
  // Until the encoder thread has sealed them, however late a loaded machine
  // runs it (a deadline for a hang, not a measure of flush_ms).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (seen < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    auto reader = TraceReader::Open(dir.File("live"));
    ASSERT_TRUE(reader.has_value()) << reader.error().message();
    EXPECT_FALSE((*reader)->finalized());
    seen = (*reader)->event_count();
  }
  EXPECT_EQ(seen, 3u);
  ASSERT_TRUE((*writer)->Finish(Outcome::Exited(0)).ok());
}

TEST(RoundTrip, EventMarksAreKeptAndAbsentWhenNoEventHasOne) {
  TempDir dir;
  WriterOptions o;
  o.chunk_max_events = 4;
  auto writer = TraceWriter::Create(dir.File("marks"), TestHeader(), o);
  ASSERT_TRUE(writer.has_value());
  // Chunk 0 has marks (one on a large, spilled result); chunk 1 has none.
  // Fixed event times: the records of the two traces compared below must not
  // differ by how the event clock happened to advance (§7.8).
  std::string large(300u << 10, 'x');
  const int64_t t0 = 1764000000000000000;
  (*writer)->AppendTimed(5, 1, {}, {}, t0, 0, kMarkPerturbed);
  (*writer)->AppendTimed(5, 1, {}, {}, t0 + 1, 0);
  (*writer)->AppendTimed(5, 2, {}, AsBytes(large), t0 + 2, 0,
                         kMarkResultRedacted | kMarkArgsRedacted);
  (*writer)->AppendTimed(5, 1, {}, {}, t0 + 3, 0);
  for (int i = 0; i < 4; ++i) (*writer)->AppendTimed(5, 1, {}, {}, t0 + 4 + i, 0);
  ASSERT_TRUE((*writer)->Finish(Outcome::Exited(0)).ok());
  auto reader = TraceReader::Open(dir.File("marks"));
  ASSERT_TRUE(reader.has_value()) << reader.error().message();
  ChunkDecoder decoder;
  DecodedChunk chunk;
  ASSERT_TRUE((*reader)->ReadChunk(0, kDecodeKinds, &decoder, &chunk).ok());
  EXPECT_EQ(chunk.marks(0), kMarkPerturbed);
  EXPECT_EQ(chunk.marks(1), 0);
  EXPECT_EQ(chunk.marks(2), kMarkResultRedacted | kMarkArgsRedacted);
  EXPECT_EQ(chunk.event(0).marks, kMarkPerturbed);
  ASSERT_TRUE((*reader)->ReadChunk(1, kDecodeKinds, &decoder, &chunk).ok());
  for (uint32_t i = 0; i < chunk.size(); ++i) EXPECT_EQ(chunk.marks(i), 0);
  // The mark-free chunk stores no EVENT_MARKS section at all: 4 events of
  // kind 1 and nothing else compress to a few bytes either way, so compare
  // with a trace written without marks.
  auto plain = TraceWriter::Create(dir.File("plain"), TestHeader(), o);
  for (int i = 0; i < 8; ++i) (*plain)->AppendTimed(5, 1, {}, {}, t0 + i, 0);
  ASSERT_TRUE((*plain)->Finish(Outcome::Exited(0)).ok());
  auto p = TraceReader::Open(dir.File("plain"));
  EXPECT_EQ((*p)->chunks()[1].record_size, (*reader)->chunks()[1].record_size);
}

// AppendPlain stores neither flags, marks, lanes nor durations: a builder
// reused after events that had them must read as zeros for the plain events
// appended into it (ChunkBuilder::Reset clears what Append wrote).
TEST(RoundTrip, PlainEventsInAReusedBuilderHaveNoMarksDurationsOrSpills) {
  TempDir dir;
  WriterOptions o;
  o.chunk_max_events = 4;
  o.spill_threshold = 1024;
  auto writer = TraceWriter::Create(dir.File("reuse"), TestHeader(), o);
  ASSERT_TRUE(writer.has_value());
  const int64_t t0 = 1764000000000000000;
  std::string large(4096, 'L');
  // Chunks 0 and 1 (both builders): every event has a mark, a duration, and
  // every other one a spilled result.
  for (int i = 0; i < 8; ++i) {
    (*writer)->AppendTimed(5, 2, {}, i % 2 == 0 ? AsBytes(large) : AsBytes(std::string("r")),
                           t0 + i, 1000 + i, kMarkPerturbed);
  }
  // Chunks 2 and 3 reuse the two builders, with plain events.
  std::vector<std::string> results;
  for (int i = 0; i < 8; ++i) {
    results.push_back(std::string(size_t(i + 1), char('a' + i)));
    (*writer)->AppendPlain(6, 1, AsBytes(std::string("x")), AsBytes(results.back()));
  }
  ASSERT_TRUE((*writer)->Finish(Outcome::Exited(0)).ok());
  auto reader = TraceReader::Open(dir.File("reuse"));
  ASSERT_TRUE(reader.has_value()) << reader.error().message();
  ASSERT_EQ((*reader)->chunks().size(), 4u);
  ChunkDecoder decoder;
  DecodedChunk chunk;
  ASSERT_TRUE((*reader)->ReadChunk(0, kDecodeAll, &decoder, &chunk).ok());
  EXPECT_EQ(chunk.marks(1), kMarkPerturbed);
  EXPECT_EQ(chunk.duration(1), 1001u);
  for (size_t c = 2; c < 4; ++c) {
    ASSERT_TRUE((*reader)->ReadChunk(c, kDecodeAll, &decoder, &chunk).ok());
    for (uint32_t i = 0; i < chunk.size(); ++i) {
      SCOPED_TRACE(chunk.first_seq() + i);
      EventView e = chunk.event(i);
      EXPECT_EQ(e.marks, 0);
      EXPECT_EQ(chunk.duration(i), 0u);
      EXPECT_EQ(e.site, 6u);
      EXPECT_EQ(AsChars(e.args.bytes()), "x");
      EXPECT_EQ(AsChars(e.result.bytes()), results[e.seq - 8]);
    }
  }
}

// A cursor attached to a caller (the recorder's hot path) and the writer's
// own appends share one position: events appended through either, before,
// while and after it is attached, and across the rotations of the builders,
// keep their seq order and count.
TEST(RoundTrip, AnAttachedCursorAppendsInOrderWithTheWriter) {
  TempDir dir;
  WriterOptions o;
  o.chunk_max_events = 4;
  // A frozen event clock is always ticking: TryAppendPlain then fails only
  // for a full builder, whatever the ticker's thread is doing (it may not
  // have run yet on a loaded machine).
  o.frozen_time_ns = 1764000000000000000;
  auto writer = TraceWriter::Create(dir.File("cursor"), TestHeader(), o);
  ASSERT_TRUE(writer.has_value());
  TraceWriter& w = **writer;
  auto result = [](uint64_t seq) { return "e" + std::to_string(seq); };
  w.AppendPlain(6, 1, {}, AsBytes(result(0)));
  w.AppendPlain(6, 1, {}, AsBytes(result(1)));
  ChunkBuilder::Cursor cursor;
  w.AttachCursor(&cursor);
  EXPECT_EQ(w.events(), 2u);
  int took_fast_path = 0;
  for (uint64_t seq = 2; seq < 12; ++seq) {
    std::string r = result(seq);
    if (seq % 3 == 0) {
      w.AppendTimed(7, 2, {}, AsBytes(r), 1764000000000000000 + int64_t(seq), 5);
    } else if (w.TryAppendPlain(cursor, 6, 1, {}, AsBytes(r))) {
      ++took_fast_path;
    } else {
      w.AppendPlain(6, 1, {}, AsBytes(r));  // a full builder, an idle clock
    }
    EXPECT_EQ(w.events(), seq + 1);
  }
  EXPECT_GT(took_fast_path, 0);
  w.DetachCursor();
  w.AppendPlain(6, 1, {}, AsBytes(result(12)));
  EXPECT_EQ(w.events(), 13u);
  ASSERT_TRUE(w.Finish(Outcome::Exited(0)).ok());

  auto reader = TraceReader::Open(dir.File("cursor"));
  ASSERT_TRUE(reader.has_value()) << reader.error().message();
  ChunkDecoder decoder;
  DecodedChunk chunk;
  uint64_t next = 0;
  for (size_t c = 0; c < (*reader)->chunks().size(); ++c) {
    ASSERT_TRUE((*reader)->ReadChunk(c, kDecodeAll, &decoder, &chunk).ok());
    for (uint32_t i = 0; i < chunk.size(); ++i, ++next) {
      EventView e = chunk.event(i);
      SCOPED_TRACE(e.seq);
      EXPECT_EQ(e.seq, next);
      EXPECT_EQ(e.site, e.seq % 3 == 0 && e.seq >= 2 && e.seq < 12 ? 7u : 6u);
      EXPECT_EQ(AsChars(e.result.bytes()), result(e.seq));
    }
  }
  EXPECT_EQ(next, 13u);
}

TEST(RoundTrip, MissingFooterIsRecoveredByScanning) {
  TempDir dir;
  auto events = RandomEvents(12, 800);
  WriteTrace(dir.File("t"), events, SmallChunks());
  std::string bytes = ReadFile(dir.File("t"));
  auto full = TraceReader::Open(dir.File("t"));
  ASSERT_TRUE(full.has_value());
  // Cut the file just after the last chunk: footer and trailer are gone.
  const auto& last = (*full)->chunks().back();
  WriteFile(dir.File("cut"), bytes.substr(0, last.file_offset + last.record_size));
  auto reader = TraceReader::Open(dir.File("cut"));
  ASSERT_TRUE(reader.has_value()) << reader.error().message();
  EXPECT_FALSE((*reader)->finalized());
  EXPECT_EQ((*reader)->outcome().kind, OutcomeKind::kInterrupted);
  EXPECT_EQ((*reader)->event_count(), events.size());
  EXPECT_NE((*reader)->recovery_note().find("no footer"), std::string::npos);
  std::vector<TestEvent> back;
  ASSERT_TRUE(ReadAll(**reader, &back).ok());
  EXPECT_EQ(back, events);
  EXPECT_EQ((*reader)->SiteLocation(events[0].site), SiteText(events[0].site));
}

TEST(Writer, RejectsBadOptions) {
  TempDir dir;
  WriterOptions o;
  o.chunk_max_events = 0;
  auto w = TraceWriter::Create(dir.File("t"), TestHeader(), o);
  ASSERT_FALSE(w.has_value());
  EXPECT_NE(w.error().message().find("chunk_max_events"), std::string::npos);
  for (uint32_t builders : {0u, 1u, WriterOptions::kMaxBuilders + 1}) {
    WriterOptions ring;
    ring.builders = builders;
    auto r = TraceWriter::Create(dir.File("r"), TestHeader(), ring);
    ASSERT_FALSE(r.has_value()) << builders;
    EXPECT_NE(r.error().message().find("builders must be in 2..16"), std::string::npos)
        << r.error().message();
  }
  WriterOptions most;
  most.builders = WriterOptions::kMaxBuilders;
  auto m = TraceWriter::Create(dir.File("m"), TestHeader(), most);
  ASSERT_TRUE(m.has_value()) << m.error().message();
  EXPECT_TRUE((*m)->Finish(Outcome::Exited(0)).ok());
}

TEST(Writer, UnwritableDirectoryGivesErrno) {
  auto w = TraceWriter::Create("/nonexistent-dir/t.bin", TestHeader(), WriterOptions());
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(w.error().code(), StatusCode::kIoError);
  EXPECT_NE(w.error().message().find("/nonexistent-dir/t.bin"), std::string::npos);
  EXPECT_NE(w.error().message().find("errno 2"), std::string::npos);
}

TEST(Writer, DiskFullKeepsTheTraceValidUpToTheLastChunk) {
  // /dev/full fails every write with ENOSPC. It is not a regular file, so
  // the writer only takes it when forced.
  WriterOptions o;
  o.force = true;
  auto w = TraceWriter::Create("/dev/full", TestHeader(), o);
  ASSERT_FALSE(w.has_value());
  EXPECT_NE(w.error().message().find("No space left"), std::string::npos);
}

}  // namespace
}  // namespace tape::format::testing
