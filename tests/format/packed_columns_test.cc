// INT_PACKED and TIMES_PACKED (format 1.2, specs/trace-format.md §7.5, §7.8,
// §7.9) against INT_RESULTS and EVENT_TIMES (1.1): the same events written
// both ways decode to the same values through every way a reader decodes
// them; and hand-made chunks that break the new sections' rules are corrupt,
// whatever the decoder was asked for.

#include <gtest/gtest.h>

#include <random>

#include "format/chunk_cursor.h"
#include "format/layout.h"
#include "format/packed_ints.h"
#include "tests/format/raw_trace.h"
#include "tests/format/trace_fixture.h"

namespace tape::format::testing {
namespace {

struct TimedEvent {
  TestEvent e;
  int64_t time;
  uint64_t duration;
};

// Clock readings at a few sites (runs of them, as loops make), a second
// integer-coded kind that counts down, and other payloads; times that jump
// every so often; durations on some events.
std::vector<TimedEvent> Events(uint32_t seed, size_t n) {
  std::mt19937_64 rng(seed);
  std::vector<TestEvent> others = RandomEvents(seed, n);
  std::vector<TimedEvent> out;
  int64_t clock = 1764000000000000000, counter = 1000000, time = 1764000000000000000;
  for (size_t i = 0; i < n; ++i) {
    TimedEvent t{others[i], 0, 0};
    uint64_t pick = rng() % 10;
    if (pick < 6) {  // a clock reading, mostly from one site
      t.e = {pick < 5 ? 0x100u : 0x101u, 1, "", ""};
      clock += 30 + int64_t(rng() % (pick == 0 ? 100000 : 16));
      t.e.result.assign(8, '\0');
      StoreU64(reinterpret_cast<uint8_t*>(t.e.result.data()), uint64_t(clock));
    } else if (pick == 6) {  // a user kind with an 8-byte result that goes down
      t.e = {0x102, 130, "n", ""};
      counter -= int64_t(rng() % 7);
      t.e.result.assign(8, '\0');
      StoreU64(reinterpret_cast<uint8_t*>(t.e.result.data()), uint64_t(counter));
    }
    if (rng() % 50 == 0) time += int64_t(rng() % 1000000);
    t.time = time;
    t.duration = rng() % 8 == 0 ? rng() % 5000 : 0;
    out.push_back(std::move(t));
  }
  return out;
}

std::string Write(const TempDir& dir, const std::string& name, const std::vector<TimedEvent>& events,
                  bool packed, bool durations) {
  WriterOptions o;
  o.chunk_max_events = 700;  // chunks of several blocks, and a last one that is not full
  o.packed_columns = packed;
  std::string path = dir.File(name);
  auto w = TraceWriter::Create(path, TestHeader(), o);
  EXPECT_TRUE(w.has_value());
  for (const TimedEvent& t : events) {
    (*w)->DefineSite(t.e.site, SiteText(t.e.site));
    (*w)->AppendTimed(t.e.site, t.e.kind, AsBytes(t.e.args), AsBytes(t.e.result), t.time,
                      durations ? t.duration : 0);
  }
  EXPECT_TRUE((*w)->Finish(Outcome::Exited(0)).ok());
  return path;
}

// Which of the two codings the trace's chunks use: every chunk one.
void ExpectCoding(const TraceReader& r, bool packed) {
  EXPECT_EQ(r.header().format_minor, packed ? kFormatMinorPacked : kFormatMinorGaps);
  for (size_t c = 0; c < r.chunks().size(); ++c) {
    const ChunkIndexEntry& e = r.chunks()[c];
    Bytes body = r.file().subspan(e.file_offset + kRecordHeaderSize, e.record_size - kRecordHeaderSize);
    uint16_t count = LoadU16(body.data() + 18);
    bool ints = false, times = false;
    for (uint16_t s = 0; s < count; ++s) {
      uint8_t id = body[kChunkFixedSize + s * kSectionEntrySize];
      ints |= id == uint8_t(packed ? SectionId::kIntPacked : SectionId::kIntResults);
      times |= id == (packed ? uint8_t(SectionId::kTimesPacked) : kEventTimesSection);
      EXPECT_NE(id, uint8_t(packed ? SectionId::kIntResults : SectionId::kIntPacked));
      EXPECT_NE(id, packed ? kEventTimesSection : uint8_t(SectionId::kTimesPacked));
    }
    EXPECT_TRUE(ints) << "chunk " << c;
    EXPECT_TRUE(times) << "chunk " << c;
  }
}

// Every event as the random-access decode (kDecodeAll) has it, checked
// against the cursor's walk (kDecodeCursor, with integer runs) and against
// the decode without arrays (first and last times).
void ExpectEvents(const TraceReader& r, const std::vector<TimedEvent>& want, bool durations) {
  ChunkDecoder decoder;
  DecodedChunk all, slim, bare;
  ChunkCursor cursor;
  size_t seq = 0, via_runs = 0;
  for (size_t c = 0; c < r.chunks().size(); ++c) {
    ASSERT_TRUE(r.ReadChunk(c, kDecodeAll, &decoder, &all).ok());
    for (uint32_t i = 0; i < all.size(); ++i) {
      const TimedEvent& t = want[all.first_seq() + i];
      EXPECT_EQ(all.site(i), t.e.site);
      EXPECT_EQ(all.kind(i), t.e.kind);
      EXPECT_EQ(AsChars(all.args(i).bytes()), t.e.args);
      EXPECT_EQ(AsChars(all.result(i).bytes()), t.e.result) << "seq " << all.first_seq() + i;
      EXPECT_EQ(all.time(i), t.time);
      EXPECT_EQ(all.duration(i), durations ? t.duration : 0);
    }
    ASSERT_TRUE(r.ReadChunk(c, kDecodeCursor, &decoder, &slim).ok());
    cursor.Reset(&slim);
    uint32_t i = 0;
    while (!cursor.at_end()) {
      if (uint32_t left = cursor.IntRunLeft(); left > 0) {
        for (uint32_t k = 0; k < left; ++k) {
          EXPECT_EQ(uint64_t(cursor.int_values()[k]), LoadU64(all.result(i + k).data));
        }
        cursor.SkipIntRun(left);
        i += left;
        via_runs += left;
        continue;
      }
      PayloadView a, res;
      cursor.Take(&a, &res);
      EXPECT_EQ(AsChars(res.bytes()), AsChars(all.result(i).bytes())) << "event " << i;
      ++i;
    }
    ASSERT_TRUE(r.ReadChunk(c, kDecodeTimes | kDecodePayloads | kDecodeSites | kDecodeNoArrays,
                            &decoder, &bare)
                    .ok());
    EXPECT_EQ(bare.first_time(), all.time(0));
    EXPECT_EQ(bare.last_time(), all.time(all.size() - 1));
    // The index's content hash is the chunk's (§7.6), with INT_PACKED.
    EXPECT_EQ(decoder.DecodedContentHash().value_or(0), r.chunks()[c].content_hash);
    seq += all.size();
  }
  EXPECT_EQ(seq, want.size());
  EXPECT_GT(via_runs, want.size() / 20);
}

// `events` written in both codings, with and without durations, read back
// the same through every decode.
void ExpectBothCodingsRoundTrip(const std::vector<TimedEvent>& events) {
  for (bool durations : {false, true}) {
    TempDir dir;
    for (bool packed : {true, false}) {
      SCOPED_TRACE(std::string(packed ? "packed" : "varints") +
                   (durations ? ", durations" : ""));
      std::string path = Write(dir, packed ? "packed" : "varints", events, packed, durations);
      auto r = TraceReader::Open(path);
      ASSERT_TRUE(r.has_value()) << r.error().message();
      ExpectCoding(**r, packed);
      ExpectEvents(**r, events, durations);
    }
  }
}

TEST(PackedColumns, BothCodingsDecodeToTheSameEvents) {
  ExpectBothCodingsRoundTrip(Events(72, 5000));
  ExpectBothCodingsRoundTrip(Events(71, 5000));
}

// Chunks where every result is an 8-byte one of an integer-coded kind (a
// loop reading the clock, here with a second kind in runs of its own): the
// encoder codes them while it chooses the kinds (ChunkEncoder's short path),
// and both codings must give the same events as the general path does.
TEST(PackedColumns, ChunksOfOnlyIntegerResultsDecodeToTheSameEvents) {
  std::vector<TimedEvent> events;
  for (const TimedEvent& t : Events(73, 5000)) {
    if (t.e.result.size() == 8) events.push_back(t);
  }
  ExpectBothCodingsRoundTrip(events);
}

// --- hand-made chunks (§7.5, §7.8, §7.9) ---------------------------------------

using Sections = RawSections;

std::vector<uint8_t> Varint(uint64_t v) {
  uint8_t tmp[kMaxVarintBytes];
  return {tmp, tmp + StoreVarint(tmp, v)};
}

std::vector<uint8_t> Packed(const std::vector<uint64_t>& values) {
  ByteBuffer out;
  PackBlocks(values.data(), values.size(), &out);
  return {out.begin(), out.end()};
}

std::vector<uint8_t> Cat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// n clock readings at one site, integer-coded with `ints` as INT_PACKED
// (or INT_RESULTS), and `times` as TIMES_PACKED (none when empty), plus
// `extra` sections.
std::vector<uint8_t> ClockChunk(uint32_t n, const std::vector<uint8_t>& ints,
                                const std::vector<uint8_t>& times = {}, const Sections& extra = {},
                                uint8_t int_section = uint8_t(SectionId::kIntPacked)) {
  Sections s = {
      {1, std::vector<uint8_t>(8, 0x11)},   // SITE_DICT
      {2, std::vector<uint8_t>(n, 0)},      // SITE_INDEX
      {3, std::vector<uint8_t>(n, 1)},      // KINDS: clock.now
      {4, std::vector<uint8_t>(n, 0)},      // ARG_LENS
      {6, std::vector<uint8_t>(n, 16)},     // RESULT_LENS: 8 bytes, not spilled
      {8, {1}},                             // INT_KINDS: clock.now
      {int_section, ints},
  };
  if (!times.empty()) s.push_back({uint8_t(SectionId::kTimesPacked), times});
  s.insert(s.end(), extra.begin(), extra.end());
  std::sort(s.begin(), s.end(), [](auto& a, auto& b) { return a.first < b.first; });
  return RawChunkBody(n, s);
}

const unsigned kEveryDecode[] = {
    kDecodeCursor, kDecodeAll, kDecodePayloads | kDecodeSites | kDecodeNoArrays,
    kDecodeTimes | kDecodeNoArrays, kDecodeTimes};

Status Decode(const std::vector<uint8_t>& body, unsigned parts, DecodedChunk* chunk) {
  ChunkDecoder decoder;
  return decoder.Decode(Bytes(body.data(), body.size()), 100, parts, chunk);
}

TEST(PackedColumnsChunk, AValidChunkDecodesEveryWay) {
  // Anchor 5000, then deltas 0, 7, 7, 9: readings 5000, 5007, 5014, 5023.
  auto body = ClockChunk(4, Cat(Varint(ZigZag(5000)), Packed({0, 7, 7, 9})),
                         Cat(Varint(1000), Packed({0, 25, 0})));
  for (unsigned parts : kEveryDecode) {
    DecodedChunk chunk;
    Status s = Decode(body, parts, &chunk);
    ASSERT_TRUE(s.ok()) << parts << ": " << s.message();
  }
  DecodedChunk chunk;
  ASSERT_TRUE(Decode(body, kDecodeAll, &chunk).ok());
  EXPECT_EQ(LoadU64(chunk.result(3).data), 5023u);
  EXPECT_EQ(chunk.time(2), 1025);
  EXPECT_EQ(chunk.time(3), 1025);
}

void ExpectCorrupt(const std::vector<uint8_t>& body, const std::string& section,
                   const std::string& why, std::initializer_list<unsigned> parts) {
  for (unsigned p : parts) {
    DecodedChunk chunk;
    Status s = Decode(body, p, &chunk);
    ASSERT_FALSE(s.ok()) << why << " (parts " << p << ")";
    EXPECT_EQ(s.code(), StatusCode::kCorrupt) << why;
    EXPECT_NE(s.message().find(section), std::string::npos) << why << ": " << s.message();
  }
}

TEST(PackedColumnsChunk, ABrokenIntPackedMakesTheChunkCorrupt) {
  auto anchor = Varint(ZigZag(5000));
  std::initializer_list<unsigned> payloads = {kDecodeCursor, kDecodeAll,
                                              kDecodePayloads | kDecodeNoArrays};
  ExpectCorrupt(ClockChunk(4, {}), "INT_PACKED", "no anchor", payloads);
  // (Three 8-bit values take 3 bytes; four, 4. With narrower widths the
  // padding can hold a fourth value: the count comes from the lengths.)
  ExpectCorrupt(ClockChunk(4, Cat(anchor, Packed({0, 200, 200}))), "INT_PACKED",
                "three values for four results", payloads);
  ExpectCorrupt(ClockChunk(4, Cat(Cat(anchor, Packed({0, 7, 7, 9})), {0})), "INT_PACKED",
                "a byte after the last value", payloads);
  ExpectCorrupt(ClockChunk(4, Cat(anchor, {0, 65})), "INT_PACKED", "a width of 65", payloads);
  ExpectCorrupt(ClockChunk(4, Cat(anchor, {0, 3, 0x00, 0xf0})), "INT_PACKED",
                "padding bits that are not 0", payloads);
  ExpectCorrupt(ClockChunk(4, Cat(anchor, Packed({0, 7, 7, 9})), {},
                           {{uint8_t(SectionId::kIntResults), {0, 0, 0, 0}}}),
                "INT_RESULTS and INT_PACKED", "both codings", {kDecodeKinds, kDecodeCursor});
}

TEST(PackedColumnsChunk, ABrokenTimesPackedMakesTheChunkCorrupt) {
  auto ints = Cat(Varint(ZigZag(5000)), Packed({0, 7, 7, 9}));
  std::initializer_list<unsigned> times = {kDecodeTimes, kDecodeTimes | kDecodeNoArrays,
                                           kDecodeAll};
  auto chunk = [&](const std::vector<uint8_t>& column) { return ClockChunk(4, ints, column); };
  ExpectCorrupt(chunk(Cat(Varint(0), Packed({0, 0, 0}))), "TIMES_PACKED", "a first time of 0",
                times);
  ExpectCorrupt(chunk(Cat(Varint(uint64_t(INT64_MAX) + 1), Packed({0, 0, 0}))), "TIMES_PACKED",
                "a first time past 2^63-1", times);
  ExpectCorrupt(chunk(Cat(Varint(1000), Packed({5, 9}))), "TIMES_PACKED", "two deltas for three",
                times);
  ExpectCorrupt(chunk(Cat(Varint(uint64_t(INT64_MAX) - 5), Packed({0, 6, 0}))), "TIMES_PACKED",
                "a running time past 2^63-1", times);
  ExpectCorrupt(chunk(Cat(Varint(1000), Packed({0, uint64_t(-1), 0}))), "TIMES_PACKED",
                "a delta that wraps around", times);
  ExpectCorrupt(chunk(Cat(Cat(Varint(1000), Packed({1, 2, 3})), Packed({1, 20, 3}))),
                "TIMES_PACKED", "three durations for four events", times);
  ExpectCorrupt(chunk(Cat(Cat(Varint(uint64_t(INT64_MAX) - 5), Packed({0, 0, 0})),
                          Packed({0, 0, 0, 6}))),
                "TIMES_PACKED", "a duration that ends past 2^63-1", times);
  ExpectCorrupt(chunk(Cat(Cat(Cat(Varint(1000), Packed({1, 2, 3})), Packed({0, 0, 0, 0})), {7})),
                "TIMES_PACKED", "a byte after the durations", times);
  ExpectCorrupt(ClockChunk(4, ints, Cat(Varint(1000), Packed({0, 0, 0})),
                           {{kEventTimesSection, Cat(Varint(1000), {0, 0, 0})}}),
                "EVENT_TIMES and TIMES_PACKED", "both codings", {kDecodeKinds, kDecodeTimes});
}

TEST(PackedColumnsChunk, EveryByteFlippedIsRefusedOrDecodes) {
  // Under AddressSanitizer, this is what shows that no length is used
  // before it is checked.
  std::vector<uint64_t> deltas(150), time_deltas(149), durations(150);
  std::mt19937_64 rng(5);
  for (uint64_t& d : deltas) d = 30 + rng() % 16;
  for (uint64_t& d : time_deltas) d = rng() % 40 == 0 ? 100000 : 0;
  for (uint64_t& d : durations) d = rng() % 8 == 0 ? rng() % 5000 : 0;
  auto body = ClockChunk(150, Cat(Varint(ZigZag(1764000000000000000)), Packed(deltas)),
                         Cat(Cat(Varint(1764000000000000000), Packed(time_deltas)),
                             Packed(durations)));
  size_t ok = 0, refused = 0;
  ChunkDecoder decoder;
  DecodedChunk chunk;
  std::vector<uint8_t> bad;
  for (size_t i = kChunkFixedSize; i < body.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      bad = body;
      bad[i] ^= uint8_t(1 << bit);
      for (unsigned parts : kEveryDecode) {
        bool decoded = decoder.Decode(Bytes(bad.data(), bad.size()), 100, parts, &chunk).ok();
        (decoded ? ok : refused)++;
      }
    }
  }
  EXPECT_GT(refused, 0u);
  EXPECT_GT(ok, 0u);  // flips inside the packed bits are other valid values
}

}  // namespace
}  // namespace tape::format::testing
