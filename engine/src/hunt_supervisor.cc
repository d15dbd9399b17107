// Hunt(): the runs in flight, started, watched, stopped and judged
// (engine/internal/hunt.h).

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include <fmt/core.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "engine/internal/hunt.h"
#include "engine/src/hunt_files.h"
#include "engine/src/hunt_process.h"
#include "engine/src/hunt_summary.h"
#include "format/bytes.h"
#include "format/clock.h"
#include "format/output_file.h"
#include "format/trace_reader.h"

namespace tape::engine {

namespace {

// The exit code of a recording whose trace could not be written (a full
// disk): tape's, and tape::Main's, for any trace error.
constexpr int kTraceErrorExit = 81;

// The write end of the self-pipe that wakes the hunt's poll(), and the first
// stop signal received. A handler cannot be given a context, hence globals;
// one hunt per process at a time.
int g_wake_fd = -1;
volatile sig_atomic_t g_stop_signal = 0;
volatile sig_atomic_t g_stop_count = 0;  // a second stop signal kills the runs at once

void OnSignal(int sig) {
  int saved = errno;
  if (sig != SIGCHLD) {
    if (g_stop_signal == 0) g_stop_signal = sig;
    g_stop_count = g_stop_count + 1;
  }
  char byte = 0;
  ssize_t ignored = ::write(g_wake_fd, &byte, 1);
  (void)ignored;
  errno = saved;
}

class SignalScope {
 public:
  explicit SignalScope(int wake_fd) {
    g_wake_fd = wake_fd;
    g_stop_signal = 0;
    g_stop_count = 0;
    for (size_t i = 0; i < kCount; ++i) {
      sigaction(kSignals[i], nullptr, &old_[i]);
      // A stop signal inherited as ignored (nohup, `trap '' INT`) stays so.
      if (kSignals[i] != SIGCHLD && old_[i].sa_handler == SIG_IGN) continue;
      struct sigaction sa;
      std::memset(&sa, 0, sizeof sa);
      sa.sa_handler = OnSignal;
      sa.sa_flags = kSignals[i] == SIGCHLD ? SA_NOCLDSTOP | SA_RESTART : SA_RESTART;
      sigemptyset(&sa.sa_mask);
      sigaction(kSignals[i], &sa, nullptr);
    }
  }
  ~SignalScope() {
    for (size_t i = 0; i < kCount; ++i) sigaction(kSignals[i], &old_[i], nullptr);
    g_wake_fd = -1;
  }

 private:
  static constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGCHLD};
  static constexpr size_t kCount = sizeof kSignals / sizeof kSignals[0];
  struct sigaction old_[kCount];
};

// XXH3 of the trace's site ids in seq order: the run's path.
Result<uint64_t> PathOf(const format::TraceReader& reader) {
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(),
                                                                 XXH3_freeState);
  XXH3_64bits_reset(state.get());
  format::ChunkDecoder decoder;
  format::DecodedChunk chunk;
  for (size_t c = 0; c < reader.chunks().size(); ++c) {
    Status s = reader.ReadChunk(c, format::kDecodeSites, &decoder, &chunk);
    if (!s.ok()) return s;
    for (uint32_t i = 0; i < chunk.size(); ++i) {
      uint8_t id[8];
      format::StoreU64(id, chunk.site(i));
      XXH3_64bits_update(state.get(), id, 8);
    }
  }
  return uint64_t(XXH3_64bits_digest(state.get()));
}

// One hunt: the runs in flight and what they found.
class Hunter {
 public:
  explicit Hunter(const HuntOptions& o) : o_(o), name_(SafeName(o.name)), until_(o.until) {}

  HuntReport Go() {
    uint64_t start = MonotonicNs();
    report_.jobs = o_.jobs ? o_.jobs : UsableCpus();
    if (!Prepare()) return Finish(start);
    int wake[2];
    if (::pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
      Error(Status::FromErrno("cannot start the hunt: pipe", errno).message());
      return Finish(start);
    }
    devnull_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    {
      SignalScope signals(wake[1]);
      Loop(wake[0], start);
    }
    ::close(wake[0]);
    ::close(wake[1]);
    CloseFd(&devnull_);
    return Finish(start);
  }

 private:
  bool Prepare() {
    if (until_.kind == HuntCondition::Kind::kOutputMatches && until_.regex == nullptr) {
      Result<HuntCondition> compiled = ParseHuntCondition("output~" + until_.pattern);
      if (!compiled.has_value()) return Error("--until " + compiled.error().message());
      until_ = *compiled;
    }
    Status s = files_.Open(o_.keep_dir);
    if (!s.ok()) return Error(s.message());
    return true;
  }

