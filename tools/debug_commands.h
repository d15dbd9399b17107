// The commands of `tape debug` (specs/debugger.md §2): each line is parsed,
// run on the debug::Debugger and answered as text for a person, or as one
// JSON object per line (--json). `tape replay --debug` uses the same shell,
// and `tape dap` runs the commands typed in an editor's debug console
// through it; what a stop, a frame or a value looks like is defined here
// once for all of them.

#ifndef TAPE_TOOLS_DEBUG_COMMANDS_H_
#define TAPE_TOOLS_DEBUG_COMMANDS_H_

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "engine/debug/debugger.h"
#include "tools/debug_target.h"

namespace tape::cli {

class DebugShell {
 public:
  struct Options {
    bool json = false;
    // Interactive: an empty line repeats the last moving command, as in gdb.
    bool interactive = false;
  };
  // Replies go to `write` (text, or JSON lines). `target` must outlive the shell.
  DebugShell(DebugTarget* target, Options options, std::function<void(std::string_view)> write);

  // Runs one command line. Returns false after `quit`. Sets *moved when the
  // command moved the run (so an editor shows the new place).
  bool Execute(std::string_view line, bool* moved = nullptr);
  // Shows where the run is (a stop's report), as a move does.
  void ShowStop(const debug::Stop& stop);
  // Text mode: the program's output goes through here, so that it and the
  // shell's own replies keep their order. JSON mode: an {"output":...} line.
  void Output(uint64_t seq, bool is_stderr, std::string_view bytes);
  // The last command failed (an unknown command, a bad argument, ...).
  bool last_failed() const { return last_failed_; }

  struct Reply;

 private:
  void Emit(std::string_view line, const Status& status, const Reply& reply);
  debug::Debugger& dbg() { return *target_->debugger; }

  DebugTarget* target_;
  Options options_;
  std::function<void(std::string_view)> write_;
  std::string last_move_;  // repeated by an empty line
  size_t frame_ = 0;       // the frame print, locals and list look at
  int list_next_ = 0;      // where the next bare `list` goes on
  bool last_failed_ = false;
  friend struct ShellCommands;
};

// --- shared by the shell and the DAP server ---------------------------------------

// "total" for a script function, "top level" for the top-level code.
std::string FunctionName(const lang::Module& module, int function);
// A stop as JSON: reason, seq, position, file, line, function, breakpoints
// hit, message, drift, finish's returned value.
nlohmann::ordered_json StopJson(const debug::Debugger& d, const debug::Stop& stop);
// The value's type as `type()` names it.
std::string TypeOf(const lang::Value& v);
// The seq of the first event at or after `text` (a time as `inspect --from`
// takes it: +2.5s, 14:02:03, ISO 8601, -5m).
Result<uint64_t> SeqAtTime(const format::TraceReader& reader, std::string_view text);

}  // namespace tape::cli

#endif  // TAPE_TOOLS_DEBUG_COMMANDS_H_
