// Packed integers (specs/trace-format.md §7.9): the spec's example byte for
// byte, round trips of every width and block shape, and damage of every kind
// refused without reading outside the bytes given.

#include "format/packed_ints.h"

#include <gtest/gtest.h>

#include <limits>
#include <memory>
#include <random>
#include <vector>

namespace tape::format {
namespace {

std::vector<uint64_t> Decode(const std::vector<uint8_t>& bytes, size_t n, bool* ok,
                             size_t* used = nullptr) {
  // An exact-size heap copy: reading one byte past it is an ASan error.
  std::unique_ptr<uint8_t[]> copy(new uint8_t[bytes.size() + 1]);
  std::copy(bytes.begin(), bytes.end(), copy.get());
  const uint8_t* p = copy.get();
  std::vector<uint64_t> out(n);
  const char* why = "";
  *ok = DecodeBlocks(&p, copy.get() + bytes.size(), n, out.data(), &why);
  const uint8_t* q = copy.get();
  bool skipped = SkipBlocks(&q, copy.get() + bytes.size(), n, &why);
  EXPECT_EQ(skipped, *ok) << "Skip and Decode disagree";
  if (*ok) EXPECT_EQ(p, q);
  if (used) *used = size_t(p - copy.get());
  return out;
}

TEST(PackedInts, SpecExample) {
  std::vector<uint64_t> values = {1000, 1003, 1001, 1001, 1002};
  ByteBuffer packed;
  PackBlocks(values.data(), values.size(), &packed);
  std::vector<uint8_t> bytes(packed.begin(), packed.end());
  EXPECT_EQ(bytes, (std::vector<uint8_t>{0xD0, 0x0F, 0x02, 0x5C, 0x02}));
  bool ok;
  EXPECT_EQ(Decode(bytes, 5, &ok), values);
  EXPECT_TRUE(ok);
}

TEST(PackedInts, EqualValuesTakeNoBits) {
  std::vector<uint64_t> values(300, 42);
  ByteBuffer packed;
  PackBlocks(values.data(), values.size(), &packed);
  std::vector<uint8_t> bytes(packed.begin(), packed.end());
  // Three blocks: base 42 (zigzag 84, one byte) and widths of 0.
  EXPECT_EQ(bytes.size(), (1 + 4) + (1 + 4) + (1 + 2));
  bool ok;
  EXPECT_EQ(Decode(bytes, values.size(), &ok), values);
  EXPECT_TRUE(ok);
}

TEST(PackedInts, RoundTripsEveryWidthAndShape) {
  std::mt19937_64 rng(7);
  for (size_t n : {0, 1, 2, 31, 32, 33, 64, 127, 128, 129, 255, 256, 257, 1000}) {
    for (int width = 0; width <= 64; ++width) {
      std::vector<uint64_t> values(n);
      uint64_t base = rng();
      for (uint64_t& v : values) {
        uint64_t offset = width == 0 ? 0 : rng() >> (64 - width);
        v = base + offset;  // wraps: a base near 2^64 is a negative one
      }
      ByteBuffer packed = {0xEE};  // appended after what is there
      PackBlocks(values.data(), n, &packed);
      EXPECT_EQ(packed[0], 0xEE);
      std::vector<uint8_t> bytes(packed.begin() + 1, packed.end());
      bytes.push_back(0x77);  // what follows the sequence stays unread
      bool ok;
      size_t used;
      EXPECT_EQ(Decode(bytes, n, &ok, &used), values) << n << " values of " << width << " bits";
      EXPECT_TRUE(ok);
      EXPECT_EQ(used, bytes.size() - 1);
    }
  }
}

TEST(PackedInts, ExtremesAndSignedBases) {
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  std::vector<std::vector<uint64_t>> cases = {
      {0, max},                                         // a full 64-bit range
      {max, max - 1, max - 5},                          // negative deltas: -1, -2, -6
      {uint64_t(1) << 63, (uint64_t(1) << 63) - 1},     // INT64_MIN and INT64_MAX
      {5, uint64_t(-3), 7, uint64_t(-3)},               // around 0
  };
  for (const auto& values : cases) {
    ByteBuffer packed;
    PackBlocks(values.data(), values.size(), &packed);
    std::vector<uint8_t> bytes(packed.begin(), packed.end());
    bool ok;
    EXPECT_EQ(Decode(bytes, values.size(), &ok), values);
    EXPECT_TRUE(ok);
  }
}

TEST(PackedInts, EveryTruncationIsRefused) {
  std::mt19937_64 rng(8);
  std::vector<uint64_t> values(300);
  for (uint64_t& v : values) v = rng() % 5000;
  values[17] = uint64_t(1) << 62;  // one wide miniblock
  ByteBuffer packed;
  PackBlocks(values.data(), values.size(), &packed);
  std::vector<uint8_t> bytes(packed.begin(), packed.end());
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    bool ok;
    Decode(std::vector<uint8_t>(bytes.begin(), bytes.begin() + cut), values.size(), &ok);
    EXPECT_FALSE(ok) << "cut at " << cut << " of " << bytes.size();
  }
  // More values than the bytes hold, too.
  bool ok;
  Decode(bytes, values.size() + 1, &ok);
  EXPECT_FALSE(ok);
}

TEST(PackedInts, BadWidthsPaddingAndBasesAreRefused) {
  bool ok;
  // Width 65.
  Decode({0x00, 65}, 1, &ok);
  EXPECT_FALSE(ok);
  // One value of 3 bits in a byte whose other bits are not 0.
  Decode({0x00, 3, 0x0D}, 1, &ok);
  EXPECT_FALSE(ok);
  Decode({0x00, 3, 0x05}, 1, &ok);
  EXPECT_TRUE(ok);
  // A base varint of 11 bytes.
  Decode({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0}, 1, &ok);
  EXPECT_FALSE(ok);
  // Any byte of a valid sequence flipped: refused, or decoded to values,
  // never read outside the bytes.
  std::vector<uint64_t> values(70, 9);
  values[3] = 1000;
  ByteBuffer packed;
  PackBlocks(values.data(), values.size(), &packed);
  std::vector<uint8_t> bytes(packed.begin(), packed.end());
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (uint8_t bit = 1; bit != 0; bit = uint8_t(bit << 1)) {
      std::vector<uint8_t> bad = bytes;
      bad[i] ^= bit;
      Decode(bad, values.size(), &ok);
    }
  }
}

}  // namespace
}  // namespace tape::format
