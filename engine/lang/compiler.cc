#include "engine/lang/compiler.h"

#include <fmt/core.h>

#include <algorithm>
#include <cassert>
#include <climits>
#include <map>
#include <optional>
#include <string>

#include "engine/lang/builtins.h"
#include "engine/lang/code_hash.h"
#include "engine/lang/host_calls.h"
#include "engine/lang/limits.h"
#include "engine/lang/stack_guard.h"
#include "engine/lang/resolver.h"

namespace tape::lang {
namespace {

// Slots are addressed by 16 bits in some instructions.
constexpr int kMaxSlots = 65535;

std::string Plural(int n, const char* word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

// How an instruction changes the stack depth (on the path that falls
// through).
int StackEffect(Op op, int32_t a, uint8_t b, uint16_t c) {
  switch (op) {
    case Op::kConstInt: case Op::kConstBig: case Op::kConstFloat: case Op::kConstString:
    case Op::kNil: case Op::kTrue: case Op::kFalse:
    case Op::kGetLocal: case Op::kGetGlobal: case Op::kGetPath:
      return 1;
    case Op::kSetLocal: case Op::kSetGlobal: case Op::kDefineGlobal: case Op::kPop:
    case Op::kAdd: case Op::kSub: case Op::kMul: case Op::kDiv: case Op::kMod:
    case Op::kBitAnd: case Op::kBitOr: case Op::kBitXor: case Op::kShl: case Op::kShr:
    case Op::kEq: case Op::kNe: case Op::kLt: case Op::kLe: case Op::kGt: case Op::kGe:
    case Op::kIndex: case Op::kJumpIfFalse: case Op::kJumpIfFalseKeep: case Op::kJumpIfTrueKeep:
    case Op::kReturn: case Op::kExit:
      return -1;
    case Op::kList: return 1 - a;
    case Op::kMap: return 1 - 2 * a;
    case Op::kSetPath: return -(c + 1);
    case Op::kPushPath: return -c;  // keys and value in, nil out
    case Op::kPopPath: return 1 - c - ((b & kPathIndex) != 0 ? 1 : 0);  // keys [index] in
    case Op::kRemovePath: return -c;  // keys and key in, bool out
    case Op::kCall: case Op::kBuiltin: case Op::kHost: return 1 - c;
    case Op::kHostDrop: return -c;
    default: return 0;
  }
}

// A variable reference: a local slot or a global.
struct VarRef {
  bool global = false;
  int slot = 0;
};

class ModuleCompiler {
 public:
  ModuleCompiler(const Ast& ast, std::string_view name) : ast_(ast), name_(name) {}

  CompileOutput Run() {
    module_.functions.resize(ast_.functions.size() + 1);
    DeclareFunctions();
    DeclareGlobals();
    CompileFunction(0, nullptr);
    for (size_t i = 0; i < ast_.functions.size(); ++i) {
      CompileFunction(static_cast<int>(i) + 1, &ast_.functions[i]);
    }
    module_.global_names = globals_.names();
    return CompileOutput{std::move(module_), std::move(errors_)};
  }

 private:
  struct LoopInfo {
    std::vector<size_t> breaks;     // jumps to patch to the loop's exit
    std::vector<size_t> continues;  // forward jumps to patch to the loop's test
    std::optional<size_t> continue_target;  // the test, when it comes first
    int body_first_slot;
  };

  void Error(Pos pos, std::string message) {
    errors_.push_back(Diagnostic{pos.line, pos.col, std::move(message)});
  }

  // --- Declarations -----------------------------------------------------------
  void DeclareFunctions() {
    std::map<std::string, Pos> seen;
    for (size_t i = 0; i < ast_.functions.size(); ++i) {
      const FnDecl& fn = ast_.functions[i];
      // A function may take a builtin's name (calls then go to it), so that
      // builtins added later never break a script, and so may eprint, which
      // came later than print; print is an effect, not a builtin, and stays
      // reserved.
      if (fn.name == "print") {
        Error(fn.pos, "'print' is a host call; choose another name");
      } else if (auto it = seen.find(fn.name); it != seen.end()) {
        Error(fn.pos, fmt::format("function '{}' is already declared at line {}", fn.name,
                                  it->second.line));
      } else {
        seen.emplace(fn.name, fn.pos);
        functions_.emplace(fn.name, static_cast<int>(i) + 1);
      }
    }
  }

  // Every top-level `let` outside a block declares a global; a second `let`
  // of the same name rebinds it (§5).
  void DeclareGlobals() {
    for (const StmtPtr& s : ast_.main.stmts) {
      if (s->kind != StmtKind::kLet) continue;
      const auto& let = static_cast<const LetStmt&>(*s);
      if (globals_.Declare(let.name).has_value()) global_pos_[let.name] = let.pos;
    }
    global_visible_.assign(globals_.names().size(), false);
  }

  void CompileFunction(int index, const FnDecl* decl) {
    fn_ = &module_.functions[index];
    top_level_ = decl == nullptr;
    scopes_ = LocalScopes();
    block_lets_.clear();
    stack_ = 0;
    loops_.clear();
    open_locals_.clear();
    if (top_level_) {
      fn_->pos = Pos{1, 1};
      CompileStmts(ast_.main);
      MarkStatement(ast_.main.end.line);
      Emit(Op::kConstInt, ast_.main.end);
      Emit(Op::kExit, ast_.main.end);
    } else {
      fn_->name = decl->name;
      fn_->pos = decl->pos;
      fn_->arity = static_cast<int>(decl->params.size());
      scopes_.BeginScope();
      for (size_t i = 0; i < decl->params.size(); ++i) {
        if (std::optional<int> slot = scopes_.Declare(decl->params[i])) {
          NoteLocal(decl->params[i], *slot);
        } else {
          Error(decl->param_pos[i], "parameter '" + decl->params[i] + "' appears twice");
          scopes_.DeclareHidden();  // keep the slots in line with the arguments
        }
      }
      // The body shares the parameters' scope: `let` cannot redeclare one.
      CompileStmts(decl->body);
      MarkStatement(decl->body.end.line);  // the closing '}': a stop before returning
      Emit(Op::kNil, decl->body.end);
      Emit(Op::kReturn, decl->body.end);
    }
    CloseLocals(0);
    fn_->num_slots = scopes_.max_slots();
    if (fn_->num_slots > kMaxSlots) {
      Error(fn_->pos,
            fmt::format("too many local variables in one function (the limit is {})", kMaxSlots));
    }
  }

  // --- Debugging information (bytecode.h) ---------------------------------------
  // The next instruction begins a statement on `line`.
  void MarkStatement(int line) {
    uint32_t pc = static_cast<uint32_t>(Here());
    if (!fn_->statements.empty() && fn_->statements.back().pc == pc) return;
    fn_->statements.push_back(StatementStart{pc, line});
  }
  // Local `name` in `slot` holds its value from the next instruction on.
  void NoteLocal(const std::string& name, int slot) {
    open_locals_.push_back({fn_->locals.size(), scopes_.depth()});
    fn_->locals.push_back(LocalInfo{name, slot, static_cast<uint32_t>(Here()), 0});
  }
  // The locals of scopes deeper than `depth` end at the next instruction.
  void CloseLocals(size_t depth) {
    while (!open_locals_.empty() && open_locals_.back().second > depth) {
      fn_->locals[open_locals_.back().first].end_pc = static_cast<uint32_t>(Here());
      open_locals_.pop_back();
    }
  }

  // --- Emission ---------------------------------------------------------------
  size_t Emit(Op op, Pos pos, int32_t a = 0, uint8_t b = 0, uint16_t c = 0) {
    fn_->code.push_back(Instr{op, b, c, a});
    fn_->positions.push_back(pos);
    stack_ += StackEffect(op, a, b, c);
    assert(stack_ >= 0);
    fn_->max_stack = std::max(fn_->max_stack, stack_);
    return fn_->code.size() - 1;
  }
  size_t Here() const { return fn_->code.size(); }
  void PatchJump(size_t at) {
    fn_->code[at].a = static_cast<int32_t>(Here() - (at + 1));
  }
  void EmitLoop(size_t target, Pos pos) {
    Emit(Op::kLoop, pos, static_cast<int32_t>(target) - static_cast<int32_t>(Here() + 1));
  }
  void EmitClear(int first, int count, Pos pos) {
    if (count > 0) Emit(Op::kClearLocals, pos, first, 0, static_cast<uint16_t>(count));
  }
  uint16_t SlotOperand(int slot) {
    return static_cast<uint16_t>(std::min(slot, kMaxSlots));
  }

  int StringConstant(const std::string& s) {
    auto [it, inserted] =
        string_index_.emplace(s, static_cast<int>(module_.string_constants.size()));
    if (inserted) module_.string_constants.push_back(s);
    return it->second;
  }

  int AddSite(std::string_view effect, int ordinal, Pos pos) {
    SiteInfo site;
    site.id = ScriptSiteId(fn_->name, effect, ordinal);
    site.location = fmt::format("{}:{}:{}", name_, pos.line, pos.col);
    site.pos = pos;
    site.effect = std::string(effect);
    module_.sites.push_back(std::move(site));
    return static_cast<int>(module_.sites.size()) - 1;
  }

  // --- Names ------------------------------------------------------------------
  std::optional<VarRef> Resolve(const std::string& name) const {
    if (auto slot = scopes_.Find(name)) return VarRef{false, *slot};
    if (auto g = globals_.Find(name)) {
      if (!top_level_ || global_visible_[*g]) return VarRef{true, *g};
    }
    return std::nullopt;
  }

  std::optional<VarRef> ResolveOrError(const std::string& name, Pos pos) {
    if (auto ref = Resolve(name)) return ref;
    if (functions_.count(name) || FindBuiltin(name) || name == "print" || name == "eprint" ||
        name == "version") {
      Error(pos, "'" + name + "' is a function, not a variable; functions are called, as in " +
                     name + "(...)");
    } else if (auto g = globals_.Find(name); g && top_level_ && !block_lets_.count(name)) {
      Error(pos, fmt::format("'{}' is used before its 'let' on line {}", name,
                             global_pos_.at(name).line));
    } else if (auto it = block_lets_.find(name); it != block_lets_.end()) {
      // Names new in a block end with it (unlike the original's flat scope).
      Error(pos, fmt::format("'{}' was declared on line {} inside a block that has ended; to use "
                             "it after the block, declare it before the block (let {} = nil;)",
                             name, it->second.line, name));
    } else {
      Error(pos, "undefined variable '" + name + "' (declare it with 'let " + name + " = ...;')");
    }
    return std::nullopt;
  }

  // --- Statements -------------------------------------------------------------
  void CompileStmts(const Block& block) {
    for (const StmtPtr& s : block.stmts) CompileStmt(*s);
  }

  void CompileBlock(const Block& block) {
    scopes_.BeginScope();
    CompileStmts(block);
    auto [first, count] = scopes_.EndScope();
    CloseLocals(scopes_.depth());
    EmitClear(first, count, block.end);
  }

  void CompileStmt(const Stmt& s) {
    if (stack_guard_.Exhausted()) {
      Error(s.pos, "blocks nested too deeply for the compiler's stack; move the inner ones into "
                   "a function");
      return;
    }
    if (s.kind != StmtKind::kBlock) MarkStatement(s.pos.line);
    switch (s.kind) {
      case StmtKind::kLet: return CompileLet(static_cast<const LetStmt&>(s));
      case StmtKind::kAssign: return CompileAssign(static_cast<const AssignStmt&>(s));
      case StmtKind::kExpr: {
        CompileExpr(*static_cast<const ExprStmt&>(s).expr);
        Instr& last = fn_->code.back();
        if (last.op == Op::kHost && IsEffectCall(*static_cast<const ExprStmt&>(s).expr)) {
          // `clock.now();`: the call discards its result instead of a pop.
          last.op = Op::kHostDrop;
          --stack_;
          return;
        }
        Emit(Op::kPop, s.pos);
        return;
      }
      case StmtKind::kIf: return CompileIf(static_cast<const IfStmt&>(s));
      case StmtKind::kWhile: return CompileWhile(static_cast<const WhileStmt&>(s));
      case StmtKind::kForRange: return CompileForRange(static_cast<const ForRangeStmt&>(s));
      case StmtKind::kForEach: return CompileForEach(static_cast<const ForEachStmt&>(s));
      case StmtKind::kBreak:
      case StmtKind::kContinue: return CompileJump(s);
      case StmtKind::kReturn: {
        const auto& r = static_cast<const ReturnStmt&>(s);
        if (r.value) {
          CompileExpr(*r.value);
        } else {
          Emit(top_level_ ? Op::kConstInt : Op::kNil, s.pos);
        }
        Emit(top_level_ ? Op::kExit : Op::kReturn, r.value ? r.value->pos : s.pos);
        return;
      }
      case StmtKind::kBlock: return CompileBlock(static_cast<const BlockStmt&>(s).block);
    }
  }

  // `let x = e;` (§5): at the top level outside blocks it defines the global
  // x. Elsewhere, if x is already a variable of this function (a local or
  // parameter, or at the top level a global), it rebinds it, as the
  // original's flat scope did; otherwise it declares x in the block.
  void CompileLet(const LetStmt& let) {
    CompileExpr(*let.init);
    if (top_level_ && scopes_.depth() == 0) {
      int g = *globals_.Find(let.name);
      global_visible_[g] = true;
      Emit(Op::kDefineGlobal, let.pos, g);
      return;
    }
    if (std::optional<int> slot = scopes_.Find(let.name)) {
      Emit(Op::kSetLocal, let.pos, *slot);
      return;
    }
    std::optional<VarRef> global = Resolve(let.name);
    if (top_level_ && global.has_value()) {  // a function's globals are not its own
      Emit(Op::kSetGlobal, let.pos, global->slot);
      return;
    }
    int slot = *scopes_.Declare(let.name);  // not visible, so not declared in this scope
    block_lets_.emplace(let.name, let.pos);
    Emit(Op::kSetLocal, let.pos, slot);
    NoteLocal(let.name, slot);
  }

  // A host call, print() or eprint(), compiled to a kHost as its last
  // instruction.
  bool IsEffectCall(const Expr& e) const {
    if (e.kind == ExprKind::kHostCall) return true;
    if (e.kind != ExprKind::kCall) return false;
    const std::string& name = static_cast<const CallExpr&>(e).name;
    return name == "print" ||
           ((name == "eprint" || name == "version") && !functions_.count(name));
  }

  // Splits a place (x, x[i], x[i][j], ...) into its root variable and keys.
  static const Expr& PlaceRoot(const Expr& place, std::vector<const Expr*>* keys) {
    const Expr* e = &place;
    while (e->kind == ExprKind::kIndex) {
      const auto& idx = static_cast<const IndexExpr&>(*e);
      keys->push_back(idx.key.get());
      e = idx.object.get();
    }
    std::reverse(keys->begin(), keys->end());
    return *e;
  }

  // Compiles the keys of a place; returns its root, or nullopt after an error.
  std::optional<VarRef> CompilePlaceKeys(const Expr& place, int* depth) {
    std::vector<const Expr*> keys;
    const Expr& root = PlaceRoot(place, &keys);
    std::optional<VarRef> ref;
    if (root.kind == ExprKind::kVar) {
      const auto& var = static_cast<const VarExpr&>(root);
      ref = ResolveOrError(var.name, var.pos);
    } else {
      Error(root.pos, "only a variable or an element of one (x, x[i], x[i][j]) can be changed");
    }
    for (const Expr* k : keys) CompileExpr(*k);
    *depth = static_cast<int>(keys.size());
    return ref;
  }

  // `place = e;` and `place op= e;`. A compound assignment evaluates the
  // place's keys once: `m[k()] += 1` calls k() once.
  void CompileAssign(const AssignStmt& s) {
    bool compound = s.op != Tok::kAssign;
    if (s.target->kind == ExprKind::kVar) {
      const auto& var = static_cast<const VarExpr&>(*s.target);
      std::optional<VarRef> ref = ResolveOrError(var.name, var.pos);
      if (compound) {
        if (ref) {
          Emit(ref->global ? Op::kGetGlobal : Op::kGetLocal, var.pos, ref->slot);
        } else {
          Emit(Op::kNil, var.pos);
        }
      }
      CompileExpr(*s.value);
      if (compound) Emit(BinaryOp(s.op), s.pos);
      if (!ref) {
        Emit(Op::kPop, s.pos);
        return;
      }
      Emit(ref->global ? Op::kSetGlobal : Op::kSetLocal, s.pos, ref->slot);
      return;
    }
    int depth = 0;
    std::optional<VarRef> ref = CompilePlaceKeys(*s.target, &depth);
    if (compound) EmitPath(Op::kGetPath, ref, depth, s.target->pos);
    CompileExpr(*s.value);
    if (compound) Emit(BinaryOp(s.op), s.pos);
    EmitPath(Op::kSetPath, ref, depth, s.pos);
  }

  void EmitPath(Op op, std::optional<VarRef> ref, int depth, Pos pos, uint8_t flags = 0) {
    VarRef r = ref.value_or(VarRef{});
    Emit(op, pos, r.slot, static_cast<uint8_t>(flags | (r.global ? kPathGlobal : 0)),
         static_cast<uint16_t>(depth));
  }

  void CompileIf(const IfStmt& s) {
    std::vector<size_t> to_end;
    for (size_t i = 0; i < s.conds.size(); ++i) {
      if (i > 0) MarkStatement(s.conds[i]->pos.line);  // each `else if` is a stop
      CompileExpr(*s.conds[i]);
      size_t skip = Emit(Op::kJumpIfFalse, s.conds[i]->pos);
      CompileBlock(s.blocks[i]);
      if (i + 1 < s.conds.size() || s.has_else) to_end.push_back(Emit(Op::kJump, s.pos));
      PatchJump(skip);
    }
    if (s.has_else) CompileBlock(s.else_block);
    for (size_t j : to_end) PatchJump(j);
  }

  void CompileLoopBody(const Block& body, std::optional<size_t> continue_target) {
    loops_.push_back(LoopInfo{{}, {}, continue_target, scopes_.next_slot()});
    CompileBlock(body);
  }
  void PatchContinues() {
    for (size_t j : loops_.back().continues) PatchJump(j);
  }
  void FinishLoop() {
    for (size_t j : loops_.back().breaks) PatchJump(j);
    loops_.pop_back();
  }

  void CompileWhile(const WhileStmt& s) {
    size_t top = Here();
    CompileExpr(*s.cond);
    size_t exit = Emit(Op::kJumpIfFalse, s.cond->pos);
    CompileLoopBody(s.body, top);
    EmitLoop(top, s.pos);
    PatchJump(exit);
    FinishLoop();
  }

  // The two for loops keep three hidden slots from `base`: the range's
  // counter and bound, or the list and the index; then the variable. The
  // test sits at the bottom, so an iteration costs one instruction beyond
  // the body:
  //
  //   prep; jump test; body: ...; test: if more { set var; jump body }
  void CompileForLoop(Op prep, Op test, int base, Pos prep_pos, const Stmt& s,
                      const Block& body) {
    Emit(prep, prep_pos, 0, 0, SlotOperand(base));
    size_t to_test = Emit(Op::kJump, s.pos);
    size_t body_start = Here();
    CompileLoopBody(body, std::nullopt);
    PatchJump(to_test);
    PatchContinues();
    MarkStatement(s.pos.line);  // the loop's test: a stop on the `for` line each iteration
    Emit(test, s.pos, static_cast<int32_t>(body_start) - static_cast<int32_t>(Here() + 1), 0,
         SlotOperand(base));
    FinishLoop();
    scopes_.EndScope();
    CloseLocals(scopes_.depth());
    EmitClear(base, 3, body.end);
  }

  void CompileForRange(const ForRangeStmt& s) {
    scopes_.BeginScope();
    int base = scopes_.DeclareHidden();
    scopes_.DeclareHidden();
    CompileExpr(*s.lo);
    Emit(Op::kSetLocal, s.lo->pos, base);
    CompileExpr(*s.hi);
    Emit(Op::kSetLocal, s.hi->pos, base + 1);
    NoteLocal(s.var, *scopes_.Declare(s.var));
    CompileForLoop(Op::kRangePrep, Op::kRangeLoop, base, s.lo->pos, s, s.body);
  }

  void CompileForEach(const ForEachStmt& s) {
    scopes_.BeginScope();
    int base = scopes_.DeclareHidden();
    scopes_.DeclareHidden();
    CompileExpr(*s.list);
    Emit(Op::kSetLocal, s.list->pos, base);
    NoteLocal(s.var, *scopes_.Declare(s.var));
    CompileForLoop(Op::kEachPrep, Op::kEachLoop, base, s.list->pos, s, s.body);
  }

  void CompileJump(const Stmt& s) {
    if (loops_.empty()) return;  // the parser reported it
    LoopInfo& loop = loops_.back();
    EmitClear(loop.body_first_slot, scopes_.next_slot() - loop.body_first_slot, s.pos);
    if (s.kind == StmtKind::kBreak) {
      loop.breaks.push_back(Emit(Op::kJump, s.pos));
    } else if (loop.continue_target.has_value()) {
      EmitLoop(*loop.continue_target, s.pos);
    } else {
      loop.continues.push_back(Emit(Op::kJump, s.pos));
    }
  }

  // --- Expressions ------------------------------------------------------------
  void CompileExpr(const Expr& e) {
    if (stack_guard_.Exhausted()) {
      Error(e.pos, "expression nested too deeply for the compiler's stack; split it up with 'let'");
      Emit(Op::kNil, e.pos);
      return;
    }
    switch (e.kind) {
      case ExprKind::kInt: {
        int64_t v = static_cast<const IntExpr&>(e).value;
        if (v >= INT32_MIN && v <= INT32_MAX) {
          Emit(Op::kConstInt, e.pos, static_cast<int32_t>(v));
        } else {
          module_.int_constants.push_back(v);
          Emit(Op::kConstBig, e.pos, static_cast<int32_t>(module_.int_constants.size() - 1));
        }
        return;
      }
      case ExprKind::kFloat:
        module_.float_constants.push_back(static_cast<const FloatExpr&>(e).value);
        Emit(Op::kConstFloat, e.pos, static_cast<int32_t>(module_.float_constants.size() - 1));
        return;
      case ExprKind::kString:
        Emit(Op::kConstString, e.pos, StringConstant(static_cast<const StringExpr&>(e).value));
        return;
      case ExprKind::kBool:
        Emit(static_cast<const BoolExpr&>(e).value ? Op::kTrue : Op::kFalse, e.pos);
        return;
      case ExprKind::kNil:
        Emit(Op::kNil, e.pos);
        return;
      case ExprKind::kVar: {
        const auto& var = static_cast<const VarExpr&>(e);
        std::optional<VarRef> ref = ResolveOrError(var.name, var.pos);
        if (!ref) {
          Emit(Op::kNil, e.pos);
        } else {
          Emit(ref->global ? Op::kGetGlobal : Op::kGetLocal, e.pos, ref->slot);
        }
        return;
      }
      case ExprKind::kUnary: {
        const auto& u = static_cast<const UnaryExpr&>(e);
        CompileExpr(*u.operand);
        Emit(u.op == Tok::kMinus ? Op::kNeg : u.op == Tok::kTilde ? Op::kBitNot : Op::kNot, e.pos);
        return;
      }
      case ExprKind::kBinary:
      case ExprKind::kLogical: return CompileBinaryChain(static_cast<const BinaryExpr&>(e));
      case ExprKind::kIndex: {
        const auto& idx = static_cast<const IndexExpr&>(e);
        CompileExpr(*idx.object);
        CompileExpr(*idx.key);
        Emit(Op::kIndex, e.pos);
        return;
      }
      case ExprKind::kCall: return CompileCall(static_cast<const CallExpr&>(e));
      case ExprKind::kHostCall: return CompileHostCall(static_cast<const HostCallExpr&>(e));
      case ExprKind::kList: {
        const auto& l = static_cast<const ListExpr&>(e);
        for (const ExprPtr& item : l.items) CompileExpr(*item);
        Emit(Op::kList, e.pos, static_cast<int32_t>(l.items.size()));
        return;
      }
      case ExprKind::kMap: {
        const auto& m = static_cast<const MapExpr&>(e);
        for (size_t i = 0; i < m.keys.size(); ++i) {
          CompileExpr(*m.keys[i]);
          CompileExpr(*m.values[i]);
        }
        Emit(Op::kMap, e.pos, static_cast<int32_t>(m.keys.size()));
        return;
      }
    }
  }

  static Op BinaryOp(Tok t) { return BinaryOpOf(t); }

  // A chain of binary operators, left operand first: its left side in a
  // loop (1+1+...+1 nests as deep as it is long), right operands by
  // recursion (their depth is bounded by the parser). The code is what
  // recursion would emit: for `and`/`or`, the left operand, a jump that
  // keeps it, the right operand as a bool.
  void CompileBinaryChain(const BinaryExpr& top) {
    std::vector<const BinaryExpr*> chain = {&top};
    while (chain.back()->left->kind == ExprKind::kBinary ||
           chain.back()->left->kind == ExprKind::kLogical) {
      chain.push_back(static_cast<const BinaryExpr*>(chain.back()->left.get()));
    }
    CompileExpr(*chain.back()->left);
    for (size_t i = chain.size(); i-- > 0;) {
      const BinaryExpr& b = *chain[i];
      if (b.kind == ExprKind::kBinary) {
        CompileExpr(*b.right);
        Emit(BinaryOp(b.op), b.pos);
        continue;
      }
      size_t jump = Emit(b.op == Tok::kAnd ? Op::kJumpIfFalseKeep : Op::kJumpIfTrueKeep, b.pos);
      CompileExpr(*b.right);
      Emit(Op::kToBool, b.pos);
      PatchJump(jump);
    }
  }

  bool CheckArity(const std::string& what, int expected, size_t got, Pos pos) {
    return CheckArity(what, expected, expected, got, pos);
  }
  bool CheckArity(const std::string& what, int min, int max, size_t got, Pos pos) {
    int n = static_cast<int>(got);
    if (n >= min && n <= max) return true;
    std::string takes = min == max      ? Plural(min, "argument")
                        : max == kMaxArgs ? "at least " + Plural(min, "argument")
                        : max == min + 1  ? fmt::format("{} or {}", min, Plural(max, "argument"))
                                          : fmt::format("{} to {}", min, Plural(max, "argument"));
    Error(pos, fmt::format("{} takes {}, got {}", what, takes, got));
    return false;
  }

  void CompileArgs(const std::vector<ExprPtr>& args) {
    for (const ExprPtr& a : args) CompileExpr(*a);
  }

  void CompileCall(const CallExpr& call) {
    const std::string& name = call.name;
    uint16_t argc = static_cast<uint16_t>(call.args.size());
    if (name == "print") {
      CheckArity("print()", 1, call.args.size(), call.pos);
      CompileArgs(call.args);
      int site = AddSite("io.write", call.site_ordinal, call.pos);
      Emit(Op::kHost, call.pos, site, static_cast<uint8_t>(FindHost("", "print")->id), argc);
      return;
    }
    if (auto it = functions_.find(name); it != functions_.end()) {
      const FnDecl& decl = ast_.functions[it->second - 1];
      CheckArity(name + "()", static_cast<int>(decl.params.size()), call.args.size(), call.pos);
      CompileArgs(call.args);
      Emit(Op::kCall, call.pos, it->second, 0, argc);
      return;
    }
    if (name == "eprint") {  // not declared by the script, so the host call
      CheckArity("eprint()", 1, call.args.size(), call.pos);
      CompileArgs(call.args);
      int site = AddSite("io.error", call.site_ordinal, call.pos);
      Emit(Op::kHost, call.pos, site, static_cast<uint8_t>(FindHost("", "eprint")->id), argc);
      return;
    }
    if (name == "version") {  // not declared by the script, so the host call
      CheckArity("version()", 3, call.args.size(), call.pos);
      CompileArgs(call.args);
      int site = AddSite("version.marker", call.site_ordinal, call.pos);
      Emit(Op::kHost, call.pos, site, static_cast<uint8_t>(FindHost("", "version")->id), argc);
      return;
    }
    const BuiltinInfo* builtin = FindBuiltin(name);
    if (builtin == nullptr) {
      if (Resolve(name)) {
        Error(call.pos, "'" + name + "' is a variable, not a function");
      } else {
        Error(call.pos, "undefined function '" + name + "'");
      }
      CompileArgs(call.args);
      Emit(Op::kBuiltin, call.pos, 0, 0, argc);  // placeholder; never runs
      return;
    }
    if (!CheckArity(name + "()", builtin->min_args, builtin->max_args, call.args.size(),
                    call.pos)) {
      CompileArgs(call.args);
      Emit(Op::kBuiltin, call.pos, 0, 0, argc);
      return;
    }
    if (builtin->id == Builtin::kExit) {
      // exit(code) ends the script from anywhere, as `return code;` at the
      // top level does; the nil after it keeps the stack count of a call.
      if (call.args.empty()) {
        Emit(Op::kConstInt, call.pos);
      } else {
        CompileExpr(*call.args[0]);
      }
      Emit(Op::kExit, call.pos);
      Emit(Op::kNil, call.pos);
      return;
    }
    if (!builtin->changes_place) {
      CompileArgs(call.args);
      Emit(Op::kBuiltin, call.pos, static_cast<int32_t>(builtin->id), 0, argc);
      return;
    }
    CompilePlaceCall(call, *builtin);
  }

  // push(place, x), pop(place), remove(place, key).
  void CompilePlaceCall(const CallExpr& call, const BuiltinInfo& builtin) {
    const Expr& place = *call.args[0];
    if (place.kind != ExprKind::kVar && place.kind != ExprKind::kIndex) {
      Error(place.pos, std::string(builtin.name) +
                           "() changes its first argument in place, so it must be a variable "
                           "or an element such as l or m[k]");
      CompileArgs(call.args);
      Emit(Op::kBuiltin, call.pos, 0, 0, static_cast<uint16_t>(call.args.size()));
      return;
    }
    int depth = 0;
    std::optional<VarRef> ref = CompilePlaceKeys(place, &depth);
    for (size_t i = 1; i < call.args.size(); ++i) CompileExpr(*call.args[i]);
    Op op = builtin.id == Builtin::kPush ? Op::kPushPath
            : builtin.id == Builtin::kPop ? Op::kPopPath
                                          : Op::kRemovePath;
    uint8_t flags = builtin.id == Builtin::kPop && call.args.size() == 2 ? kPathIndex : 0;
    EmitPath(op, ref, depth, call.pos, flags);
  }

  void CompileHostCall(const HostCallExpr& call) {
    const HostInfo* host = FindHost(call.module, call.function, static_cast<int>(call.args.size()));
    std::string full = call.module + "." + call.function;
    uint16_t argc = static_cast<uint16_t>(call.args.size());
    // A pure function of a module (json.parse): a builtin, no effect.
    if (const BuiltinInfo* builtin = FindBuiltin(full); builtin != nullptr && host == nullptr) {
      bool ok = CheckArity(full + "()", builtin->min_args, builtin->max_args, call.args.size(),
                           call.pos);
      CompileArgs(call.args);
      Emit(Op::kBuiltin, call.pos, ok ? static_cast<int32_t>(builtin->id) : 0, 0, argc);
      return;
    }
    if (host == nullptr || host->module.empty()) {
      Error(call.pos, "unknown host call '" + full + "()'; the host calls are " + HostCallList());
      CompileArgs(call.args);
      Emit(Op::kBuiltin, call.pos, 0, 0, argc);
      return;
    }
    if (host->arity != static_cast<int>(argc)) {
      // The counts the call's forms take (env.get takes 1 or 2).
      int min = 0, max = 0;
      HostArgCounts(call.module, call.function, &min, &max);
      CheckArity(full + "()", min, max, call.args.size(), call.pos);
    }
    CompileArgs(call.args);
    int site = host->effect.empty() ? -1 : AddSite(host->effect, call.site_ordinal, call.pos);
    Emit(Op::kHost, call.pos, site, static_cast<uint8_t>(host->id), argc);
  }

  const Ast& ast_;
  StackGuard stack_guard_;
  std::string name_;
  Module module_;
  Globals globals_;
  std::map<std::string, Pos> global_pos_;
  std::vector<bool> global_visible_;  // while compiling the top level
  std::map<std::string, int> functions_;
  std::map<std::string, int> string_index_;
  std::vector<Diagnostic> errors_;
  // Names a `let` declared in a block of the function being compiled (for
  // the hint when one is used after its block ended).
  std::map<std::string, Pos> block_lets_;

  // The function being compiled.
  Function* fn_ = nullptr;
  bool top_level_ = true;
  LocalScopes scopes_;
  // Locals in fn_->locals whose scope is still open, with the scope depth
  // that declared them.
  std::vector<std::pair<size_t, size_t>> open_locals_;
  int stack_ = 0;
  std::vector<LoopInfo> loops_;
};

}  // namespace

Op BinaryOpOf(Tok t) {
  switch (t) {
    case Tok::kPlus: return Op::kAdd;
    case Tok::kMinus: return Op::kSub;
    case Tok::kStar: return Op::kMul;
    case Tok::kSlash: return Op::kDiv;
    case Tok::kPercent: return Op::kMod;
    case Tok::kAmp: return Op::kBitAnd;
    case Tok::kPipe: return Op::kBitOr;
    case Tok::kCaret: return Op::kBitXor;
    case Tok::kShl: return Op::kShl;
    case Tok::kShr: return Op::kShr;
    case Tok::kEq: return Op::kEq;
    case Tok::kNe: return Op::kNe;
    case Tok::kLt: return Op::kLt;
    case Tok::kLe: return Op::kLe;
    case Tok::kGt: return Op::kGt;
    default: return Op::kGe;
  }
}

CompileOutput CompileAst(const Ast& ast, std::string_view script_name) {
  return ModuleCompiler(ast, script_name).Run();
}

}  // namespace tape::lang
