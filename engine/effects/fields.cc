#include "engine/effects/fields.h"

#include <fmt/format.h>

#include <cstring>
#include <deque>

#include "engine/effects/printable.h"

namespace tape::engine {

namespace {

using format::AsChars;
using format::ByteReader;

// --- helpers shared by the field types ----------------------------------------

using format::AppendU64;

// A u32 field's bytes: its number's low 32 bits (an i32 errno is stored as
// its two's complement).
void AppendU32(std::string* out, uint64_t v) { format::AppendU32(out, uint32_t(v)); }

void AppendBytes(std::string* out, Bytes b) { out->append(AsChars(b)); }

void AppendSized(std::string* out, Bytes b) {
  AppendU32(out, b.size());
  AppendBytes(out, b);
}

std::string ErrnoText(uint64_t err) {
  if (err == 0) return "ok";
  int e = int32_t(err);
  return fmt::format("errno {} ({})", e, std::strerror(e));
}

std::string TimeText(int64_t ns) {
  // Sign first, then magnitude: -1 ns is "-0.000000001", not "0.-00000001".
  uint64_t mag = ns < 0 ? uint64_t(0) - uint64_t(ns) : uint64_t(ns);
  return fmt::format("{}{}.{:09}", ns < 0 ? "-" : "", mag / 1000000000u, mag % 1000000000u);
}

// Where a rewrite keeps the new bytes of the fields of one payload until
// they are appended (a deque: its strings do not move).
class PartRewriter {
 public:
  PartRewriter(const FieldRewrite& fn, bool key) : fn_(fn), key_(key) {}
  // The new bytes of one byte part, or `part` itself when it stays.
  Bytes operator()(Bytes part) {
    std::string now;
    if (part.empty() || !fn_(part, key_, &now)) return part;
    changed_ = true;
    return Keep(std::move(now));
  }
  Bytes Keep(std::string s) { return format::AsBytes(storage_.emplace_back(std::move(s))); }
  bool changed() const { return changed_; }
  void set_key(bool key) { key_ = key; }

