// Opening a recording for the script debugger (`tape debug`, `tape dap`,
// `tape replay --debug`): the trace, the script (the one named, or the copy
// the trace holds), and the checks replay makes before it runs anything.

#ifndef TAPE_TOOLS_DEBUG_TARGET_H_
#define TAPE_TOOLS_DEBUG_TARGET_H_

#include <cstdint>
#include <memory>
#include <string>

#include "engine/debug/debugger.h"
#include "engine/lang/script.h"
#include "format/trace_reader.h"

namespace tape::cli {

struct DebugTargetArgs {
  std::string script;  // empty: the script the trace holds
  std::string trace;
  bool ignore_code_hash = false;
  int64_t snapshot_memory = int64_t{64} << 20;
  uint32_t snapshot_interval_ms = 100;
};

struct DebugTarget {
  std::unique_ptr<format::TraceReader> reader;
  std::shared_ptr<const lang::Script> script;
  // The script's file as the user named it; empty when it is the trace's copy.
  std::string script_path;
  std::unique_ptr<debug::Debugger> debugger;
};

// On failure: the exit code (kExitUsage, kExitTrace, kExitDrift for a trace
// of another program or of changed code, kExitScript) and the message.
struct DebugTargetError {
  int exit_code = 0;
  std::string message;
};

std::unique_ptr<DebugTarget> OpenDebugTarget(const DebugTargetArgs& args, DebugTargetError* error);

}  // namespace tape::cli

#endif  // TAPE_TOOLS_DEBUG_TARGET_H_
