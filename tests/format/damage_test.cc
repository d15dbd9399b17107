// Damaged traces: every truncation point and every single-byte flip of a
// small trace either opens as a clean prefix of the original or fails with a
// clear error. Never a crash, never an event that differs from what was
// written (every record is checksummed).

#include <gtest/gtest.h>

#include "format/layout.h"
#include "format/records.h"
#include "tests/format/trace_fixture.h"

namespace tape::format::testing {
namespace {

class DamageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriterOptions o;
    o.chunk_max_events = 5;
    o.chunk_max_payload = 1024;
    o.spill_threshold = 64;  // one payload below is spilled into BLOB records
    events_ = RandomEvents(21, 18, 40);
    events_[7].result.assign(100, 'z');
    WriteTrace(dir_.File("good"), events_, o, Outcome::Exited(1));
    bytes_ = ReadFile(dir_.File("good"));
  }

  // Opens `damaged`; if it opens, every event that decodes must equal the
  // original's at the same seq. Returns the open status.
  Status CheckDamaged(const std::string& damaged, uint64_t* events_read) {
    auto reader = TraceReader::OpenBytes(AsBytes(damaged), "damaged");
    *events_read = 0;
    if (!reader.has_value()) {
      EXPECT_FALSE(reader.error().message().empty());
      return reader.error();
    }
    const TraceReader& r = **reader;
    EXPECT_LE(r.event_count(), events_.size());
    ChunkDecoder decoder;
    DecodedChunk chunk;
    for (size_t c = 0; c < r.chunks().size(); ++c) {
      Status s = r.ReadChunk(c, kDecodeAll, &decoder, &chunk);
      if (!s.ok()) {
        EXPECT_FALSE(s.message().empty());
        continue;
      }
      for (uint32_t i = 0; i < chunk.size(); ++i) {
        EventView e = chunk.event(i);
        const TestEvent& want = events_[e.seq];
        std::string args, result;
        if (!r.ReadPayload(e.args, UINT64_MAX, &args).ok()) continue;
        if (!r.ReadPayload(e.result, UINT64_MAX, &result).ok()) continue;
        EXPECT_EQ(e.site, want.site) << "seq " << e.seq;
        EXPECT_EQ(e.kind, want.kind) << "seq " << e.seq;
        EXPECT_EQ(args, want.args) << "seq " << e.seq;
        EXPECT_EQ(result, want.result) << "seq " << e.seq;
        ++*events_read;
      }
    }
    return Status::Ok();
  }

  TempDir dir_;
  std::vector<TestEvent> events_;
  std::string bytes_;
};

TEST_F(DamageTest, TheUndamagedTraceReadsWhole) {
  uint64_t n;
  ASSERT_TRUE(CheckDamaged(bytes_, &n).ok());
  EXPECT_EQ(n, events_.size());
}

TEST_F(DamageTest, EveryTruncationIsACleanPrefixOrAClearError) {
  uint64_t last_count = 0;
  for (size_t len = 0; len < bytes_.size(); ++len) {
    SCOPED_TRACE("truncated to " + std::to_string(len) + " bytes");
    uint64_t n;
    Status s = CheckDamaged(bytes_.substr(0, len), &n);
    if (len < kPreludeSize + kRecordHeaderSize) {
      EXPECT_FALSE(s.ok());
      continue;
    }
    if (!s.ok()) {
      // Only the prelude and the HEAD record are required.
      EXPECT_NE(s.message().find("header"), std::string::npos) << s.message();
      continue;
    }
    auto reader = TraceReader::OpenBytes(AsBytes(bytes_).first(len));
    ASSERT_TRUE(reader.has_value());
    EXPECT_FALSE((*reader)->finalized());
    // Once the FOOT record is whole, only the trailer is missing: the
    // outcome is known. Before that, the recording reads as interrupted.
    uint64_t footer_end = bytes_.size() - kTrailerSize;
    EXPECT_EQ((*reader)->outcome().kind,
              len >= footer_end ? OutcomeKind::kExited : OutcomeKind::kInterrupted);
    // Recovered events grow monotonically with the length kept.
    EXPECT_GE((*reader)->event_count(), last_count);
    last_count = (*reader)->event_count();
    EXPECT_EQ(n, (*reader)->event_count());
  }
  EXPECT_GT(last_count, 0u);
}

