// Compiler: syntax tree to bytecode, resolving every name on the way.
//
// Reports the errors a parser cannot see: undefined or misplaced names,
// calls with the wrong number of arguments, unknown host calls, assignments
// to things that are not places.

#ifndef TAPE_LANG_COMPILER_H_
#define TAPE_LANG_COMPILER_H_

#include <string_view>
#include <vector>

#include "engine/lang/ast.h"
#include "engine/lang/bytecode.h"
#include "engine/lang/diagnostics.h"

namespace tape::lang {

struct CompileOutput {
  Module module;  // usable only when `errors` is empty
  std::vector<Diagnostic> errors;
};

// `script_name` prefixes the sites' location text ("name:line:col").
CompileOutput CompileAst(const Ast& ast, std::string_view script_name);

// The instruction of a binary operator token (kPlus: kAdd, kLt: kLt, ...;
// also a compound assignment's operator).
Op BinaryOpOf(Tok t);

}  // namespace tape::lang

#endif  // TAPE_LANG_COMPILER_H_