  bool Error(const std::string& message) {
    if (report_.error.empty()) report_.error = message;
    stopping_ = true;
    return false;
  }

  HuntReport Finish(uint64_t start) {
    report_.elapsed_ns = MonotonicNs() - start;
    files_.Close(!report_.kept.empty());
    if (!report_.error.empty()) {
      report_.status = HuntReport::Status::kError;
    } else if (report_.signal != 0) {
      report_.status = HuntReport::Status::kInterrupted;
    } else {
      report_.status =
          report_.kept.empty() ? HuntReport::Status::kNotFound : HuntReport::Status::kFound;
    }
    return std::move(report_);
  }

  void StopAll(uint64_t now) {
    stopping_ = true;
    for (Run& r : running_) {
      r.discard = true;
      Stop(&r, now);
    }
  }

  void Loop(int wake_fd, uint64_t start) {
    uint64_t next = 1;
    std::vector<pollfd> fds;
    while (true) {
      while (!stopping_ && running_.size() < report_.jobs && next <= o_.runs) {
        Run run;
        run.number = next++;
        run.seed = o_.chaos ? RunSeed(o_.seed, run.number) : 0;
        if (o_.timeout_s) run.deadline_ns = MonotonicNs() + uint64_t(o_.timeout_s) * 1000 * kMsNs;
        Result<std::string> trace = files_.CreateRunFile(run.number);
        Status s = trace.has_value() ? Status::Ok() : trace.error();
        if (s.ok()) {
          run.trace = std::move(*trace);
          s = Launch(o_, devnull_, &run);
        }
        if (!s.ok()) {
          Error(s.message());
          StopAll(MonotonicNs());
          break;
        }
        running_.push_back(std::move(run));
      }
      if (running_.empty()) break;

      fds.clear();
      fds.push_back({wake_fd, POLLIN, 0});
      for (const Run& r : running_) {
        if (r.out_fd >= 0) fds.push_back({r.out_fd, POLLIN, 0});
      }
      ::poll(fds.data(), nfds_t(fds.size()), WaitMs());
      char drain[64];
      while (::read(wake_fd, drain, sizeof drain) > 0) {
      }
      uint64_t now = MonotonicNs();
      if (g_stop_signal != 0 && report_.signal == 0) {
        report_.signal = g_stop_signal;
        StopAll(now);
      }
      if (g_stop_count >= 2) {
        for (Run& r : running_) ::kill(-r.pid, SIGKILL);  // no more waiting
      }
      for (size_t i = 0; i < running_.size();) {
        Run& r = running_[i];
        ReadOutput(&r);
        int status = 0;
        pid_t done = ::waitpid(r.pid, &status, WNOHANG);
        if (done < 0 && errno == ECHILD) {
          // Reaped by someone else: its exit status is lost (counts as 255).
          done = r.pid;
          status = 255 << 8;
        }
        if (done == r.pid) {
          ReadOutput(&r);      // what it wrote before it ended
          CloseFd(&r.out_fd);  // its own children may hold the pipe open
          Finished(&r, status, now);
          running_.erase(running_.begin() + ptrdiff_t(i));
          continue;
        }
        if (r.term_ns != 0) {
          Stop(&r, now);  // escalates to SIGKILL after the grace time
        } else if (r.deadline_ns != 0 && now >= r.deadline_ns) {
          r.timed_out = true;
          Stop(&r, now);
        }
        ++i;
      }
      if (o_.on_progress) o_.on_progress(report_, now - start);
    }
  }

  // How long poll() may sleep: until the next deadline, at most 250 ms (a
  // safety net; SIGCHLD and output wake it sooner).
  int WaitMs() const {
    uint64_t now = MonotonicNs(), until = now + 250 * kMsNs;
    for (const Run& r : running_) {
      if (r.term_ns != 0) {
        until = std::min(until, r.term_ns + kStopGraceMs * kMsNs);
      } else if (r.deadline_ns != 0) {
        until = std::min(until, r.deadline_ns);
      }
    }
    return until <= now ? 0 : int((until - now + kMsNs - 1) / kMsNs);
  }

