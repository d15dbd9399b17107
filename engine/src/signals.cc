#include "engine/internal/signals.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "engine/internal/running_commands.h"
#include "format/signal_safe_text.h"
#include "format/trace_mappings.h"

namespace tape::engine {

namespace {

constexpr int kTraceErrorExitCode = 81;  // as the CLI's kExitTrace

constexpr int kFatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGPIPE};
constexpr int kTerminating[] = {SIGINT, SIGTERM, SIGHUP};
constexpr int kAll[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGPIPE, SIGINT, SIGTERM, SIGHUP};

// The active guard's state (see the header for why it is global).
std::atomic<format::TraceWriter*> g_writer{nullptr};
std::atomic<const Runtime*> g_runtime{nullptr};
char g_recorded_outcome[256];
char g_label[64] = "tape";
struct sigaction g_previous[sizeof kAll / sizeof kAll[0]];
bool g_installed[sizeof kAll / sizeof kAll[0]];
char g_alt_stack[1 << 16];  // room to run the handler after a stack overflow
// The thread (kernel id) whose handler is ending the process, 0 for none.
std::atomic<long> g_handling_thread{0};

sigset_t TerminatingSet() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : kTerminating) sigaddset(&set, s);
  return set;
}

bool IsFatal(int sig) {
  for (int s : kFatal) {
    if (s == sig) return true;
  }
  return false;
}

// Async-signal-safe output helpers.
void Put(const char* s) {
  ssize_t ignored = ::write(2, s, std::strlen(s));
  (void)ignored;
}
void PutNumber(unsigned long long v) {
  char out[24];
  format::SignalSafeText text{out, out + sizeof out};
  text.PutNumber(v);
  text.Terminate();
  Put(out);
}

void Handler(int sig, siginfo_t* info, void*) {
  // One handler ends the process. A signal on another thread meanwhile
  // would print the line a second time and race it to finish the trace: a
  // terminating one is dropped (the process is ending anyway; the thread,
  // maybe the trace writer's, goes on), a fault waits for the end. A fault
  // inside the handler itself ends the process at once.
  long self = ::syscall(SYS_gettid);
  long handling = 0;
  if (!g_handling_thread.compare_exchange_strong(handling, self)) {
    if (handling == self) EndBySignal(sig);
    if (!IsFatal(sig)) return;
    for (;;) ::pause();
  }
  // A SIGBUS in a trace being read: the file shrank under the replay (it was
  // re-recorded in place or truncated). That is a trace error, not the
  // program's crash.
  format::MappedTrace m;
  if (sig == SIGBUS && info != nullptr && info->si_code > 0 &&
      format::TraceMappingAt(info->si_addr, &m)) {
    char buf[1600];
    size_t n = format::FormatTraceChanged(nullptr, m, buf, sizeof buf);
    Put(g_label);
    Put(": ");
    ssize_t ignored = ::write(2, buf, n);
    (void)ignored;
    Put("\n");
    ::_exit(kTraceErrorExitCode);
  }
  const Runtime* rt = g_runtime.load();
  unsigned long long seq = rt ? rt->seq() : 0;
  const char* name = SignalName(sig);
  if (format::TraceWriter* w = g_writer.load()) {
    bool fatal = IsFatal(sig);
    bool saved = w->FinishFromSignal(
        fatal ? format::OutcomeKind::kSignal : format::OutcomeKind::kInterrupted, sig, name, 3000);
    Put(g_label);
    Put(fatal ? ": the program was killed by " : ": interrupted by ");
    Put(name);
    Put(" after ");
    PutNumber(seq);
    Put(saved ? " effect calls; the trace holds all of them: " : " effect calls; the trace could not be finalized (it still opens): ");
    Put(w->path().c_str());
    Put("\n");
  } else if (sig != SIGPIPE) {
    Put(g_label);
    Put(IsFatal(sig) ? ": the program was killed by " : ": interrupted by ");
    Put(name);
    Put(" at seq ");
    PutNumber(seq);
    Put(" (the recorded program ");
    Put(g_recorded_outcome);
    Put(")\n");
  }
  // The commands it started (proc.run, in process groups of their own) end
  // with it. Then end the way the program did: default action, then the
  // same signal.
  StopRunningCommands(SIGTERM);
  EndBySignal(sig);
}

}  // namespace

