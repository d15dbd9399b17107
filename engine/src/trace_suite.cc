#include "engine/internal/trace_suite.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "engine/effects/proc_spawn.h"
#include "engine/internal/hunt.h"
#include "engine/internal/rerun_report.h"
#include "engine/internal/running_commands.h"
#include "engine/internal/signals.h"
#include "format/trace_reader.h"

namespace tape::engine {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// kInterrupted: its rerun was stopped by the signal that interrupted the
// suite; it was not checked.
enum class Verdict { kPassed, kFailed, kError, kUpdated, kInterrupted };

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kPassed: return "passed";
    case Verdict::kFailed: return "failed";
    case Verdict::kError: return "error";
    case Verdict::kUpdated: return "updated";
    case Verdict::kInterrupted: return "interrupted";
  }
  return "error";
}

// --- interruption ----------------------------------------------------------------

// The first signal that interrupted the suite (SIGINT, SIGTERM, SIGHUP, or
// SIGPIPE: its output is gone). The reruns run in process groups of their
// own, which the terminal's Ctrl-C does not reach: the handler stops them
// (SIGTERM; a second signal: SIGKILL) and the workers, whose reruns then
// end, remove their temporary files and start no more. A handler cannot be
// given a context, hence a global; one suite per process at a time.
volatile sig_atomic_t g_stop_signal = 0;

void OnStopSignal(int sig) {
  int saved = errno;
  if (g_stop_signal == 0) {
    g_stop_signal = sig;
    StopRunningCommands(SIGTERM);
  } else if (sig != SIGPIPE) {
    StopRunningCommands(SIGKILL);
  }
  errno = saved;
}

// OnStopSignal for the suite's lifetime. A signal inherited as ignored
// (nohup, `trap '' INT`) stays ignored.
class StopSignals {
 public:
  StopSignals() {
    g_stop_signal = 0;
    for (size_t i = 0; i < kCount; ++i) {
      installed_[i] = sigaction(kSignals[i], nullptr, &old_[i]) == 0 &&
                      old_[i].sa_handler != SIG_IGN;
      if (!installed_[i]) continue;
      struct sigaction sa;
      std::memset(&sa, 0, sizeof sa);
      sa.sa_handler = OnStopSignal;
      sa.sa_flags = SA_RESTART;
      sigemptyset(&sa.sa_mask);
      sigaction(kSignals[i], &sa, nullptr);
    }
  }
  ~StopSignals() {
    for (size_t i = 0; i < kCount; ++i) {
      if (installed_[i]) sigaction(kSignals[i], &old_[i], nullptr);
    }
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  static constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
  static constexpr size_t kCount = sizeof kSignals / sizeof kSignals[0];
  struct sigaction old_[kCount];
  bool installed_[kCount];
};

// What became of one trace.
struct Case {
  std::string trace;
  Verdict verdict = Verdict::kError;
  std::string program;               // "script program 'flaky.tape'", when known
  double seconds = 0;
  Json rerun;                        // the rerun's report (specs/rerun.md §5), or null
  std::string error;                 // kError: why the trace could not be tested
  std::vector<std::string> details;  // kFailed, kUpdated: what changed, line by line
};

// Text that came from a file or a trace, with control bytes shown as \xNN so
// that it cannot move the cursor of the terminal it is printed on.
std::string Printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out.push_back(char(c));
    }
  }
  return out;
}