 private:
  const FieldRewrite& fn_;
  bool key_;
  bool changed_ = false;
  std::deque<std::string> storage_;
};

// --- the field types ------------------------------------------------------------
//
// Each struct is everything tape knows about one field type:
//   kAnyWidth  the width of a field any bytes of which are valid (numbers), or -1
//   kAnyRest   the field takes the rest of the payload, whatever it holds
//   Parse      reads the field; OK or Corrupt with what is wrong
//   Append     the inverse of Parse
//   Text       the field as people read it
//   Json       the field as JSON
//   Rewrite    new bytes for the field's byte parts (redaction)

struct NumberField {
  static constexpr bool kAnyRest = false;
  static void Json(const FieldValue& v, bool, JsonOut& j) { j.Uint(v.number); }
  static void Rewrite(FieldValue*, PartRewriter&) {}
};

// Reads a 4-byte number; `cut_short` says what is missing when it is.
Status ParseU32(ByteReader& r, FieldValue* v, const char* cut_short) {
  uint32_t n;
  if (!r.GetU32(&n)) return Status::Corrupt(cut_short);
  v->number = n;
  return Status::Ok();
}

struct U32Field : NumberField {
  static constexpr int kAnyWidth = 4;
  static Status Parse(ByteReader& r, FieldValue* v) { return ParseU32(r, v, "a u32 is cut short"); }
  static void Append(const FieldValue& v, std::string* out) { AppendU32(out, v.number); }
  static std::string Text(const FieldValue& v, size_t, uint64_t) {
    return std::to_string(v.number);
  }
};

struct I32Field : U32Field {
  static Status Parse(ByteReader& r, FieldValue* v) {
    return ParseU32(r, v, "an i32 is cut short");
  }
  static std::string Text(const FieldValue& v, size_t, uint64_t) {
    return std::to_string(int32_t(v.number));
  }
  static void Json(const FieldValue& v, bool, JsonOut& j) { j.Int(int32_t(v.number)); }
};

struct ErrnoField : U32Field {
  static Status Parse(ByteReader& r, FieldValue* v) {
    return ParseU32(r, v, "an errno is cut short");
  }
  static std::string Text(const FieldValue& v, size_t, uint64_t) { return ErrnoText(v.number); }
  static void Json(const FieldValue& v, bool, JsonOut& j) {
    j.BeginObject();
    j.Key("errno");
    j.Int(int32_t(v.number));
    j.EndObject();
  }
};

struct U64Field : NumberField {
  static constexpr int kAnyWidth = 8;
  static Status Parse(ByteReader& r, FieldValue* v) {
    uint64_t n;
    if (!r.GetU64(&n)) return Status::Corrupt("a u64 is cut short");
    v->number = n;
    return Status::Ok();
  }
  static void Append(const FieldValue& v, std::string* out) { AppendU64(out, v.number); }
  static std::string Text(const FieldValue& v, size_t, uint64_t) {
    return std::to_string(v.number);
  }
};

struct TimeNsField : U64Field {
  static std::string Text(const FieldValue& v, size_t, uint64_t) {
    return TimeText(int64_t(v.number));
  }
  static void Json(const FieldValue& v, bool, JsonOut& j) { j.Int(int64_t(v.number)); }
};

struct FlagField : NumberField {
  static constexpr int kAnyWidth = -1;  // only 0 and 1
  static Status Parse(ByteReader& r, FieldValue* v) {
    Bytes b;
    if (!r.GetBytes(1, &b)) return Status::Corrupt("a flag is missing");
    if (b[0] > 1) return Status::Corrupt(fmt::format("a flag is {}, not 0 or 1", b[0]));
    v->number = b[0];
    return Status::Ok();
  }
  static void Append(const FieldValue& v, std::string* out) { out->push_back(v.number ? 1 : 0); }
  static std::string Text(const FieldValue& v, size_t, uint64_t) {
    return v.number ? "true" : "false";
  }
  static void Json(const FieldValue& v, bool, JsonOut& j) { j.Bool(v.number != 0); }
};

struct TextField {
  static constexpr int kAnyWidth = -1;
  static constexpr bool kAnyRest = true;
  static Status Parse(ByteReader& r, FieldValue* v) {
    r.GetBytes(r.remaining(), &v->bytes);
    return Status::Ok();
  }
  static void Append(const FieldValue& v, std::string* out) { AppendBytes(out, v.bytes); }
  static std::string Text(const FieldValue& v, size_t limit, uint64_t missing) {
    return Printable(v.bytes, limit, missing);
  }
  static void Json(const FieldValue& v, bool cut, JsonOut& j) { j.Bytes(v.bytes, cut); }
  static void Rewrite(FieldValue* v, PartRewriter& rw) { v->bytes = rw(v->bytes); }
};

struct HexField : TextField {
  static std::string Text(const FieldValue& v, size_t limit, uint64_t missing) {
    return fmt::format("{} bytes {}{}", v.bytes.size() + missing, HexPrefix(v.bytes, limit),
                       missing && v.bytes.size() * 2 <= limit ? "…" : "");
  }
  static void Json(const FieldValue& v, bool cut, JsonOut& j) { j.Hex(v.bytes, cut); }
  // Keeps its length: random.bits(n) returns exactly n bytes.
  static void Rewrite(FieldValue* v, PartRewriter& rw) {
    Bytes now = rw(v->bytes);
    if (now.data() == v->bytes.data()) return;
    std::string kept(v->bytes.size(), '\0');
    for (size_t k = 0; k < kept.size() && !now.empty(); ++k) kept[k] = char(now[k % now.size()]);
    v->bytes = rw.Keep(std::move(kept));
  }
};

struct SizedTextField : TextField {
  static constexpr bool kAnyRest = false;
  static Status Parse(ByteReader& r, FieldValue* v) {
    uint32_t n;
    if (!r.GetU32(&n) || !r.GetBytes(n, &v->bytes))
      return Status::Corrupt("a sized string is cut short");
    return Status::Ok();
  }
  static void Append(const FieldValue& v, std::string* out) { AppendSized(out, v.bytes); }
  static std::string Text(const FieldValue& v, size_t limit, uint64_t) {
    return Printable(v.bytes, limit, 0);
  }
};

struct OptTextField {
  static constexpr int kAnyWidth = -1;
  static constexpr bool kAnyRest = false;
  static Status Parse(ByteReader& r, FieldValue* v) {
    Bytes tag;
    if (!r.GetBytes(1, &tag)) return Status::Corrupt("the set/unset byte is missing");
    if (tag[0] > 1) return Status::Corrupt(fmt::format("the set/unset byte is {}", tag[0]));
    v->number = tag[0];
    r.GetBytes(r.remaining(), &v->bytes);
    if (tag[0] == 0 && !v->bytes.empty()) return Status::Corrupt("an unset value has bytes");
    return Status::Ok();
  }
  static void Append(const FieldValue& v, std::string* out) {
    out->push_back(v.number ? 1 : 0);
    if (v.number) AppendBytes(out, v.bytes);
  }
  static std::string Text(const FieldValue& v, size_t limit, uint64_t missing) {
    return v.number ? Printable(v.bytes, limit, missing) : "unset";
  }
  static void Json(const FieldValue& v, bool cut, JsonOut& j) {
    if (v.number) {
      j.Bytes(v.bytes, cut);
    } else {
      j.Null();
    }
  }
  static void Rewrite(FieldValue* v, PartRewriter& rw) {
    if (v->number) v->bytes = rw(v->bytes);
  }
};

struct TextListField {
  static constexpr int kAnyWidth = -1;
  static constexpr bool kAnyRest = false;
  static Status Parse(ByteReader& r, FieldValue* v) {
    uint32_t count;
    if (!r.GetU32(&count)) return Status::Corrupt("the list count is cut short");
    if (count > r.remaining() / 4)
      return Status::Corrupt(fmt::format("the list claims {} items", count));
    v->list.clear();
    v->list.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
      uint32_t n;
      Bytes item;
      if (!r.GetU32(&n) || !r.GetBytes(n, &item))
        return Status::Corrupt(fmt::format("list item {} is cut short", i));
      v->list.push_back(item);
    }
    return Status::Ok();
  }
  static void Append(const FieldValue& v, std::string* out) {
    AppendU32(out, v.list.size());
    for (Bytes item : v.list) AppendSized(out, item);
  }
  static std::string Text(const FieldValue& v, size_t limit, uint64_t) {
    std::string out = "[";
    for (size_t i = 0; i < v.list.size(); ++i) {
      if (i) out += ", ";
      out += Printable(v.list[i], limit, 0);
    }
    return out + "]";
  }
  static void Json(const FieldValue& v, bool, JsonOut& j) {
    j.BeginArray();
    for (Bytes b : v.list) j.Bytes(b, false);
    j.EndArray();
  }
  static void Rewrite(FieldValue* v, PartRewriter& rw) {
    for (Bytes& item : v->list) item = rw(item);
  }
};

struct ErrnoDataField {
  static constexpr int kAnyWidth = -1;
  static constexpr bool kAnyRest = false;
  static Status Parse(ByteReader& r, FieldValue* v) {
    uint32_t err;
    if (!r.GetU32(&err)) return Status::Corrupt("the errno is cut short");
    v->number = err;
    r.GetBytes(r.remaining(), &v->bytes);
    if (err != 0 && !v->bytes.empty()) return Status::Corrupt("a failed read carries data");
    return Status::Ok();
  }
  static void Append(const FieldValue& v, std::string* out) {
    AppendU32(out, v.number);
    if (v.number == 0) AppendBytes(out, v.bytes);
  }
  static std::string Text(const FieldValue& v, size_t limit, uint64_t missing) {
    return v.number ? ErrnoText(v.number) : Printable(v.bytes, limit, missing);
  }
  static void Json(const FieldValue& v, bool cut, JsonOut& j) {
    j.BeginObject();
    j.Key("errno");
    j.Int(int32_t(v.number));
    if (v.number == 0) {
      j.Key("data");
      j.Bytes(v.bytes, cut);
    }
    j.EndObject();
  }
  static void Rewrite(FieldValue* v, PartRewriter& rw) {
    if (v->number == 0) v->bytes = rw(v->bytes);
  }
};

struct UserResultField {
  static constexpr int kAnyWidth = -1;
  static constexpr bool kAnyRest = false;
  static Status Parse(ByteReader& r, FieldValue* v) {
    Bytes tag;
    if (!r.GetBytes(1, &tag)) return Status::Corrupt("the result tag is missing");
    v->number = tag[0];
    if (tag[0] == 0) {
      r.GetBytes(r.remaining(), &v->bytes);
      return Status::Ok();
    }
    if (tag[0] != 1) return Status::Corrupt(fmt::format("the result tag is {}", tag[0]));
    uint32_t n;
    if (!r.GetU32(&n) || !r.GetBytes(n, &v->bytes))
      return Status::Corrupt("the exception type is cut short");
    r.GetBytes(r.remaining(), &v->message);
    return Status::Ok();
  }
  static void Append(const FieldValue& v, std::string* out) {
    out->push_back(v.number ? 1 : 0);
    if (v.number == 0) {
      AppendBytes(out, v.bytes);
      return;
    }
    AppendSized(out, v.bytes);
    AppendBytes(out, v.message);
  }
  static std::string Text(const FieldValue& v, size_t limit, uint64_t missing) {
    if (v.number == 0) return Printable(v.bytes, limit, missing);
    return "threw " + Printable(v.bytes, limit, 0) + ": " + Printable(v.message, limit, missing);
  }
  static void Json(const FieldValue& v, bool cut, JsonOut& j) {
    j.BeginObject();
    if (v.number == 0) {
      j.Key("value");
      j.Bytes(v.bytes, cut);
    } else {
      j.Key("threw");
      j.Bytes(v.bytes, false);
      j.Key("message");
      j.Bytes(v.message, cut);
    }
    j.EndObject();
  }
  // The exception's type names code, not data: kept.
  static void Rewrite(FieldValue* v, PartRewriter& rw) {
    if (v->number == 0) {
      v->bytes = rw(v->bytes);
    } else {
      v->message = rw(v->message);
    }
  }
};

// The one map from a FieldType to its struct: calls f(FieldStruct{}).
template <class F>
decltype(auto) VisitFieldType(FieldType type, F&& f) {
  switch (type) {
    case FieldType::kU32:
      return f(U32Field{});
    case FieldType::kI32:
      return f(I32Field{});
    case FieldType::kU64:
      return f(U64Field{});
    case FieldType::kTimeNs:
      return f(TimeNsField{});
    case FieldType::kErrno:
      return f(ErrnoField{});
    case FieldType::kText:
      return f(TextField{});
    case FieldType::kHex:
      return f(HexField{});
    case FieldType::kSizedText:
      return f(SizedTextField{});
    case FieldType::kOptText:
      return f(OptTextField{});
    case FieldType::kTextList:
      return f(TextListField{});
    case FieldType::kErrnoData:
      return f(ErrnoDataField{});
    case FieldType::kUserResult:
      return f(UserResultField{});
    case FieldType::kFlag:
      return f(FlagField{});
  }
  // A FieldType comes from a layout in the code, never from a trace.
  __builtin_unreachable();
}

}  // namespace

