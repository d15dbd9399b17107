#include "format/packed_ints.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "format/bytes.h"

namespace tape::format {

namespace {

// The bits an offset takes: 0 for 0, else the position of its highest bit + 1.
uint8_t BitWidth(uint64_t v) { return v == 0 ? 0 : uint8_t(64 - __builtin_clzll(v)); }

uint64_t Mask(uint32_t width) { return width == 64 ? ~uint64_t(0) : (uint64_t(1) << width) - 1; }

// Bytes of a miniblock of `count` values of `width` bits.
size_t MiniblockBytes(size_t count, uint32_t width) { return (count * width + 7) / 8; }

// Value i of a miniblock at `data`: bits [i * width, (i + 1) * width), least
// significant bit first. REQUIRES: 9 readable bytes from the value's first byte.
inline uint64_t Extract(const uint8_t* data, size_t i, uint32_t width) {
  size_t bit = i * width;
  const uint8_t* at = data + bit / 8;
  uint32_t shift = uint32_t(bit % 8);
  uint64_t v = LoadU64(at) >> shift;
  if (shift + width > 64) v |= uint64_t(at[8]) << (64 - shift);
  return v & Mask(width);
}

// A whole miniblock of width W, unrolled: every shift and mask is a
// constant. With kSum, each output is the running sum instead (see
// DecodeBlocks). REQUIRES: 9 readable bytes from its last value's first byte.
template <uint32_t W, bool kSum>
void UnpackFull(const uint8_t* data, uint64_t base, uint64_t* out, uint64_t* running) {
  if constexpr (kSum) {
    uint64_t r = *running;
#pragma GCC unroll 32
    for (size_t i = 0; i < kPackedMiniblockValues; ++i) out[i] = r += base + Extract(data, i, W);
    *running = r;
  } else {
#pragma GCC unroll 32
    for (size_t i = 0; i < kPackedMiniblockValues; ++i) out[i] = base + Extract(data, i, W);
  }
}

using FullUnpacker = void (*)(const uint8_t*, uint64_t, uint64_t*, uint64_t*);

template <bool kSum, size_t... W>
constexpr std::array<FullUnpacker, sizeof...(W)> MakeUnpackers(std::index_sequence<W...>) {
  return {&UnpackFull<uint32_t(W), kSum>...};
}
constexpr std::array<FullUnpacker, 65> kUnpackFull[2] = {
    MakeUnpackers<false>(std::make_index_sequence<65>()),
    MakeUnpackers<true>(std::make_index_sequence<65>())};

void Unpack(const uint8_t* data, size_t bytes, size_t avail, size_t count, uint32_t width,
            uint64_t base, uint64_t* out, uint64_t* running) {
  if (count == kPackedMiniblockValues && avail >= bytes + 9) {
    kUnpackFull[running != nullptr][width](data, base, out, running);
    return;
  }
  uint8_t padded[kPackedMiniblockValues * 8 + 16];
  if (avail < bytes + 9) {
    // Near the end of the section: from a padded copy, so that Extract's
    // wide loads stay inside memory this code owns.
    std::memset(padded, 0, sizeof padded);
    std::memcpy(padded, data, bytes);
    data = padded;
  }
  for (size_t i = 0; i < count; ++i) {
    uint64_t x = width == 0 ? base : base + Extract(data, i, width);
    out[i] = running ? *running += x : x;
  }
}

// Packs a whole miniblock of width W (32 values' offsets from `base`, each
// below 2^W) into exactly 4 x W bytes, a word at a time. Unrolled, every
// shift and branch is a constant.
template <uint32_t W>
void PackFull(const uint64_t* v, uint64_t base, uint8_t* dst) {
  uint64_t word = 0;
  uint32_t used = 0;  // bits of `word` taken
#pragma GCC unroll 32
  for (size_t i = 0; i < kPackedMiniblockValues; ++i) {
    uint64_t x = v[i] - base;
    word |= x << used;
    if (used + W >= 64) {
      StoreU64(dst, word);
      dst += 8;
      uint32_t left = used + W - 64;  // x's high bits not stored yet
      word = left == 0 ? 0 : x >> (W - left);
      used = left;
    } else {
      used += W;
    }
  }
  for (uint32_t bit = 0; bit < used; bit += 8) *dst++ = uint8_t(word >> bit);
}

using FullPacker = void (*)(const uint64_t*, uint64_t, uint8_t*);

template <size_t... W>
constexpr std::array<FullPacker, sizeof...(W)> MakePackers(std::index_sequence<W...>) {
  return {&PackFull<uint32_t(W)>...};
}
constexpr std::array<FullPacker, 65> kPackFull = MakePackers(std::make_index_sequence<65>());

template <bool kStore>
bool ReadBlocks(const uint8_t** pp, const uint8_t* end, size_t n, uint64_t* out,
                uint64_t* running, const char** why) {
  const uint8_t* p = *pp;
  for (size_t b = 0; b < n; b += kPackedBlockValues) {
    size_t count = std::min<size_t>(kPackedBlockValues, n - b);
    uint64_t zigzag;
    if (!ParseVarint(&p, end, &zigzag)) {
      *why = "a block's base is truncated or longer than 10 bytes";
      return false;
    }
    uint64_t base = uint64_t(UnZigZag(zigzag));
    size_t minis = (count + kPackedMiniblockValues - 1) / kPackedMiniblockValues;
    if (size_t(end - p) < minis) {
      *why = "a block ends inside its widths";
      return false;
    }
    const uint8_t* widths = p;
    p += minis;
    for (size_t m = 0; m < minis; ++m) {
      uint32_t width = widths[m];
      if (width > 64) {
        *why = "a miniblock's width is over 64 bits";
        return false;
      }
      size_t in_mini = std::min<size_t>(kPackedMiniblockValues, count - m * kPackedMiniblockValues);
      size_t bytes = MiniblockBytes(in_mini, width);
      size_t avail = size_t(end - p);
      if (avail < bytes) {
        *why = "a miniblock is truncated";
        return false;
      }
      uint32_t used = uint32_t(in_mini * width % 8);
      if (used != 0 && (p[bytes - 1] >> used) != 0) {
        *why = "a miniblock's padding bits are not zero";
        return false;
      }
      if constexpr (kStore) {
        Unpack(p, bytes, avail, in_mini, width, base, out + b + m * kPackedMiniblockValues,
               running);
      }
      p += bytes;
    }
  }
  *pp = p;
  return true;
}

}  // namespace

void PackBlocks(const uint64_t* values, size_t n, ByteBuffer* out) {
  size_t at = out->size();
  // The most n values can take, and room for the generic path's wide stores.
  size_t blocks = (n + kPackedBlockValues - 1) / kPackedBlockValues;
  out->resize(at + blocks * (kMaxVarintBytes + kPackedMiniblocks) + n * 8 + 16);
  uint8_t* dst = out->data() + at;
  for (size_t b = 0; b < n; b += kPackedBlockValues) {
    const uint64_t* v = values + b;
    size_t count = std::min<size_t>(kPackedBlockValues, n - b);
    int64_t base = int64_t(v[0]);
    for (size_t i = 1; i < count; ++i) base = std::min(base, int64_t(v[i]));
    dst += StoreVarint(dst, ZigZag(base));
    size_t minis = (count + kPackedMiniblockValues - 1) / kPackedMiniblockValues;
    uint8_t* widths = dst;
    dst += minis;
    for (size_t m = 0; m < minis; ++m) {
      size_t first = m * kPackedMiniblockValues;
      size_t last = std::min(count, first + kPackedMiniblockValues);
      uint64_t any = 0;  // the widest offset has the highest bit of their OR
      for (size_t i = first; i < last; ++i) any |= v[i] - uint64_t(base);
      widths[m] = BitWidth(any);
    }
    for (size_t m = 0; m < minis; ++m) {
      size_t first = m * kPackedMiniblockValues;
      size_t in_mini = std::min(count, first + kPackedMiniblockValues) - first;
      uint32_t width = widths[m];
      size_t bytes = MiniblockBytes(in_mini, width);
      if (width == 0) continue;
      if (in_mini == kPackedMiniblockValues) {
        kPackFull[width](v + first, uint64_t(base), dst);
      } else {
        std::memset(dst, 0, bytes + 9);
        for (size_t i = 0; i < in_mini; ++i) {
          uint64_t offset = v[first + i] - uint64_t(base);
          size_t bit = i * width;
          uint8_t* byte = dst + bit / 8;
          uint32_t shift = uint32_t(bit % 8);
          StoreU64(byte, LoadU64(byte) | offset << shift);
          if (shift + width > 64) byte[8] |= uint8_t(offset >> (64 - shift));
        }
      }
      dst += bytes;
    }
  }
  out->resize(size_t(dst - out->data()));
}

bool DecodeBlocks(const uint8_t** p, const uint8_t* end, size_t n, uint64_t* out,
                  const char** why, uint64_t* running) {
  return ReadBlocks<true>(p, end, n, out, running, why);
}

bool SkipBlocks(const uint8_t** p, const uint8_t* end, size_t n, const char** why) {
  return ReadBlocks<false>(p, end, n, nullptr, nullptr, why);
}

}  // namespace tape::format
