// The committed traces of tests/golden/ must keep reading as they always did
// (see tests/golden/README.md).

#include <gtest/gtest.h>

#include <algorithm>

#include "format/records.h"
#include "tests/format/trace_fixture.h"

#ifndef TAPE_GOLDEN_DIR
#error "TAPE_GOLDEN_DIR must name tests/golden"
#endif

namespace tape::format::testing {
namespace {

std::string Golden(const std::string& name) { return std::string(TAPE_GOLDEN_DIR) + "/" + name; }

std::unique_ptr<TraceReader> Open(const std::string& name) {
  auto r = TraceReader::Open(Golden(name));
  EXPECT_TRUE(r.has_value()) << name << ": " << r.error().message();
  return r.has_value() ? std::move(r).value() : nullptr;
}

TEST(Golden, SmallChunksReadsWhole) {
  auto r = Open("small-chunks.trace");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->finalized());
  EXPECT_EQ(r->event_count(), 41u);
  EXPECT_EQ(r->chunks().size(), 9u);
  EXPECT_EQ(r->outcome(), Outcome::Exited(3));
  EXPECT_EQ(r->header().program_name, "golden");
  EXPECT_EQ(r->SiteLocation(0x2000), "golden.cc:30:9");
  std::vector<TestEvent> events;
  ASSERT_TRUE(ReadAll(*r, &events).ok());
  ASSERT_EQ(events.size(), 41u);
  EXPECT_EQ(events[0].kind, 1);
  EXPECT_EQ(LoadU64(reinterpret_cast<const uint8_t*>(events[0].result.data())),
            1764000000000001000ull);
  EXPECT_EQ(events[1].args, "line 1\n");
  EXPECT_EQ(events[22].kind, 4);  // the spilled fs.read
  EXPECT_EQ(events[22].args, "big.txt");
  EXPECT_EQ(events[22].result.size(), 3004u);
  EXPECT_EQ(events[22].result.substr(4, 5), "abcde");
  ChunkDecoder decoder;
  for (size_t c = 0; c < r->chunks().size(); ++c) {
    const ChunkIndexEntry& e = r->chunks()[c];
    auto hash = decoder.ContentHash(r->file().subspan(e.file_offset + 16, e.record_size - 16),
                                    e.file_offset);
    ASSERT_TRUE(hash.has_value());
    EXPECT_EQ(*hash, e.content_hash) << "chunk " << c;
  }
}

TEST(Golden, SpecExampleChunkIsTheOneInTheSpec) {
  auto r = Open("spec-example.trace");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->chunks().size(), 1u);
  const ChunkIndexEntry& e = r->chunks()[0];
  Bytes body = r->file().subspan(e.file_offset + 16, e.record_size - 16);
  // specs/trace-format.md §14, fixed fields, section table and data.
  const uint8_t expected[] = {
      0, 0, 0, 0,              // chunk_number 0
      0, 0, 0, 0, 0, 0, 0, 0,  // first_seq 0
      1, 0, 0, 0,              // event_count 1
      1, 0,                    // width 1, reserved
      6, 0,                    // 6 sections
      1, 0, 0, 0, 8, 0, 0, 0, 8, 0, 0, 0,  // SITE_DICT raw 8
      2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0,  // SITE_INDEX raw 1
      3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0,  // KINDS raw 1
      4, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0,  // ARG_LENS raw 1
      6, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0,  // RESULT_LENS raw 1
      7, 0, 0, 0, 8, 0, 0, 0, 8, 0, 0, 0,  // RESULT_HEAP raw 8
      0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,  // the site id
      0x00,                                            // event 0 -> dict[0]
      0x01,                                            // clock.now
      0x00,                                            // args: length 0
      0x10,                                            // result: length 8
      0x7b, 0x00, 0x2a, 0x36, 0xfe, 0x9c, 0x97, 0x17,  // 1700000000000000123
  };
  ASSERT_EQ(body.size(), sizeof expected);
  EXPECT_EQ(std::memcmp(body.data(), expected, sizeof expected), 0);
  // The file starts with the prelude of §4, as format 1.0 wrote it (minor 0).
  const uint8_t prelude[] = {0x89, 'T', 'A', 'P', 'E', 0x0d, 0x0a, 0x1a, 1, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(std::memcmp(r->file().data(), prelude, sizeof prelude), 0);
  // ... and ends with the trailer of §10.
  EXPECT_EQ(std::memcmp(r->file().data() + r->file_size() - 8, "TAPE-END", 8), 0);
}

TEST(Golden, EmptyTrace) {
  auto r = Open("empty.trace");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->finalized());
  EXPECT_EQ(r->event_count(), 0u);
  EXPECT_EQ(r->outcome(), Outcome::Exited(0));
}