Status ParsePayload(const Layout& layout, Bytes payload, ParsedPayload* out) {
  ByteReader r(payload);
  out->count = layout.count;
  for (uint8_t i = 0; i < layout.count; ++i) {
    FieldValue& v = out->fields[i];
    v.type = layout.fields[i].type;
    Status s = VisitFieldType(v.type, [&](auto t) { return t.Parse(r, &v); });
    if (!s.ok()) return s;
  }
  if (r.remaining() != 0) {
    return Status::Corrupt(fmt::format("{} bytes more than the layout holds", r.remaining()));
  }
  return Status::Ok();
}

void AppendPayload(const Layout& layout, const FieldValue* fields, std::string* out) {
  for (uint8_t i = 0; i < layout.count; ++i) {
    VisitFieldType(layout.fields[i].type, [&](auto t) { t.Append(fields[i], out); });
  }
}

std::string ZeroPayload(const Layout& layout) {
  FieldValue zero[kMaxFields];
  std::string out;
  AppendPayload(layout, zero, &out);
  return out;
}

SizeRule SizeRuleOf(const Layout& layout) {
  SizeRule rule;
  int width = 0;
  for (uint8_t i = 0; i < layout.count; ++i) {
    bool known = VisitFieldType(layout.fields[i].type, [&](auto t) {
      if (t.kAnyWidth >= 0) {
        width += t.kAnyWidth;
        return true;
      }
      if (t.kAnyRest && i + 1 == layout.count) {
        rule.rest = true;
        return true;
      }
      return false;
    });
    if (!known) return SizeRule{};
  }
  rule.width = width;
  return rule;
}

