#include "engine/lang/value.h"

#include <fmt/core.h>
#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "engine/lang/diagnostics.h"
#include "engine/lang/limits.h"
#include "engine/lang/number_text.h"

namespace tape::lang {
namespace {

thread_local MemoryBudget* current_budget = nullptr;

// Maps up to this many entries are searched linearly.
constexpr size_t kLinearMapMax = 8;

uint64_t HashKey(const Value& key) {
  if (key.is_int()) {
    // splitmix64's finaliser: spreads consecutive ints over the table.
    uint64_t z = static_cast<uint64_t>(key.as_int()) + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  const std::string& s = key.str();
  return XXH3_64bits(s.data(), s.size());
}

bool SameKey(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  return a.is_int() ? a.as_int() == b.as_int() : a.str() == b.str();
}

// Bytes of a heap buffer of `n` elements of `size` bytes (none when empty).
int64_t BufferBytes(size_t n, size_t size) { return n == 0 ? 0 : HeapBlockBytes(n * size); }

// A std::string keeps short texts inside itself; longer ones in a buffer.
const size_t kInlineStringCapacity = std::string().capacity();

void AppendEscaped(std::string* out, const std::string& s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\t': *out += "\\t"; break;
      case '\r': *out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          *out += buf;
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

}  // namespace

void Fault(std::string message) { throw RuntimeFault{std::move(message)}; }

const char* TypeName(Type t) {
  switch (t) {
    case Type::kNil: return "nil";
    case Type::kBool: return "bool";
    case Type::kInt: return "int";
    case Type::kFloat: return "float";
    case Type::kString: return "string";
    case Type::kList: return "list";
    case Type::kMap: return "map";
  }
  return "?";
}

// --- Memory ------------------------------------------------------------------

MemoryBudget::MemoryBudget(int64_t limit) : limit_(limit), previous_(current_budget) {
  current_budget = this;
}
MemoryBudget::MemoryBudget(int64_t limit, int64_t used) : MemoryBudget(limit) { used_ = used; }
MemoryBudget::~MemoryBudget() { current_budget = previous_; }

const MemoryBudget* MemoryBudget::current() { return current_budget; }

namespace {

[[noreturn]] void OutOfMemory(int64_t limit) {
  Fault(
      fmt::format("out of memory: the script's strings, lists and maps would take more than {} MiB",
                  limit >> 20));
}

}  // namespace

void MemoryBudget::Charge(Obj* o, int64_t bytes) {
  MemoryBudget* b = current_budget;
  if (b == nullptr) return;
  int64_t delta = bytes - o->charged;
  if (delta > 0 && b->used_ + delta > b->limit_) OutOfMemory(b->limit_);
  b->used_ += delta;
  o->charged = bytes;
}

void MemoryBudget::CheckAvailable(int64_t bytes) {
  MemoryBudget* b = current_budget;
  if (b != nullptr && bytes > b->limit_ - b->used_) OutOfMemory(b->limit_);
}

int64_t HeapBlockBytes(size_t n) {
  return std::max<int64_t>(32, static_cast<int64_t>((n + 8 + 15) & ~size_t{15}));
}

int64_t ObjectBytes(const Value& v) {
  switch (v.type()) {
    case Type::kString: {
      size_t capacity = v.str().capacity();
      return HeapBlockBytes(sizeof(StrObj)) +
             (capacity > kInlineStringCapacity ? HeapBlockBytes(capacity + 1) : 0);
    }
    case Type::kList:
      return HeapBlockBytes(sizeof(ListObj)) + BufferBytes(v.list().capacity(), sizeof(Value));
    case Type::kMap:
      return HeapBlockBytes(sizeof(MapObj)) + v.map().BufferBytes();
    default:
      return 0;
  }
}

void FreeObj(Obj* o) {
  if (current_budget != nullptr) current_budget->used_ -= o->charged;
  switch (o->type) {
    case Type::kString: delete static_cast<StrObj*>(o); break;
    case Type::kList: delete static_cast<ListObj*>(o); break;
    case Type::kMap: delete static_cast<MapObj*>(o); break;
    default: break;
  }
}

void CheckStringSize(int64_t bytes) {
  if (bytes > kMaxStringBytes) {
    Fault(fmt::format("string too long: {} bytes (the limit is {} MiB)", bytes,
                      kMaxStringBytes >> 20));
  }
}
void CheckElements(int64_t n) {
  if (n > kMaxElements) {
    Fault(fmt::format("too many elements: {} (the limit is {})", n, kMaxElements));
  }
}
void CheckNesting(int depth) {
  if (depth > kMaxNesting) {
    Fault(fmt::format("value nested too deeply: lists and maps may nest {} levels", kMaxNesting));
  }
}

void AfterGrow(const Value& c) {
  CheckElements(static_cast<int64_t>(c.is_list() ? c.list().size() : c.map().size()));
  MemoryBudget::Charge(c.obj(), ObjectBytes(c));
}

// --- Construction and copy-on-write ------------------------------------------

Value Value::String(std::string s) {
  CheckStringSize(static_cast<int64_t>(s.size()));
  Value v(new StrObj(std::move(s)));
  MemoryBudget::Charge(v.o_, ObjectBytes(v));
  return v;
}

Value Value::NewList(std::vector<Value> items) {
  CheckElements(static_cast<int64_t>(items.size()));
  int nesting = 0;
  for (const Value& item : items) nesting = std::max(nesting, item.nesting());
  CheckNesting(nesting + 1);
  auto* obj = new ListObj();
  Value v(obj);
  obj->items = std::move(items);
  obj->nesting = static_cast<uint16_t>(nesting + 1);
  MemoryBudget::Charge(obj, ObjectBytes(v));
  return v;
}

Value Value::NewMap() {
  auto* obj = new MapObj();
  obj->nesting = 1;
  Value v(obj);
  MemoryBudget::Charge(obj, ObjectBytes(v));
  return v;
}

std::vector<Value>& Value::MutableList() {
  auto* obj = static_cast<ListObj*>(o_);
  if (obj->refs > 1) {
    auto* copy = new ListObj();
    Value fresh(copy);
    copy->items = obj->items;
    copy->nesting = obj->nesting;
    MemoryBudget::Charge(copy, ObjectBytes(fresh));
    *this = std::move(fresh);
    obj = copy;
  }
  return obj->items;
}

MapObj& Value::MutableMap() {
  auto* obj = static_cast<MapObj*>(o_);
  if (obj->refs > 1) {
    auto* copy = new MapObj();
    Value fresh(copy);
    copy->entries_ = obj->entries_;
    copy->index_ = obj->index_;
    copy->nesting = obj->nesting;
    MemoryBudget::Charge(copy, ObjectBytes(fresh));
    *this = std::move(fresh);
    obj = copy;
  }
  return *obj;
}

Value Value::DeepCopy(const Value& v, CopyMap* copies, int64_t* bytes) {
  if (!v.is_heap()) return v;
  // An object held once is reached once: only shared ones are remembered.
  bool shared = v.o_->refs > 1;
  if (shared) {
    if (auto it = copies->find(v.o_); it != copies->end()) {
      ++it->second->refs;
      return Value(it->second);
    }
  }
  Obj* copy = nullptr;
  switch (v.type()) {
    case Type::kString: copy = new StrObj(v.str()); break;
    case Type::kList: {
      auto* list = new ListObj();
      list->items.reserve(v.list().capacity());
      for (const Value& item : v.list()) list->items.push_back(DeepCopy(item, copies, bytes));
      copy = list;
      break;
    }
    default: {
      const MapObj& from = v.map();
      auto* map = new MapObj();
      map->entries_.reserve(from.entries_.capacity());
      for (const auto& [key, value] : from.entries_) {
        map->entries_.emplace_back(DeepCopy(key, copies, bytes), DeepCopy(value, copies, bytes));
      }
      map->index_.reserve(from.index_.capacity());
      map->index_ = from.index_;
      copy = map;
      break;
    }
  }
  copy->nesting = v.o_->nesting;
  copy->charged = v.o_->charged;
  if (shared) copies->emplace(v.o_, copy);
  if (bytes != nullptr) *bytes += copy->charged;
  return Value(copy);
}

namespace {

// The same representation: the same type and bits (a heap object's address).
bool SameRepr(const Value& a, const Value& b, const void* a_bits, const void* b_bits) {
  if (a.type() != b.type()) return false;
  return a.is_nil() || std::memcmp(a_bits, b_bits, sizeof(int64_t)) == 0;
}

}  // namespace

bool Value::Same(const Value& a, const Value& b) { return SameRepr(a, b, &a.i_, &b.i_); }

Value Value::CopySharing(const Value& v, CopyHistory* history, int64_t* bytes) {
  if (!v.is_heap()) return v;
  if (auto it = history->current.find(v.o_); it != history->current.end()) {
    ++it->second->refs;
    return Value(it->second);
  }
  Obj* before = nullptr;
  if (auto it = history->previous.find(v.o_);
      it != history->previous.end() && it->second->type == v.o_->type &&
      it->second->charged == v.o_->charged && it->second->nesting == v.o_->nesting) {
    before = it->second;
  }
  Obj* copy = nullptr;
  switch (v.type()) {
    case Type::kString:
      if (before != nullptr && static_cast<StrObj*>(before)->text == v.str()) {
        copy = before;
      } else {
        copy = new StrObj(v.str());
      }
      break;
    case Type::kList: {
      const std::vector<Value>& items = v.list();
      std::vector<Value> copies;
      copies.reserve(items.capacity());
      for (const Value& item : items) copies.push_back(CopySharing(item, history, bytes));
      auto* old = static_cast<ListObj*>(before);
      bool same = old != nullptr && old->items.capacity() == items.capacity() &&
                  old->items.size() == copies.size();
      for (size_t i = 0; same && i < copies.size(); ++i) same = Same(old->items[i], copies[i]);
      if (same) {
        copy = old;
      } else {
        auto* list = new ListObj();
        list->items = std::move(copies);  // keeps the capacity reserved above
        copy = list;
      }
      break;
    }
    default: {
      const MapObj& from = v.map();
      std::vector<std::pair<Value, Value>> copies;
      copies.reserve(from.entries_.capacity());
      for (const auto& [key, value] : from.entries_) {
        copies.emplace_back(CopySharing(key, history, bytes), CopySharing(value, history, bytes));
      }
      auto* old = static_cast<MapObj*>(before);
      bool same = old != nullptr && old->entries_.capacity() == from.entries_.capacity() &&
                  old->entries_.size() == copies.size() && old->index_ == from.index_ &&
                  old->index_.capacity() == from.index_.capacity();
      for (size_t i = 0; same && i < copies.size(); ++i) {
        same = Same(old->entries_[i].first, copies[i].first) &&
               Same(old->entries_[i].second, copies[i].second);
      }
      if (same) {
        copy = old;
      } else {
        auto* map = new MapObj();
        map->entries_ = std::move(copies);
        map->index_.reserve(from.index_.capacity());
        map->index_ = from.index_;
        copy = map;
      }
      break;
    }
  }
  if (copy == before) {
    ++copy->refs;
  } else {
    copy->nesting = v.o_->nesting;
    copy->charged = v.o_->charged;
    *bytes += copy->charged;
  }
  history->current.emplace(v.o_, copy);
  return Value(copy);
}

// --- Maps ------------------------------------------------------------------------

const Value* MapObj::Find(const Value& key) const {
  if (index_.empty()) {
    for (const auto& e : entries_) {
      if (SameKey(e.first, key)) return &e.second;
    }
    return nullptr;
  }
  size_t mask = index_.size() - 1;
  for (size_t i = HashKey(key) & mask;; i = (i + 1) & mask) {
    uint32_t slot = index_[i];
    if (slot == 0) return nullptr;
    const auto& e = entries_[slot - 1];
    if (SameKey(e.first, key)) return &e.second;
  }
}

void MapObj::Set(const Value& key, Value value) {
  if (Value* existing = FindMutable(key)) {
    *existing = std::move(value);
    return;
  }
  entries_.emplace_back(key, std::move(value));
  if (entries_.size() <= kLinearMapMax) return;
  // Keep the table at most half full.
  if (index_.size() < entries_.size() * 2) {
    Reindex();
    return;
  }
  size_t mask = index_.size() - 1;
  size_t i = HashKey(key) & mask;
  while (index_[i] != 0) i = (i + 1) & mask;
  index_[i] = static_cast<uint32_t>(entries_.size());
}

bool MapObj::Remove(const Value& key) {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (SameKey(entries_[i].first, key)) {
      entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
      Reindex();
      return true;
    }
  }
  return false;
}

int64_t MapObj::BufferBytes() const {
  return tape::lang::BufferBytes(entries_.capacity(), sizeof(entries_[0])) +
         tape::lang::BufferBytes(index_.capacity(), sizeof(index_[0]));
}

void MapObj::Reindex() {
  index_.clear();
  if (entries_.size() <= kLinearMapMax) return;
  size_t size = 16;
  while (size < entries_.size() * 4) size *= 2;
  index_.assign(size, 0);
  size_t mask = size - 1;
  for (size_t e = 0; e < entries_.size(); ++e) {
    size_t i = HashKey(entries_[e].first) & mask;
    while (index_[i] != 0) i = (i + 1) & mask;
    index_[i] = static_cast<uint32_t>(e + 1);
  }
}

// --- Equality and printing ---------------------------------------------------

namespace {

bool EqualWithin(const Value& a, const Value& b, int64_t* budget) {
  if (a.type() != b.type()) {
    return a.is_number() && b.is_number() && CompareNumbers(a, b) == 0;
  }
  if (--*budget < 0) {
    Fault(fmt::format("values too large to compare (more than {} elements)", kMaxCompared));
  }
  switch (a.type()) {
    case Type::kNil: return true;
    case Type::kBool:
    case Type::kInt: return a.as_int() == b.as_int();
    case Type::kFloat: return a.as_float() == b.as_float();
    case Type::kString: return a.str() == b.str();
    case Type::kList: {
      const auto& x = a.list();
      const auto& y = b.list();
      if (&x == &y) return true;
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!EqualWithin(x[i], y[i], budget)) return false;
      }
      return true;
    }
    case Type::kMap: {
      const MapObj& x = a.map();
      const MapObj& y = b.map();
      if (&x == &y) return true;
      if (x.size() != y.size()) return false;
      // Order does not matter: equal maps hold equal values under equal keys.
      for (const auto& [k, v] : x.entries()) {
        const Value* other = y.Find(k);
        if (other == nullptr || !EqualWithin(v, *other, budget)) return false;
      }
      return true;
    }
  }
  return false;
}

}  // namespace

