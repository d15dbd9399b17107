#include "engine/debug/evaluate.h"

#include <fmt/core.h>

#include <vector>

#include "engine/lang/ast.h"
#include "engine/lang/builtins.h"
#include "engine/lang/compiler.h"
#include "engine/lang/host_calls.h"
#include "engine/lang/lexer.h"
#include "engine/lang/ops.h"
#include "engine/lang/parser.h"

namespace tape::debug {

using lang::Expr;
using lang::ExprKind;
using lang::Value;

namespace {

bool IsBinary(const Expr& e) { return e.kind == ExprKind::kBinary || e.kind == ExprKind::kLogical; }

// A chain of binary operators with `top` last: 1+1+...+1 nests on its left
// as deep as it is long (the parser allows any length), so it is walked in
// a loop, never by recursion. chain[i]'s left operand is chain[i + 1];
// the last one's is the chain's first operand.
std::vector<const lang::BinaryExpr*> BinaryChain(const Expr& top) {
  std::vector<const lang::BinaryExpr*> chain = {static_cast<const lang::BinaryExpr*>(&top)};
  while (IsBinary(*chain.back()->left)) {
    chain.push_back(static_cast<const lang::BinaryExpr*>(chain.back()->left.get()));
  }
  return chain;
}

// What an evaluation may allocate: enough to look at any value a script
// can hold, bounded so that `print` of a huge product cannot exhaust memory.
constexpr int64_t kEvalMemory = int64_t{256} << 20;

// "" if `e` may be evaluated, else why not. Checked before evaluating
// anything, so a refused expression has no partial effect.
std::string Refusal(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kHostCall: {
      const auto& call = static_cast<const lang::HostCallExpr&>(e);
      const lang::HostInfo* host = lang::FindHost(call.module, call.function);
      std::string name = call.module + "." + call.function + "()";
      std::string effect = host != nullptr && !host->effect.empty()
                               ? std::string(host->effect)
                               : call.module + "." + call.function;
      return name + " calls an effect (" + effect +
             "): the debugger shows the recorded run and performs no effects; the "
             "recorded calls are shown by `event` and `events`";
    }
    case ExprKind::kCall: {
      const auto& call = static_cast<const lang::CallExpr&>(e);
      if (call.name == "print" || call.name == "eprint") {
        return call.name + "() calls an effect (" +
               (call.name == "print" ? "io.write" : "io.error") +
               "): the debugger shows the recorded run and performs no effects";
      }
      const lang::BuiltinInfo* b = lang::FindBuiltin(call.name);
      if (b == nullptr) {
        return call.name + "() is not a builtin: the debugger evaluates builtins such as len() "
                           "and keys(), not the script's own functions";
      }
      if (b->changes_place) {
        return call.name + "() changes a variable: the debugger shows the recorded run without "
                           "changing it";
      }
      if (b->id == lang::Builtin::kExit) return "exit() would end the script";
      if (static_cast<int>(call.args.size()) < b->min_args ||
          static_cast<int>(call.args.size()) > b->max_args) {
        return fmt::format("{}() takes {}{} arguments, got {}", call.name, b->min_args,
                           b->max_args == b->min_args ? "" : " or more", call.args.size());
      }
      for (const lang::ExprPtr& a : call.args) {
        if (std::string why = Refusal(*a); !why.empty()) return why;
      }
      return "";
    }
    case ExprKind::kUnary: return Refusal(*static_cast<const lang::UnaryExpr&>(e).operand);
    case ExprKind::kBinary:
    case ExprKind::kLogical: {
      std::vector<const lang::BinaryExpr*> chain = BinaryChain(e);
      if (std::string why = Refusal(*chain.back()->left); !why.empty()) return why;
      for (size_t i = chain.size(); i-- > 0;) {
        if (std::string why = Refusal(*chain[i]->right); !why.empty()) return why;
      }
      return "";
    }
    case ExprKind::kIndex: {
      const auto& i = static_cast<const lang::IndexExpr&>(e);
      std::string why = Refusal(*i.object);
      return why.empty() ? Refusal(*i.key) : why;
    }
    case ExprKind::kList:
      for (const lang::ExprPtr& item : static_cast<const lang::ListExpr&>(e).items) {
        if (std::string why = Refusal(*item); !why.empty()) return why;
      }
      return "";
    case ExprKind::kMap: {
      const auto& m = static_cast<const lang::MapExpr&>(e);
      for (size_t i = 0; i < m.keys.size(); ++i) {
        if (std::string why = Refusal(*m.keys[i]); !why.empty()) return why;
        if (std::string why = Refusal(*m.values[i]); !why.empty()) return why;
      }
      return "";
    }
    default: return "";
  }
}

class Evaluator {
 public:
  explicit Evaluator(const Scope& scope) : scope_(scope) {}