std::string Text(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The lines that say how a failed rerun differs from the recording.
std::vector<std::string> Details(const Json& r) {
  std::vector<std::string> lines;
  const Json& c = r.contains("first_change") ? r["first_change"] : Json();
  if (c.is_object()) {
    std::string what = Text(c, "what");
    std::string seq = c.contains("seq") ? c["seq"].dump() : "";
    std::string call = c.contains("call") ? c["call"].dump() : "";
    if (what == "changed") {
      lines.push_back("output changed at seq " + seq + ":");
      lines.push_back("  recorded " + Text(c, "recorded") + " at " + Text(c, "recorded_at"));
      lines.push_back("  now      " + Text(c, "now") + " at " + Text(c, "now_at") + " (call " +
                      call + ")");
      if (!Text(c, "difference").empty()) lines.push_back("  " + Text(c, "difference"));
    } else if (what == "added") {
      lines.push_back("output added: " + Text(c, "now") + " at " + Text(c, "now_at") + " (call " +
                      call + ") was not made when recorded");
    } else if (what == "removed") {
      lines.push_back("output removed: " + Text(c, "recorded") + " at " +
                      Text(c, "recorded_at") + " (seq " + seq + ") is not made any more");
    }
  }
  if (r.contains("stopped") && r["stopped"].is_object()) {
    // A drift's message spans lines (recorded, now, recent events): each
    // its own detail line.
    std::string message = Text(r["stopped"], "message");
    std::string prefix = "stopped: ";
    for (size_t at = 0; at <= message.size();) {
      size_t end = std::min(message.find('\n', at), message.size());
      lines.push_back(prefix + message.substr(at, end - at));
      prefix = "";
      at = end + 1;
    }
  }
  if (r.contains("outcome_same") && !r.value("outcome_same", true) && !r.contains("stopped")) {
    lines.push_back("ending: recorded " + Text(r["recorded"], "outcome") + ", now " +
                    Text(r["now"], "outcome"));
  }
  if (r.contains("outputs") && r["outputs"].is_object()) {
    const Json& o = r["outputs"];
    lines.push_back(fmt::format("outputs: {} same, {} changed, {} added, {} removed",
                                o.value("same", 0), o.value("changed", 0), o.value("added", 0),
                                o.value("removed", 0)));
  }
  return lines;
}

std::string ProgramOf(const format::TraceHeader& h) {
  return std::string(format::ProgramKindName(h.program_kind)) + " program '" + h.program_name +
         "'";
}

// A temporary file beside `trace` for its rerun to write, with the trace's
// permissions; "" with `error` set when it cannot be made.
std::string TemporaryBeside(const std::string& trace, std::string* error) {
  fs::path p(trace);
  std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  std::string tmpl = dir + "/." + p.filename().string() + ".tape-test-XXXXXX";
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) {
    *error = "cannot make a temporary file in " + dir + " for --update: " + std::strerror(errno);
    return {};
  }
  struct stat st;
  if (::stat(trace.c_str(), &st) == 0) ::fchmod(fd, st.st_mode & 07777);
  ::close(fd);
  return tmpl;
}

// The last line of `text` that is not empty.
std::string LastLine(const std::string& text) {
  size_t end = text.find_last_not_of("\n ");
  if (end == std::string::npos) return {};
  size_t start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1,
                     end + 1 - (start == std::string::npos ? 0 : start + 1));
}

// The rerun's JSON report: the last line of its stdout that parses as an
// object (a C++ program may have written to stdout itself).
Json ReportOf(const std::string& out) {
  size_t end = out.size();
  while (end > 0) {
    size_t start = out.rfind('\n', end - 1);
    start = start == std::string::npos ? 0 : start + 1;
    std::string_view line(out.data() + start, end - start);
    if (line.starts_with("{")) {
      Json j = Json::parse(line, nullptr, false);
      if (j.is_object()) return j;
    }
    if (start == 0) break;
    end = start - 1;
  }
  return Json();
}

Case RunOne(const std::string& trace, const SuiteOptions& o) {
  Case c;
  c.trace = trace;
  auto started = std::chrono::steady_clock::now();
  auto done = [&c, started]() {
    c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return std::move(c);
  };
  auto fail = [&c, &done](std::string why) {
    c.verdict = Verdict::kError;
    c.error = std::move(why);
    return done();
  };
  std::vector<std::string> argv;
  {
    auto reader = format::TraceReader::Open(trace);
    if (!reader.has_value()) return fail(reader.error().message());
    const format::TraceHeader& h = (*reader)->header();
    c.program = ProgramOf(h);
    Result<std::vector<std::string>> command = o.command(trace, h);
    if (!command.has_value()) return fail(command.error().message());
    argv = std::move(command).value();
  }
  argv.insert(argv.end(), {"--trace", trace, "--json", "--quiet", "--exit-code"});
  std::string temporary;
  if (o.update) {
    std::string why;
    temporary = TemporaryBeside(trace, &why);
    if (temporary.empty()) return fail(why);
    argv.insert(argv.end(), {"--out", temporary, "--force"});
  }
  ProcRequest request;
  request.argv = std::move(argv);
  request.argv[0] = o.executable;
  request.timeout_ms = o.timeout_s * 1000;
  ProcResult r = RunCommand(request);
  c.rerun = ReportOf(r.stdout_data);
  bool complete = false;  // the rerun ran to the program's end
  if (r.start_error != 0) {
    c.verdict = Verdict::kError;
    c.error = "cannot start the rerun (" + o.executable + "): " + std::strerror(r.start_error);
  } else if (r.timed_out) {
    c.verdict = Verdict::kError;
    c.error = fmt::format("the rerun did not end within {} s (--timeout) and was killed",
                          o.timeout_s);
  } else if (r.signal != 0) {
    c.verdict = Verdict::kError;
    c.error = fmt::format("the rerun was killed by signal {} ({})", r.signal,
                          ::strsignal(r.signal));
  } else if (!c.rerun.is_object() || (r.exit_code <= kRerunChanged && !c.rerun.contains("inputs"))) {
    c.verdict = Verdict::kError;
    std::string said = LastLine(r.stderr_data);
    c.error = fmt::format("the rerun exited with code {} without a report{}", r.exit_code,
                          said.empty() ? "" : ": " + said);
  } else if (r.exit_code == kRerunSame) {
    c.verdict = Verdict::kPassed;
  } else if (r.exit_code == kRerunChanged || r.exit_code == kRerunStopped) {
    c.verdict = Verdict::kFailed;
    c.details = Details(c.rerun);
    complete = r.exit_code == kRerunChanged;
  } else {
    c.verdict = Verdict::kError;
    c.error = Text(c.rerun, "error");
    if (c.error.empty()) c.error = LastLine(r.stderr_data);
    if (c.error.empty()) c.error = fmt::format("the rerun exited with code {}", r.exit_code);
  }
  // A rerun the interruption stopped did not end by itself: it says
  // nothing of the trace.
  if (g_stop_signal != 0 && c.verdict == Verdict::kError) {
    c.verdict = Verdict::kInterrupted;
    c.error = "not checked: the rerun was stopped";
  }
  if (!temporary.empty()) {
    if (c.verdict == Verdict::kFailed && complete) {
      if (::rename(temporary.c_str(), trace.c_str()) == 0) {
        c.verdict = Verdict::kUpdated;
        temporary.clear();
      } else {
        c.verdict = Verdict::kError;
        c.error = "cannot replace the trace by its rerun: " + std::string(std::strerror(errno));
      }
    } else if (c.verdict == Verdict::kFailed) {
      c.details.push_back("not updated: the rerun stopped before the program's end");
    }
    if (!temporary.empty()) ::unlink(temporary.c_str());
  }
  return done();
}

