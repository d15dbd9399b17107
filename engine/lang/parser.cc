#include "engine/lang/parser.h"

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "engine/lang/host_calls.h"
#include "engine/lang/number_text.h"
#include "engine/lang/limits.h"
#include "engine/lang/stack_guard.h"

namespace tape::lang {
namespace {

// Thrown after a syntax error has been recorded; caught where the parser can
// resynchronise (a statement boundary).
struct SyntaxError {};

// Binding power of binary operators; 0 for tokens that are not one. The
// bitwise operators bind tighter than comparisons (as in Python and Rust,
// unlike C), so that `x & 1 == 0` means `(x & 1) == 0`.
int Precedence(Tok t) {
  switch (t) {
    case Tok::kOr: case Tok::kOrOr: return 1;
    case Tok::kAnd: case Tok::kAndAnd: return 2;
    case Tok::kEq: case Tok::kNe: return 3;
    case Tok::kLt: case Tok::kLe: case Tok::kGt: case Tok::kGe: return 4;
    case Tok::kPipe: return 5;
    case Tok::kCaret: return 6;
    case Tok::kAmp: return 7;
    case Tok::kShl: case Tok::kShr: return 8;
    case Tok::kPlus: case Tok::kMinus: return 9;
    case Tok::kStar: case Tok::kSlash: case Tok::kPercent: return 10;
    default: return 0;
  }
}

// The binary operator of a compound assignment ('+=' gives '+'); kEof if
// `t` is not one.
Tok CompoundOperator(Tok t) {
  switch (t) {
    case Tok::kPlusAssign: return Tok::kPlus;
    case Tok::kMinusAssign: return Tok::kMinus;
    case Tok::kStarAssign: return Tok::kStar;
    case Tok::kSlashAssign: return Tok::kSlash;
    case Tok::kPercentAssign: return Tok::kPercent;
    case Tok::kAmpAssign: return Tok::kAmp;
    case Tok::kPipeAssign: return Tok::kPipe;
    case Tok::kCaretAssign: return Tok::kCaret;
    case Tok::kShlAssign: return Tok::kShl;
    case Tok::kShrAssign: return Tok::kShr;
    default: return Tok::kEof;
  }
}

bool StartsStatement(Tok t) {
  switch (t) {
    case Tok::kLet: case Tok::kFn: case Tok::kIf: case Tok::kWhile: case Tok::kFor:
    case Tok::kReturn: case Tok::kBreak: case Tok::kContinue:
      return true;
    default:
      return false;
  }
}

// 'text'. (Built with append: g++ 12 warns falsely, -Wrestrict, about
// "'" + std::string(...).)
std::string Quoted(std::string_view text) {
  std::string out = "'";
  out.append(text).append("'");
  return out;
}

// Decodes a string token validated by the lexer (quotes included).
std::string DecodeString(std::string_view lexeme) {
  std::string out;
  std::string_view body = lexeme.substr(1, lexeme.size() - 2);
  out.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    char e = body[++i];
    switch (e) {
      case 'n': out.push_back('\n'); break;
      case 't': out.push_back('\t'); break;
      case 'r': out.push_back('\r'); break;
      case '0': out.push_back('\0'); break;
      case 'x': {
        auto hex = [](char h) { return h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10; };
        out.push_back(static_cast<char>(hex(body[i + 1]) * 16 + hex(body[i + 2])));
        i += 2;
        break;
      }
      default: out.push_back(e); break;  // '\\' and '"'
    }
  }
  return out;
}

class Parser {
 public:
  explicit Parser(const std::vector<Token>& tokens) : toks_(tokens) {
    // eprint() is a host call unless the script declares a function of
    // that name (§5: calls then go to the function); such calls are not
    // sites, so they take no ordinal. Declarations may follow their calls.
    for (size_t i = 0; i + 1 < toks_.size(); ++i) {
      if (toks_[i].kind == Tok::kFn && toks_[i + 1].kind == Tok::kIdent &&
          toks_[i + 1].lexeme == "eprint") {
        eprint_is_function_ = true;
      }
      // The same for version() (added later: older scripts may declare one).
      if (toks_[i].kind == Tok::kFn && toks_[i + 1].kind == Tok::kIdent &&
          toks_[i + 1].lexeme == "version") {
        version_is_function_ = true;
      }
    }
  }

