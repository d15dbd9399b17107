// Little-endian and varint codecs, and a bounds-checked reader for bytes that
// came from a file (specs/trace-format.md §2 "Conventions").
//
// Every multi-byte integer in a trace is little-endian and unaligned; nothing
// is ever written as a raw struct. ByteReader never reads past its end: each
// Get* returns false instead, and the caller turns that into a Corrupt status
// that names the structure being read.

#ifndef TAPE_FORMAT_BYTES_H_
#define TAPE_FORMAT_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tape::format {

using Bytes = std::span<const uint8_t>;

inline Bytes AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsChars(Bytes b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// --- fixed-width little-endian ------------------------------------------

inline void StoreU16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
}
inline void StoreU32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}
inline void StoreU64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (8 * i));
}
// Appends `v`'s little-endian bytes to `out`.
inline void AppendU32(std::string* out, uint32_t v) {
  uint8_t b[4];
  StoreU32(b, v);
  out->append(reinterpret_cast<const char*>(b), 4);
}
inline void AppendU64(std::string* out, uint64_t v) {
  uint8_t b[8];
  StoreU64(b, v);
  out->append(reinterpret_cast<const char*>(b), 8);
}
inline uint16_t LoadU16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
inline uint32_t LoadU32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline uint64_t LoadU64(const uint8_t* p) {
  return uint64_t(LoadU32(p)) | uint64_t(LoadU32(p + 4)) << 32;
}

// Whether [a, a + n) and [b, b + n) hold the same bytes. Effect args are
// mostly a few bytes: up to 16 are compared with two overlapping loads
// each, instead of a call into memcmp.
inline bool SameBytes(const uint8_t* a, const uint8_t* b, size_t n) {
  if (n >= 8 && n <= 16) {
    return LoadU64(a) == LoadU64(b) && LoadU64(a + n - 8) == LoadU64(b + n - 8);
  }
  if (n >= 4 && n < 8) {
    return LoadU32(a) == LoadU32(b) && LoadU32(a + n - 4) == LoadU32(b + n - 4);
  }
  if (n < 4) {
    for (size_t i = 0; i < n; ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }
  return std::memcmp(a, b, n) == 0;
}

// --- LEB128 varints and zigzag -----------------------------------------

constexpr size_t kMaxVarintBytes = 10;

// Writes `v` as an unsigned LEB128 varint at `p`; returns the bytes written.
inline size_t StoreVarint(uint8_t* p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = uint8_t(v | 0x80);
    v >>= 7;
  }
  p[n++] = uint8_t(v);
  return n;
}
inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
inline uint64_t ZigZag(int64_t v) { return (uint64_t(v) << 1) ^ uint64_t(v >> 63); }
inline int64_t UnZigZag(uint64_t v) { return int64_t(v >> 1) ^ -int64_t(v & 1); }

// Decodes a varint from [*p, end). Returns false on truncation or on an
// encoding longer than 10 bytes or overflowing 64 bits.
bool ParseVarint(const uint8_t** p, const uint8_t* end, uint64_t* out);

// --- growable output buffer ----------------------------------------------

class ByteWriter {
 public:
  void PutU8(uint8_t v) { buf_.push_back(v); }
  void PutU16(uint16_t v) { Grow(2, [&](uint8_t* p) { StoreU16(p, v); }); }
  void PutU32(uint32_t v) { Grow(4, [&](uint8_t* p) { StoreU32(p, v); }); }
  void PutU64(uint64_t v) { Grow(8, [&](uint8_t* p) { StoreU64(p, v); }); }
  void PutVarint(uint64_t v) {
    uint8_t tmp[kMaxVarintBytes];
    PutBytes({tmp, StoreVarint(tmp, v)});
  }
  void PutBytes(Bytes b) { buf_.insert(buf_.end(), b.begin(), b.end()); }
  // A length-prefixed string: varint length, then the bytes.
  void PutString(std::string_view s) {
    PutVarint(s.size());
    PutBytes(AsBytes(s));
  }

  std::vector<uint8_t>& buffer() { return buf_; }
  const std::vector<uint8_t>& buffer() const { return buf_; }
  size_t size() const { return buf_.size(); }
  void clear() { buf_.clear(); }

 private:
  template <typename F>
  void Grow(size_t n, F store) {
    size_t at = buf_.size();
    buf_.resize(at + n);
    store(buf_.data() + at);
  }
  std::vector<uint8_t> buf_;
};

// --- bounds-checked input ----------------------------------------------------

class ByteReader {
 public:
  explicit ByteReader(Bytes b) : p_(b.data()), end_(b.data() + b.size()) {}

  size_t remaining() const { return size_t(end_ - p_); }
  const uint8_t* position() const { return p_; }

  bool GetU8(uint8_t* v) { return Fixed(1, v, [](const uint8_t* p) { return *p; }); }
  bool GetU16(uint16_t* v) { return Fixed(2, v, LoadU16); }
  bool GetU32(uint32_t* v) { return Fixed(4, v, LoadU32); }
  bool GetU64(uint64_t* v) { return Fixed(8, v, LoadU64); }
  bool GetVarint(uint64_t* v) { return ParseVarint(&p_, end_, v); }
  bool GetBytes(size_t n, Bytes* out) {
    if (remaining() < n) return false;
    *out = {p_, n};
    p_ += n;
    return true;
  }
  // A varint-length-prefixed string of at most `max_len` bytes.
  bool GetString(size_t max_len, std::string* out) {
    uint64_t n;
    Bytes b;
    if (!GetVarint(&n) || n > max_len || !GetBytes(size_t(n), &b)) return false;
    out->assign(AsChars(b));
    return true;
  }

 private:
  template <typename T, typename L>
  bool Fixed(size_t n, T* v, L load) {
    if (remaining() < n) return false;
    *v = T(load(p_));
    p_ += n;
    return true;
  }
  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace tape::format

#endif  // TAPE_FORMAT_BYTES_H_
