// The parser of the original tape's traces (format/original_trace.h) against
// specs/original-trace.md §3: the committed traces parse to what they hold,
// and every rule of §3.4 is broken once on purpose.

#include "format/original_trace.h"

#include <gtest/gtest.h>

#include "tests/format/original_fixture.h"

namespace tape::format::original {
namespace {

using tape::testing::original::Bincode;
using tape::testing::original::GoldenNames;
using tape::testing::original::ReadGolden;
namespace fixture = tape::testing::original;

Bytes B(const std::string& s) { return AsBytes(s); }

// Parses `bytes`, expecting damage whose message contains `what`.
void ExpectDamage(const std::string& bytes, const std::string& what) {
  Trace t;
  Status s = Parse(B(bytes), &t);
  ASSERT_FALSE(s.ok()) << "parsed, expected: " << what;
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_NE(s.message().find(what), std::string::npos) << s.message();
}

TEST(OriginalTrace, EveryCommittedTraceParses) {
  std::vector<std::string> names = GoldenNames();
  ASSERT_GE(names.size(), 5u);
  for (const std::string& name : names) {
    std::string bytes = ReadGolden(name);
    ASSERT_TRUE(HasSignature(B(bytes))) << name;
    Trace t;
    Status s = Parse(B(bytes), &t);
    ASSERT_TRUE(s.ok()) << name << ": " << s.message();
    EXPECT_EQ(t.version, kSchemaVersion);
    EXPECT_EQ(t.last_seq, t.events.size()) << name;
    EXPECT_GT(t.events.size(), 0u) << name;
    for (const Event& e : t.events) {
      EXPECT_GE(e.kind, 1) << name;
      EXPECT_LE(e.kind, 8) << name;
    }
  }
}

TEST(OriginalTrace, DiceHoldsWhatTheSpecSays) {
  std::string bytes = ReadGolden("dice.tape");
  Trace t;
  ASSERT_TRUE(Parse(B(bytes), &t).ok());
  EXPECT_EQ(t.started_at, 1778053548);
  EXPECT_EQ(t.code_hash[0], 0xb1);
  EXPECT_EQ(t.code_hash[31], 0x88);
  ASSERT_EQ(t.events.size(), 3u);
  // clock.now, random.bits, io.write at dice's three sites (§5.2).
  EXPECT_EQ(t.events[0].kind, 1);
  EXPECT_EQ(t.events[0].site, 0xdee8f852u);
  EXPECT_EQ(t.events[0].offset, 52u);
  EXPECT_EQ(t.events[0].args.size(), 0u);
  EXPECT_EQ(t.events[0].result.size(), 8u);
  EXPECT_EQ(LoadU64(t.events[0].result.data()), 1778053548u);
  EXPECT_EQ(t.events[1].kind, 2);
  EXPECT_EQ(t.events[1].site, 0x24eba51bu);
  EXPECT_EQ(t.events[1].args.size(), 8u);
  EXPECT_EQ(t.events[1].result.size(), 9u);
  EXPECT_EQ(t.events[2].kind, 3);
  EXPECT_EQ(t.events[2].args.size(), 8u + 30u);
  EXPECT_EQ(AsChars(t.events[2].args.subspan(8)), "at 1778053548s you rolled a 2\n");
  EXPECT_EQ(t.outcome, OutcomeTag::kExit);
  EXPECT_EQ(t.exit_code, 0);
}

TEST(OriginalTrace, WorkedExampleOffsetsAreTheSpecs) {
  // specs/original-trace.md §9, flaky-failed.tape.
  std::string bytes = ReadGolden("flaky-failed.tape");
  ASSERT_EQ(bytes.size(), 227u);
  Trace t;
  ASSERT_TRUE(Parse(B(bytes), &t).ok());
  ASSERT_EQ(t.events.size(), 2u);
  EXPECT_EQ(t.events[0].offset, 52u);
  EXPECT_EQ(t.events[1].offset, 101u);
  EXPECT_EQ(t.events[1].args.data() - B(bytes).data(), 125);
  EXPECT_EQ(t.outcome, OutcomeTag::kExit);
  EXPECT_EQ(t.exit_code, 1);
}

TEST(OriginalTrace, PanicKeepsItsMessageAndLocation) {
  Trace t;
  ASSERT_TRUE(Parse(B(ReadGolden("script-panic.tape")), &t).ok());
  EXPECT_EQ(t.outcome, OutcomeTag::kPanic);
  EXPECT_EQ(t.panic_message, "capacity overflow");
  EXPECT_TRUE(t.panic_location.ends_with("raw_vec/mod.rs:28")) << t.panic_location;
}

TEST(OriginalTrace, AbortedHasNoFields) {
  Trace t;
  ASSERT_TRUE(Parse(B(fixture::Trace({}, Bincode().U32(2))), &t).ok());
  EXPECT_EQ(t.outcome, OutcomeTag::kAborted);
  EXPECT_TRUE(t.events.empty());
}

TEST(OriginalTrace, EveryTruncationIsRefusedAndKeepsTheCompleteEvents) {
  for (std::string name : {"heartbeat.tape", "script-effects.tape", "script-panic.tape"}) {
    std::string bytes = ReadGolden(name);
    Trace whole;
    ASSERT_TRUE(Parse(B(bytes), &whole).ok());
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      Trace t;
      Status s = Parse(B(bytes.substr(0, cut)), &t);
      ASSERT_FALSE(s.ok()) << name << " cut at " << cut;
      EXPECT_NE(s.message().find("byte "), std::string::npos) << s.message();
      // The events kept are exactly those that end before the cut.
      size_t complete = 0;
      for (size_t i = 0; i < whole.events.size(); ++i) {
        const Event& e = whole.events[i];
        uint64_t end = uint64_t(e.result.data() - B(bytes).data()) + e.result.size();
        if (end <= cut) complete = i + 1;
      }
      EXPECT_EQ(t.events.size(), complete) << name << " cut at " << cut << ": " << s.message();
    }
  }
}

TEST(OriginalTrace, TruncationNamesTheFieldAndTheBytesLeft) {
  std::string bytes = ReadGolden("flaky-failed.tape");
  ExpectDamage(bytes.substr(0, 40), "byte 12: code_hash: needs 32 bytes, 28 left");
  ExpectDamage(bytes.substr(0, 150),
               "byte 117: event 1 args length is 70 bytes, but only 25 follow");
  ExpectDamage(bytes.substr(0, 213), "byte 211: outcome: needs 4 bytes, 2 left");
}

TEST(OriginalTrace, AbsurdEventCountIsRefusedBeforeAllocating) {
  // Three complete events and 4 more bytes: room for 3, not 2^61.
  Bincode b;
  b.U32(2).U64(0).Raw(std::string(32, '\0')).U64(uint64_t(1) << 61);
  for (int i = 0; i < 3; ++i) b.U64(i).U32(1).U32(7).Vec("").Vec("");
  std::string bytes = b.str() + "more";
  ExpectDamage(bytes,
               "byte 44: event count is 2305843009213693952, but the 100 bytes after it "
               "hold at most 3 events");
  Trace t;
  (void)Parse(B(bytes), &t);
  EXPECT_EQ(t.events.size(), 3u);
}

TEST(OriginalTrace, AbsurdPayloadLengthIsRefused) {
  std::string bytes = fixture::Trace({{0x1234, 0, "", ""}});
  // Event 0's args length, at 52 + 16: claim 2^63 bytes.
  std::string forged = bytes;
  for (int i = 0; i < 8; ++i) forged[68 + i] = i == 7 ? '\x80' : '\0';
  ExpectDamage(forged, "byte 68: event 0 args length is 9223372036854775808 bytes");
}

TEST(OriginalTrace, EventsMustBeNumberedFromZero) {
  std::string bytes = fixture::Trace({{}, {}});
  Trace t;
  ASSERT_TRUE(Parse(B(bytes), &t).ok());
  // Event 1 (at 52 + 32 bytes: an event with empty payloads) claims seq 7.
  bytes[84] = 7;
  ExpectDamage(bytes, "byte 84: event 1 has seq 7");
}

TEST(OriginalTrace, KindBeyondTimeSleepIsRefused) {
  ExpectDamage(fixture::Trace({{0x1, 8, "", ""}}), "byte 64: event 0 kind is variant 8");
}

TEST(OriginalTrace, OutcomeBeyondAbortedIsRefused) {
  ExpectDamage(fixture::Trace({}, Bincode().U32(3)), "byte 52: outcome is variant 3");
}

TEST(OriginalTrace, LastSeqMustCountTheEvents) {
  ExpectDamage(fixture::Trace({{}}, Bincode().U32(0).I32(0), 5),
               "last_seq is 5, but the trace holds 1 events");
}

TEST(OriginalTrace, BytesAfterTheFooterAreRefused) {
  ExpectDamage(fixture::Trace({}) + "xy", "byte 68: 2 bytes follow the end of the trace");
}

TEST(OriginalTrace, PanicTextsMustBeUtf8) {
  ExpectDamage(fixture::Trace({}, Bincode().U32(1).Vec("bad \xff").Vec("")),
               "byte 56: panic message is not UTF-8");
  ExpectDamage(fixture::Trace({}, Bincode().U32(1).Vec("ok").Vec("\xc0\x80")),
               "panic location is not UTF-8");
}

TEST(OriginalTrace, OnlySchemaTwoIsRead) {
  for (uint32_t version : {0u, 1u, 3u}) {
    std::string bytes = fixture::Trace({});
    bytes[0] = char(version);
    EXPECT_FALSE(HasSignature(B(bytes)));
    ExpectDamage(bytes, "byte 0: schema version " + std::to_string(version));
  }
  EXPECT_FALSE(HasSignature(B(std::string("\x02\x00\x00", 3))));
  EXPECT_TRUE(HasSignature(B(std::string("\x02\x00\x00\x00", 4))));
}

TEST(OriginalTrace, EveryByteFlipParsesOrIsRefused) {
  std::string bytes = ReadGolden("heartbeat.tape");
  for (size_t at = 0; at < bytes.size(); ++at) {
    std::string flipped = bytes;
    flipped[at] ^= 0x5a;
    Trace t;
    Status s = Parse(B(flipped), &t);
    if (s.ok()) {
      EXPECT_EQ(t.events.size(), 9u) << "flip at " << at;
    } else {
      EXPECT_NE(s.message().find("byte "), std::string::npos) << s.message();
    }
  }
}

TEST(OriginalTrace, IsUtf8AcceptsWhatRustAcceptsAndNothingElse) {
  for (std::string ok :
       {"", "plain", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf"}) {
    EXPECT_TRUE(IsUtf8(B(ok))) << ok;
  }
  for (std::string bad :
       {"\x80", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xed\xa0\x80", "\xf0\x80\x80\x80",
        "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xe2\x82", "\xff", "a\xc3"}) {
    EXPECT_FALSE(IsUtf8(B(bad))) << ::testing::PrintToString(bad);
  }
}

}  // namespace
}  // namespace tape::format::original