int CompareNumbers(const Value& a, const Value& b) {
  if (a.is_int() && b.is_int()) return a.as_int() < b.as_int() ? -1 : a.as_int() > b.as_int();
  if (a.is_float() && b.is_float()) {
    return a.as_float() < b.as_float() ? -1 : a.as_float() > b.as_float();
  }
  // An int and a float, compared exactly: converting the int to a double
  // would round ints above 2^53 (and make 2^53 + 1 == 2^53).
  bool int_first = a.is_int();
  int64_t i = int_first ? a.as_int() : b.as_int();
  double d = int_first ? b.as_float() : a.as_float();
  int c;  // i compared with d
  if (d >= 9223372036854775808.0) {  // 2^63
    c = -1;
  } else if (d < -9223372036854775808.0) {
    c = 1;
  } else {
    double whole = std::trunc(d);  // in [-2^63, 2^63): fits
    auto w = static_cast<int64_t>(whole);
    if (i != w) {
      c = i < w ? -1 : 1;
    } else {
      double frac = d - whole;  // exact
      c = frac > 0 ? -1 : frac < 0 ? 1 : 0;
    }
  }
  return int_first ? c : -c;
}

bool Equal(const Value& a, const Value& b) {
  int64_t budget = kMaxCompared;
  return EqualWithin(a, b, &budget);
}