void PrintText(const Case& c) {
  static const char* const kTags[] = {"PASS  ", "FAIL  ", "ERROR ", "UPDATE", "STOP  "};
  std::string line = std::string(kTags[int(c.verdict)]) + " " + Printable(c.trace);
  if (c.verdict == Verdict::kError || c.verdict == Verdict::kInterrupted) {
    line += ": " + Printable(c.error);
  } else {
    line += fmt::format("  ({}, {:.2f} s)", Printable(c.program), c.seconds);
  }
  std::fprintf(stdout, "%s\n", line.c_str());
  for (const std::string& d : c.details) std::fprintf(stdout, "       %s\n", Printable(d).c_str());
  std::fflush(stdout);
}

Json CaseJson(const Case& c) {
  Json j = {{"trace", c.trace}, {"result", VerdictName(c.verdict)}};
  if (!c.program.empty()) j["program"] = c.program;
  j["seconds"] = std::round(c.seconds * 1000) / 1000;
  if (!c.rerun.is_null()) j["rerun"] = c.rerun;
  if (!c.error.empty()) j["error"] = c.error;
  return j;
}

std::string Dump(const Json& j) { return j.dump(-1, ' ', true, Json::error_handler_t::replace); }

// XML 1.0 text: markup characters as entities, control bytes (which XML
// cannot hold at all) as '?'.
std::string Xml(std::string_view text) {
  std::string out;
  for (char ch : text) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\t':
      case '\n': out.push_back(ch); break;
      default: out.push_back((unsigned char)ch < 0x20 || ch == 0x7f ? '?' : ch);
    }
  }
  return out;
}

Status WriteJunit(const std::string& path, const std::vector<Case>& cases, double seconds) {
  size_t tests = 0, failures = 0, errors = 0;
  for (const Case& c : cases) {
    tests += c.verdict != Verdict::kInterrupted;
    failures += c.verdict == Verdict::kFailed;
    errors += c.verdict == Verdict::kError;
  }
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  std::string counts = fmt::format("tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3f}\"",
                                   tests, failures, errors, seconds);
  xml += "<testsuites " + counts + ">\n";
  xml += "  <testsuite name=\"tape test\" " + counts + ">\n";
  for (const Case& c : cases) {
    if (c.verdict == Verdict::kInterrupted) continue;
    xml += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\"",
                       Xml(c.program.empty() ? "tape test" : c.program), Xml(c.trace), c.seconds);
    std::string body;
    for (const std::string& d : c.details) body += d + "\n";
    if (c.verdict == Verdict::kFailed) {
      std::string first = c.details.empty() ? "the rerun changed" : c.details.front();
      xml += ">\n      <failure message=\"" + Xml(first) + "\">" + Xml(body) +
             "</failure>\n    </testcase>\n";
    } else if (c.verdict == Verdict::kError) {
      xml += ">\n      <error message=\"" + Xml(c.error) + "\"/>\n    </testcase>\n";
    } else if (c.verdict == Verdict::kUpdated) {
      xml += ">\n      <system-out>updated: " + Xml(body) + "</system-out>\n    </testcase>\n";
    } else {
      xml += "/>\n";
    }
  }
  xml += "  </testsuite>\n</testsuites>\n";
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return Status::FromErrno("cannot write the JUnit report " + path, errno);
  bool ok = std::fwrite(xml.data(), 1, xml.size(), f) == xml.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok) return Status::FromErrno("cannot write the JUnit report " + path, errno);
  return Status::Ok();
}

}  // namespace