  Value Eval(const Expr& e) {
    switch (e.kind) {
      case ExprKind::kInt: return Value::Int(static_cast<const lang::IntExpr&>(e).value);
      case ExprKind::kFloat: return Value::Float(static_cast<const lang::FloatExpr&>(e).value);
      case ExprKind::kString: return Value::String(static_cast<const lang::StringExpr&>(e).value);
      case ExprKind::kBool: return Value::Bool(static_cast<const lang::BoolExpr&>(e).value);
      case ExprKind::kNil: return Value();
      case ExprKind::kVar: return Lookup(static_cast<const lang::VarExpr&>(e).name);
      case ExprKind::kUnary: {
        const auto& u = static_cast<const lang::UnaryExpr&>(e);
        Value v = Eval(*u.operand);
        if (u.op == lang::Tok::kMinus) return lang::Negate(v);
        if (u.op == lang::Tok::kTilde) return lang::BitNot(v);
        return Value::Bool(!lang::Truthy(v));
      }
      case ExprKind::kBinary:
      case ExprKind::kLogical: {
        // Left to right, as the compiled code runs it.
        std::vector<const lang::BinaryExpr*> chain = BinaryChain(e);
        Value acc = Eval(*chain.back()->left);
        for (size_t i = chain.size(); i-- > 0;) {
          const lang::BinaryExpr& b = *chain[i];
          if (b.kind == ExprKind::kLogical) {
            bool left = lang::Truthy(acc);
            acc = Value::Bool(b.op == lang::Tok::kAnd ? left && lang::Truthy(Eval(*b.right))
                                                      : left || lang::Truthy(Eval(*b.right)));
            continue;
          }
          acc = Apply(lang::BinaryOpOf(b.op), acc, Eval(*b.right));
        }
        return acc;
      }
      case ExprKind::kIndex: {
        const auto& i = static_cast<const lang::IndexExpr&>(e);
        Value object = Eval(*i.object);
        return lang::IndexGet(object, Eval(*i.key));
      }
      case ExprKind::kCall: {
        const auto& call = static_cast<const lang::CallExpr&>(e);
        std::vector<Value> args;
        for (const lang::ExprPtr& a : call.args) args.push_back(Eval(*a));
        const lang::BuiltinInfo* b = lang::FindBuiltin(call.name);  // checked by Refusal
        return lang::CallBuiltin(b->id, args.data(), static_cast<int>(args.size()));
      }
      case ExprKind::kList: {
        std::vector<Value> items;
        for (const lang::ExprPtr& item : static_cast<const lang::ListExpr&>(e).items) {
          items.push_back(Eval(*item));
        }
        return Value::NewList(std::move(items));
      }
      case ExprKind::kMap: {
        const auto& m = static_cast<const lang::MapExpr&>(e);
        std::vector<Value> kv;
        for (size_t i = 0; i < m.keys.size(); ++i) {
          kv.push_back(Eval(*m.keys[i]));
          kv.push_back(Eval(*m.values[i]));
        }
        return lang::MakeMap(kv.data(), static_cast<int>(m.keys.size()));
      }
      case ExprKind::kHostCall: break;  // refused by Refusal
    }
    lang::Fault("this expression cannot be evaluated here");
  }

 private:
  static Value Apply(lang::Op op, const Value& l, const Value& r) {
    switch (op) {
      case lang::Op::kEq: return Value::Bool(lang::Equal(l, r));
      case lang::Op::kNe: return Value::Bool(!lang::Equal(l, r));
      case lang::Op::kLt:
      case lang::Op::kLe:
      case lang::Op::kGt:
      case lang::Op::kGe: return Value::Bool(lang::Compare(op, l, r));
      default: return lang::Arith(op, l, r);
    }
  }

  Value Lookup(const std::string& name) {
    const lang::Machine& m = *scope_.machine;
    if (!scope_.globals_only) {
      const Value* found = nullptr;
      ForEachLocal(m, scope_.frame, [&](const std::string& local, const Value& v) {
        if (local == name) found = &v;
      });
      if (found != nullptr) return *found;
    }
    const std::vector<std::string>& globals = m.module().global_names;
    for (size_t g = 0; g < globals.size(); ++g) {
      if (globals[g] != name) continue;
      const Value* v = m.global(static_cast<int>(g));
      if (v == nullptr) lang::Fault("'" + name + "' has no value yet: its 'let' has not run");
      return *v;
    }
    lang::Fault("no variable '" + name + "' here (`locals` lists the variables in scope)");
  }

  Scope scope_;
};

}  // namespace

struct Expression::Parsed {
  lang::LexResult lexed;  // the syntax tree's strings point into `source`
  std::string source;
  lang::Ast ast;
  const Expr* expr = nullptr;
};

Expression::Expression(Expression&&) noexcept = default;
Expression& Expression::operator=(Expression&&) noexcept = default;
Expression::~Expression() = default;

