#include "engine/lang/value.h"

#include <xxhash.h>

#include <cstdio>

#include "engine/lang/diagnostics.h"
#include "engine/lang/limits.h"

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

int64_t ContainerBytes(const Value& v) {
  if (v.is_list()) return static_cast<int64_t>(v.list().capacity() * sizeof(Value));
  // Entries plus the index, roughly.
  return static_cast<int64_t>(v.map().entries().capacity() * (2 * sizeof(Value) + 8));
}

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
MemoryBudget::~MemoryBudget() { current_budget = previous_; }

void MemoryBudget::Charge(Obj* o, int64_t bytes) {
  MemoryBudget* b = current_budget;
  if (b == nullptr) return;
  int64_t delta = bytes - o->charged;
  if (delta > 0 && b->used_ + delta > b->limit_) {
    Fault("out of memory: the script's strings, lists and maps would take more than " +
          std::to_string(b->limit_ >> 20) + " MiB");
  }
  b->used_ += delta;
  o->charged = bytes;
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
    Fault("string too long: " + std::to_string(bytes) + " bytes (the limit is " +
          std::to_string(kMaxStringBytes >> 20) + " MiB)");
  }
}
void CheckElements(int64_t n) {
  if (n > kMaxElements) {
    Fault("too many elements: " + std::to_string(n) + " (the limit is " +
          std::to_string(kMaxElements) + ")");
  }
}
void CheckNesting(int depth) {
  if (depth > kMaxNesting) {
    Fault("value nested too deeply: lists and maps may nest " + std::to_string(kMaxNesting) +
          " levels");
  }
}

void AfterGrow(const Value& c) {
  CheckElements(static_cast<int64_t>(c.is_list() ? c.list().size() : c.map().size()));
  MemoryBudget::Charge(c.obj(), ContainerBytes(c));
}

// --- Construction and copy-on-write ------------------------------------------

Value Value::String(std::string s) {
  CheckStringSize(static_cast<int64_t>(s.size()));
  Value v(new StrObj(std::move(s)));
  MemoryBudget::Charge(v.o_, static_cast<int64_t>(v.str().size()) + 32);
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
  MemoryBudget::Charge(obj, ContainerBytes(v));
  return v;
}

Value Value::NewMap() {
  auto* obj = new MapObj();
  obj->nesting = 1;
  return Value(obj);
}

std::vector<Value>& Value::MutableList() {
  auto* obj = static_cast<ListObj*>(o_);
  if (obj->refs > 1) {
    auto* copy = new ListObj();
    Value fresh(copy);
    copy->items = obj->items;
    copy->nesting = obj->nesting;
    MemoryBudget::Charge(copy, ContainerBytes(fresh));
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
    MemoryBudget::Charge(copy, ContainerBytes(fresh));
    *this = std::move(fresh);
    obj = copy;
  }
  return *obj;
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
  if (a.type() != b.type()) return false;
  if (--*budget < 0) {
    Fault("values too large to compare (more than " + std::to_string(kMaxCompared) +
          " elements)");
  }
  switch (a.type()) {
    case Type::kNil: return true;
    case Type::kBool:
    case Type::kInt: return a.as_int() == b.as_int();
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
    return std::string("a ") + TypeName(v.type()) + " of " + std::to_string(n) +
           (n == 1 ? " element" : " elements");
  }
  return ToString(v);
}

}  // namespace tape::lang
