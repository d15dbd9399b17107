// Operators and places: the semantics of +, <, x[i], x[i] = v, push, pop
// and remove on any values (specs/language.md §6). The VM inlines the
// int-int fast paths and calls these for everything else; all of them fault
// with a message naming the operator and the types involved.

#ifndef TAPE_LANG_OPS_H_
#define TAPE_LANG_OPS_H_

#include "engine/lang/bytecode.h"
#include "engine/lang/value.h"

namespace tape::lang {

// + - * / % & | ^ << >> on any operands.
Value Arith(Op op, const Value& a, const Value& b);
// The same on two ints, with the overflow and division checks; faults.
int64_t IntArith(Op op, int64_t a, int64_t b);
// < <= > >= on numbers or strings.
bool Compare(Op op, const Value& a, const Value& b);
Value Negate(const Value& v);
Value BitNot(const Value& v);
// x[key] for reading.
Value IndexGet(const Value& container, const Value& key);

// The place root[keys[0]]..[keys[depth-1]], read, or changed in place
// (copying shared containers first, value semantics). Faults on a missing
// key or index.
Value GetPath(const Value& root, const Value* keys, int depth);
void SetPath(Value* root, const Value* keys, int depth, Value value);
void PushPath(Value* root, const Value* keys, int depth, Value value);
// pop(place) when `index` is null, else pop(place, *index).
Value PopPath(Value* root, const Value* keys, int depth, const Value* index);
bool RemovePath(Value* root, const Value* keys, int depth, const Value& key);

}  // namespace tape::lang

#endif  // TAPE_LANG_OPS_H_