bool Equal(const Value& a, const Value& b, int64_t* budget) { return EqualWithin(a, b, budget); }

void AppendRepr(std::string* out, const Value& v) {
  CheckStringSize(static_cast<int64_t>(out->size()));
  switch (v.type()) {
    case Type::kNil: *out += "nil"; break;
    case Type::kBool: *out += v.as_bool() ? "true" : "false"; break;
    case Type::kInt: *out += std::to_string(v.as_int()); break;
    case Type::kFloat: *out += FormatFloat(v.as_float()); break;
    case Type::kString: AppendEscaped(out, v.str()); break;
    case Type::kList: {
      out->push_back('[');
      bool first = true;
      for (const Value& item : v.list()) {
        if (!first) *out += ", ";
        first = false;
        AppendRepr(out, item);
      }
      out->push_back(']');
      break;
    }
    case Type::kMap: {
      out->push_back('{');
      bool first = true;
      for (const auto& [k, item] : v.map().entries()) {
        if (!first) *out += ", ";
        first = false;
        AppendRepr(out, k);
        *out += ": ";
        AppendRepr(out, item);
      }
      out->push_back('}');
      break;
    }
  }
  CheckStringSize(static_cast<int64_t>(out->size()));
}

std::string ToString(const Value& v) {
  if (v.is_string()) return v.str();
  std::string out;
  AppendRepr(&out, v);
  return out;
}

