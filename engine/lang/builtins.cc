// The builtin table, the dispatch, and the builtins on lists and maps. The
// text and number builtins are in builtins_text.cc and builtins_numbers.cc,
// format() in format.cc.

#include "engine/lang/builtins.h"

#include <fmt/core.h>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "engine/lang/builtins_internal.h"
#include "engine/lang/json.h"
#include "engine/lang/limits.h"

namespace tape::lang {
namespace builtins {

[[noreturn]] void ArgFault(const char* fn, const char* expected, const Value& got) {
  Fault(std::string(fn) + "() expects " + expected + ", got " + TypeName(got.type()));
}

const std::string& StringArg(const char* fn, const Value& v, const char* what) {
  if (!v.is_string()) ArgFault(fn, what, v);
  return v.str();
}

int64_t IntArg(const char* fn, const Value& v, const char* what) {
  if (!v.is_int()) ArgFault(fn, what, v);
  return v.as_int();
}

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

}  // namespace builtins

namespace {

using builtins::ArgFault;
using builtins::IntArg;
using builtins::StringArg;

constexpr BuiltinInfo kBuiltins[] = {
    {"len", Builtin::kLen, 1, 1, false},
    {"int", Builtin::kInt, 1, 2, false},
    {"float", Builtin::kFloat, 1, 2, false},
    {"str", Builtin::kStr, 1, 1, false},
    {"chr", Builtin::kChr, 1, 1, false},
    {"byte_at", Builtin::kByteAt, 2, 2, false},
    {"type", Builtin::kType, 1, 1, false},
    {"keys", Builtin::kKeys, 1, 1, false},
    {"values", Builtin::kValues, 1, 1, false},
    {"get", Builtin::kGet, 3, 3, false},
    {"split", Builtin::kSplit, 2, 2, false},
    {"join", Builtin::kJoin, 2, 2, false},
    {"slice", Builtin::kSlice, 3, 3, false},
    {"contains", Builtin::kContains, 2, 2, false},
    {"find", Builtin::kFind, 2, 3, false},
    {"replace", Builtin::kReplace, 3, 3, false},
    {"starts_with", Builtin::kStartsWith, 2, 2, false},
    {"ends_with", Builtin::kEndsWith, 2, 2, false},
    {"trim", Builtin::kTrim, 1, 1, false},
    {"lower", Builtin::kLower, 1, 1, false},
    {"upper", Builtin::kUpper, 1, 1, false},
    {"format", Builtin::kFormat, 1, kMaxArgs, false},
    {"sort", Builtin::kSort, 1, 3, false},
    {"reverse", Builtin::kReverse, 1, 1, false},
    {"min", Builtin::kMin, 1, kMaxArgs, false},
    {"max", Builtin::kMax, 1, kMaxArgs, false},
    {"abs", Builtin::kAbs, 1, 1, false},
    {"round", Builtin::kRound, 1, 1, false},
    {"floor", Builtin::kFloor, 1, 1, false},
    {"ceil", Builtin::kCeil, 1, 1, false},
    {"assert", Builtin::kAssert, 1, 2, false},
    {"push", Builtin::kPush, 2, 2, true},
    {"pop", Builtin::kPop, 1, 2, true},
    {"remove", Builtin::kRemove, 2, 2, true},
    {"exit", Builtin::kExit, 0, 1, false},
    {"json.parse", Builtin::kJsonParse, 1, 2, false},
    {"json.error", Builtin::kJsonError, 1, 1, false},
    {"json.dump", Builtin::kJsonDump, 1, 2, false},
};

Value Len(const Value& v) {
  switch (v.type()) {
    case Type::kString: return Value::Int(static_cast<int64_t>(v.str().size()));
    case Type::kList: return Value::Int(static_cast<int64_t>(v.list().size()));
    case Type::kMap: return Value::Int(static_cast<int64_t>(v.map().size()));
    default: ArgFault("len", "a string, list or map", v);
  }
}

Value Keys(const Value& m) {
  if (!m.is_map()) ArgFault("keys", "a map", m);
  std::vector<Value> keys;
  keys.reserve(m.map().size());
  for (const auto& entry : m.map().entries()) keys.push_back(entry.first);
  return Value::NewList(std::move(keys));
}

Value Values(const Value& m) {
  if (!m.is_map()) ArgFault("values", "a map", m);
  std::vector<Value> values;
  values.reserve(m.map().size());
  for (const auto& entry : m.map().entries()) values.push_back(entry.second);
  return Value::NewList(std::move(values));
}

// get(m, key, default) / get(l, index, default): never faults on the key.
Value Get(const Value& c, const Value& key, const Value& fallback) {
  if (c.is_map()) {
    if (!key.is_int() && !key.is_string()) return fallback;
    const Value* v = c.map().Find(key);
    return v != nullptr ? *v : fallback;
  }
  if (c.is_list()) {
    if (!key.is_int() || key.as_int() < 0 ||
        static_cast<uint64_t>(key.as_int()) >= c.list().size()) {
      return fallback;
    }
    return c.list()[static_cast<size_t>(key.as_int())];
  }
  ArgFault("get", "a map or a list", c);
}

Value Slice(const Value& seq, const Value& lo_v, const Value& hi_v) {
  if (!seq.is_string() && !seq.is_list()) ArgFault("slice", "a string or a list", seq);
  int64_t lo = IntArg("slice", lo_v, "int bounds");
  int64_t hi = IntArg("slice", hi_v, "int bounds");
  int64_t n = static_cast<int64_t>(seq.is_string() ? seq.str().size() : seq.list().size());
  if (lo < 0 || hi < lo || hi > n) {
    Fault(
        fmt::format("slice(): bounds {}..{} are out of range for a {} of length {} (need 0 <= lo "
                    "<= hi <= length)",
                    lo, hi, TypeName(seq.type()), n));
  }
  if (seq.is_string()) {
    return Value::String(seq.str().substr(static_cast<size_t>(lo), static_cast<size_t>(hi - lo)));
  }
  return Value::NewList(std::vector<Value>(seq.list().begin() + lo, seq.list().begin() + hi));
}

Value Contains(const Value& where, const Value& what) {
  switch (where.type()) {
    case Type::kString:
      return Value::Bool(where.str().find(StringArg("contains", what,
                                                    "a string to find in a string")) !=
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

// find(s, sub[, start]): the byte index of the first `sub` at or after
// `start`; find(l, x[, start]): the index of the first element == x. -1 if
// there is none.
Value Find(const Value* args, int argc) {
  const Value& where = args[0];
  if (!where.is_string() && !where.is_list()) ArgFault("find", "a string or a list", where);
  int64_t n = static_cast<int64_t>(where.is_string() ? where.str().size() : where.list().size());
  int64_t start = 0;
  if (argc == 3) {
    start = IntArg("find", args[2], "an int start");
    if (start < 0 || start > n) {
      Fault(fmt::format(
          "find(): start {} is out of range for a {} of length {} (need 0 <= start <= length)",
          start, TypeName(where.type()), n));
    }
  }
  if (where.is_string()) {
    const std::string& sub = StringArg("find", args[1], "a string to find in a string");
    size_t at = where.str().find(sub, static_cast<size_t>(start));
    return Value::Int(at == std::string::npos ? -1 : static_cast<int64_t>(at));
  }
  int64_t budget = kMaxCompared;
  const std::vector<Value>& items = where.list();
  for (size_t i = static_cast<size_t>(start); i < items.size(); ++i) {
    if (Equal(items[i], args[1], &budget)) return Value::Int(static_cast<int64_t>(i));
  }
  return Value::Int(-1);
}

// The value sort() orders an element by: the element itself, or its [key].
const Value& SortKey(const Value& item, const Value& key, size_t index) {
  if (key.is_nil()) return item;
  if (item.is_list() && key.is_int() && key.as_int() >= 0 &&
      static_cast<uint64_t>(key.as_int()) < item.list().size()) {
    return item.list()[static_cast<size_t>(key.as_int())];
  }
  if (item.is_map() && (key.is_int() || key.is_string())) {
    if (const Value* v = item.map().Find(key)) return *v;
  }
  Fault(fmt::format("sort(): element {} ({}) has no [{}] to sort by", index, Describe(item),
                    Describe(key)));
}

// sort(l[, key[, descending]]): a sorted copy, stable in both directions
// (equal elements keep their order). The sort keys must be all numbers or
// all strings.
Value Sort(const Value* args, int argc) {
  const Value& list = args[0];
  if (!list.is_list()) ArgFault("sort", "a list", list);
  Value none;
  const Value& key = argc >= 2 ? args[1] : none;
  bool descending = argc == 3 && Truthy(args[2]);
  const std::vector<Value>& items = list.list();
  std::vector<const Value*> keys;
  keys.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) keys.push_back(&SortKey(items[i], key, i));
  bool numbers = !keys.empty() && keys[0]->is_number();
  for (const Value* k : keys) {
    if (numbers ? !k->is_number() : !k->is_string()) {
      Fault("sort() needs numbers or strings to compare, all of one kind; found " +
            std::string(TypeName(keys[0]->type())) + " and " + TypeName(k->type()));
    }
  }
  std::vector<size_t> order(items.size());
  std::iota(order.begin(), order.end(), 0);
  auto less = [&](size_t a, size_t b) {
    const Value& x = *keys[descending ? b : a];
    const Value& y = *keys[descending ? a : b];
    return numbers ? CompareNumbers(x, y) < 0 : x.str() < y.str();
  };
  std::stable_sort(order.begin(), order.end(), less);
  std::vector<Value> sorted;
  sorted.reserve(items.size());
  for (size_t i : order) sorted.push_back(items[i]);
  return Value::NewList(std::move(sorted));
}

Value Reverse(const Value& v) {
  if (v.is_string()) return Value::String(std::string(v.str().rbegin(), v.str().rend()));
  if (!v.is_list()) ArgFault("reverse", "a list or a string", v);
  return Value::NewList(std::vector<Value>(v.list().rbegin(), v.list().rend()));
}

Value Assert(const Value* args, int argc) {
  if (Truthy(args[0])) return Value();
  Fault(argc == 2 ? "assertion failed: " + ToString(args[1]) : std::string("assertion failed"));
}

}  // namespace

const BuiltinInfo* FindBuiltin(std::string_view name) {
  for (const BuiltinInfo& b : kBuiltins) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

Value CallBuiltin(Builtin id, Value* args, int argc) {
  switch (id) {
    case Builtin::kLen: return Len(args[0]);
    case Builtin::kInt: return builtins::ToInt(args, argc);
    case Builtin::kFloat: return builtins::ToFloat(args, argc);
    case Builtin::kStr: return builtins::Str(args[0]);
    case Builtin::kChr: return builtins::Chr(args[0]);
    case Builtin::kByteAt: return builtins::ByteAt(args[0], args[1]);
    case Builtin::kType: return Value::String(TypeName(args[0].type()));
    case Builtin::kKeys: return Keys(args[0]);
    case Builtin::kValues: return Values(args[0]);
    case Builtin::kGet: return Get(args[0], args[1], args[2]);
    case Builtin::kSplit: return builtins::Split(args[0], args[1]);
    case Builtin::kJoin: return builtins::Join(args[0], args[1]);
    case Builtin::kSlice: return Slice(args[0], args[1], args[2]);
    case Builtin::kContains: return Contains(args[0], args[1]);
    case Builtin::kFind: return Find(args, argc);
    case Builtin::kReplace: return builtins::Replace(args[0], args[1], args[2]);
    case Builtin::kStartsWith: return builtins::StartsWith(args[0], args[1]);
    case Builtin::kEndsWith: return builtins::EndsWith(args[0], args[1]);
    case Builtin::kTrim: return builtins::Trim(args[0]);
    case Builtin::kLower: return builtins::ChangeCase("lower", args[0], false);
    case Builtin::kUpper: return builtins::ChangeCase("upper", args[0], true);
    case Builtin::kFormat: return builtins::Format(args, argc);
    case Builtin::kSort: return Sort(args, argc);
    case Builtin::kReverse: return Reverse(args[0]);
    case Builtin::kMin: return builtins::MinMax("min", args, argc, false);
    case Builtin::kMax: return builtins::MinMax("max", args, argc, true);
    case Builtin::kAbs: return builtins::Abs(args[0]);
    case Builtin::kRound: return builtins::Rounding(builtins::RoundMode::kRound, args[0]);
    case Builtin::kFloor: return builtins::Rounding(builtins::RoundMode::kFloor, args[0]);
    case Builtin::kCeil: return builtins::Rounding(builtins::RoundMode::kCeil, args[0]);
    case Builtin::kAssert: return Assert(args, argc);
    case Builtin::kJsonParse: return JsonParse(args, argc);
    case Builtin::kJsonError: return JsonError(args[0]);
    case Builtin::kJsonDump: return JsonDump(args, argc);
    case Builtin::kPush:
    case Builtin::kPop:
    case Builtin::kRemove:
    case Builtin::kExit:
      break;  // compiled to their own instructions
  }
  Fault("internal error: builtin called the wrong way");
}

}  // namespace tape::lang
