// Script: a compiled .tape program, the interpreter's public API.
//
//   TAPE_ASSIGN_OR_RETURN(auto script, tape::lang::Script::Compile("hello.tape", source));
//   int exit_code = script->Run(runtime);  // throws tape::ProgramError on a runtime error
//
// The language is specified in specs/language.md.

#ifndef TAPE_LANG_SCRIPT_H_
#define TAPE_LANG_SCRIPT_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/lang/bytecode.h"
#include "engine/lang/limits.h"
#include "format/status.h"
#include "tape/runtime.h"

namespace tape::lang {

// Immutable after Compile; cheap to run many times, also from several
// threads at once (each run has its own values).
class Script {
 public:
  // `name` is the display name (the file's base name; any directory part is
  // dropped, so that errors and site locations do not depend on how the path
  // was spelled; control bytes and invalid UTF-8 in it are escaped as
  // \xHH). Lex, parse and compile errors come back as
  // Status::ScriptError, formatted "name:line:col: error: ..." with the
  // source line and a caret, at most kMaxReportedErrors of them.
  static Result<std::shared_ptr<const Script>> Compile(std::string name, std::string source);

  const std::string& name() const { return name_; }
  const std::string& source() const { return source_; }
  // 16 raw bytes; see code_hash.h.
  const std::string& code_hash() const { return code_hash_; }
  // The effect call sites, in source order; their location strings live as
  // long as this Script (a runtime may keep them only that long).
  const std::vector<Site>& sites() const { return sites_; }
  // The compiled code (for a debugger: machine.h).
  const Module& module() const { return module_; }

  // Runs the script; returns its exit code (0 unless `return N;` or
  // exit(N)). Throws tape::ProgramError on a runtime error ("name:line:col:
  // runtime error: ..." with the line, a caret and the call stack), and its
  // subclass StepLimitError past limits.max_steps; lets tape::DriftError
  // from the runtime through. Fills `stats` (if not null) however the run
  // ends.
  int Run(Runtime& rt) const { return Run(rt, RunLimits{}); }
  int Run(Runtime& rt, const RunLimits& limits, RunStats* stats = nullptr) const;

 private:
  Script() = default;
  std::string name_, source_, code_hash_;
  Module module_;
  std::vector<Site> sites_;  // views into module_.sites[i].location
};

// Names the first token that differs between two versions of a script, for
// a CodeHashMismatch message: "line 7 changed: `let x = 3;` -> `let x = 4;`"
// (or "line 9 (line 7 when recorded) changed: ...", "line 12 added: ...",
// "line 12 removed: ..."). Empty when the token streams are equal, i.e.
// when the two differ at most in whitespace and comments.
std::string DescribeFirstChange(std::string_view recorded_source,
                                std::string_view current_source);

}  // namespace tape::lang

#endif  // TAPE_LANG_SCRIPT_H_
