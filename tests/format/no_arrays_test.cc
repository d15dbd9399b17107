// kDecodeNoArrays (verify's and stats' whole-trace passes) must judge every
// chunk exactly as the decode with per-event arrays does: the same status and
// message for a damaged chunk, and for a sound one the same kinds, first and
// last times, payload sizes and content hash. Its fast paths (one-byte
// lengths, short INT_RESULTS values, one-byte time deltas) are each taken by
// some chunk below and declined by others.

#include <gtest/gtest.h>

#include <iterator>
#include <random>

#include "format/chunk_decoder.h"
#include "format/records.h"
#include "format/trace_reader.h"
#include "tests/format/raw_trace.h"
#include "tests/format/trace_fixture.h"

namespace tape::format::testing {
namespace {

// The sum of a validated length column's lengths (§7.4: varint >> 1).
uint64_t ColumnSum(Bytes lens, bool one_byte) {
  uint64_t sum = 0;
  const uint8_t* p = lens.data();
  const uint8_t* end = p + lens.size();
  while (p < end) {
    uint64_t v = 0;
    EXPECT_TRUE(ParseVarint(&p, end, &v));
    if (one_byte) EXPECT_LT(v, 0x80u);
    sum += v >> 1;
  }
  return sum;
}

// Decodes `body` with `parts` and with `parts | kDecodeNoArrays`; both must
// agree. Returns whether the chunk decoded.
bool Agree(Bytes body, uint64_t offset, unsigned parts, const std::string& what) {
  SCOPED_TRACE(what + ", parts " + std::to_string(parts));
  ChunkDecoder with, without;
  DecodedChunk a, b;
  Status sa = with.Decode(body, offset, parts, &a);
  Status sb = without.Decode(body, offset, parts | kDecodeNoArrays, &b);
  EXPECT_EQ(sa.ok(), sb.ok());
  EXPECT_EQ(sa.message(), sb.message());
  if (!sa.ok() || !sb.ok()) return false;
  EXPECT_EQ(a.size(), b.size());
  for (uint32_t i = 0; i < a.size() && (parts & kDecodeKinds); ++i) {
    EXPECT_EQ(a.kind(i), b.kind(i));
    EXPECT_EQ(a.lane(i), b.lane(i));
  }
  if (parts & kDecodeTimes) {
    EXPECT_EQ(b.first_time(), a.has_times() ? a.time(0) : 0);
    EXPECT_EQ(b.last_time(), a.has_times() ? a.time(a.size() - 1) : 0);
    EXPECT_EQ(a.first_time(), b.first_time());
    EXPECT_EQ(a.last_time(), b.last_time());
  }
  if ((parts & kDecodeSizes) == kDecodeSizes || (parts & kDecodePayloads) == kDecodePayloads) {
    uint64_t args = 0, results = 0;
    for (uint32_t i = 0; i < a.size(); ++i) {
      args += a.args_size(i);
      results += a.result_size(i);
    }
    const DecodedChunk::Columns& c = b.columns();
    EXPECT_EQ(ColumnSum(c.arg_lens, c.one_byte_arg_lens), args);
    EXPECT_EQ(ColumnSum(c.result_lens, c.one_byte_result_lens), results);
  }
  EXPECT_EQ(with.DecodedContentHash(), without.DecodedContentHash());
  return true;
}

const unsigned kPartSets[] = {kDecodeAll, kDecodeSites | kDecodeSizes,
                              kDecodeKinds | kDecodeTimes | kDecodePayloads};

// Every chunk of `bytes` (a trace) decoded both ways. Returns how many decoded.
size_t AgreeOnEveryChunk(const std::string& bytes, const std::string& what) {
  auto reader = TraceReader::OpenBytes(AsBytes(bytes));
  EXPECT_TRUE(reader.has_value());
  if (!reader.has_value()) return 0;
  size_t decoded = 0;
  for (const ChunkIndexEntry& entry : (*reader)->chunks()) {
    RecordView rec;
    EXPECT_TRUE(ReadRecord(AsBytes(bytes), entry.file_offset, &rec).ok());
    for (unsigned parts : kPartSets) decoded += Agree(rec.body, entry.file_offset, parts, what);
  }
  return decoded;
}

std::string Le64(int64_t v) {
  std::string s(8, '\0');
  for (int k = 0; k < 8; ++k) s[k] = char(uint64_t(v) >> (8 * k));
  return s;
}

// Clock readings whose deltas are drawn below `max_step` (so INT_RESULTS
// values and time deltas of one, two or more bytes), with durations below
// `max_duration` (none when 0).
std::string ClockTrace(uint64_t seed, int64_t max_step, uint64_t max_duration,
                       uint32_t chunk_events = 64, int events = 300) {
  std::mt19937_64 rng(seed);
  RawTrace raw(TestHeader(), chunk_events);
  raw.Define(0x1, "t.cc:1:1");
  raw.Define(0x2, "t.cc:2:1");
  int64_t t = 1764000000000000000;
  for (int i = 0; i < events; ++i) {
    t += int64_t(rng() % uint64_t(max_step));
    std::string r = Le64(t);
    uint64_t d = max_duration ? rng() % max_duration : 0;
    raw.AppendTimed(i % 50 < 40 ? 0x1 : 0x2, 1, {}, AsBytes(r), t, d);
  }
  raw.Finish(Outcome::Exited(0));
  return raw.str();
}

TEST(NoArrays, AgreesOnClockChunksWithShortAndLongValues) {
  // One-byte deltas, no durations: the vectorized time check; two-byte and
  // longer ones take the general loop. Durations of one byte and longer.
  struct Case {
    int64_t step;
    uint64_t duration;
  } cases[] = {{100, 0},     {100, 100},      {100, 5000},     {16000, 0},
               {1 << 20, 0}, {1 << 27, 0},    {1ll << 29, 0},  {1ll << 40, 7}};
  for (const Case& c : cases) {
    std::string what = "step " + std::to_string(c.step) + " duration " + std::to_string(c.duration);
    std::string trace = ClockTrace(uint64_t(c.step) + c.duration, c.step, c.duration);
    EXPECT_EQ(AgreeOnEveryChunk(trace, what), 5u * std::size(kPartSets)) << what;
  }
}

TEST(NoArrays, AgreesOnLargeChunks) {
  // Columns of thousands of bytes: the vectorized loops run in blocks.
  for (int64_t step : {int64_t(100), int64_t(1) << 20, int64_t(1) << 27}) {
    std::string trace = ClockTrace(uint64_t(step), step, 0, 3000, 7000);
    EXPECT_EQ(AgreeOnEveryChunk(trace, "step " + std::to_string(step)), 3u * std::size(kPartSets));
  }
}

TEST(NoArrays, AgreesOnChunksOfOneToFiveEvents) {
  // Columns shorter than the fast loops' look-behind.
  for (uint32_t chunk = 1; chunk <= 5; ++chunk) {
    for (int64_t step : {int64_t(100), int64_t(1) << 27}) {
      std::string what = "chunks of " + std::to_string(chunk) + ", step " + std::to_string(step);
      std::string trace = ClockTrace(chunk, step, 0, chunk, 10);
      EXPECT_EQ(AgreeOnEveryChunk(trace, what), (10 + chunk - 1) / chunk * std::size(kPartSets));
    }
  }
}

TEST(NoArrays, AgreesOnMixedKindsLengthsAndSites) {
  // Kinds 1..8, payloads up to 300 bytes (two-byte lengths), 23 sites.
  for (uint32_t seed : {1u, 2u, 3u}) {
    TempDir dir;
    WriterOptions o;
    o.chunk_max_events = seed == 1 ? 16 : 200;
    WriteTrace(dir.File("t"), RandomEvents(seed, 1000, seed == 3 ? 40 : 300), o);
    EXPECT_GT(AgreeOnEveryChunk(ReadFile(dir.File("t")), "seed " + std::to_string(seed)), 0u);
  }
}

TEST(NoArrays, EveryByteFlipOfAChunkIsJudgedAlike) {
  // Small chunks keep their sections raw (§7.2), so a flip changes a
  // column's bytes rather than a zstd frame's.
  std::string clock = ClockTrace(7, 300, 0, 24, 48);
  std::string mixed;
  {
    TempDir dir;
    WriterOptions o;
    o.chunk_max_events = 12;
    WriteTrace(dir.File("t"), RandomEvents(9, 24, 20), o);
    mixed = ReadFile(dir.File("t"));
  }
  for (const std::string* trace : {&clock, &mixed}) {
    auto reader = TraceReader::OpenBytes(AsBytes(*trace));
    ASSERT_TRUE(reader.has_value());
    const ChunkIndexEntry& entry = (*reader)->chunks()[0];
    RecordView rec;
    ASSERT_TRUE(ReadRecord(AsBytes(*trace), entry.file_offset, &rec).ok());
    std::vector<uint8_t> body(rec.body.begin(), rec.body.end());
    size_t failed = 0, total = 0;
    for (size_t at = 0; at < body.size(); ++at) {
      for (uint8_t mask : {uint8_t(0x01), uint8_t(0x80), uint8_t(0x7f)}) {
        body[at] ^= mask;
        for (unsigned parts : kPartSets) {
          ++total;
          failed += !Agree({body.data(), body.size()}, entry.file_offset, parts,
                           "byte " + std::to_string(at) + " ^ " + std::to_string(mask));
        }
        body[at] ^= mask;
      }
      if (HasFailure()) return;  // one culprit is enough
    }
    // Both outcomes were exercised.
    EXPECT_GT(failed, 0u);
    EXPECT_LT(failed, total);
  }
}

}  // namespace
}  // namespace tape::format::testing
