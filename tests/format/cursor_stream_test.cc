// ChunkStream (read-ahead decoding) and ChunkCursor (replay's sequential
// walk) must agree with the random-access reader on every event.

#include <gtest/gtest.h>

#include "format/chunk_cursor.h"
#include "format/chunk_stream.h"
#include "tests/format/trace_fixture.h"

namespace tape::format::testing {
namespace {

TEST(ChunkStream, YieldsEveryChunkInOrderThenNull) {
  TempDir dir;
  auto events = RandomEvents(31, 2000);
  WriterOptions o;
  o.chunk_max_events = 64;
  WriteTrace(dir.File("t"), events, o);
  auto reader = TraceReader::Open(dir.File("t"));
  ASSERT_TRUE(reader.has_value());
  ChunkStream stream(reader->get(), kDecodeAll);
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

TEST(ChunkStream, StopsAtADamagedChunkWithItsError) {
  TempDir dir;
  WriterOptions o;
  o.chunk_max_events = 10;
  WriteTrace(dir.File("t"), RandomEvents(32, 100), o);
  std::string bytes = ReadFile(dir.File("t"));
  auto good = TraceReader::OpenBytes(AsBytes(bytes));
  ASSERT_TRUE(good.has_value());
  uint64_t at = (*good)->chunks()[3].file_offset + 40;
  bytes[at] = char(bytes[at] ^ 1);
  auto reader = TraceReader::OpenBytes(AsBytes(bytes));
  ASSERT_TRUE(reader.has_value());
  ChunkStream stream(reader->get(), kDecodeAll);
  for (int c = 0; c < 3; ++c) ASSERT_TRUE(stream.Next().has_value());
  auto bad = stream.Next();
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("chunk 3"), std::string::npos) << bad.error().message();
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

}  // namespace
}  // namespace tape::format::testing
