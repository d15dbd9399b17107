// The syntax tree the parser builds and the compiler consumes.
//
// Nodes carry the position of the token an error about them should point at
// (an operator, a call's name, an index's '['). Expression nodes also carry
// their depth: the native recursion a later pass needs for them, which the
// parser bounds (kMaxExprDepth). A chain of binary operators such as
// 1+1+...+1 is a tree as deep as it is long, but the compiler and the
// destructor walk its left side in a loop, so it costs no depth.

#ifndef TAPE_LANG_AST_H_
#define TAPE_LANG_AST_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/lang/token.h"

namespace tape::lang {

struct Pos {
  int line = 1;
  int col = 1;
};

enum class ExprKind : uint8_t {
  kInt, kFloat, kString, kBool, kNil, kVar, kUnary, kBinary, kLogical, kIndex,
  kCall, kHostCall, kList, kMap,
};

struct Expr {
  Expr(ExprKind k, Pos p) : kind(k), pos(p) {}
  virtual ~Expr() = default;
  ExprKind kind;
  Pos pos;
  int depth = 1;  // the recursion a pass needs: 1 + the deepest child's (see above)
};
using ExprPtr = std::unique_ptr<Expr>;

struct IntExpr : Expr {
  IntExpr(Pos p, int64_t v) : Expr(ExprKind::kInt, p), value(v) {}
  int64_t value;
};
struct FloatExpr : Expr {
  FloatExpr(Pos p, double v) : Expr(ExprKind::kFloat, p), value(v) {}
  double value;
};
struct StringExpr : Expr {
  StringExpr(Pos p, std::string v) : Expr(ExprKind::kString, p), value(std::move(v)) {}
  std::string value;  // escapes already decoded
};
struct BoolExpr : Expr {
  BoolExpr(Pos p, bool v) : Expr(ExprKind::kBool, p), value(v) {}
  bool value;
};
struct NilExpr : Expr {
  explicit NilExpr(Pos p) : Expr(ExprKind::kNil, p) {}
};
struct VarExpr : Expr {
  VarExpr(Pos p, std::string n) : Expr(ExprKind::kVar, p), name(std::move(n)) {}
  std::string name;
};
struct UnaryExpr : Expr {  // '-', 'not' (also written '!') or '~'
  UnaryExpr(Pos p, Tok o, ExprPtr e) : Expr(ExprKind::kUnary, p), op(o), operand(std::move(e)) {}
  Tok op;
  ExprPtr operand;
};
struct BinaryExpr : Expr {  // arithmetic and comparison; `kLogical` for and/or
  BinaryExpr(ExprKind k, Pos p, Tok o, ExprPtr l, ExprPtr r)
      : Expr(k, p), op(o), left(std::move(l)), right(std::move(r)) {}
  // Frees a chain of binary operators down its left side in a loop: the
  // default destructor would recurse once per operator.
  ~BinaryExpr() override {
    while (left && (left->kind == ExprKind::kBinary || left->kind == ExprKind::kLogical)) {
      ExprPtr next = std::move(static_cast<BinaryExpr&>(*left).left);
      left = std::move(next);  // frees the old left, whose left is now empty
    }
  }
  Tok op;
  ExprPtr left, right;
};
struct IndexExpr : Expr {  // pos is the '['
  IndexExpr(Pos p, ExprPtr o, ExprPtr k)
      : Expr(ExprKind::kIndex, p), object(std::move(o)), key(std::move(k)) {}
  ExprPtr object, key;
};
// A call of a builtin or a script function: name(args).
struct CallExpr : Expr {
  CallExpr(Pos p, std::string n) : Expr(ExprKind::kCall, p), name(std::move(n)) {}
  std::string name;
  std::vector<ExprPtr> args;
  int site_ordinal = -1;  // for print() and eprint(), which are effects
};
// A host call: module.function(args), e.g. clock.now().
struct HostCallExpr : Expr {
  HostCallExpr(Pos p, std::string m, std::string f)
      : Expr(ExprKind::kHostCall, p), module(std::move(m)), function(std::move(f)) {}
  std::string module, function;
  std::vector<ExprPtr> args;
  // The how-many-th call of this effect within its function (or the top
  // level), counting from 0 in source order; part of the site id.
  int site_ordinal = -1;
};
struct ListExpr : Expr {
  explicit ListExpr(Pos p) : Expr(ExprKind::kList, p) {}
  std::vector<ExprPtr> items;
};
struct MapExpr : Expr {
  explicit MapExpr(Pos p) : Expr(ExprKind::kMap, p) {}
  std::vector<ExprPtr> keys, values;
};

enum class StmtKind : uint8_t {
  kLet, kAssign, kExpr, kIf, kWhile, kForRange, kForEach, kBreak, kContinue, kReturn, kBlock,
};

struct Stmt {
  Stmt(StmtKind k, Pos p) : kind(k), pos(p) {}
  virtual ~Stmt() = default;
  StmtKind kind;
  Pos pos;
};
using StmtPtr = std::unique_ptr<Stmt>;

struct Block {
  std::vector<StmtPtr> stmts;
  Pos end;  // the closing '}'
};

struct LetStmt : Stmt {
  LetStmt(Pos p, std::string n, ExprPtr e)
      : Stmt(StmtKind::kLet, p), name(std::move(n)), init(std::move(e)) {}
  std::string name;
  ExprPtr init;
};
// target = value, or target op= value; the target is a VarExpr or an
// IndexExpr chain on one.
struct AssignStmt : Stmt {
  AssignStmt(Pos p, ExprPtr t, ExprPtr v)
      : Stmt(StmtKind::kAssign, p), target(std::move(t)), value(std::move(v)) {}
  ExprPtr target, value;
  Tok op = Tok::kAssign;  // or the binary operator of a compound assignment (kPlus for +=)
};
struct ExprStmt : Stmt {
  ExprStmt(Pos p, ExprPtr e) : Stmt(StmtKind::kExpr, p), expr(std::move(e)) {}
  ExprPtr expr;
};
struct IfStmt : Stmt {  // if / else if ... / else, flattened
  explicit IfStmt(Pos p) : Stmt(StmtKind::kIf, p) {}
  std::vector<ExprPtr> conds;
  std::vector<Block> blocks;
  bool has_else = false;
  Block else_block;
};
struct WhileStmt : Stmt {
  WhileStmt(Pos p, ExprPtr c) : Stmt(StmtKind::kWhile, p), cond(std::move(c)) {}
  ExprPtr cond;
  Block body;
};
struct ForRangeStmt : Stmt {  // for var in lo..hi { }
  ForRangeStmt(Pos p, std::string v) : Stmt(StmtKind::kForRange, p), var(std::move(v)) {}
  std::string var;
  ExprPtr lo, hi;
  Block body;
};
struct ForEachStmt : Stmt {  // for var in list { }
  ForEachStmt(Pos p, std::string v) : Stmt(StmtKind::kForEach, p), var(std::move(v)) {}
  std::string var;
  ExprPtr list;
  Block body;
};
struct JumpStmt : Stmt {  // break / continue
  JumpStmt(StmtKind k, Pos p) : Stmt(k, p) {}
};
struct ReturnStmt : Stmt {
  ReturnStmt(Pos p, ExprPtr v) : Stmt(StmtKind::kReturn, p), value(std::move(v)) {}
  ExprPtr value;  // may be null
};
struct BlockStmt : Stmt {
  explicit BlockStmt(Pos p) : Stmt(StmtKind::kBlock, p) {}
  Block block;
};

struct FnDecl {
  std::string name;
  Pos pos;  // the name
  std::vector<std::string> params;
  std::vector<Pos> param_pos;
  Block body;
};

struct Ast {
  std::vector<FnDecl> functions;
  Block main;  // the top-level statements, in order
};

}  // namespace tape::lang

#endif  // TAPE_LANG_AST_H_
