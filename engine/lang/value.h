// Values: what a script computes with.
//
// A Value is 16 bytes: a type tag and an inline int, float or bool, or a
// pointer to a reference-counted heap object (string, list, map). Copying a
// number costs nothing; copying a string, list or map bumps a count.
//
// Lists and maps are values, not references (specs/language.md §3): a
// container is changed in place only while its count is 1, and copied first
// otherwise (copy-on-write). So `let b = a; b[0] = 1;` leaves `a` alone, no
// value can contain itself, and reference counting never leaks a cycle.
//
// Not thread-safe: one run of a script owns all the values it creates.

#ifndef TAPE_LANG_VALUE_H_
#define TAPE_LANG_VALUE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tape::lang {

// A runtime error raised below the interpreter loop (in an operator or a
// builtin); the interpreter adds the position and call stack.
struct RuntimeFault {
  std::string message;
  bool step_limit = false;  // RunLimits::max_steps was passed (StepLimitError)
};
[[noreturn]] void Fault(std::string message);

// Heap types last: is_heap() relies on the order.
enum class Type : uint8_t { kNil, kBool, kInt, kFloat, kString, kList, kMap };
// "nil", "bool", "int", "float", "string", "list", "map".
const char* TypeName(Type t);

struct Obj {
  uint32_t refs = 1;
  Type type;
  uint16_t nesting = 0;  // lists and maps: 1 + the deepest element's nesting
  int64_t charged = 0;   // bytes counted against the run's memory budget
  explicit Obj(Type t) : type(t) {}
};
// Frees an object whose count dropped to zero.
void FreeObj(Obj* o);

class Value {
 public:
  Value() : type_(Type::kNil), i_(0) {}
  static Value Int(int64_t v) { return Value(Type::kInt, v); }
  static Value Bool(bool v) { return Value(Type::kBool, v ? 1 : 0); }
  // REQUIRES: `v` is finite (the language has no inf or nan; ops.h checks).
  static Value Float(double v) {
    Value f;
    f.type_ = Type::kFloat;
    f.d_ = v;
    return f;
  }
  static Value String(std::string s);
  static Value String(std::string_view s) { return String(std::string(s)); }
  static Value String(const char* s) { return String(std::string(s)); }
  static Value NewList(std::vector<Value> items);
  static Value NewMap();

  Value(const Value& v) : type_(v.type_), i_(v.i_) {
    if (is_heap()) ++o_->refs;
  }
  Value(Value&& v) noexcept : type_(v.type_), i_(v.i_) { v.type_ = Type::kNil; }
  Value& operator=(const Value& v) {
    if (v.is_heap()) ++v.o_->refs;
    Release();
    type_ = v.type_;
    i_ = v.i_;
    return *this;
  }
  Value& operator=(Value&& v) noexcept {
    if (this != &v) {
      Release();
      type_ = v.type_;
      i_ = v.i_;
      v.type_ = Type::kNil;
    }
    return *this;
  }
  ~Value() { Release(); }

