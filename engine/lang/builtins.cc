#include "engine/lang/builtins.h"

#include <algorithm>
#include <string>
#include <vector>

#include "engine/lang/int_literal.h"
#include "engine/lang/limits.h"

namespace tape::lang {
namespace {

constexpr BuiltinInfo kBuiltins[] = {
    {"len", Builtin::kLen, 1, false},           {"int", Builtin::kInt, 1, false},
    {"str", Builtin::kStr, 1, false},           {"chr", Builtin::kChr, 1, false},
    {"byte_at", Builtin::kByteAt, 2, false},    {"type", Builtin::kType, 1, false},
    {"keys", Builtin::kKeys, 1, false},         {"split", Builtin::kSplit, 2, false},
    {"join", Builtin::kJoin, 2, false},         {"slice", Builtin::kSlice, 3, false},
    {"contains", Builtin::kContains, 2, false}, {"trim", Builtin::kTrim, 1, false},
    {"lower", Builtin::kLower, 1, false},       {"upper", Builtin::kUpper, 1, false},
    {"sort", Builtin::kSort, 1, false},         {"assert", Builtin::kAssert, 2, false},
    {"push", Builtin::kPush, 2, true},          {"pop", Builtin::kPop, 1, true},
    {"remove", Builtin::kRemove, 2, true},
};

[[noreturn]] void ArgFault(const char* fn, const char* expected, const Value& got) {
  Fault(std::string(fn) + "() expects " + expected + ", got " + TypeName(got.type()));
}

const std::string& StringArg(const char* fn, const Value& v, const char* what = "a string") {
  if (!v.is_string()) ArgFault(fn, what, v);
  return v.str();
}

int64_t IntArg(const char* fn, const Value& v, const char* what = "an int") {
  if (!v.is_int()) ArgFault(fn, what, v);
  return v.as_int();
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

Value Len(const Value& v) {
  switch (v.type()) {
    case Type::kString: return Value::Int(static_cast<int64_t>(v.str().size()));
    case Type::kList: return Value::Int(static_cast<int64_t>(v.list().size()));
    case Type::kMap: return Value::Int(static_cast<int64_t>(v.map().size()));
    default: ArgFault("len", "a string, list or map", v);
  }
}

Value ToInt(const Value& v) {
  if (v.is_int()) return v;
  const std::string& s = StringArg("int", v, "a string or an int");
  std::optional<int64_t> n = ParseDecimal(s);
  if (!n.has_value()) {
    Fault("int(): " + Describe(v) +
          " is not a whole number between -9223372036854775808 and 9223372036854775807");
  }
  return Value::Int(*n);
}

Value Chr(const Value& v) {
  int64_t n = IntArg("chr", v);
  if (n < 0 || n > 255) Fault("chr(): " + std::to_string(n) + " is not a byte (0..255)");
  return Value::String(std::string(1, static_cast<char>(n)));
}

Value ByteAt(const Value& s, const Value& i) {
  const std::string& text = StringArg("byte_at", s);
  int64_t index = IntArg("byte_at", i, "an int index");
  if (index < 0 || static_cast<uint64_t>(index) >= text.size()) {
    Fault("byte_at(): index " + std::to_string(index) + " is out of range for a string of length " +
          std::to_string(text.size()));
  }
  return Value::Int(static_cast<unsigned char>(text[static_cast<size_t>(index)]));
}

Value Keys(const Value& m) {
  if (!m.is_map()) ArgFault("keys", "a map", m);
  std::vector<Value> keys;
  keys.reserve(m.map().size());
  for (const auto& entry : m.map().entries()) keys.push_back(entry.first);
  return Value::NewList(std::move(keys));
}

Value Split(const Value& s, const Value& sep) {
  const std::string& text = StringArg("split", s);
  const std::string& by = StringArg("split", sep, "a string separator");
  if (by.empty()) Fault("split(): the separator must not be empty");
  std::vector<Value> parts;
  size_t start = 0;
  for (;;) {
    size_t at = text.find(by, start);
    CheckElements(static_cast<int64_t>(parts.size()) + 1);
    if (at == std::string::npos) {
      parts.push_back(Value::String(text.substr(start)));
      break;
    }
    parts.push_back(Value::String(text.substr(start, at - start)));
    start = at + by.size();
  }
  return Value::NewList(std::move(parts));
}

Value Join(const Value& list, const Value& sep) {
  if (!list.is_list()) ArgFault("join", "a list", list);
  const std::string& by = StringArg("join", sep, "a string separator");
  std::string out;
  bool first = true;
  for (const Value& item : list.list()) {
    if (!first) out += by;
    first = false;
    if (item.is_string()) {
      out += item.str();
    } else {
      AppendRepr(&out, item);
    }
    CheckStringSize(static_cast<int64_t>(out.size()));
  }
  return Value::String(std::move(out));
}

Value Slice(const Value& seq, const Value& lo_v, const Value& hi_v) {
  if (!seq.is_string() && !seq.is_list()) ArgFault("slice", "a string or a list", seq);
  int64_t lo = IntArg("slice", lo_v, "int bounds");
  int64_t hi = IntArg("slice", hi_v, "int bounds");
  int64_t n = static_cast<int64_t>(seq.is_string() ? seq.str().size() : seq.list().size());
  if (lo < 0 || hi < lo || hi > n) {
    Fault("slice(): bounds " + std::to_string(lo) + ".." + std::to_string(hi) +
          " are out of range for a " + TypeName(seq.type()) + " of length " + std::to_string(n) +
          " (need 0 <= lo <= hi <= length)");
  }
  if (seq.is_string()) {
    return Value::String(seq.str().substr(static_cast<size_t>(lo), static_cast<size_t>(hi - lo)));
  }
  return Value::NewList(std::vector<Value>(seq.list().begin() + lo, seq.list().begin() + hi));
}

Value Contains(const Value& where, const Value& what) {
  switch (where.type()) {
    case Type::kString:
      return Value::Bool(where.str().find(StringArg("contains", what, "a string to find in a string")) !=
                         std::string::npos);
    case Type::kList: {
      int64_t budget = kMaxCompared;
      for (const Value& item : where.list()) {
        if (Equal(item, what, &budget)) return Value::Bool(true);
      }
      return Value::Bool(false);
    }
    case Type::kMap:
      if (!what.is_int() && !what.is_string()) return Value::Bool(false);
      return Value::Bool(where.map().Find(what) != nullptr);
    default:
      ArgFault("contains", "a string, list or map", where);
  }
}

Value Trim(const Value& s) {
  const std::string& text = StringArg("trim", s);
  size_t b = 0, e = text.size();
  while (b < e && IsSpace(text[b])) ++b;
  while (e > b && IsSpace(text[e - 1])) --e;
  return Value::String(text.substr(b, e - b));
}

Value ChangeCase(const char* fn, const Value& s, bool upper) {
  std::string text = StringArg(fn, s);
  for (char& c : text) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return Value::String(std::move(text));
}

Value Sort(const Value& list) {
  if (!list.is_list()) ArgFault("sort", "a list", list);
  std::vector<Value> items = list.list();
  bool ints = !items.empty() && items[0].is_int();
  for (const Value& v : items) {
    if (ints ? !v.is_int() : !v.is_string()) {
      Fault("sort() needs a list of ints or a list of strings, found " +
            std::string(TypeName(items[0].type())) + " and " + TypeName(v.type()));
    }
  }
  std::stable_sort(items.begin(), items.end(), [ints](const Value& a, const Value& b) {
    return ints ? a.as_int() < b.as_int() : a.str() < b.str();
  });
  return Value::NewList(std::move(items));
}

Value Assert(const Value& cond, const Value& message) {
  if (!cond.is_bool()) ArgFault("assert", "a bool condition", cond);
  if (!cond.as_bool()) Fault("assertion failed: " + ToString(message));
  return Value();
}

}  // namespace

const BuiltinInfo* FindBuiltin(std::string_view name) {
  for (const BuiltinInfo& b : kBuiltins) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

Value CallBuiltin(Builtin id, Value* args) {
  switch (id) {
    case Builtin::kLen: return Len(args[0]);
    case Builtin::kInt: return ToInt(args[0]);
    case Builtin::kStr: return args[0].is_string() ? args[0] : Value::String(ToString(args[0]));
    case Builtin::kChr: return Chr(args[0]);
    case Builtin::kByteAt: return ByteAt(args[0], args[1]);
    case Builtin::kType: return Value::String(TypeName(args[0].type()));
    case Builtin::kKeys: return Keys(args[0]);
    case Builtin::kSplit: return Split(args[0], args[1]);
    case Builtin::kJoin: return Join(args[0], args[1]);
    case Builtin::kSlice: return Slice(args[0], args[1], args[2]);
    case Builtin::kContains: return Contains(args[0], args[1]);
    case Builtin::kTrim: return Trim(args[0]);
    case Builtin::kLower: return ChangeCase("lower", args[0], false);
    case Builtin::kUpper: return ChangeCase("upper", args[0], true);
    case Builtin::kSort: return Sort(args[0]);
    case Builtin::kAssert: return Assert(args[0], args[1]);
    case Builtin::kPush:
    case Builtin::kPop:
    case Builtin::kRemove:
      break;  // compiled to place instructions
  }
  Fault("internal error: builtin called the wrong way");
}

}  // namespace tape::lang