bool AppendFieldsText(const Layout& layout, Bytes payload, size_t limit, uint64_t missing,
                      bool named, std::string* out) {
  ParsedPayload parsed;
  if (!ParsePayload(layout, payload, &parsed).ok()) return false;
  for (uint8_t i = 0; i < parsed.count; ++i) {
    if (i) out->append(", ");
    if (named) out->append(layout.fields[i].name).append("=");
    uint64_t cut = i + 1 == parsed.count ? missing : 0;
    out->append(VisitFieldType(parsed.fields[i].type,
                               [&](auto t) { return t.Text(parsed.fields[i], limit, cut); }));
  }
  return true;
}

bool WritePayloadJson(const Layout& layout, Bytes payload, bool cut, JsonOut& out) {
  ParsedPayload parsed;
  if (!ParsePayload(layout, payload, &parsed).ok()) return false;
  auto field = [&](uint8_t i, bool field_cut) {
    VisitFieldType(parsed.fields[i].type,
                   [&](auto t) { t.Json(parsed.fields[i], field_cut, out); });
  };
  if (parsed.count == 0) {
    out.Null();
  } else if (parsed.count == 1) {
    field(0, cut);
  } else {
    out.BeginObject();
    for (uint8_t i = 0; i < parsed.count; ++i) {
      out.Key(layout.fields[i].name);
      field(i, cut && i + 1 == parsed.count);
    }
    out.EndObject();
  }
  return true;
}

bool RewritePayloadFields(const Layout& layout, Bytes payload, uint8_t key_fields,
                          const FieldRewrite& fn, std::string* out) {
  out->clear();
  ParsedPayload parsed;
  if (!ParsePayload(layout, payload, &parsed).ok()) {
    return !payload.empty() && fn(payload, false, out);
  }
  PartRewriter rw(fn, false);
  for (uint8_t i = 0; i < parsed.count; ++i) {
    rw.set_key((key_fields >> i) & 1);
    VisitFieldType(parsed.fields[i].type, [&](auto t) { t.Rewrite(&parsed.fields[i], rw); });
  }
  AppendPayload(layout, parsed.fields, out);
  return rw.changed();
}

}  // namespace tape::engine
