// tape::Codec<T>: how a value crosses a trace as bytes, for the arguments and
// results of user-defined effects (Runtime::Effect).
//
// Provided: std::string, std::string_view (encode only), std::vector<uint8_t>,
// integers and enums (little-endian, their own width), float and double (IEEE
// bits, little-endian), bool, std::optional<T> of any of these, and
// std::vector<T> of any of these. For your own types, specialise Codec:
//
//   struct Point { int32_t x, y; };
//   template <> struct tape::Codec<Point> {
//     static void Encode(const Point& p, std::string* out) {
//       tape::Codec<int32_t>::Encode(p.x, out);
//       tape::Codec<int32_t>::Encode(p.y, out);
//     }
//     // Returns false when `in` is not a Point (a damaged trace); advances `in`.
//     static bool Decode(std::string_view* in, Point* p) {
//       return tape::Codec<int32_t>::Decode(in, &p->x) && tape::Codec<int32_t>::Decode(in, &p->y);
//     }
//   };
//
// Contract: Decode(Encode(v)) == v, and Decode consumes exactly the bytes
// Encode produced (so codecs compose). Encodings are part of your traces:
// change one and old traces replay with other values.

#ifndef TAPE_CODEC_H_
#define TAPE_CODEC_H_

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace tape {

template <typename T, typename Enable = void>
struct Codec;  // specialise for your types (see above)

namespace codec_detail {
inline void PutU32(uint32_t v, std::string* out) {
  char b[4] = {char(v), char(v >> 8), char(v >> 16), char(v >> 24)};
  out->append(b, 4);
}
inline bool GetU32(std::string_view* in, uint32_t* v) {
  if (in->size() < 4) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(in->data());
  *v = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
  in->remove_prefix(4);
  return true;
}
}  // namespace codec_detail

// The unsigned integer a Codec stores an integer, enum or bool as.
template <typename T, typename = void>
struct WireInt {
  using type = std::make_unsigned_t<T>;
};
template <typename T>
struct WireInt<T, std::enable_if_t<std::is_enum_v<T>>> {
  using type = std::make_unsigned_t<std::underlying_type_t<T>>;
};
template <>
struct WireInt<bool> {
  using type = uint8_t;
};

// Integers, enums and bool: little-endian, sizeof(T) bytes.
template <typename T>
struct Codec<T, std::enable_if_t<std::is_integral_v<T> || std::is_enum_v<T>>> {
  using U = typename WireInt<T>::type;
  static void Encode(const T& v, std::string* out) {
    U u = U(v);
    char b[sizeof(U)];
    for (size_t i = 0; i < sizeof(U); ++i) b[i] = char(uint64_t(u) >> (8 * i));
    out->append(b, sizeof(U));
  }
  static bool Decode(std::string_view* in, T* v) {
    if (in->size() < sizeof(U)) return false;
    uint64_t u = 0;
    for (size_t i = 0; i < sizeof(U); ++i) u |= uint64_t(uint8_t((*in)[i])) << (8 * i);
    if constexpr (std::is_same_v<T, bool>) {
      if (u > 1) return false;
    }
    *v = T(U(u));
    in->remove_prefix(sizeof(U));
    return true;
  }
};

// float and double: their IEEE-754 bits, little-endian.
template <typename T>
struct Codec<T, std::enable_if_t<std::is_floating_point_v<T>>> {
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  static_assert(sizeof(T) == sizeof(Bits), "float and double only");
  static void Encode(const T& v, std::string* out) {
    Bits b;
    std::memcpy(&b, &v, sizeof b);
    Codec<Bits>::Encode(b, out);
  }
  static bool Decode(std::string_view* in, T* v) {
    Bits b;
    if (!Codec<Bits>::Decode(in, &b)) return false;
    std::memcpy(v, &b, sizeof b);
    return true;
  }
};

// std::string: u32 length, then the bytes.
template <>
struct Codec<std::string> {
  static void Encode(const std::string& v, std::string* out) { Encode(std::string_view(v), out); }
  static void Encode(std::string_view v, std::string* out) {
    codec_detail::PutU32(uint32_t(v.size()), out);
    out->append(v);
  }
  static bool Decode(std::string_view* in, std::string* v) {
    uint32_t n;
    if (!codec_detail::GetU32(in, &n) || n > in->size()) return false;
    v->assign(in->data(), n);
    in->remove_prefix(n);
    return true;
  }
};
template <>
struct Codec<std::string_view> {
  static void Encode(std::string_view v, std::string* out) { Codec<std::string>::Encode(v, out); }
};
template <>
struct Codec<const char*> {
  static void Encode(const char* v, std::string* out) {
    Codec<std::string>::Encode(std::string_view(v), out);
  }
};

// std::optional<T>: u8 0, or u8 1 and T.
template <typename T>
struct Codec<std::optional<T>> {
  static void Encode(const std::optional<T>& v, std::string* out) {
    out->push_back(v ? 1 : 0);
    if (v) Codec<T>::Encode(*v, out);
  }
  static bool Decode(std::string_view* in, std::optional<T>* v) {
    if (in->empty() || uint8_t((*in)[0]) > 1) return false;
    bool present = (*in)[0] == 1;
    in->remove_prefix(1);
    if (!present) {
      v->reset();
      return true;
    }
    T item{};
    if (!Codec<T>::Decode(in, &item)) return false;
    *v = std::move(item);
    return true;
  }
};

// std::vector<T>: u32 count, then each item (bytes for std::vector<uint8_t>).
template <typename T>
struct Codec<std::vector<T>> {
  static void Encode(const std::vector<T>& v, std::string* out) {
    codec_detail::PutU32(uint32_t(v.size()), out);
    if constexpr (std::is_same_v<T, uint8_t>) {
      out->append(reinterpret_cast<const char*>(v.data()), v.size());
    } else {
      for (const T& item : v) Codec<T>::Encode(item, out);
    }
  }
  static bool Decode(std::string_view* in, std::vector<T>* v) {
    uint32_t n;
    if (!codec_detail::GetU32(in, &n) || n > in->size()) return false;  // every item takes a byte or more
    v->clear();
    if constexpr (std::is_same_v<T, uint8_t>) {
      v->assign(in->begin(), in->begin() + n);
      in->remove_prefix(n);
    } else {
      v->reserve(n);
      for (uint32_t i = 0; i < n; ++i) {
        T item{};
        if (!Codec<T>::Decode(in, &item)) return false;
        v->push_back(std::move(item));
      }
    }
    return true;
  }
};

// Encodes `v` on its own.
template <typename T>
std::string EncodeValue(const T& v) {
  std::string out;
  Codec<std::decay_t<T>>::Encode(v, &out);
  return out;
}

}  // namespace tape

#endif  // TAPE_CODEC_H_