  Type type() const { return type_; }
  bool is_nil() const { return type_ == Type::kNil; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_int() const { return type_ == Type::kInt; }
  bool is_float() const { return type_ == Type::kFloat; }
  bool is_number() const { return type_ == Type::kInt || type_ == Type::kFloat; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_list() const { return type_ == Type::kList; }
  bool is_map() const { return type_ == Type::kMap; }
  bool is_heap() const { return type_ >= Type::kString; }

  int64_t as_int() const { return i_; }
  double as_float() const { return d_; }
  // REQUIRES: is_number().
  double to_double() const { return type_ == Type::kFloat ? d_ : static_cast<double>(i_); }
  bool as_bool() const { return i_ != 0; }
  const std::string& str() const;
  const std::vector<Value>& list() const;
  const class MapObj& map() const;
  // Containers ready to change in place: copied first if shared.
  std::vector<Value>& MutableList();
  class MapObj& MutableMap();
  // Lists and maps: how deep they nest (a flat list is 1); others 0.
  int nesting() const { return type_ >= Type::kList ? o_->nesting : 0; }

  // In-place updates for the interpreter's hot paths.
  void SetInt(int64_t v) {
    Release();
    type_ = Type::kInt;
    i_ = v;
  }
  void SetBool(bool v) {
    Release();
    type_ = Type::kBool;
    i_ = v ? 1 : 0;
  }
  // REQUIRES: is_int(). Increments without an overflow check.
  void IncrementInt() { ++i_; }

  // The heap object of a string, list or map (for the memory budget).
  Obj* obj() const { return o_; }

  void Reset() {
    Release();
    type_ = Type::kNil;
  }

 private:
  Value(Type t, int64_t i) : type_(t), i_(i) {}
  explicit Value(Obj* o) : type_(o->type), o_(o) {}
  void Release() {
    if (is_heap() && --o_->refs == 0) FreeObj(o_);
  }
  friend class MapObj;
  friend struct ListObj;

  Type type_;
  union {
    int64_t i_;
    double d_;
    Obj* o_;
  };
};

struct StrObj : Obj {
  explicit StrObj(std::string s) : Obj(Type::kString), text(std::move(s)) {}
  std::string text;
};

struct ListObj : Obj {
  ListObj() : Obj(Type::kList) {}
  std::vector<Value> items;
};

// An insertion-ordered map with int or string keys. Small maps are searched
// linearly; larger ones keep an open-addressing index of entry positions.
class MapObj : public Obj {
 public:
  MapObj() : Obj(Type::kMap) {}

  size_t size() const { return entries_.size(); }
  const std::vector<std::pair<Value, Value>>& entries() const { return entries_; }
  // REQUIRES for all: `key` is an int or a string.
  const Value* Find(const Value& key) const;
  Value* FindMutable(const Value& key) { return const_cast<Value*>(Find(key)); }
  // Inserts at the end, or replaces the value in place (keeping the key's
  // position).
  void Set(const Value& key, Value value);
  bool Remove(const Value& key);
  // The heap bytes of the entries and the index (for the memory budget).
  int64_t BufferBytes() const;

 private:
  friend class Value;
  void Reindex();
  std::vector<std::pair<Value, Value>> entries_;
  std::vector<uint32_t> index_;  // empty, or power-of-two table of entry + 1
};

inline const std::string& Value::str() const { return static_cast<StrObj*>(o_)->text; }
inline const std::vector<Value>& Value::list() const { return static_cast<ListObj*>(o_)->items; }
inline const MapObj& Value::map() const { return *static_cast<MapObj*>(o_); }

// Truthiness (specs/language.md §6.1): nil, false, 0, 0.0, "", [] and {} are
// false; every other value is true.
inline bool Truthy(const Value& v) {
  switch (v.type()) {
    case Type::kNil: return false;
    case Type::kBool:
    case Type::kInt: return v.as_int() != 0;
    case Type::kFloat: return v.as_float() != 0;
    case Type::kString: return !v.str().empty();
    case Type::kList: return !v.list().empty();
    case Type::kMap: return v.map().size() != 0;
  }
  return false;
}

// The memory budget of the current run (limits.h). Objects created while a
// budget is installed count against it until freed; exceeding it faults.
//
// An object is charged what it takes from the C library's allocator: its own
// block (header, refcount and container bookkeeping), plus the blocks of its
// string bytes, element slots or map entries and index, each rounded up the
// way malloc rounds (HeapBlockBytes). So a million empty maps cost what they
// really cost, not nothing.
class MemoryBudget {
 public:
  explicit MemoryBudget(int64_t limit);
  ~MemoryBudget();  // uninstalls; objects freed later are not counted
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;
  int64_t used() const { return used_; }
  // The budget installed on this thread, or nullptr (for tests and hosts
  // that watch a run's memory from an effect call).
  static const MemoryBudget* current();

  // Sets `o`'s charge to `bytes`, faulting if the run would exceed its budget.
  static void Charge(Obj* o, int64_t bytes);
  // Faults if `bytes` more would exceed the budget: for checking before a
  // large allocation rather than after it.
  static void CheckAvailable(int64_t bytes);

 private:
  friend void FreeObj(Obj* o);
  int64_t used_ = 0;
  int64_t limit_;
  MemoryBudget* previous_;
};

// The bytes a malloc of `n` bytes takes (glibc: `n` plus an 8-byte header,
// rounded up to 16, at least 32).
int64_t HeapBlockBytes(size_t n);
// What a string, list or map of the given shape is charged.
int64_t ObjectBytes(const Value& v);

// After growing a list or map in place: recharges its memory and checks its
// size and nesting (all fault when a limit is passed).
void AfterGrow(const Value& container);
// Faults unless a string of `bytes` bytes / a container of `n` elements / a
// container of nesting `depth` is allowed.
void CheckStringSize(int64_t bytes);
void CheckElements(int64_t n);
void CheckNesting(int depth);

// <0, 0 or >0 as number `a` is below, equal to or above number `b`; ints and
// floats compare exactly, by value. REQUIRES: both are numbers.
int CompareNumbers(const Value& a, const Value& b);

// Structural equality; an int equals a float of the same value. Faults after
// comparing kMaxCompared elements; the second form shares one such budget
// across several comparisons.
bool Equal(const Value& a, const Value& b);
bool Equal(const Value& a, const Value& b, int64_t* budget);
// str(): strings as they are; other values as they would be written in a
// script, with strings inside containers quoted.
std::string ToString(const Value& v);
// Appends how `v` appears inside a container (strings quoted).
void AppendRepr(std::string* out, const Value& v);
// A short rendering for error messages: quoted and cut.
std::string Describe(const Value& v);

// Faults unless `key` can be a map key (an int or a string).
void CheckMapKey(const Value& key);
// A map from `pairs` key/value pairs (a map literal; later keys win).
Value MakeMap(Value* kv, int pairs);

}  // namespace tape::lang

#endif  // TAPE_LANG_VALUE_H_
