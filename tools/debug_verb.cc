// tape debug [SCRIPT] --trace FILE [--batch FILE | -x FILE] [--json]: the
// script debugger's command line (specs/debugger.md). Also the prompt that
// `tape replay --debug` opens where a replay drifts.

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "tools/cli.h"
#include "tools/debug_commands.h"
#include "tools/line_reader.h"
#include "tools/program_loader.h"

namespace tape::cli {

namespace {

// Set by Ctrl-C; a run in progress stops at its next slice.
std::atomic<bool> g_interrupt{false};

void OnInterrupt(int) { g_interrupt.store(true); }

void CatchInterrupts() {
  struct sigaction sa = {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // not SA_RESTART: a prompt waiting for a line wakes up
  sigaction(SIGINT, &sa, nullptr);
}

void WriteStdout(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

std::string HistoryFile() {
  const char* home = std::getenv("HOME");
  return home != nullptr && *home != '\0' ? std::string(home) + "/.tape_debug_history" : "";
}

}  // namespace

int DebugSession(DebugTarget* target, const DebugSessionOptions& options) {
  FILE* input = stdin;
  if (!options.batch.empty()) {
    input = std::fopen(options.batch.c_str(), "r");
    if (input == nullptr) {
      return Fail("debug", kExitUsage, "cannot read the command file " + options.batch);
    }
  }
  LineReader reader(input, options.batch.empty() ? HistoryFile() : "");
  DebugShell::Options shell_options;
  shell_options.json = options.json;
  shell_options.interactive = reader.terminal();
  DebugShell shell(target, shell_options, WriteStdout);
  debug::Debugger& d = *target->debugger;
  d.set_output_sink([&shell](uint64_t seq, bool is_stderr, std::string_view bytes) {
    shell.Output(seq, is_stderr, bytes);
  });
  g_interrupt.store(false);
  d.set_interrupt_check([] { return g_interrupt.exchange(false); });
  CatchInterrupts();
  if (options.show_stop) shell.ShowStop(d.last_stop());
  bool failed = false;
  // Commands are echoed in a batch's text transcript, so that it reads like a session.
  bool echo = !options.batch.empty() && !options.json;
  for (;;) {
    std::optional<std::string> line = reader.Next("(tape) ");
    // Ctrl-C at the prompt cancels the line (never repeats the last move),
    // and does not stop the next command.
    if (g_interrupt.exchange(false) && reader.terminal()) continue;
    if (!line) break;
    if (reader.too_long()) {
      WriteStdout(options.json ? "{\"command\":\"\",\"ok\":false,\"error\":\"the line is longer "
                                 "than 1 MiB\"}\n"
                               : "error: the line is longer than 1 MiB\n");
      failed = true;
      continue;
    }
    if (echo && !line->empty() && !line->starts_with("#")) WriteStdout("(tape) " + *line + "\n");
    if (!shell.Execute(*line)) break;
    failed |= shell.last_failed();
  }
  if (input != stdin) std::fclose(input);
  signal(SIGINT, SIG_DFL);
  return failed && !options.batch.empty() ? kExitDifferent : kExitOk;
}

int RunDebug(const DebugArgs& args) {
  GuardTraceReads("debug");
  DebugTargetArgs targs;
  targs.script = args.program;
  targs.trace = args.trace;
  // `tape debug trace.bin` names the trace itself; without one, trace.bin.
  std::string usage = TraceGivenAsProgram("debug", &targs.script, &targs.trace);
  if (usage.empty()) usage = DefaultTrace("debug", &targs.trace);
  if (!usage.empty()) return Fail("debug", kExitUsage, usage);
  targs.ignore_code_hash = args.ignore_code_hash;
  targs.snapshot_memory = int64_t(args.snapshot_memory_mb) << 20;
  targs.snapshot_interval_ms = args.snapshot_interval_ms;
  DebugTargetError error;
  std::unique_ptr<DebugTarget> target = OpenDebugTarget(targs, &error);
  if (!target) return Fail("debug", error.exit_code, error.message);
  DebugSessionOptions options;
  options.json = args.json;
  options.batch = args.batch;
  options.show_stop = true;
  return DebugSession(target.get(), options);
}

}  // namespace tape::cli
