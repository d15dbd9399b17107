// How payloads read in inspect, diff and drift reports (engine/internal/effect_text.h).

#include "engine/internal/effect_text.h"

#include <gtest/gtest.h>

#include <string>

#include "format/bytes.h"
#include "tape/effects.h"

namespace tape::engine {
namespace {

std::string U64(uint64_t v) {
  std::string out;
  format::AppendU64(&out, v);
  return out;
}

std::string Clock(int64_t ns) {
  return DescribeResult(uint8_t(EffectKind::kClockNow), format::AsBytes(U64(uint64_t(ns))));
}

// The sign comes first, then the magnitude: -1 ns once printed "0.-00000001".
TEST(EffectText, ClockReadingsBeforeTheEpochKeepTheirSignInFront) {
  EXPECT_EQ(Clock(-1), "-0.000000001");
  EXPECT_EQ(Clock(-1500000000), "-1.500000000");
  EXPECT_EQ(Clock(INT64_MIN), "-9223372036.854775808");
  EXPECT_EQ(Clock(0), "0.000000000");
  EXPECT_EQ(Clock(1700000000000000123), "1700000000.000000123");
}

// inspect shows about 64 characters: text up to 64 characters, bytes as the
// hex of the first 32 (the README's promise).
TEST(EffectText, LongPayloadsAreCutAt64CharactersOr32Bytes) {
  std::string bytes(100, '\x01');
  std::string hex;
  for (int i = 0; i < 32; ++i) hex += "01";
  EXPECT_EQ(DescribeResult(uint8_t(EffectKind::kRandomBits), format::AsBytes(bytes), 64),
            "100 bytes " + hex + "…");
  std::string text(100, 'x');
  EXPECT_EQ(Printable(format::AsBytes(text), 64),
            "\"" + std::string(64, 'x') + "\"\u2026 (100 bytes)");
}

TEST(EffectText, ControlBytesAreEscaped) {
  EXPECT_EQ(EscapeText("a\x1b]0;t\x07\r\xff\xe2\x80\xae", false),
            "a\\x1b]0;t\\x07\\r\\xff\\u{202e}");
}

}  // namespace
}  // namespace tape::engine