  // A run ended: count it, and keep or delete its trace.
  void Finished(Run* r, int status, uint64_t now) {
    if (r->discard) {
      format::RemoveRegularFile(r->trace);
      ++report_.stopped;
      return;
    }
    int code = WIFEXITED(status)     ? WEXITSTATUS(status)
               : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                     : 255;
    struct stat st;
    if (::stat(r->trace.c_str(), &st) != 0 || st.st_size == 0) {
      NotRecorded(*r, r->output,
                  fmt::format("run {} left no trace (it exited with code {})", r->number, code),
                  now);
      return;
    }
    if (code == kTraceErrorExit && !r->timed_out) {
      // tape's exit code for a trace it could not write, unless the trace
      // is whole and says the program itself exited with it.
      auto reader = format::TraceReader::Open(r->trace);
      if (!reader.has_value() || !(*reader)->finalized() ||
          !((*reader)->outcome() == format::Outcome::Exited(kTraceErrorExit))) {
        NotRecorded(*r, r->output,
                    fmt::format("tape could not record run {} (it exited with code {}, tape's "
                                "code for a trace it cannot write)",
                                r->number, code),
                    now);
        return;
      }
    }
    if (!until_.Met(code, r->output)) {
      ++report_.runs;
      if (r->timed_out) ++report_.timeouts;
      format::RemoveRegularFile(r->trace);
      return;
    }
    HuntFailure f;
    f.run = r->number;
    f.exit_code = code;
    f.timed_out = r->timed_out;
    f.chaos_seed = r->seed;
    f.output = std::move(r->output);
    {
      auto reader = format::TraceReader::Open(r->trace);
      Result<uint64_t> path = reader.has_value() ? PathOf(**reader) : reader.error();
      if (!path.has_value()) {
        NotRecorded(*r, f.output,
                    fmt::format("the trace of run {} cannot be read: {}", r->number,
                                path.error().message()),
                    now);
        return;
      }
      f.path = *path;
      f.outcome = (*reader)->outcome().Describe();
      if ((*reader)->outcome().kind == format::OutcomeKind::kInterrupted && !r->timed_out) {
        // Its recording stopped short (a trace write error, a signal from
        // outside): the hunt cannot tell whether the program failed.
        NotRecorded(*r, f.output,
                    fmt::format("the recording of run {} {}", r->number, f.outcome), now);
        return;
      }
    }
    // Counted only now: a run tape could not record is not a run of the
    // program, and the failure rate must not count it.
    ++report_.runs;
    if (r->timed_out) ++report_.timeouts;
    ++report_.failures;
    for (const HuntFailure& k : report_.kept) {
      if (k.path == f.path) {
        ++report_.same_path;
        format::RemoveRegularFile(r->trace);
        return;
      }
    }
    Result<std::string> kept = KeepAs(r->trace, o_.keep_dir, name_, r->number);
    if (!kept.has_value()) {
      format::RemoveRegularFile(r->trace);
      Error(kept.error().message());
      StopAll(now);
      return;
    }
    f.trace = *kept;
    report_.kept.push_back(std::move(f));
    if (report_.kept.size() >= o_.keep_failures) StopAll(now);
  }

  // Run `r` cannot tell whether the program failed (`what`: why): an error
  // of the hunt, which stops, showing the end of the run's `output` (where
  // tape said what went wrong: a full disk, ...). The run is not counted.
  void NotRecorded(const Run& r, const std::string& output, const std::string& what, uint64_t now) {
    format::RemoveRegularFile(r.trace);
    std::string tail;
    for (const std::string& line : OutputTail(output, false, 6)) tail += "\n  " + line;
    Error(what + "; its output:" + (tail.empty() ? " (none)" : tail));
    StopAll(now);
  }

  const HuntOptions& o_;
  const std::string name_;
  HuntCondition until_;  // o_.until, compiled
  HuntFiles files_;
  HuntReport report_;
  std::vector<Run> running_;
  bool stopping_ = false;
  int devnull_ = -1;
};

}  // namespace

uint32_t UsableCpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) {
    return uint32_t(CPU_COUNT(&set));
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? uint32_t(n) : 1;
}

HuntCommand RecordingCommand(std::vector<std::string> recorder, std::string chaos,
                             std::vector<std::string> args) {
  return [recorder = std::move(recorder), chaos = std::move(chaos), args = std::move(args)](
             uint64_t, const std::string& trace, uint64_t seed) {
    std::vector<std::string> argv = recorder;
    argv.insert(argv.end(), {"--out", trace});
    if (!chaos.empty()) argv.insert(argv.end(), {"--chaos", chaos, "--seed", std::to_string(seed)});
    if (!args.empty()) {
      argv.push_back("--");
      argv.insert(argv.end(), args.begin(), args.end());
    }
    return argv;
  };
}

HuntReport Hunt(const HuntOptions& options) { return Hunter(options).Go(); }

uint64_t RunSeed(uint64_t seed, uint64_t run) {
  uint64_t z = seed + run * 0x9e3779b97f4a7c15ull;  // SplitMix64's finalizer
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace tape::engine