  ParseResult Run() {
    while (!At(Tok::kEof) && !TooManyErrors()) {
      size_t before = pos_;
      try {
        if (At(Tok::kFn)) {
          out_.ast.functions.push_back(ParseFn());
        } else {
          out_.ast.main.stmts.push_back(ParseStatement());
        }
      } catch (const SyntaxError&) {
        Synchronize();
        if (pos_ == before) Advance();  // e.g. a stray '}': step over it
      }
    }
    out_.ast.main.end = PosOf(Cur());
    return std::move(out_);
  }

 private:
  // --- Token access -------------------------------------------------------
  const Token& Cur() const { return toks_[pos_]; }
  const Token& Prev() const { return toks_[pos_ > 0 ? pos_ - 1 : 0]; }
  bool At(Tok t) const { return Cur().kind == t; }
  const Token& Advance() {
    const Token& t = toks_[pos_];
    if (t.kind != Tok::kEof) ++pos_;
    return t;
  }
  bool Match(Tok t) {
    if (!At(t)) return false;
    Advance();
    return true;
  }
  static Pos PosOf(const Token& t) { return Pos{t.line, t.col}; }
  // Just past the previous token: where a missing ';' or ')' belongs.
  Pos AfterPrev() const {
    const Token& p = Prev();
    return Pos{p.line, p.col + static_cast<int>(p.lexeme.size())};
  }

  // --- Errors ---------------------------------------------------------------
  bool TooManyErrors() const {
    return static_cast<int>(out_.errors.size()) > kMaxReportedErrors;
  }
  // Records an error unless one was already reported at this token.
  void Report(Pos at, std::string message) {
    if (pos_ == last_error_token_) return;
    last_error_token_ = pos_;
    out_.errors.push_back(Diagnostic{at.line, at.col, std::move(message)});
  }
  [[noreturn]] void Fail(Pos at, std::string message) {
    Report(at, std::move(message));
    throw SyntaxError{};
  }
  std::string Found() const {
    const Token& t = Cur();
    if (t.kind == Tok::kEof) return "end of file";
    if (t.kind == Tok::kIdent || t.kind == Tok::kInt) return Quoted(t.lexeme);
    if (t.kind == Tok::kString) return "a string";
    return std::string(TokName(t.kind));
  }
  const Token& Expect(Tok t, std::string_view what) {
    if (!At(t)) Fail(PosOf(Cur()), "expected " + std::string(what) + ", found " + Found());
    return Advance();
  }
  // A missing ';' at the end of a line is reported and assumed, so that the
  // next line still parses.
  void ExpectSemicolon(std::string_view after) {
    if (Match(Tok::kSemicolon)) return;
    std::string msg = "expected ';' after " + std::string(after);
    if (Cur().line > Prev().line || At(Tok::kRBrace)) {
      Report(AfterPrev(), msg);
      return;
    }
    Fail(AfterPrev(), msg + ", found " + Found());
  }
  // clox's synchronisation: skip to just after a ';' or to a token that
  // begins a statement or closes the enclosing block. A block that opens
  // while skipping is skipped whole, so that its '}' is not mistaken for
  // the end of the enclosing one.
  void Synchronize() {
    int open = 0;
    while (!At(Tok::kEof)) {
      if (open == 0) {
        if (pos_ > 0 && Prev().kind == Tok::kSemicolon) return;
        if (StartsStatement(Cur().kind) || At(Tok::kRBrace)) return;
      }
      if (At(Tok::kLBrace)) ++open;
      if (At(Tok::kRBrace)) --open;
      Advance();
    }
  }

  // Restores a counter when a scope ends, also when a syntax error unwinds it.
  class ScopedValue {
   public:
    ScopedValue(int* var, int value) : var_(var), saved_(*var) { *var = value; }
    ~ScopedValue() { *var_ = saved_; }

   private:
    int* var_;
    int saved_;
  };

