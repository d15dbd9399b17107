#include "engine/src/hunt_summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "engine/internal/effect_text.h"
#include "engine/internal/hunt.h"
#include "engine/internal/signals.h"

namespace tape::engine {

namespace {

std::string Percent(double fraction) {
  char buf[32];
  double pct = 100 * fraction;
  if (pct == 0 || pct >= 1) {
    std::snprintf(buf, sizeof buf, "%.1f%%", pct);
  } else {
    std::snprintf(buf, sizeof buf, "%.2g%%", pct);
  }
  return buf;
}

// "26", "3.5", "0.42": runs per second with two significant digits or more,
// so that a short hunt of slow runs does not read "0 runs/s".
std::string RunsPerSecond(uint64_t runs, double seconds) {
  double rate = seconds > 0 ? double(runs) / seconds : 0.0;
  char buf[32];
  if (rate >= 10 || rate == 0) {
    std::snprintf(buf, sizeof buf, "%.0f", rate);
  } else if (rate >= 1) {
    std::snprintf(buf, sizeof buf, "%.1f", rate);
  } else {
    std::snprintf(buf, sizeof buf, "%.2g", rate);
  }
  return buf;
}

}  // namespace

std::vector<std::string> OutputTail(const std::string& output, bool cut, size_t max_lines) {
  std::vector<std::string> lines;
  std::string_view rest = output;
  while (!rest.empty() && rest.back() == '\n') rest.remove_suffix(1);
  while (!rest.empty() && lines.size() < max_lines) {
    size_t nl = rest.rfind('\n');
    std::string_view line = nl == std::string_view::npos ? rest : rest.substr(nl + 1);
    lines.push_back(EscapeText(line, false, false, 200));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(0, nl);
  }
  if (!rest.empty() || cut) lines.push_back("...");
  std::reverse(lines.begin(), lines.end());
  if (cut)
    lines.push_back(
        fmt::format("... (output after the first {} MiB not kept)", kMaxRunOutput >> 20));
  return lines;
}

std::string HuntProgressText(const HuntReport& r, uint64_t elapsed_ns) {
  return fmt::format("{} runs, {} failed, {} runs/s", r.runs, r.failures,
                     RunsPerSecond(r.runs, double(elapsed_ns) / 1e9));
}

int HuntExitCode(const HuntReport& report) {
  switch (report.status) {
    case HuntReport::Status::kFound:
      return 0;
    case HuntReport::Status::kNotFound:
      return 1;
    case HuntReport::Status::kInterrupted:
      return 128 + report.signal;
    case HuntReport::Status::kError:
      return 81;
  }
  return 81;
}

void WilsonInterval(uint64_t failures, uint64_t runs, double* low, double* high) {
  if (runs == 0) {
    *low = 0;
    *high = 1;
    return;
  }
  const double z = 1.959963984540054;  // the 97.5th percentile of the normal distribution
  double n = double(runs), p = double(failures) / n, z2 = z * z;
  double center = (p + z2 / (2 * n)) / (1 + z2 / n);
  double half = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
  // Exact at the ends (rounding would leave 1e-18 for none of n).
  *low = failures == 0 ? 0.0 : std::max(0.0, center - half);
  *high = failures == runs ? 1.0 : std::min(1.0, center + half);
}

std::vector<std::string> DescribeHunt(
    const HuntReport& r, const HuntOptions& o,
    const std::function<std::string(const std::string&)>& replay_command) {
  std::vector<std::string> lines;
  for (const HuntFailure& f : r.kept) {
    // The first line of the outcome (a script error's source line and caret
    // are in the output below).
    std::string outcome = f.outcome.substr(0, f.outcome.find('\n'));
    std::string line =
        fmt::format("run {} failed: the program {}", f.run, EscapeText(outcome, false));
    if (f.timed_out) line += fmt::format(" (it ran past --timeout {} s)", o.timeout_s);
    if (o.chaos) line += fmt::format(" (chaos seed {})", f.chaos_seed);
    lines.push_back(line);
    for (const std::string& out : OutputTail(f.output, f.output.size() >= kMaxRunOutput, 6)) {
      lines.push_back("    " + out);
    }
  }
  double seconds = double(r.elapsed_ns) / 1e9;
  char rate[96];
  std::snprintf(rate, sizeof rate, "%.2f s (%s runs/s, %u at a time", seconds,
                RunsPerSecond(r.runs, seconds).c_str(), r.jobs);
  double low, high;
  WilsonInterval(r.failures, r.runs, &low, &high);
  std::string line =
      fmt::format("{} {} in {}", r.runs, r.runs == 1 ? "run" : "runs", rate) +
      (r.stopped ? fmt::format("; {} more stopped unfinished)", r.stopped) : std::string(")")) +
      fmt::format(": {} failed", r.failures);
  if (r.runs > 0) {
    line += ", " + Percent(double(r.failures) / double(r.runs)) + " (95% interval " + Percent(low) +
            " to " + Percent(high) + ")";
  }
  lines.push_back(line);
  if (r.same_path) {
    lines.push_back(fmt::format("{} {} took a path already kept (not kept)", r.same_path,
                                r.same_path == 1 ? "more failure" : "more failures"));
  }
  if (r.timeouts) {
    lines.push_back(fmt::format("{} {} stopped after --timeout {} s", r.timeouts,
                                r.timeouts == 1 ? "run was" : "runs were", o.timeout_s));
  }
  if (r.status == HuntReport::Status::kInterrupted) {
    const char* name = SignalName(r.signal);
    lines.push_back(std::string("stopped by ") + (name[0] ? name : "a signal") +
                    ": the runs in progress were stopped and their traces deleted");
  } else if (r.status == HuntReport::Status::kNotFound) {
    lines.push_back("no run met --until " + EscapeText(o.until.text, false) + "; no trace kept");
  }
  for (const HuntFailure& f : r.kept) {
    lines.push_back("kept " + EscapeText(f.trace, false) +
                    "; replay it: " + EscapeText(replay_command(f.trace), false));
  }
  return lines;
}

}  // namespace tape::engine
