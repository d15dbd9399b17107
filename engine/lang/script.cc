#include "engine/lang/script.h"

#include <fmt/core.h>
#include <pthread.h>

#include <algorithm>
#include <exception>
#include <optional>

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

// Runs `fn` on a thread whose stack holds kCompileStackBytes, so that the
// nesting limits are reached before the stack's end in every build; or on
// the calling thread when no such thread can be started (the parser's and
// compiler's stack guards then stop deep nesting earlier, with an error).
// An exception `fn` throws is rethrown here.
template <typename F>
void OnCompileStack(F&& fn) {
  struct Call {
    F* fn;
    std::exception_ptr thrown;
  } call{&fn, nullptr};
  auto body = [](void* arg) -> void* {
    Call* c = static_cast<Call*>(arg);
    try {
      (*c->fn)();
    } catch (...) {
      c->thrown = std::current_exception();
    }
    return nullptr;
  };
  pthread_attr_t attr;
  pthread_t thread;
  bool started = pthread_attr_init(&attr) == 0 &&
                 pthread_attr_setstacksize(&attr, kCompileStackBytes) == 0 &&
                 pthread_create(&thread, &attr, body, &call) == 0;
  pthread_attr_destroy(&attr);
  if (!started) {
    fn();
    return;
  }
  pthread_join(thread, nullptr);
  if (call.thrown) std::rethrow_exception(call.thrown);
}

}  // namespace

Result<std::shared_ptr<const Script>> Script::Compile(std::string name, std::string source) {
  // The name appears in every error and site location: bytes a terminal
  // would act on are escaped once, here.
  name = Displayable(BaseName(std::move(name)));
  if (static_cast<int64_t>(source.size()) > kMaxSourceFileBytes) {
    return Status::ScriptError(
        fmt::format("{}: error: the script is {} bytes; a script file may be at most {} MiB", name,
                    source.size(), kMaxSourceFileBytes >> 20));
  }
  std::shared_ptr<Script> script(new Script());
  std::optional<Status> error;
  OnCompileStack([&] {
    // Stages report their own errors only: after a lex error the parser
    // would mostly echo it, and after a parse error the tree is incomplete.
    LexResult lexed = Lex(source);
    if (!lexed.errors.empty()) {
      AddMultilineStringNote(lexed, &lexed.errors);
      error = Status::ScriptError(FormatDiagnostics(name, source, std::move(lexed.errors)));
      return;
    }
    int64_t code = static_cast<int64_t>(source.size() - lexed.comment_bytes);
    if (code > kMaxSourceBytes) {
      error =
          Status::ScriptError(fmt::format("{}: error: the script holds {} bytes of code (outside "
                                          "comments); a script may hold at most {} MiB of code",
                                          name, code, kMaxSourceBytes >> 20));
      return;
    }
    ParseResult parsed = Parse(lexed.tokens);
    if (!parsed.errors.empty()) {
      AddMultilineStringNote(lexed, &parsed.errors);
      error = Status::ScriptError(FormatDiagnostics(name, source, std::move(parsed.errors)));
      return;
    }
    CompileOutput compiled = CompileAst(parsed.ast, name);
    if (!compiled.errors.empty()) {
      error = Status::ScriptError(FormatDiagnostics(name, source, std::move(compiled.errors)));
      return;
    }
    script->code_hash_ = CodeHash(lexed.tokens);
    script->module_ = std::move(compiled.module);
    // The syntax tree is freed here too, on the stack sized for it.
  });
  if (error) return *error;
  script->name_ = std::move(name);
  script->source_ = std::move(source);
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