  // --- Declarations and statements -----------------------------------------
  FnDecl ParseFn() {
    Expect(Tok::kFn, "'fn'");
    FnDecl fn;
    const Token& name = Expect(Tok::kIdent, "the function's name after 'fn'");
    fn.name = std::string(name.lexeme);
    fn.pos = PosOf(name);
    Expect(Tok::kLParen, "'(' after the function's name");
    if (!At(Tok::kRParen)) {
      do {
        if (At(Tok::kRParen)) break;  // trailing comma
        const Token& p = Expect(Tok::kIdent, "a parameter name");
        if (static_cast<int>(fn.params.size()) == kMaxArgs) {
          Fail(PosOf(p), fmt::format("a function takes at most {} parameters", kMaxArgs));
        }
        fn.params.emplace_back(p.lexeme);
        fn.param_pos.push_back(PosOf(p));
      } while (Match(Tok::kComma));
    }
    Expect(Tok::kRParen, "')' after the parameters");
    // Effect ordinals count per function (site ids, code_hash.h).
    auto saved_ordinals = std::exchange(ordinals_, {});
    {
      ScopedValue no_loop(&loop_depth_, 0);
      fn.body = ParseBlock();
    }
    ordinals_ = std::move(saved_ordinals);
    return fn;
  }

  Block ParseBlock() {
    const Token& open = Expect(Tok::kLBrace, "'{'");
    ScopedValue nested(&block_depth_, block_depth_ + 1);
    if (block_depth_ > kMaxBlockDepth) {
      Fail(PosOf(open),
           fmt::format("blocks nested too deeply (more than {} levels)", kMaxBlockDepth));
    }
    if (stack_.Exhausted()) {
      Fail(PosOf(open), "blocks nested too deeply for the parser's stack; move the inner ones "
                        "into a function");
    }
    Block block;
    while (!At(Tok::kRBrace) && !At(Tok::kEof) && !TooManyErrors()) {
      size_t before = pos_;
      try {
        block.stmts.push_back(ParseStatement());
      } catch (const SyntaxError&) {
        Synchronize();
        if (pos_ == before) Advance();
      }
    }
    block.end = PosOf(Cur());
    if (!At(Tok::kRBrace)) {
      Fail(PosOf(Cur()), fmt::format("expected '}}' to close the block opened at line {}, found {}",
                                     open.line, Found()));
    }
    Advance();
    return block;
  }

  StmtPtr ParseStatement() {
    const Token& t = Cur();
    Pos pos = PosOf(t);
    switch (t.kind) {
      case Tok::kLet: return ParseLet();
      case Tok::kIf: return ParseIf();
      case Tok::kWhile: return ParseWhile();
      case Tok::kFor: return ParseFor();
      case Tok::kReturn: {
        Advance();
        ExprPtr value;
        if (!At(Tok::kSemicolon) && !At(Tok::kRBrace)) value = ParseExpr();
        ExpectSemicolon("'return'");
        return std::make_unique<ReturnStmt>(pos, std::move(value));
      }
      case Tok::kBreak:
      case Tok::kContinue: {
        Advance();
        StmtKind kind = t.kind == Tok::kBreak ? StmtKind::kBreak : StmtKind::kContinue;
        if (loop_depth_ == 0) {
          Report(pos, Quoted(t.lexeme) + " outside a loop");
        }
        ExpectSemicolon(Quoted(t.lexeme));
        return std::make_unique<JumpStmt>(kind, pos);
      }
      case Tok::kLBrace: {
        auto stmt = std::make_unique<BlockStmt>(pos);
        stmt->block = ParseBlock();
        return stmt;
      }
      case Tok::kFn: {
        // Parse the whole function so that its braces do not derail the
        // rest of the block, then refuse it.
        Report(pos, "functions are declared at the top level only, not inside a block");
        ParseFn();
        throw SyntaxError{};
      }
      case Tok::kElse:
        Fail(pos, "'else' without an 'if' (is a '}' missing or misplaced?)");
      case Tok::kRBrace:
        Fail(pos, "unexpected '}': no block is open here");
      default:
        break;
    }
    ExprPtr expr = ParseExpr();
    Tok compound = CompoundOperator(Cur().kind);
    if (At(Tok::kAssign) || compound != Tok::kEof) {
      Pos eq = PosOf(Cur());
      if (!IsPlace(*expr)) {
        Fail(eq, "cannot assign to this expression: only a variable or an element "
                 "(x, x[i], x[i][j]) can be assigned");
      }
      Advance();
      ExprPtr value = ParseExpr();
      ExpectSemicolon("the assignment");
      auto assign = std::make_unique<AssignStmt>(eq, std::move(expr), std::move(value));
      assign->op = compound == Tok::kEof ? Tok::kAssign : compound;
      return assign;
    }
    ExpectSemicolon("the expression");
    return std::make_unique<ExprStmt>(pos, std::move(expr));
  }