TEST_F(DamageTest, EveryByteFlipIsDetectedOrHarmless) {
  size_t opened = 0, refused = 0;
  for (size_t at = 0; at < bytes_.size(); ++at) {
    SCOPED_TRACE("byte " + std::to_string(at) + " flipped");
    std::string damaged = bytes_;
    damaged[at] = char(damaged[at] ^ 0x5a);
    uint64_t n;
    Status s = CheckDamaged(damaged, &n);
    (s.ok() ? opened : refused)++;
  }
  // Flips in the prelude or the header refuse to open; elsewhere the trace
  // opens (a damaged footer falls back to scanning).
  EXPECT_GT(opened, 0u);
  EXPECT_GT(refused, 0u);
}

TEST_F(DamageTest, BadMagicSaysNotATrace) {
  auto r = TraceReader::OpenBytes(AsBytes(std::string("# a .tape script\nprint(1)\n")), "x.tape");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), StatusCode::kCorrupt);
  EXPECT_NE(r.error().message().find("not a tape trace"), std::string::npos);
}

TEST_F(DamageTest, FutureMajorVersionIsUnsupported) {
  std::string damaged = bytes_;
  StoreU16(reinterpret_cast<uint8_t*>(damaged.data()) + 8, kFormatMajor + 1);
  auto r = TraceReader::OpenBytes(AsBytes(damaged));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), StatusCode::kUnsupported);
  std::string version = "version 2." + std::to_string(kFormatMinor);
  EXPECT_NE(r.error().message().find(version), std::string::npos) << r.error().message();
}

TEST_F(DamageTest, NewerMinorVersionStillReads) {
  std::string newer = bytes_;
  StoreU16(reinterpret_cast<uint8_t*>(newer.data()) + 10, kFormatMinor + 1);
  uint64_t n;
  ASSERT_TRUE(CheckDamaged(newer, &n).ok());
  EXPECT_EQ(n, events_.size());
}

TEST_F(DamageTest, ReservedPreludeFlagsMustBeZero) {
  std::string damaged = bytes_;
  damaged[12] = 1;
  auto r = TraceReader::OpenBytes(AsBytes(damaged));
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("reserved"), std::string::npos);
}

// Rewrites the record at `offset` with a new body and a valid checksum, so
// that only the reader's own validation can catch the lie.
std::string ForgeRecord(const std::string& file, uint64_t offset, const std::vector<uint8_t>& body) {
  uint32_t tag = LoadU32(reinterpret_cast<const uint8_t*>(file.data()) + offset);
  uint32_t old_len = LoadU32(reinterpret_cast<const uint8_t*>(file.data()) + offset + 4);
  std::vector<uint8_t> rec;
  AppendRecord(tag, body, &rec);
  std::string out = file.substr(0, offset);
  out.append(reinterpret_cast<const char*>(rec.data()), rec.size());
  out += file.substr(offset + 16 + old_len);
  return out;
}

