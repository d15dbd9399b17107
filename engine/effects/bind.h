// Fields bound to C++ structs: an effect declares its args and result once,
// as fields of its layout each tied to a member of the struct that stands
// for them (tape::HttpRequest's url, tape::FsList's names), and gets from
// that the layout, its rerun key, and the code that encodes and decodes the
// structs. Nothing mirrors a layout by hand.
//
//   constexpr Fields<FsList> kListResult{
//       Field<&FsList::error>(FieldType::kErrno, "errno"),
//       Field<&FsList::names>(FieldType::kTextList, "names")};
//
// A field binds one member, the whole struct (Whole<T>: a result that is a
// single value), two members for a field of two parts (errno+data: the
// errno, then the data), or members the effect converts itself (Custom).
// Members convert by their C++ type: integers, enums and bools to numbers;
// std::string and std::string_view to bytes; std::optional<std::string> to a
// set/unset value; std::vector<std::string> to a list; a vector of (name,
// value) pairs to a list of "name: value" lines (HTTP headers).
//
// effect.h makes typed live implementations, chaos perturbations and
// runtime calls out of these bindings.

#ifndef TAPE_ENGINE_EFFECTS_BIND_H_
#define TAPE_ENGINE_EFFECTS_BIND_H_

#include <cstdint>
#include <forward_list>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/effects/fields.h"

namespace tape::engine {

// Bytes a binding derives while encoding (header lines), alive until the
// payload is appended. A forward_list: its strings never move.
using BindStorage = std::forward_list<std::string>;

template <class S>
struct FieldBinding {
  FieldSpec spec{};
  bool key = false;
  void (*load)(const S& s, FieldValue* v, BindStorage* storage) = nullptr;
  bool (*store)(const FieldValue& v, S* s) = nullptr;
  // Marks an args field as part of the effect's rerun key.
  constexpr FieldBinding Key() const {
    FieldBinding b = *this;
    b.key = true;
    return b;
  }
};

template <class S>
struct Fields {
  using Struct = S;
  Layout layout{};
  uint8_t keys = 0;  // bit i: field i is part of the rerun key (Key())
  FieldBinding<S> bindings[kMaxFields]{};

