#include "engine/lang/script.h"

#include <algorithm>

#include "engine/lang/code_hash.h"
#include "engine/lang/compiler.h"
#include "engine/lang/diagnostics.h"
#include "engine/lang/lexer.h"
#include "engine/lang/parser.h"
#include "engine/lang/vm.h"

namespace tape::lang {
namespace {

std::string BaseName(std::string name) {
  size_t slash = name.find_last_of("/\\");
  if (slash != std::string::npos) name.erase(0, slash + 1);
  return name.empty() ? "script.tape" : name;
}

// Strings may span lines, so a missing closing quote shows up as an error
// further on, where the text after the next quote is read as code. When the
// first error comes after a string that spans lines, that string is shown
// too.
void AddMultilineStringNote(const LexResult& lexed, std::vector<Diagnostic>* errors) {
  if (!lexed.first_multiline_string.has_value() || errors->empty()) return;
  const Diagnostic& note = *lexed.first_multiline_string;
  auto before = [](const Diagnostic& a, const Diagnostic& b) {
    return a.line != b.line ? a.line < b.line : a.col < b.col;
  };
  const Diagnostic& first = *std::min_element(errors->begin(), errors->end(), before);
  if (before(note, first)) errors->push_back(note);
}

}  // namespace

Result<std::shared_ptr<const Script>> Script::Compile(std::string name, std::string source) {
  // The name appears in every error and site location: bytes a terminal
  // would act on are escaped once, here.
  name = Displayable(BaseName(std::move(name)));
  if (static_cast<int64_t>(source.size()) > kMaxSourceBytes) {
    return Status::ScriptError(name + ": error: the script is " + std::to_string(source.size()) +
                               " bytes; scripts may be at most " +
                               std::to_string(kMaxSourceBytes >> 20) + " MiB");
  }
  // Stages report their own errors only: after a lex error the parser would
  // mostly echo it, and after a parse error the tree is incomplete.
  LexResult lexed = Lex(source);
  if (!lexed.errors.empty()) {
    AddMultilineStringNote(lexed, &lexed.errors);
    return Status::ScriptError(FormatDiagnostics(name, source, std::move(lexed.errors)));
  }
  ParseResult parsed = Parse(lexed.tokens);
  if (!parsed.errors.empty()) {
    AddMultilineStringNote(lexed, &parsed.errors);
    return Status::ScriptError(FormatDiagnostics(name, source, std::move(parsed.errors)));
  }
  CompileOutput compiled = CompileAst(parsed.ast, name);
  if (!compiled.errors.empty()) {
    return Status::ScriptError(FormatDiagnostics(name, source, std::move(compiled.errors)));
  }

  std::shared_ptr<Script> script(new Script());
  script->code_hash_ = CodeHash(lexed.tokens);
  script->name_ = std::move(name);
  script->source_ = std::move(source);
  script->module_ = std::move(compiled.module);
  // Only now are the location strings at their final addresses.
  for (const SiteInfo& s : script->module_.sites) {
    script->sites_.push_back(Site{s.id, s.location});
  }
  return std::shared_ptr<const Script>(std::move(script));
}

int Script::Run(Runtime& rt, const RunLimits& limits, RunStats* stats) const {
  return Execute(module_, sites_, name_, source_, rt, limits, stats);
}

}  // namespace tape::lang
