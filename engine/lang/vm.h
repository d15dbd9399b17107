// VM: runs a compiled module against a tape::Runtime. (A debugger drives
// the same interpreter loop through Machine, machine.h.)
//
// Script function calls do not recurse on the native stack: the VM keeps its
// own frames (kMaxCallDepth of them), so runaway recursion is a runtime error,
// never a crash. Runtime errors become tape::ProgramError with the position,
// the source line and the script's call stack; tape::DriftError from the
// runtime passes through untouched.

#ifndef TAPE_LANG_VM_H_
#define TAPE_LANG_VM_H_

#include <string_view>
#include <vector>

#include "engine/lang/bytecode.h"
#include "engine/lang/limits.h"
#include "tape/runtime.h"

namespace tape::lang {

// Returns the exit code. `sites[i]` is the tape::Site of module.sites[i];
// `name` and `source` are for error messages. Fills `stats` (if not null)
// however the run ends. Throws ProgramError, or StepLimitError past
// limits.max_steps.
// REQUIRES: `module` compiled without errors.
int Execute(const Module& module, const std::vector<Site>& sites, std::string_view name,
            std::string_view source, Runtime& rt, const RunLimits& limits, RunStats* stats);

}  // namespace tape::lang

#endif  // TAPE_LANG_VM_H_
