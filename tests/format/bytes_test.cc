#include "format/bytes.h"

#include <gtest/gtest.h>

namespace tape::format {
namespace {

TEST(Varint, RoundTripsBoundaries) {
  for (uint64_t v : {0ull, 1ull, 127ull, 128ull, 16383ull, 16384ull, ~0ull >> 1, ~0ull}) {
    uint8_t buf[kMaxVarintBytes];
    size_t n = StoreVarint(buf, v);
    EXPECT_EQ(n, VarintSize(v));
    const uint8_t* p = buf;
    uint64_t out;
    ASSERT_TRUE(ParseVarint(&p, buf + n, &out));
    EXPECT_EQ(out, v);
    EXPECT_EQ(p, buf + n);
  }
}

TEST(Varint, TruncatedIsRejected) {
  uint8_t buf[kMaxVarintBytes];
  size_t n = StoreVarint(buf, 1ull << 40);
  const uint8_t* p = buf;
  uint64_t out;
  EXPECT_FALSE(ParseVarint(&p, buf + n - 1, &out));
}

TEST(Varint, OverlongIsRejected) {
  uint8_t buf[11];
  std::memset(buf, 0x80, sizeof buf);
  buf[10] = 0;
  const uint8_t* p = buf;
  uint64_t out;
  EXPECT_FALSE(ParseVarint(&p, buf + 11, &out));
  // A tenth byte carrying more than the 64th bit overflows.
  uint8_t big[10];
  std::memset(big, 0xff, 9);
  big[9] = 0x02;
  p = big;
  EXPECT_FALSE(ParseVarint(&p, big + 10, &out));
}

TEST(ZigZag, MapsSmallMagnitudesToSmallCodes) {
  EXPECT_EQ(ZigZag(0), 0u);
  EXPECT_EQ(ZigZag(-1), 1u);
  EXPECT_EQ(ZigZag(1), 2u);
  for (int64_t v : {int64_t(0), int64_t(-5), int64_t(5), INT64_MIN, INT64_MAX}) {
    EXPECT_EQ(UnZigZag(ZigZag(v)), v);
  }
}

TEST(ByteReader, NeverReadsPastTheEnd) {
  uint8_t data[3] = {1, 2, 3};
  ByteReader r({data, 3});
  uint32_t v32;
  EXPECT_FALSE(r.GetU32(&v32));
  uint16_t v16;
  ASSERT_TRUE(r.GetU16(&v16));
  EXPECT_EQ(v16, 0x0201);
  std::string s;
  EXPECT_FALSE(r.GetString(100, &s));  // length 3, but nothing follows
}

TEST(LittleEndian, StoresLowByteFirst) {
  uint8_t b[8];
  StoreU64(b, 0x0807060504030201ull);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(b[i], i + 1);
  EXPECT_EQ(LoadU64(b), 0x0807060504030201ull);
}

TEST(SameBytes, EveryLengthAndEveryDifferingByte) {
  for (size_t n = 0; n <= 40; ++n) {
    std::vector<uint8_t> a(n), b(n);
    for (size_t i = 0; i < n; ++i) a[i] = b[i] = uint8_t(i * 37 + 1);
    EXPECT_TRUE(SameBytes(a.data(), b.data(), n)) << n;
    for (size_t i = 0; i < n; ++i) {
      b[i] ^= 0x10;
      EXPECT_FALSE(SameBytes(a.data(), b.data(), n)) << "length " << n << ", byte " << i;
      b[i] ^= 0x10;
    }
  }
}

}  // namespace
}  // namespace tape::format