  static bool IsPlace(const Expr& e) {
    if (e.kind == ExprKind::kVar) return true;
    if (e.kind == ExprKind::kIndex) return IsPlace(*static_cast<const IndexExpr&>(e).object);
    return false;
  }

  StmtPtr ParseLet() {
    Pos pos = PosOf(Advance());
    const Token& name = Expect(Tok::kIdent, "a variable name after 'let'");
    Expect(Tok::kAssign, "'=' after the variable name (every 'let' needs a value)");
    ExprPtr init = ParseExpr();
    ExpectSemicolon("the 'let'");
    return std::make_unique<LetStmt>(pos, std::string(name.lexeme), std::move(init));
  }

  // A condition is any expression, with or without parentheses: `if x < 3 {`
  // and `if (x < 3) {` (the parentheses are an ordinary parenthesised
  // expression). A '=' is reported and read as '==', so that the block after
  // it still parses.
  ExprPtr ParseCondition(std::string_view keyword) {
    if (At(Tok::kLBrace)) {
      Fail(PosOf(Cur()), "expected a condition after '" + std::string(keyword) +
                             "', found '{' (a condition that is a map literal goes in "
                             "parentheses)");
    }
    ExprPtr cond = ParseExpr();
    SkipMistakenAssignment();
    return cond;
  }

  // `x = 1` where a value is expected, as in `if x = 1 {`: reported, then
  // read on as if it were `x == 1`.
  void SkipMistakenAssignment() {
    if (!At(Tok::kAssign)) return;
    Report(PosOf(Cur()), "'=' assigns; write '==' to compare");
    Advance();
    ParseExpr();
  }

  StmtPtr ParseIf() {
    auto stmt = std::make_unique<IfStmt>(PosOf(Advance()));
    stmt->conds.push_back(ParseCondition("if"));
    stmt->blocks.push_back(ParseBlock());
    while (Match(Tok::kElse)) {
      if (Match(Tok::kIf)) {
        stmt->conds.push_back(ParseCondition("if"));
        stmt->blocks.push_back(ParseBlock());
      } else {
        stmt->has_else = true;
        stmt->else_block = ParseBlock();
        break;
      }
    }
    return stmt;
  }

  StmtPtr ParseWhile() {
    Pos pos = PosOf(Advance());
    auto stmt = std::make_unique<WhileStmt>(pos, ParseCondition("while"));
    ScopedValue in_loop(&loop_depth_, loop_depth_ + 1);
    stmt->body = ParseBlock();
    return stmt;
  }

  StmtPtr ParseFor() {
    Pos pos = PosOf(Advance());
    if (At(Tok::kLParen)) {
      Fail(PosOf(Cur()), "a for loop is written without parentheses: for i in 0..n { ... }");
    }
    const Token& var = Expect(Tok::kIdent, "the loop variable after 'for'");
    Expect(Tok::kIn, "'in' after the loop variable");
    ExprPtr first = ParseExpr();
    Block body;
    if (Match(Tok::kDotDot)) {
      auto stmt = std::make_unique<ForRangeStmt>(pos, std::string(var.lexeme));
      stmt->lo = std::move(first);
      stmt->hi = ParseExpr();
      ScopedValue in_loop(&loop_depth_, loop_depth_ + 1);
      stmt->body = ParseBlock();
      return stmt;
    }
    auto stmt = std::make_unique<ForEachStmt>(pos, std::string(var.lexeme));
    stmt->list = std::move(first);
    ScopedValue in_loop(&loop_depth_, loop_depth_ + 1);
    stmt->body = ParseBlock();
    return stmt;
  }