TEST_F(DamageTest, DecompressionBombIsRefusedBeforeAllocating) {
  // A chunk whose heap declares 1 GiB decoded bytes, checksum fixed up.
  auto reader = TraceReader::OpenBytes(AsBytes(bytes_));
  ASSERT_TRUE(reader.has_value());
  const ChunkIndexEntry& c = (*reader)->chunks()[0];
  std::vector<uint8_t> body(bytes_.begin() + c.file_offset + 16,
                            bytes_.begin() + c.file_offset + c.record_size);
  uint16_t sections = LoadU16(body.data() + 18);
  for (uint16_t i = 0; i < sections; ++i) {
    uint8_t* entry = body.data() + kChunkFixedSize + i * kSectionEntrySize;
    if (entry[0] == uint8_t(SectionId::kResultHeap)) {
      entry[1] = uint8_t(Codec::kZstd);
      StoreU32(entry + 8, 1u << 30);
    }
  }
  std::string forged = ForgeRecord(bytes_, c.file_offset, body);
  auto r = TraceReader::OpenBytes(AsBytes(forged));
  ASSERT_TRUE(r.has_value());
  ChunkDecoder decoder;
  DecodedChunk chunk;
  Status s = (*r)->ReadChunk(0, kDecodeAll, &decoder, &chunk);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("chunk 0"), std::string::npos) << s.message();
}

TEST_F(DamageTest, AbsurdEventCountIsRefused) {
  auto reader = TraceReader::OpenBytes(AsBytes(bytes_));
  ASSERT_TRUE(reader.has_value());
  const ChunkIndexEntry& c = (*reader)->chunks()[1];
  std::vector<uint8_t> body(bytes_.begin() + c.file_offset + 16,
                            bytes_.begin() + c.file_offset + c.record_size);
  StoreU32(body.data() + 12, 0xffffffffu);
  std::string forged = ForgeRecord(bytes_, c.file_offset, body);
  // The index is intact, so the trace opens; reading the chunk refuses it.
  auto r = TraceReader::OpenBytes(AsBytes(forged));
  ASSERT_TRUE(r.has_value());
  ChunkDecoder decoder;
  DecodedChunk chunk;
  Status s = (*r)->ReadChunk(1, kDecodeAll, &decoder, &chunk);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("event count 4294967295"), std::string::npos) << s.message();

  // Without the footer, the scan stops at the forged chunk and keeps chunk 0.
  std::string cut = forged.substr(0, c.file_offset + c.record_size);
  auto scanned = TraceReader::OpenBytes(AsBytes(cut));
  ASSERT_TRUE(scanned.has_value());
  EXPECT_EQ((*scanned)->chunks().size(), 1u);
  EXPECT_NE((*scanned)->recovery_note().find("event count 4294967295"), std::string::npos)
      << (*scanned)->recovery_note();
}

TEST_F(DamageTest, FooterIndexPointingOutsideTheFileFallsBackToScanning) {
  auto reader = TraceReader::OpenBytes(AsBytes(bytes_));
  ASSERT_TRUE(reader.has_value());
  uint64_t footer_offset = LoadU64(reinterpret_cast<const uint8_t*>(bytes_.data()) + bytes_.size() - 16);
  Footer footer;
  RecordView rec;
  ASSERT_TRUE(ReadRecord(AsBytes(bytes_), footer_offset, &rec).ok());
  ASSERT_TRUE(ParseFooterBody(rec.body, &footer).ok());
  footer.chunks[2].file_offset = 1ull << 50;
  std::string forged = ForgeRecord(bytes_, footer_offset, EncodeFooterBody(footer));
  auto r = TraceReader::OpenBytes(AsBytes(forged));
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE((*r)->finalized());
  EXPECT_EQ((*r)->event_count(), events_.size());
  EXPECT_NE((*r)->recovery_note().find("footer is damaged"), std::string::npos);
}

}  // namespace
}  // namespace tape::format::testing

namespace tape::format::testing {
namespace {

// Found by the trace reader fuzzer: the first 5 bytes of the magic alone made
// the "damaged magic" check read 8 bytes.
TEST(FuzzRegression, FiveBytesOfMagicAreNotATrace) {
  const uint8_t bytes[] = {0x89, 'T', 'A', 'P', 'E'};
  auto r = TraceReader::OpenBytes({bytes, sizeof bytes});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("not a tape trace"), std::string::npos);
}

}  // namespace
}  // namespace tape::format::testing