  constexpr Fields() = default;
  constexpr Fields(std::initializer_list<FieldBinding<S>> list) {
    for (const FieldBinding<S>& b : list) {
      if (b.key) keys |= uint8_t(1u << layout.count);
      bindings[layout.count] = b;
      layout.fields[layout.count++] = b.spec;
    }
  }
};

// The args of an effect that takes none (clock.now, args.get).
struct NoArgs {};
inline constexpr Fields<NoArgs> kNoArgs{};
// The result of an effect that returns nothing (time.sleep).
struct NoResult {};
inline constexpr Fields<NoResult> kNoResult{};

// Shared by many effects: one path (the fs effects; the rerun key), and a
// result that is one errno (the writes).
struct PathArg {
  std::string_view path;
};
// (Definitions below, after Field and Whole.)

// --- conversions between members and field values ------------------------------

namespace bind_detail {

using Headers = std::vector<std::pair<std::string, std::string>>;

template <class M>
concept Number = std::is_integral_v<M> || std::is_enum_v<M>;

template <Number M>
void ToField(const M& m, FieldValue* v, BindStorage*) {
  v->number = uint64_t(m);
}
template <Number M>
bool FromField(const FieldValue& v, M* m) {
  *m = M(v.number);
  return true;
}

inline void ToField(std::string_view m, FieldValue* v, BindStorage*) {
  v->bytes = format::AsBytes(m);
}
inline void ToField(const std::string& m, FieldValue* v, BindStorage*) {
  v->bytes = format::AsBytes(m);
}
inline bool FromField(const FieldValue& v, std::string* m) {
  m->assign(format::AsChars(v.bytes));
  return true;
}
inline bool FromField(const FieldValue& v, std::string_view* m) {
  *m = format::AsChars(v.bytes);
  return true;
}

inline void ToField(const std::optional<std::string>& m, FieldValue* v, BindStorage*) {
  v->number = m.has_value();
  if (m) v->bytes = format::AsBytes(*m);
}
inline bool FromField(const FieldValue& v, std::optional<std::string>* m) {
  if (v.number) {
    m->emplace(format::AsChars(v.bytes));
  } else {
    m->reset();
  }
  return true;
}

inline void ToField(const std::vector<std::string>& m, FieldValue* v, BindStorage*) {
  v->list.clear();
  for (const std::string& s : m) v->list.push_back(format::AsBytes(s));
}
inline bool FromField(const FieldValue& v, std::vector<std::string>* m) {
  m->clear();
  for (Bytes b : v.list) m->emplace_back(format::AsChars(b));
  return true;
}

// Headers travel as "Name: value" items; a value's leading spaces are not
// part of it.
void ToField(const Headers& m, FieldValue* v, BindStorage* storage);
bool FromField(const FieldValue& v, Headers* m);

template <class T>
struct MemberOf;
template <class C, class M>
struct MemberOf<M C::*> {
  using Class = C;
};

template <class S, auto... Ms>
void Load(const S& s, FieldValue* v, BindStorage* storage) {
  if constexpr (sizeof...(Ms) == 0) {
    ToField(s, v, storage);
  } else if constexpr (sizeof...(Ms) == 1) {
    (ToField(s.*Ms, v, storage), ...);
  } else {
    // Two parts: the number (an errno), then the bytes.
    static_assert(sizeof...(Ms) == 2, "a field binds at most two members");
    constexpr auto parts = std::make_tuple(Ms...);
    v->number = uint64_t(s.*std::get<0>(parts));
    v->bytes = format::AsBytes(s.*std::get<1>(parts));
  }
}

template <class S, auto... Ms>
bool Store(const FieldValue& v, S* s) {
  if constexpr (sizeof...(Ms) == 0) {
    return FromField(v, s);
  } else if constexpr (sizeof...(Ms) == 1) {
    return (FromField(v, &(s->*Ms)) && ...);
  } else {
    constexpr auto parts = std::make_tuple(Ms...);
    using Number = std::remove_reference_t<decltype(s->*std::get<0>(parts))>;
    s->*std::get<0>(parts) = Number(v.number);
    return FromField(v, &(s->*std::get<1>(parts)));
  }
}

}  // namespace bind_detail

// A field bound to one member (or two: see above) of a struct.
template <auto M, auto... More>
constexpr auto Field(FieldType type, const char* name) {
  using S = typename bind_detail::MemberOf<decltype(M)>::Class;
  return FieldBinding<S>{
      {type, name}, false, &bind_detail::Load<S, M, More...>, &bind_detail::Store<S, M, More...>};
}

// A field whose members the effect converts itself: `load` sets the field's
// value from the struct (its derived bytes in `storage`), `store` sets the
// struct from the field and returns false when the value is not one the
// struct can hold (proc.run's argv and env share one list).
template <class S>
constexpr FieldBinding<S> Custom(FieldType type, const char* name,
                                 void (*load)(const S&, FieldValue*, BindStorage*),
                                 bool (*store)(const FieldValue&, S*)) {
  return {{type, name}, false, load, store};
}

// A field bound to a whole value (a result that is one int64_t, one string).
template <class S>
constexpr FieldBinding<S> Whole(FieldType type, const char* name) {
  return {{type, name}, false, &bind_detail::Load<S>, &bind_detail::Store<S>};
}

inline constexpr Fields<PathArg> kPathArg{Field<&PathArg::path>(FieldType::kText, "path").Key()};
inline constexpr Fields<int> kErrnoResult{Whole<int>(FieldType::kErrno, "errno")};

// --- encoding and decoding -------------------------------------------------------

// Appends `s` laid out per `f`.
template <class S>
void Encode(const Fields<S>& f, const S& s, std::string* out) {
  FieldValue values[kMaxFields];
  BindStorage storage;
  for (uint8_t i = 0; i < f.layout.count; ++i) {
    values[i].type = f.layout.fields[i].type;
    f.bindings[i].load(s, &values[i], &storage);
  }
  AppendPayload(f.layout, values, out);
}

// Reads `bytes` laid out per `f` into `*s`; false when they do not have the
// layout. Members of type std::string_view are views into `bytes`.
template <class S>
bool Decode(const Fields<S>& f, Bytes bytes, S* s) {
  ParsedPayload parsed;
  if (!ParsePayload(f.layout, bytes, &parsed).ok()) return false;
  for (uint8_t i = 0; i < f.layout.count; ++i) {
    if (!f.bindings[i].store(parsed.fields[i], s)) return false;
  }
  return true;
}

template <const auto& kFields>
using StructOf = typename std::remove_cvref_t<decltype(kFields)>::Struct;

}  // namespace tape::engine

#endif  // TAPE_ENGINE_EFFECTS_BIND_H_
