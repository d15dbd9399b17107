#include "engine/lang/ops.h"

#include <string>
#include <vector>

#include "engine/lang/limits.h"

namespace tape::lang {
namespace {

const char* Symbol(Op op) {
  switch (op) {
    case Op::kAdd: return "+";
    case Op::kSub: return "-";
    case Op::kMul: return "*";
    case Op::kDiv: return "/";
    case Op::kMod: return "%";
    case Op::kLt: return "<";
    case Op::kLe: return "<=";
    case Op::kGt: return ">";
    case Op::kGe: return ">=";
    default: return "?";
  }
}

[[noreturn]] void TypeFault(Op op, const Value& a, const Value& b) {
  std::string msg = std::string("cannot apply '") + Symbol(op) + "' to " + TypeName(a.type()) +
                    " and " + TypeName(b.type());
  if (op == Op::kAdd && (a.is_string() || b.is_string())) msg += " (convert with str() first)";
  if (op == Op::kMul && a.is_int() && (b.is_string() || b.is_list())) {
    msg += " (write the count on the right: x * n)";
  }
  Fault(msg);
}

[[noreturn]] void OverflowFault(Op op, int64_t a, int64_t b) {
  Fault("integer overflow: " + std::to_string(a) + " " + Symbol(op) + " " + std::to_string(b) +
        " does not fit in 64 bits");
}

// Index i of a sequence of length n, checked.
size_t CheckIndex(const Value& key, size_t n, const char* what) {
  if (!key.is_int()) {
    Fault(std::string("a ") + what + " index must be an int, got " + TypeName(key.type()));
  }
  int64_t i = key.as_int();
  if (i < 0 || static_cast<uint64_t>(i) >= n) {
    Fault("index " + std::to_string(i) + " is out of range for a " + what + " of length " +
          std::to_string(n));
  }
  return static_cast<size_t>(i);
}

void CheckMapKey(const Value& key) {
  if (!key.is_int() && !key.is_string()) {
    Fault(std::string("map keys are ints or strings, got ") + TypeName(key.type()));
  }
}

[[noreturn]] void MissingKey(const Value& key) {
  Fault("no key " + Describe(key) + " in the map (test with contains(m, k) first)");
}

int64_t Repeat(const Value& seq, int64_t n, size_t len) {
  if (n < 0) Fault("cannot repeat a " + std::string(TypeName(seq.type())) + " " +
                   std::to_string(n) + " times");
  int64_t total;
  if (__builtin_mul_overflow(static_cast<int64_t>(len), n, &total)) total = INT64_MAX;
  return total;
}

// Walks from `root` down `depth` keys, making each container on the way
// unique. chain[0] is root, chain[i] the element under keys[i-1].
void Descend(Value* root, const Value* keys, int depth, std::vector<Value*>* chain) {
  chain->push_back(root);
  Value* at = root;
  for (int i = 0; i < depth; ++i) {
    const Value& key = keys[i];
    if (at->is_list()) {
      std::vector<Value>& items = at->MutableList();
      at = &items[CheckIndex(key, items.size(), "list")];
    } else if (at->is_map()) {
      CheckMapKey(key);
      Value* v = at->MutableMap().FindMutable(key);
      if (v == nullptr) MissingKey(key);
      at = v;
    } else if (at->is_string()) {
      Fault("strings cannot be changed in place; build a new one (with slice() and +)");
    } else {
      Fault(std::string("cannot index ") + (at->is_int() ? "an " : "a ") +
            TypeName(at->type()));
    }
    chain->push_back(at);
  }
}

// After a change at the bottom of `chain` that may have deepened it: each
// container's nesting is at least its child's plus one. (Nesting is an upper
// bound: removing an element does not lower it.)
void UpdateNesting(const std::vector<Value*>& chain, int innermost_child_nesting) {
  int child = innermost_child_nesting;
  for (size_t i = chain.size(); i-- > 0;) {
    Value* c = chain[i];
    if (!c->is_list() && !c->is_map()) return;
    int n = std::max(c->nesting(), child + 1);
    CheckNesting(n);
    c->obj()->nesting = static_cast<uint16_t>(n);
    child = n;
  }
}

}  // namespace

int64_t IntArith(Op op, int64_t a, int64_t b) {
  int64_t r = 0;
  switch (op) {
    case Op::kAdd:
      if (__builtin_add_overflow(a, b, &r)) OverflowFault(op, a, b);
      return r;
    case Op::kSub:
      if (__builtin_sub_overflow(a, b, &r)) OverflowFault(op, a, b);
      return r;
    case Op::kMul:
      if (__builtin_mul_overflow(a, b, &r)) OverflowFault(op, a, b);
      return r;
    case Op::kDiv:
    case Op::kMod:
      if (b == 0) Fault(op == Op::kDiv ? "division by zero" : "modulo by zero");
      if (a == INT64_MIN && b == -1) OverflowFault(op, a, b);
      return op == Op::kDiv ? a / b : a % b;
    default:
      Fault("internal error: not an arithmetic operator");
  }
}

Value Arith(Op op, const Value& a, const Value& b) {
  if (a.is_int() && b.is_int()) return Value::Int(IntArith(op, a.as_int(), b.as_int()));
  if (op == Op::kAdd) {
    if (a.is_string() && b.is_string()) {
      CheckStringSize(static_cast<int64_t>(a.str().size() + b.str().size()));
      std::string s;
      s.reserve(a.str().size() + b.str().size());
      s.append(a.str()).append(b.str());
      return Value::String(std::move(s));
    }
    if (a.is_list() && b.is_list()) {
      CheckElements(static_cast<int64_t>(a.list().size() + b.list().size()));
      std::vector<Value> items;
      items.reserve(a.list().size() + b.list().size());
      items.insert(items.end(), a.list().begin(), a.list().end());
      items.insert(items.end(), b.list().begin(), b.list().end());
      return Value::NewList(std::move(items));
    }
  }
  if (op == Op::kMul && b.is_int()) {
    if (a.is_string()) {
      int64_t total = Repeat(a, b.as_int(), a.str().size());
      CheckStringSize(total);
      // Doubling: log(n) copies instead of n appends of a short string.
      std::string s;
      if (total == 0) return Value::String(std::move(s));
      s.reserve(static_cast<size_t>(total));
      s = a.str();
      while (static_cast<int64_t>(s.size()) * 2 <= total) s.append(s);
      s.append(s, 0, static_cast<size_t>(total) - s.size());
      return Value::String(std::move(s));
    }
    if (a.is_list()) {
      int64_t total = Repeat(a, b.as_int(), a.list().size());
      CheckElements(total);
      std::vector<Value> items;
      if (total == 0) return Value::NewList(std::move(items));  // [] * huge must not loop
      items.reserve(static_cast<size_t>(total));
      for (int64_t i = 0; i < b.as_int(); ++i) {
        items.insert(items.end(), a.list().begin(), a.list().end());
      }
      return Value::NewList(std::move(items));
    }
  }
  TypeFault(op, a, b);
}

bool Compare(Op op, const Value& a, const Value& b) {
  int c;
  if (a.is_int() && b.is_int()) {
    c = a.as_int() < b.as_int() ? -1 : a.as_int() > b.as_int();
  } else if (a.is_string() && b.is_string()) {
    // std::string compares as unsigned bytes (char_traits<char>::compare is
    // memcmp), which is what the spec promises.
    c = a.str().compare(b.str());
  } else {
    Fault(std::string("cannot compare ") + TypeName(a.type()) + " and " + TypeName(b.type()) +
          " with '" + Symbol(op) + "' (only ints with ints, strings with strings)");
  }
  switch (op) {
    case Op::kLt: return c < 0;
    case Op::kLe: return c <= 0;
    case Op::kGt: return c > 0;
    default: return c >= 0;
  }
}

Value Negate(const Value& v) {
  if (!v.is_int()) Fault(std::string("cannot negate a ") + TypeName(v.type()));
  if (v.as_int() == INT64_MIN) Fault("integer overflow: -(-9223372036854775808)");
  return Value::Int(-v.as_int());
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

Value IndexGet(const Value& c, const Value& key) {
  switch (c.type()) {
    case Type::kList: return c.list()[CheckIndex(key, c.list().size(), "list")];
    case Type::kString: {
      size_t i = CheckIndex(key, c.str().size(), "string");
      return Value::String(std::string(1, c.str()[i]));
    }
    case Type::kMap: {
      CheckMapKey(key);
      const Value* v = c.map().Find(key);
      if (v == nullptr) MissingKey(key);
      return *v;
    }
    default:
      Fault(std::string("cannot index ") + (c.is_int() ? "an " : "a ") + TypeName(c.type()) +
            " (only strings, lists and maps)");
  }
}

void SetPath(Value* root, const Value* keys, int depth, Value value) {
  std::vector<Value*> chain;
  Descend(root, keys, depth - 1, &chain);
  Value* target = chain.back();
  const Value& key = keys[depth - 1];
  int child_nesting = value.nesting();
  if (target->is_list()) {
    std::vector<Value>& items = target->MutableList();
    items[CheckIndex(key, items.size(), "list")] = std::move(value);
  } else if (target->is_map()) {
    CheckMapKey(key);
    target->MutableMap().Set(key, std::move(value));
    AfterGrow(*target);
  } else {
    Descend(target, &key, 1, &chain);  // faults with the right message
  }
  UpdateNesting(chain, child_nesting);
}

void PushPath(Value* root, const Value* keys, int depth, Value value) {
  std::vector<Value*> chain;
  Descend(root, keys, depth, &chain);
  Value* target = chain.back();
  if (!target->is_list()) {
    Fault(std::string("push() needs a list, got ") + TypeName(target->type()));
  }
  int child_nesting = value.nesting();
  target->MutableList().push_back(std::move(value));
  AfterGrow(*target);
  UpdateNesting(chain, child_nesting);
}

Value PopPath(Value* root, const Value* keys, int depth) {
  std::vector<Value*> chain;
  Descend(root, keys, depth, &chain);
  Value* target = chain.back();
  if (!target->is_list()) {
    Fault(std::string("pop() needs a list, got ") + TypeName(target->type()));
  }
  std::vector<Value>& items = target->MutableList();
  if (items.empty()) Fault("pop() from an empty list");
  Value last = std::move(items.back());
  items.pop_back();
  return last;
}

bool RemovePath(Value* root, const Value* keys, int depth, const Value& key) {
  std::vector<Value*> chain;
  Descend(root, keys, depth, &chain);
  Value* target = chain.back();
  if (!target->is_map()) {
    Fault(std::string("remove() needs a map, got ") + TypeName(target->type()));
  }
  CheckMapKey(key);
  if (target->map().Find(key) == nullptr) return false;
  return target->MutableMap().Remove(key);
}

}  // namespace tape::lang
