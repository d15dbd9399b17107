#include "engine/lang/ops.h"

#include <fmt/core.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/lang/limits.h"
#include "engine/lang/number_text.h"

namespace tape::lang {
namespace {

const char* Symbol(Op op) {
  switch (op) {
    case Op::kAdd: return "+";
    case Op::kSub: return "-";
    case Op::kMul: return "*";
    case Op::kDiv: return "/";
    case Op::kMod: return "%";
    case Op::kBitAnd: return "&";
    case Op::kBitOr: return "|";
    case Op::kBitXor: return "^";
    case Op::kShl: return "<<";
    case Op::kShr: return ">>";
    case Op::kLt: return "<";
    case Op::kLe: return "<=";
    case Op::kGt: return ">";
    case Op::kGe: return ">=";
    default: return "?";
  }
}

bool IsBitwise(Op op) {
  return op == Op::kBitAnd || op == Op::kBitOr || op == Op::kBitXor || op == Op::kShl ||
         op == Op::kShr;
}

[[noreturn]] void TypeFault(Op op, const Value& a, const Value& b) {
  std::string msg = std::string("cannot apply '") + Symbol(op) + "' to " + TypeName(a.type()) +
                    " and " + TypeName(b.type());
  if (op == Op::kMul && a.is_int() && (b.is_string() || b.is_list())) {
    msg += " (write the count on the right: x * n)";
  }
  if (IsBitwise(op) && (a.is_number() || b.is_number())) msg += " (bitwise operators take ints)";
  Fault(msg);
}

[[noreturn]] void OverflowFault(Op op, int64_t a, int64_t b) {
  Fault(fmt::format("integer overflow: {} {} {} does not fit in 64 bits", a, Symbol(op), b));
}

// Index i of a sequence of length n, checked.
size_t CheckIndex(const Value& key, size_t n, const char* what) {
  if (!key.is_int()) {
    Fault(std::string("a ") + what + " index must be an int, got " + TypeName(key.type()));
  }
  int64_t i = key.as_int();
  if (i < 0 || static_cast<uint64_t>(i) >= n) {
    Fault(fmt::format("index {} is out of range for a {} of length {}", i, what, n));
  }
  return static_cast<size_t>(i);
}


[[noreturn]] void MissingKey(const Value& key) {
  Fault("no key " + Describe(key) + " in the map (test with contains(m, k) first)");
}

int64_t Repeat(const Value& seq, int64_t n, size_t len) {
  if (n < 0) Fault(fmt::format("cannot repeat a {} {} times", TypeName(seq.type()), n));
  int64_t total;
  if (__builtin_mul_overflow(static_cast<int64_t>(len), n, &total)) total = INT64_MAX;
  return total;
}

// Floats stay finite (specs/language.md §3.6): an operation whose result
// would be infinite faults, as integer overflow does.
double FloatArith(Op op, double x, double y) {
  double r;
  switch (op) {
    case Op::kAdd: r = x + y; break;
    case Op::kSub: r = x - y; break;
    case Op::kMul: r = x * y; break;
    case Op::kDiv:
      if (y == 0) Fault("division by zero");
      r = x / y;
      break;
    case Op::kMod:
      if (y == 0) Fault("modulo by zero");
      return std::fmod(x, y);  // never larger than x
    default:
      Fault("internal error: not a float operator");
  }
  if (!std::isfinite(r)) {
    Fault("float overflow: " + FormatFloat(x) + " " + Symbol(op) + " " + FormatFloat(y) +
          " is too large for a float");
  }
  return r;
}

// The text `+` uses for a value next to a string: str() of it.
std::string_view TextOf(const Value& v, std::string* storage) {
  if (v.is_string()) return v.str();
  *storage = ToString(v);
  return *storage;
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
    case Op::kBitAnd: return a & b;
    case Op::kBitOr: return a | b;
    case Op::kBitXor: return a ^ b;
    case Op::kShl:
    case Op::kShr:
      // Shifting by 64 or more shifts every bit out, as shifting one bit at
      // a time would; bits shifted out of `<<` are lost (it is a bit
      // operation, not a multiplication).
      if (b < 0) Fault(fmt::format("negative shift count: {} {} {}", a, Symbol(op), b));
      if (op == Op::kShl) return b >= 64 ? 0 : static_cast<int64_t>(static_cast<uint64_t>(a) << b);
      return b >= 64 ? (a < 0 ? -1 : 0) : a >> b;  // arithmetic: the sign is kept
    default:
      Fault("internal error: not an arithmetic operator");
  }
}

Value Arith(Op op, const Value& a, const Value& b) {
  if (a.is_int() && b.is_int()) return Value::Int(IntArith(op, a.as_int(), b.as_int()));
  if (a.is_number() && b.is_number() && !IsBitwise(op)) {
    return Value::Float(FloatArith(op, a.to_double(), b.to_double()));
  }
  if (op == Op::kAdd) {
    if (a.is_string() || b.is_string()) {
      // A string on either side: the other operand as str() renders it.
      std::string left_text, right_text;
      std::string_view left = TextOf(a, &left_text), right = TextOf(b, &right_text);
      int64_t total = static_cast<int64_t>(left.size() + right.size());
      CheckStringSize(total);
      MemoryBudget::CheckAvailable(total);
      std::string s;
      s.reserve(left.size() + right.size());
      s.append(left).append(right);
      return Value::String(std::move(s));
    }
    if (a.is_list() && b.is_list()) {
      CheckElements(static_cast<int64_t>(a.list().size() + b.list().size()));
      MemoryBudget::CheckAvailable(
          static_cast<int64_t>((a.list().size() + b.list().size()) * sizeof(Value)));
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
      MemoryBudget::CheckAvailable(total);
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
      MemoryBudget::CheckAvailable(total * static_cast<int64_t>(sizeof(Value)));
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
  if (a.is_number() && b.is_number()) {
    c = CompareNumbers(a, b);
  } else if (a.is_string() && b.is_string()) {
    // std::string compares as unsigned bytes (char_traits<char>::compare is
    // memcmp), which is what the spec promises.
    c = a.str().compare(b.str());
  } else {
    Fault(std::string("cannot compare ") + TypeName(a.type()) + " and " + TypeName(b.type()) +
          " with '" + Symbol(op) + "' (only numbers with numbers, strings with strings)");
  }
  switch (op) {
    case Op::kLt: return c < 0;
    case Op::kLe: return c <= 0;
    case Op::kGt: return c > 0;
    default: return c >= 0;
  }
}

Value Negate(const Value& v) {
  if (v.is_float()) return Value::Float(-v.as_float());
  if (!v.is_int()) Fault(std::string("cannot negate a ") + TypeName(v.type()));
  if (v.as_int() == INT64_MIN) Fault("integer overflow: -(-9223372036854775808)");
  return Value::Int(-v.as_int());
}

Value BitNot(const Value& v) {
  if (!v.is_int()) {
    Fault(std::string("cannot apply '~' to a ") + TypeName(v.type()) +
          " (bitwise operators take ints)");
  }
  return Value::Int(~v.as_int());
}


Value IndexGet(const Value& c, const Value& key) {
  switch (c.type()) {
    case Type::kList: return c.list()[CheckIndex(key, c.list().size(), "list")];
    case Type::kString: {
      // The byte's value, as in the original language (chr() makes a
      // one-byte string of it again).
      size_t i = CheckIndex(key, c.str().size(), "string");
      return Value::Int(static_cast<unsigned char>(c.str()[i]));
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

Value GetPath(const Value& root, const Value* keys, int depth) {
  Value at = root;
  for (int i = 0; i < depth; ++i) at = IndexGet(at, keys[i]);
  return at;
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

Value PopPath(Value* root, const Value* keys, int depth, const Value* index) {
  std::vector<Value*> chain;
  Descend(root, keys, depth, &chain);
  Value* target = chain.back();
  if (!target->is_list()) {
    Fault(std::string("pop() needs a list, got ") + TypeName(target->type()) +
          (target->is_map() ? " (to remove a key from a map: remove(m, k))" : ""));
  }
  std::vector<Value>& items = target->MutableList();
  if (index == nullptr) {
    if (items.empty()) Fault("pop() from an empty list");
    Value last = std::move(items.back());
    items.pop_back();
    return last;
  }
  size_t i = CheckIndex(*index, items.size(), "list");
  Value removed = std::move(items[i]);
  items.erase(items.begin() + static_cast<std::ptrdiff_t>(i));
  return removed;
}

bool RemovePath(Value* root, const Value* keys, int depth, const Value& key) {
  std::vector<Value*> chain;
  Descend(root, keys, depth, &chain);
  Value* target = chain.back();
  if (!target->is_map()) {
    Fault(std::string("remove() needs a map, got ") + TypeName(target->type()) +
          (target->is_list() ? " (to remove element i of a list: pop(l, i))" : ""));
  }
  CheckMapKey(key);
  if (target->map().Find(key) == nullptr) return false;
  return target->MutableMap().Remove(key);
}

}  // namespace tape::lang
