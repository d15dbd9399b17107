#include "engine/debug/breakpoints.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "engine/effects/registry.h"
#include "engine/lang/host_calls.h"

namespace tape::debug {

namespace {

bool IsEffectCall(const lang::Instr& in) {
  return (in.op == lang::Op::kHost || in.op == lang::Op::kHostDrop) && in.a >= 0;
}

// "0x3f2a" or "3f2a" as a prefix of the 16 hex digits of `id`.
bool MatchesHexPrefix(std::string_view prefix, uint64_t id) {
  if (prefix.starts_with("0x")) prefix.remove_prefix(2);
  if (prefix.empty() || prefix.size() > 16) return false;
  static const char kHex[] = "0123456789abcdef";
  char digits[16];
  for (int i = 0; i < 16; ++i) digits[i] = kHex[(id >> (60 - 4 * i)) & 0xf];
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = prefix[i];
    if (c >= 'A' && c <= 'F') c = char(c - 'A' + 'a');
    if (c != digits[i]) return false;
  }
  return true;
}

// "calc.tape:12" is a prefix of "calc.tape:12:5", not of "calc.tape:120:5":
// a location's parts (file, line, column) match whole.
bool LocationHasPrefix(std::string_view location, std::string_view prefix) {
  if (prefix.empty() || !location.starts_with(prefix)) return false;
  return location.size() == prefix.size() || location[prefix.size()] == ':' ||
         prefix.back() == ':';
}

// The effect calls whose site matches `want`.
template <typename Match>
std::vector<CodePoint> CallsAt(const lang::Module& module, Match want) {
  std::vector<CodePoint> out;
  for (size_t f = 0; f < module.functions.size(); ++f) {
    const std::vector<lang::Instr>& code = module.functions[f].code;
    for (size_t pc = 0; pc < code.size(); ++pc) {
      if (IsEffectCall(code[pc]) && want(module.sites[static_cast<size_t>(code[pc].a)])) {
        out.emplace_back(static_cast<int>(f), static_cast<uint32_t>(pc));
      }
    }
  }
  return out;
}

// "clock.now, io.write": the effects the script's calls make, each once.
std::string CalledEffects(const lang::Module& module) {
  std::set<std::string> names;
  for (const lang::SiteInfo& s : module.sites) names.insert(s.effect);
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Why `break effect NAME` has nothing to stop at: no such effect (the
// registry names them all), or one the script never calls.
Status NoCallsOf(const lang::Module& module, const std::string& name) {
  std::string called = CalledEffects(module);
  std::string calls = called.empty() ? "it calls no effect" : "it calls " + called;
  if (engine::FindEffectByName(name) == nullptr) {
    return Status::InvalidArgument("'" + name + "' is not an effect (tape's effects: " +
                                   engine::EffectNameList() + "); " + calls);
  }
  return Status::InvalidArgument("the script never calls the effect " + name + " (" + calls +
                                 ")");
}

std::string NearbyLines(const lang::Module& module, int line) {
  std::set<int> lines;
  for (const lang::Function& fn : module.functions) {
    for (const lang::StatementStart& s : fn.statements) lines.insert(s.line);
  }
  auto after = lines.upper_bound(line);
  std::string out;
  if (after != lines.begin()) out = std::to_string(*std::prev(after));
  if (after != lines.end()) out += (out.empty() ? "" : " and ") + std::to_string(*after);
  return out;
}

}  // namespace

std::string Breakpoint::Describe() const {
  std::string where;
  switch (spec.kind) {
    case BreakSpec::Kind::kLine: where = fmt::format("line {}", spec.line); break;
    case BreakSpec::Kind::kSeq:
      where = spec.label.empty() ? fmt::format("seq {}", spec.seq)
                                 : fmt::format("{} (seq {})", spec.label, spec.seq);
      break;
    case BreakSpec::Kind::kEffect: where = "effect " + spec.text; break;
    case BreakSpec::Kind::kSite: where = "site " + spec.text; break;
  }
  if (!spec.condition.empty()) where += " if " + spec.condition;
  return where;
}

std::vector<CodePoint> LineStarts(const lang::Module& module, int line) {
  std::vector<CodePoint> out;
  for (size_t f = 0; f < module.functions.size(); ++f) {
    const std::vector<lang::StatementStart>& stmts = module.functions[f].statements;
    for (size_t i = 0; i < stmts.size(); ++i) {
      if (stmts[i].line == line && (i == 0 || stmts[i - 1].line != line)) {
        out.emplace_back(static_cast<int>(f), stmts[i].pc);
      }
    }
  }
  return out;
}

std::vector<CodePoint> EffectCalls(const lang::Module& module) {
  return CallsAt(module, [](const lang::SiteInfo&) { return true; });
}

int StatementLine(const lang::Module& module, int function, uint32_t pc) {
  const lang::Function& fn = module.functions[static_cast<size_t>(function)];
  auto at = std::upper_bound(fn.statements.begin(), fn.statements.end(), pc,
                             [](uint32_t p, const lang::StatementStart& s) { return p < s.pc; });
  if (at == fn.statements.begin()) return fn.positions.empty() ? 0 : fn.positions[pc].line;
  return (at - 1)->line;
}

Status Resolve(const lang::Module& module, Breakpoint* bp) {
  const BreakSpec& spec = bp->spec;
  switch (spec.kind) {
    case BreakSpec::Kind::kLine:
      bp->traps = LineStarts(module, spec.line);
      if (bp->traps.empty()) {
        std::string near = NearbyLines(module, spec.line);
        return Status::InvalidArgument(fmt::format(
            "line {} has no code (a blank line, a comment, or a brace that only closes a block){}",
            spec.line, near.empty() ? "" : "; lines with code nearby: " + near));
      }
      break;
    case BreakSpec::Kind::kSeq: bp->traps.clear(); break;  // the seq watch (machine.h) finds it
    case BreakSpec::Kind::kEffect: {
      // The registry's name: `break effect clock` is clock.now when the
      // module has that one effect.
      const engine::EffectSpec* effect = engine::FindEffectByName(spec.text);
      std::string name = effect != nullptr ? std::string(effect->name) : spec.text;
      bp->traps = CallsAt(module, [&](const lang::SiteInfo& s) { return s.effect == name; });
      if (bp->traps.empty()) return NoCallsOf(module, spec.text);
      bp->spec.text = name;
      break;
    }
    case BreakSpec::Kind::kSite:
      bp->traps = CallsAt(module, [&](const lang::SiteInfo& s) {
        return LocationHasPrefix(s.location, spec.text) || MatchesHexPrefix(spec.text, s.id);
      });
      if (bp->traps.empty()) {
        return Status::InvalidArgument("no effect call of the script is at a site '" + spec.text +
                                       "' (give a location prefix such as calc.tape:12, or a "
                                       "site id's hex digits as `events` shows them)");
      }
      break;
  }
  bp->condition.reset();
  if (!spec.condition.empty()) {
    Result<Expression> cond = Expression::Parse(spec.condition);
    if (!cond.has_value()) return cond.error().WithContext("condition");
    bp->condition = std::move(*cond);
  }
  return Status::Ok();
}

}  // namespace tape::debug