Result<Expression> Expression::Parse(std::string_view text) {
  Expression e;
  e.text_ = std::string(text);
  e.parsed_ = std::make_unique<Parsed>();
  Parsed& p = *e.parsed_;
  // A `{` that begins a statement begins a block (specs/language.md §4): a
  // map literal is parsed in parentheses, and columns are counted without them.
  size_t first = text.find_first_not_of(" \t");
  bool map_first = first != std::string_view::npos && text[first] == '{';
  p.source = map_first ? "(" + e.text_ + ");" : e.text_ + ";";
  auto error = [&](const lang::Diagnostic& d) {
    int col = map_first && d.col > 1 ? d.col - 1 : d.col;
    return Status::InvalidArgument(
        fmt::format("syntax error at column {} of `{}`: {}", col, e.text_, d.message));
  };
  if (first == std::string_view::npos) {
    return Status::InvalidArgument("an expression is needed, e.g. `total` or `len(items)`");
  }
  p.lexed = lang::Lex(p.source);
  if (!p.lexed.errors.empty()) return error(p.lexed.errors.front());
  lang::ParseResult parsed = lang::Parse(p.lexed.tokens);
  if (!parsed.errors.empty()) return error(parsed.errors.front());
  p.ast = std::move(parsed.ast);
  if (!p.ast.functions.empty() || p.ast.main.stmts.size() != 1 ||
      p.ast.main.stmts[0]->kind != lang::StmtKind::kExpr) {
    if (p.ast.main.stmts.size() == 1 && p.ast.main.stmts[0]->kind == lang::StmtKind::kAssign) {
      return Status::InvalidArgument("`" + e.text_ +
                                     "` assigns: the debugger shows the recorded run without "
                                     "changing it (to compare a value, use ==)");
    }
    return Status::InvalidArgument("`" + e.text_ + "` is not an expression");
  }
  p.expr = static_cast<const lang::ExprStmt&>(*p.ast.main.stmts[0]).expr.get();
  if (std::string why = Refusal(*p.expr); !why.empty()) return Status::InvalidArgument(why);
  return e;
}

Status Expression::Evaluate(const Scope& scope, const ValueUse& use) const {
  lang::MemoryBudget budget(kEvalMemory);
  try {
    Value v = Evaluator(scope).Eval(*parsed_->expr);
    use(v);
  } catch (const lang::RuntimeFault& fault) {
    return Status::InvalidArgument(fault.message);
  }
  return Status::Ok();
}

Result<bool> Expression::IsTrue(const Scope& scope) const {
  bool truth = false;
  Status s = Evaluate(scope, [&](const Value& v) { truth = lang::Truthy(v); });
  if (!s.ok()) return s;
  return truth;
}

Status Evaluate(const Scope& scope, std::string_view text, const ValueUse& use) {
  Result<Expression> e = Expression::Parse(text);
  if (!e.has_value()) return e.error();
  return e->Evaluate(scope, use);
}

void ForEachLocal(const lang::Machine& m, size_t frame,
                  const std::function<void(const std::string&, const Value&)>& use) {
  lang::Machine::Frame f = m.frame(frame);
  const lang::Function& fn = m.module().functions[static_cast<size_t>(f.function)];
  for (const lang::LocalInfo& local : fn.locals) {
    if (local.first_pc <= f.pc && f.pc < local.end_pc) use(local.name, m.slot(frame, local.slot));
  }
}

void ForEachGlobal(const lang::Machine& m,
                   const std::function<void(const std::string&, const Value*)>& use) {
  const std::vector<std::string>& names = m.module().global_names;
  for (size_t g = 0; g < names.size(); ++g) use(names[g], m.global(static_cast<int>(g)));
}

std::string Render(const Value& v, size_t max_bytes) {
  std::string out;
  lang::MemoryBudget budget(kEvalMemory);
  try {
    switch (v.type()) {
      case lang::Type::kString:
        if (v.str().size() > max_bytes) {
          lang::AppendRepr(&out, Value::String(v.str().substr(0, max_bytes)));
          out += fmt::format("... ({} bytes)", v.str().size());
          return out;
        }
        break;
      case lang::Type::kList:
      case lang::Type::kMap: {
        // Elements one by one, up to the limit.
        bool list = v.is_list();
        size_t n = list ? v.list().size() : v.map().size();
        out += list ? "[" : "{";
        for (size_t i = 0; i < n; ++i) {
          if (i > 0) out += ", ";
          if (out.size() >= max_bytes) {
            out += fmt::format("... ({} {})", n, list ? "items" : "entries");
            return out;
          }
          size_t room = max_bytes - out.size();
          if (list) {
            out += Render(v.list()[i], room);
          } else {
            const auto& [key, value] = v.map().entries()[i];
            out += Render(key, room) + ": ";
            out += Render(value, room);
          }
        }
        out += list ? "]" : "}";
        return out;
      }
      default: break;
    }
    lang::AppendRepr(&out, v);
  } catch (const lang::RuntimeFault&) {
    out += "...";
  }
  return out;
}

}  // namespace tape::debug
