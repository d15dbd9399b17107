#include "engine/lang/script.h"

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

}  // namespace

Result<std::shared_ptr<const Script>> Script::Compile(std::string name, std::string source) {
  name = BaseName(std::move(name));
  if (static_cast<int64_t>(source.size()) > kMaxSourceBytes) {
    return Status::ScriptError(name + ": error: the script is " + std::to_string(source.size()) +
                               " bytes; scripts may be at most " +
                               std::to_string(kMaxSourceBytes >> 20) + " MiB");
  }
  // Stages report their own errors only: after a lex error the parser would
  // mostly echo it, and after a parse error the tree is incomplete.
  LexResult lexed = Lex(source);
  if (!lexed.errors.empty()) {
    return Status::ScriptError(FormatDiagnostics(name, source, std::move(lexed.errors)));
  }
  ParseResult parsed = Parse(lexed.tokens);
  if (!parsed.errors.empty()) {
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

int Script::Run(Runtime& rt, const RunLimits& limits) const {
  return Execute(module_, sites_, name_, source_, rt, limits);
}

}  // namespace tape::lang