std::string Describe(const Value& v) {
  if (v.is_string()) return QuoteForMessage(v.str());
  if (v.is_list() || v.is_map()) {
    // By size only: a container may hold megabytes.
    size_t n = v.is_list() ? v.list().size() : v.map().size();
    return fmt::format("a {} of {} {}", TypeName(v.type()), n, n == 1 ? "element" : "elements");
  }
  return ToString(v);
}

// Faults unless `key` can be a map key.
void CheckMapKey(const Value& key) {
  if (!key.is_int() && !key.is_string()) {
    Fault(std::string("map keys are ints or strings, got ") + TypeName(key.type()) +
          (key.is_float() ? " (convert it with int() or str())" : ""));
  }
}

Value MakeMap(Value* kv, int pairs) {
  Value m = Value::NewMap();
  MapObj& map = m.MutableMap();
  int nesting = 0;
  for (int i = 0; i < pairs; ++i) {
    CheckMapKey(kv[2 * i]);
    nesting = std::max(nesting, kv[2 * i + 1].nesting());
    map.Set(kv[2 * i], std::move(kv[2 * i + 1]));
  }
  CheckNesting(nesting + 1);
  m.obj()->nesting = static_cast<uint16_t>(nesting + 1);
  AfterGrow(m);
  return m;
}

}  // namespace tape::lang