std::vector<std::string> CollectTraces(const std::vector<std::string>& paths) {
  std::vector<std::string> traces;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) {
      traces.push_back(path);  // a file, or an error of its own
      continue;
    }
    std::vector<std::string> found;
    auto options = fs::directory_options::skip_permission_denied;
    for (auto it = fs::recursive_directory_iterator(path, options, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->path().filename().string().starts_with(".")) {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (!it->is_directory(ec)) found.push_back(it->path().string());
    }
    if (ec) found.push_back(path);  // unreadable: its error is reported as a trace's
    std::sort(found.begin(), found.end());
    traces.insert(traces.end(), found.begin(), found.end());
  }
  return traces;
}

int RunSuite(const std::vector<std::string>& traces, const SuiteOptions& options) {
  if (traces.empty()) {
    std::fprintf(stderr, "%s: no traces to test (name trace files or directories that hold them)\n",
                 options.label.c_str());
    return kRerunUsage;
  }
  auto started = std::chrono::steady_clock::now();
  std::vector<std::optional<Case>> cases(traces.size());
  std::mutex mu;  // cases and printed
  size_t printed = 0;
  auto print = [&options](const Case& c) {
    if (options.json) {
      std::fprintf(stdout, "%s\n", Dump(CaseJson(c)).c_str());
      std::fflush(stdout);
    } else {
      PrintText(c);
    }
  };
  std::atomic<size_t> next{0};
  auto work = [&]() {
    for (size_t i; g_stop_signal == 0 && (i = next.fetch_add(1)) < traces.size();) {
      Case c = RunOne(traces[i], options);
      std::lock_guard lock(mu);
      cases[i] = std::move(c);
      // Printed in the order given, each as soon as those before it are.
      for (; printed < cases.size() && cases[printed]; ++printed) print(*cases[printed]);
    }
  };
  uint32_t jobs = options.jobs ? options.jobs : UsableCpus();
  jobs = uint32_t(std::min<size_t>(jobs, traces.size()));
  {
    StopSignals stop_signals;
    std::vector<std::thread> workers;
    for (uint32_t j = 1; j < jobs; ++j) workers.emplace_back(work);
    work();
    for (std::thread& t : workers) t.join();
  }
  int stopped_by = g_stop_signal;
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  std::vector<Case> all;
  size_t counts[5] = {0, 0, 0, 0, 0};
  for (size_t i = 0; i < cases.size(); ++i) {
    if (!cases[i]) continue;  // not started: the suite was interrupted
    // Interrupted, the results held back behind a trace that was not run.
    if (i >= printed) print(*cases[i]);
    ++counts[int(cases[i]->verdict)];
    all.push_back(std::move(*cases[i]));
  }
  size_t passed = counts[int(Verdict::kPassed)], failed = counts[int(Verdict::kFailed)],
         errors = counts[int(Verdict::kError)], updated = counts[int(Verdict::kUpdated)];
  size_t checked = passed + failed + errors + updated;
  if (options.json) {
    Json summary = {{"passed", passed}, {"failed", failed}, {"errors", errors},
                    {"updated", updated}, {"seconds", std::round(seconds * 1000) / 1000}};
    if (stopped_by != 0) {
      summary["interrupted"] = SignalName(stopped_by);
      summary["not_checked"] = traces.size() - checked;
    }
    std::fprintf(stdout, "%s\n", Dump(Json{{"summary", summary}}).c_str());
  } else {
    std::string line = fmt::format("{} passed, {} failed", passed, failed);
    if (errors) line += fmt::format(", {} {}", errors, errors == 1 ? "error" : "errors");
    if (options.update) line += fmt::format(", {} updated", updated);
    if (stopped_by != 0) line += fmt::format(", {} not checked", traces.size() - checked);
    std::fprintf(stdout, "%s (%.2f s)\n", line.c_str(), seconds);
  }
  std::fflush(stdout);
  if (stopped_by != 0 && stopped_by != SIGPIPE) {
    std::fprintf(stderr,
                 "%s: interrupted by %s after checking %zu of %zu traces; the reruns under way "
                 "were stopped%s\n",
                 options.label.c_str(), SignalName(stopped_by), checked, traces.size(),
                 options.update ? " and their new traces removed" : "");
  }
  if (!options.junit.empty()) {
    if (Status s = WriteJunit(options.junit, all, seconds); !s.ok()) {
      std::fprintf(stderr, "%s: %s\n", options.label.c_str(), s.message().c_str());
      return kRerunUsage;
    }
  }
  if (stopped_by != 0) return 128 + stopped_by;
  return failed + errors == 0 ? 0 : 1;
}

}  // namespace tape::engine