TEST(Golden, InterruptedTraceKeepsItsChunks) {
  auto r = Open("interrupted.trace");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->finalized());
  EXPECT_EQ(r->event_count(), 20u);
  EXPECT_EQ(r->outcome().kind, OutcomeKind::kInterrupted);
  EXPECT_NE(r->recovery_note().find("no footer"), std::string::npos);
  std::vector<TestEvent> events;
  EXPECT_TRUE(ReadAll(*r, &events).ok());
  EXPECT_EQ(events.size(), 20u);
}

TEST(Golden, TornTailIsACleanPrefix) {
  auto r = Open("torn-tail.trace");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->event_count(), 25u);
  EXPECT_NE(r->recovery_note().find("truncated"), std::string::npos) << r->recovery_note();
}

TEST(Golden, BadChunkIsReportedAndTheOthersRead) {
  auto r = Open("bad-chunk.trace");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->finalized());
  ChunkDecoder decoder;
  DecodedChunk chunk;
  for (size_t c = 0; c < r->chunks().size(); ++c) {
    Status s = r->ReadChunk(c, kDecodeAll, &decoder, &chunk);
    if (c == 2) {
      ASSERT_FALSE(s.ok());
      EXPECT_NE(s.message().find("chunk 2"), std::string::npos);
      EXPECT_NE(s.message().find("checksum mismatch"), std::string::npos);
    } else {
      EXPECT_TRUE(s.ok()) << s.message();
    }
  }
}

TEST(Golden, BadFooterFallsBackToScanning) {
  auto r = Open("bad-footer.trace");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->finalized());
  EXPECT_EQ(r->event_count(), 41u);
  EXPECT_NE(r->recovery_note().find("footer is damaged"), std::string::npos);
}

TEST(Golden, FutureVersionIsRefused) {
  auto r = TraceReader::Open(Golden("future-version.trace"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), StatusCode::kUnsupported);
  EXPECT_NE(r.error().message().find("version 2.0"), std::string::npos);
}

TEST(Golden, BadChunk0IsReportedAndTheOthersRead) {
  auto r = Open("bad-chunk-0.trace");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->finalized());
  Status s = r->CheckChunk(0);
  EXPECT_NE(s.message().find("chunk 0: record at byte"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("checksum mismatch"), std::string::npos);
  for (size_t c = 1; c < r->chunks().size(); ++c) EXPECT_TRUE(r->CheckChunk(c).ok()) << c;
}

TEST(Golden, TwoChunksIsAPrefixWithoutAFooter) {
  auto r = Open("two-chunks.trace");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->finalized());
  EXPECT_TRUE(r->footer_missing());
  EXPECT_EQ(r->event_count(), 10u);
  EXPECT_NE(r->recovery_note().find("still being recorded, or its recording was interrupted"),
            std::string::npos)
      << r->recovery_note();
}

TEST(Golden, GapsTraceIsVersion11WithThreeGaps) {
  auto r = Open("gaps.trace");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->finalized());
  EXPECT_EQ(r->header().format_major, 1);
  EXPECT_EQ(r->header().format_minor, 1);
  EXPECT_EQ(r->event_count(), 41u);
  EXPECT_EQ(r->missing_events(), 11u);
  std::vector<SeqRange> want = {{0, 5}, {25, 5}, {40, 1}};
  EXPECT_EQ(r->gaps(), want);
  EXPECT_EQ(r->outcome(), Outcome::Exited(3));
  // The events it holds are small-chunks' events at the same seqs, the
  // spilled fs.read (seq 22) included.
  auto whole = Open("small-chunks.trace");
  ASSERT_TRUE(whole);
  std::vector<TestEvent> all, held;
  ASSERT_TRUE(ReadAll(*whole, &all).ok());
  EventCursor cursor(r.get(), kDecodeAll);
  ASSERT_TRUE(cursor.Seek(0).ok());
  size_t n = 0;
  while (!cursor.at_end()) {
    EventView e = cursor.event();
    std::string args, result;
    ASSERT_TRUE(r->ReadWholePayload(e.args, &args).ok());
    ASSERT_TRUE(r->ReadWholePayload(e.result, &result).ok());
    EXPECT_EQ(e.site, all[e.seq].site) << e.seq;
    EXPECT_EQ(args, all[e.seq].args) << e.seq;
    EXPECT_EQ(result, all[e.seq].result) << e.seq;
    ++n;
    ASSERT_TRUE(cursor.Next().ok());
  }
  EXPECT_EQ(n, 30u);
}