  // --- Expressions ----------------------------------------------------------
  ExprPtr ParseExpr() { return ParseBinary(1); }

  // Checks and sets the depth of a new node from its children.
  template <typename T>
  std::unique_ptr<T> Deepen(std::unique_ptr<T> node, int child_depth) {
    node->depth = child_depth + 1;
    // A leaf is depth 1: the levels of nesting are the depth less one.
    if (node->depth - 1 > kMaxExprDepth) {
      Fail(node->pos,
           fmt::format("expression nested too deeply (more than {} levels); split it up with 'let'",
                       kMaxExprDepth));
    }
    return node;
  }

  ExprPtr ParseBinary(int min_prec) {
    ExprPtr left = ParseUnary();
    for (;;) {
      Tok op = Cur().kind;
      int prec = Precedence(op);
      if (prec == 0 || prec < min_prec) return left;
      Pos pos = PosOf(Advance());
      ExprPtr right = ParseBinary(prec + 1);
      // The compiler walks a chain of binary operators down its left side
      // without recursion: only the right operand adds a level.
      int depth = std::max(left->depth - 1, right->depth);
      // '&&' and '||' are 'and' and 'or'.
      if (op == Tok::kAndAnd) op = Tok::kAnd;
      if (op == Tok::kOrOr) op = Tok::kOr;
      ExprKind kind = op == Tok::kAnd || op == Tok::kOr ? ExprKind::kLogical : ExprKind::kBinary;
      left = Deepen(std::make_unique<BinaryExpr>(kind, pos, op, std::move(left), std::move(right)),
                    depth);
    }
  }

  // Guards native recursion: every nesting of the grammar passes through here.
  struct RecursionGuard {
    explicit RecursionGuard(Parser* p) : parser(p) { ++parser->expr_nesting_; }
    ~RecursionGuard() { --parser->expr_nesting_; }
    Parser* parser;
  };

  ExprPtr ParseUnary() {
    RecursionGuard guard(this);
    // The outermost expression is at nesting 1: levels are nesting less one.
    if (expr_nesting_ - 1 > kMaxExprDepth) {
      Fail(PosOf(Cur()),
           fmt::format("expression nested too deeply (more than {} levels)", kMaxExprDepth));
    }
    if (stack_.Exhausted()) {
      Fail(PosOf(Cur()), "expression nested too deeply for the parser's stack; split it up "
                         "with 'let'");
    }
    if (At(Tok::kMinus) || At(Tok::kNot) || At(Tok::kBang) || At(Tok::kTilde)) {
      const Token& op = Advance();
      ExprPtr operand = ParseUnary();
      int depth = operand->depth;
      Tok kind = op.kind == Tok::kBang ? Tok::kNot : op.kind;  // '!' is 'not'
      return Deepen(std::make_unique<UnaryExpr>(PosOf(op), kind, std::move(operand)), depth);
    }
    return ParsePostfix();
  }

  ExprPtr ParsePostfix() {
    ExprPtr e = ParsePrimary();
    while (At(Tok::kLBracket)) {
      Pos pos = PosOf(Advance());
      ExprPtr key = ParseExpr();
      Expect(Tok::kRBracket, "']' after the index");
      int depth = std::max(e->depth, key->depth);
      e = Deepen(std::make_unique<IndexExpr>(pos, std::move(e), std::move(key)), depth);
    }
    return e;
  }

  // Parses `(args)` into `args`; returns the deepest argument's depth.
  int ParseArgs(std::vector<ExprPtr>* args) {
    Expect(Tok::kLParen, "'('");
    int depth = 0;
    while (!At(Tok::kRParen)) {
      if (static_cast<int>(args->size()) == kMaxArgs) {
        Fail(PosOf(Cur()), fmt::format("a call takes at most {} arguments", kMaxArgs));
      }
      args->push_back(ParseExpr());
      depth = std::max(depth, args->back()->depth);
      if (!Match(Tok::kComma)) break;
    }
    Expect(Tok::kRParen, "')' after the arguments");
    return depth;
  }

  int NextOrdinal(const std::string& effect) { return ordinals_[effect]++; }

