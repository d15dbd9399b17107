#include "engine/src/exit_guard.h"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>

#include "engine/src/replayer.h"

#if defined(__GLIBC__)
// glibc runs the functions registered with at_quick_exit as fn(arg, status)
// (stdlib/exit.c: struct exit_function's cxa member is
// `void (*fn) (void *arg, int status)`; at_quick_exit itself registers its
// argument this way). That is the only way to learn the code quick_exit was
// given; for exit, on_exit passes it as documented.
extern "C" int __cxa_at_quick_exit(void (*func)(void*), void* dso_handle);
extern "C" void* __dso_handle __attribute__((__visibility__("hidden")));
#endif

namespace tape::engine {

namespace {

constexpr int kDriftExitCode = 80;       // as the CLI's kExitDrift
constexpr int kTraceErrorExitCode = 81;  // as the CLI's kExitTrace
// How long an exit waits for the encoder thread to write the last chunks
// and the footer.
constexpr int kFinishTimeoutMs = 30000;

struct Active {
  format::TraceWriter* writer = nullptr;
  const Replayer* replayer = nullptr;
  const format::TraceReader* reader = nullptr;
  std::string label;
};

std::mutex g_mu;
Active g_active;  // guarded by g_mu; held while a handler uses it
std::once_flag g_registered;

void PrintLine(const std::string& line) {
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

// The drift of a replay whose program called exit(status) now, if any.
std::optional<DriftInfo> ExitDrift(const Replayer& replayer, const format::TraceReader& reader,
                                   int status) {
  if (replayer.drift()) return *replayer.drift();
  uint64_t seq = replayer.seq();
  format::Outcome now = format::Outcome::Exited(status);
  if (seq < reader.event_count()) {
    return DriftInfo{DriftKind::kTraceNotExhausted, seq,
                     fmt::format("{} effect calls", reader.event_count()),
                     fmt::format("the program called exit({}) after {}", status, seq),
                     fmt::format("the program ended at seq {} of {}", seq, reader.event_count())};
  }
  const format::Outcome& recorded = reader.outcome();
  if (recorded.kind != format::OutcomeKind::kInterrupted && !(recorded == now)) {
    return DriftInfo{DriftKind::kOutcomeMismatch, seq, recorded.Describe(),
                     now.Describe() + " (exit called by the program)",
                     "the program ended differently than when recorded"};
  }
  return std::nullopt;
}

void OnProgramExit(int status) {
  std::lock_guard lock(g_mu);
  Active& a = g_active;
  if (format::TraceWriter* writer = std::exchange(a.writer, nullptr)) {
    if (writer->FinishFromSignal(format::OutcomeKind::kExited, status, "", kFinishTimeoutMs)) {
      return;
    }
    Status why = writer->status();
    PrintLine(a.label + ": " +
              (why.ok() ? "the trace " + writer->path() + " could not be finished in time"
                        : why.message()));
    ::_exit(kTraceErrorExitCode);
  }
  if (const Replayer* replayer = std::exchange(a.replayer, nullptr)) {
    std::optional<DriftInfo> drift = ExitDrift(*replayer, *a.reader, status);
    if (!drift) return;
    PrintLine(a.label + ": drift: " + drift->Describe());
    ::_exit(kDriftExitCode);
  }
}

void OnQuickExit(void*, int status) { OnProgramExit(status); }

void Register() {
  std::call_once(g_registered, [] {
    ::on_exit([](int status, void*) { OnProgramExit(status); }, nullptr);
#if defined(__GLIBC__)
    // Through void (*)(), the generic function pointer type (see above).
    auto generic = reinterpret_cast<void (*)()>(&OnQuickExit);
    __cxa_at_quick_exit(reinterpret_cast<void (*)(void*)>(generic), &__dso_handle);
#else
    (void)&OnQuickExit;
#endif
  });
}

}  // namespace

ExitGuard::ExitGuard(format::TraceWriter* writer, std::string label) {
  Register();
  std::lock_guard lock(g_mu);
  g_active = {writer, nullptr, nullptr, std::move(label)};
}

ExitGuard::ExitGuard(const Replayer* replayer, const format::TraceReader* reader,
                     std::string label) {
  Register();
  std::lock_guard lock(g_mu);
  g_active = {nullptr, replayer, reader, std::move(label)};
}

ExitGuard::~ExitGuard() {
  std::lock_guard lock(g_mu);
  g_active = Active();
}

}  // namespace tape::engine