TEST(Golden, PackedColumnsIsVersion12AndReadsWhole) {
  // make_golden.cc's PackedColumns(): every value recomputed here.
  auto r = Open("packed-columns.trace");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header().format_minor, 2);
  EXPECT_EQ(r->event_count(), 300u);
  ASSERT_EQ(r->chunks().size(), 3u);
  ChunkDecoder decoder;
  DecodedChunk chunk;
  int64_t reading = 1764000000000000000, countdown = 1000, time = 1764000000000000000;
  for (size_t c = 0; c < r->chunks().size(); ++c) {
    const ChunkIndexEntry& e = r->chunks()[c];
    Bytes body = r->file().subspan(e.file_offset + 16, e.record_size - 16);
    // The packed sections, not the varint ones (§7.5, §7.8).
    std::vector<uint8_t> ids;
    for (uint16_t k = 0; k < LoadU16(body.data() + 18); ++k) ids.push_back(body[20 + 12 * k]);
    EXPECT_NE(std::find(ids.begin(), ids.end(), 13), ids.end()) << "chunk " << c;
    EXPECT_NE(std::find(ids.begin(), ids.end(), 14), ids.end()) << "chunk " << c;
    EXPECT_EQ(std::find(ids.begin(), ids.end(), 9), ids.end()) << "chunk " << c;
    EXPECT_EQ(std::find(ids.begin(), ids.end(), 129), ids.end()) << "chunk " << c;
    auto hash = decoder.ContentHash(body, e.file_offset);
    ASSERT_TRUE(hash.has_value());
    EXPECT_EQ(*hash, e.content_hash) << "chunk " << c;
    ASSERT_TRUE(r->ReadChunk(c, kDecodeAll, &decoder, &chunk).ok());
    for (uint32_t j = 0; j < chunk.size(); ++j) {
      uint64_t i = chunk.first_seq() + j;
      time += 1000 + (i % 64 == 63 ? 2000000 : 0);
      EXPECT_EQ(chunk.time(j), time) << i;
      EXPECT_EQ(chunk.duration(j), i % 7 == 0 ? 5000u : 0u) << i;
      PayloadView result = chunk.result(j);
      if (i % 10 == 9) {
        EXPECT_EQ(chunk.kind(j), 3) << i;
        EXPECT_EQ(AsChars(chunk.args(j).bytes()), "tick\n");
      } else if (i % 10 == 8) {
        countdown -= int64_t(i % 3);
        EXPECT_EQ(chunk.kind(j), 129) << i;
        ASSERT_EQ(result.size, 8u);
        EXPECT_EQ(LoadU64(result.data), uint64_t(countdown) << 8) << i;
      } else {
        reading += 30 + int64_t(i * 7 % 16) + (i % 50 == 49 ? 1000000 : 0);
        EXPECT_EQ(chunk.kind(j), 1) << i;
        ASSERT_EQ(result.size, 8u);
        EXPECT_EQ(LoadU64(result.data), uint64_t(reading)) << i;
      }
    }
  }
}

TEST(Golden, EscapesTraceKeepsItsBytes) {
  // The reader returns what the file holds; tools escape it when printing.
  auto r = Open("escapes.trace");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header().program_name, "evil\x1b]0;pwned\x07name");
  EXPECT_EQ(r->outcome().message, "boom\x1b[2J\r\x1b[1Aall good");
  EXPECT_EQ(r->SiteLocation(0xe5c), "src/\r\x1b[2Kfake.cc:1:1\xc2\x9b\xff\xe2\x80\xae");
}

TEST(Golden, TextFileIsNotATrace) {
  auto r = TraceReader::Open(Golden("not-a-trace.txt"));
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("not a tape trace"), std::string::npos);
}

}  // namespace
}  // namespace tape::format::testing