  ExprPtr ParsePrimary() {
    const Token& t = Cur();
    Pos pos = PosOf(t);
    switch (t.kind) {
      case Tok::kInt:
        Advance();
        return std::make_unique<IntExpr>(pos, ParseIntLiteral(t.lexeme).value_or(0));
      case Tok::kFloat:
        Advance();
        return std::make_unique<FloatExpr>(pos, ParseFloat(t.lexeme, false).value_or(0));
      case Tok::kString:
        Advance();
        return std::make_unique<StringExpr>(pos, DecodeString(t.lexeme));
      case Tok::kTrue:
      case Tok::kFalse:
        Advance();
        return std::make_unique<BoolExpr>(pos, t.kind == Tok::kTrue);
      case Tok::kNil:
        Advance();
        return std::make_unique<NilExpr>(pos);
      case Tok::kLParen: {
        Advance();
        ExprPtr e = ParseExpr();
        SkipMistakenAssignment();
        Expect(Tok::kRParen, "')'");
        return e;
      }
      case Tok::kLBracket: return ParseList();
      case Tok::kLBrace: return ParseMap();
      case Tok::kIdent: break;
      default:
        Fail(pos, "expected an expression, found " + Found());
    }
    Advance();
    std::string name(t.lexeme);
    if (At(Tok::kLParen)) {
      auto call = std::make_unique<CallExpr>(pos, name);
      if (name == "print") call->site_ordinal = NextOrdinal("io.write");
      if (name == "eprint" && !eprint_is_function_) call->site_ordinal = NextOrdinal("io.error");
      if (name == "version" && !version_is_function_) {
        call->site_ordinal = NextOrdinal("version.marker");
      }
      int depth = ParseArgs(&call->args);
      return Deepen(std::move(call), depth);
    }
    if (At(Tok::kDot)) {
      Advance();
      const Token& fn = Expect(Tok::kIdent, "a function name after '" + name + ".'");
      auto call = std::make_unique<HostCallExpr>(pos, name, std::string(fn.lexeme));
      // Ordinals count per effect, so that env.has and env.get (both env.get
      // effects) never share a site id.
      const HostInfo* host = FindHost(name, call->function);
      call->site_ordinal = NextOrdinal(host != nullptr && !host->effect.empty()
                                           ? std::string(host->effect)
                                           : name + "." + call->function);
      int depth = ParseArgs(&call->args);
      return Deepen(std::move(call), depth);
    }
    return std::make_unique<VarExpr>(pos, name);
  }

  ExprPtr ParseList() {
    auto list = std::make_unique<ListExpr>(PosOf(Advance()));
    int depth = 0;
    while (!At(Tok::kRBracket)) {
      list->items.push_back(ParseExpr());
      depth = std::max(depth, list->items.back()->depth);
      if (!Match(Tok::kComma)) break;
    }
    Expect(Tok::kRBracket, "']' to close the list");
    return Deepen(std::move(list), depth);
  }

  ExprPtr ParseMap() {
    auto map = std::make_unique<MapExpr>(PosOf(Advance()));
    int depth = 0;
    while (!At(Tok::kRBrace)) {
      map->keys.push_back(ParseExpr());
      Expect(Tok::kColon, "':' between a key and its value");
      map->values.push_back(ParseExpr());
      depth = std::max({depth, map->keys.back()->depth, map->values.back()->depth});
      if (!Match(Tok::kComma)) break;
    }
    Expect(Tok::kRBrace, "'}' to close the map");
    return Deepen(std::move(map), depth);
  }

  const std::vector<Token>& toks_;
  size_t pos_ = 0;
  size_t last_error_token_ = static_cast<size_t>(-1);
  int block_depth_ = 0;
  int expr_nesting_ = 0;
  int loop_depth_ = 0;
  std::map<std::string, int> ordinals_;  // effect name -> calls so far
  bool eprint_is_function_ = false;
  bool version_is_function_ = false;
  StackGuard stack_;
  ParseResult out_;
};

}  // namespace

ParseResult Parse(const std::vector<Token>& tokens) { return Parser(tokens).Run(); }

}  // namespace tape::lang