void EndBySignal(int sig) {
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigaction(sig, &dfl, nullptr);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  raise(sig);
  // A signal whose default action does not end the process cannot get here
  // (every signal handled here ends it); end it anyway, as the signal would.
  ::_exit(128 + sig);
}

const char* SignalName(int sig) {
  switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGABRT: return "SIGABRT";
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    case SIGPIPE: return "SIGPIPE";
    case SIGKILL: return "SIGKILL";
  }
  return "";
}

SignalGuard::SignalGuard(format::TraceWriter* writer, const Runtime* runtime,
                         const std::string& label) {
  g_writer.store(writer);
  g_runtime.store(runtime);
  std::strncpy(g_label, label.c_str(), sizeof g_label - 1);
  Install();
}

SignalGuard::SignalGuard(const Runtime* replayer, const std::string& recorded_outcome,
                         const std::string& label) {
  g_writer.store(nullptr);
  g_runtime.store(replayer);
  std::strncpy(g_recorded_outcome, recorded_outcome.c_str(), sizeof g_recorded_outcome - 1);
  std::strncpy(g_label, label.c_str(), sizeof g_label - 1);
  Install();
}

void SignalGuard::Install() {
  g_handling_thread.store(0);
  stack_t ss;
  std::memset(&ss, 0, sizeof ss);
  ss.ss_sp = g_alt_stack;
  ss.ss_size = sizeof g_alt_stack;
  sigaltstack(&ss, nullptr);
  for (size_t i = 0; i < sizeof kAll / sizeof kAll[0]; ++i) {
    // Keep what the process inherited as ignored ignored (nohup, trap '').
    struct sigaction current;
    g_installed[i] = false;
    if (sigaction(kAll[i], nullptr, &current) == 0 && current.sa_handler == SIG_IGN) continue;
    g_installed[i] = true;
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = Handler;
    sa.sa_flags = SA_ONSTACK | SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    for (int s : kTerminating) sigaddset(&sa.sa_mask, s);
    sigaction(kAll[i], &sa, &g_previous[i]);
  }
  // The handlers are ready: a signal held back since the recorder started
  // (BlockTerminatingSignals) is delivered now, on this thread.
  sigset_t terminating = TerminatingSet();
  pthread_sigmask(SIG_UNBLOCK, &terminating, &mask_before_);
}

BlockTerminatingSignals::BlockTerminatingSignals() {
  sigset_t terminating = TerminatingSet();
  pthread_sigmask(SIG_BLOCK, &terminating, &previous_);
}

BlockTerminatingSignals::~BlockTerminatingSignals() {
  pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

IgnoreFileSizeSignal::IgnoreFileSizeSignal() {
  struct sigaction ign;
  std::memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  ignored_ = sigaction(SIGXFSZ, &ign, &previous_) == 0;
}

IgnoreFileSizeSignal::~IgnoreFileSizeSignal() {
  if (ignored_) sigaction(SIGXFSZ, &previous_, nullptr);
}

SignalGuard::~SignalGuard() {
  // Blocked again first: between the handlers' removal and the caller's own
  // restoring of the mask (after the trace is finished), a signal would
  // otherwise end the process with the default action and no footer.
  sigset_t reblock;
  sigemptyset(&reblock);
  for (int s : kTerminating) {
    if (sigismember(&mask_before_, s) == 1) sigaddset(&reblock, s);
  }
  pthread_sigmask(SIG_BLOCK, &reblock, nullptr);
  for (size_t i = 0; i < sizeof kAll / sizeof kAll[0]; ++i) {
    if (g_installed[i]) sigaction(kAll[i], &g_previous[i], nullptr);
  }
  g_writer.store(nullptr);
  g_runtime.store(nullptr);
}

}  // namespace tape::engine
