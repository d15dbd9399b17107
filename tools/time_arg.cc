#include "tools/time_arg.h"

#include <fmt/format.h>

#include <chrono>

namespace tape::cli {

namespace {

namespace chrono = std::chrono;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kDay = 86'400 * kSecond;

// The proleptic Gregorian date of day `days` since 1970-01-01.
chrono::year_month_day DateOf(int64_t days) {
  return chrono::year_month_day(chrono::sys_days(chrono::days(days)));
}

// A small cursor over the text being parsed.
struct Scanner {
  std::string_view s;
  size_t i = 0;
  bool done() const { return i == s.size(); }
  bool Peek(char c) const { return i < s.size() && s[i] == c; }
  bool Take(char c) {
    if (!Peek(c)) return false;
    ++i;
    return true;
  }
  bool Digit() const { return i < s.size() && s[i] >= '0' && s[i] <= '9'; }
  // Exactly `n` digits.
  bool Fixed(int n, int64_t* v) {
    *v = 0;
    for (int k = 0; k < n; ++k) {
      if (!Digit()) return false;
      *v = *v * 10 + (s[i++] - '0');
    }
    return true;
  }
  // A fraction after '.': up to 9 digits, as nanoseconds of a unit of 10^9 ns.
  bool Fraction(int64_t* ns) {
    *ns = 0;
    int digits = 0;
    while (Digit()) {
      if (++digits > 9) return false;
      *ns = *ns * 10 + (s[i++] - '0');
    }
    if (digits == 0) return false;
    for (int k = digits; k < 9; ++k) *ns *= 10;
    return true;
  }
};

// HH:MM[:SS[.fff]] -> ns since midnight.
bool ParseClock(Scanner* sc, int64_t* ns) {
  int64_t h, m, s = 0, frac = 0;
  size_t start = sc->i;
  if (!sc->Fixed(2, &h)) {
    sc->i = start;
    if (!sc->Fixed(1, &h)) return false;
  }
  if (!sc->Take(':') || !sc->Fixed(2, &m)) return false;
  if (sc->Take(':')) {
    if (!sc->Fixed(2, &s)) return false;
    if (sc->Take('.') && !sc->Fraction(&frac)) return false;
  }
  if (h > 23 || m > 59 || s > 60) return false;  // 60: a leap second
  *ns = ((h * 60 + m) * 60 + s) * kSecond + frac;
  return true;
}

// +90s, +1h30m, -250ms, +90 (seconds).
bool ParseOffset(std::string_view text, int64_t* ns) {
  Scanner sc{text};
  int64_t total = 0;
  bool any = false;
  while (!sc.done()) {
    int64_t whole = 0, frac = 0;
    bool digits = false;
    while (sc.Digit()) {
      if (whole > 1'000'000'000'000) return false;
      whole = whole * 10 + (text[sc.i++] - '0');
      digits = true;
    }
    if (sc.Take('.') && !sc.Fraction(&frac)) return false;
    if (!digits) return false;
    int64_t unit;
    std::string_view rest = text.substr(sc.i);
    if (rest.starts_with("ns")) {
      unit = 1, sc.i += 2;
    } else if (rest.starts_with("us")) {
      unit = 1000, sc.i += 2;
    } else if (rest.starts_with("ms")) {
      unit = 1000000, sc.i += 2;
    } else if (rest.starts_with("s")) {
      unit = kSecond, sc.i += 1;
    } else if (rest.starts_with("m")) {
      unit = 60 * kSecond, sc.i += 1;
    } else if (rest.starts_with("h")) {
      unit = 3600 * kSecond, sc.i += 1;
    } else if (rest.empty() && !any) {
      unit = kSecond;  // a bare number: seconds
    } else {
      return false;
    }
    // At most ~10^12 of any unit: far past any recording, far from overflow.
    __int128 v = __int128(whole) * unit + __int128(frac) * unit / kSecond;
    if (v + total > __int128(INT64_MAX) / 2) return false;
    total += int64_t(v);
    any = true;
  }
  *ns = total;
  return any;
}

}  // namespace

bool ParseTimeArg(std::string_view text, TimeArg* out, std::string* error) {
  *error =
      "not a time: expected ISO 8601 (2026-11-25T14:02:00Z; no zone means UTC), a time of "
      "day (14:02:30), an offset from the start of the recording (+90s, +1h30m) or back from "
      "its end (-5m)";
  out->text = std::string(text);
  if (text.empty()) return false;
  if (text[0] == '+' || text[0] == '-') {
    out->kind = text[0] == '+' ? TimeArg::Kind::kFromStart : TimeArg::Kind::kFromEnd;
    return ParseOffset(text.substr(1), &out->ns);
  }
  Scanner sc{text};
  int64_t y, mo, d;
  if (text.size() >= 10 && text[4] == '-') {
    if (!sc.Fixed(4, &y) || !sc.Take('-') || !sc.Fixed(2, &mo) || !sc.Take('-') ||
        !sc.Fixed(2, &d)) {
      return false;
    }
    chrono::year_month_day date{chrono::year(int(y)), chrono::month(unsigned(mo)),
                                chrono::day(unsigned(d))};
    if (!date.ok()) {
      *error = "not a date: " + std::string(text.substr(0, 10)) + " does not exist";
      return false;
    }
    int64_t clock = 0, zone = 0;
    if (sc.Take('T') || sc.Take('t') || sc.Take(' ')) {
      if (!ParseClock(&sc, &clock)) return false;
      if (sc.Take('Z') || sc.Take('z')) {
      } else if (sc.Peek('+') || sc.Peek('-')) {
        int64_t sign = sc.s[sc.i++] == '-' ? -1 : 1, zh, zm = 0;
        if (!sc.Fixed(2, &zh)) return false;
        if (sc.Take(':')) {
          if (!sc.Fixed(2, &zm)) return false;
        } else if (sc.Digit() && !sc.Fixed(2, &zm)) {
          return false;
        }
        if (zh > 23 || zm > 59) return false;
        zone = sign * (zh * 60 + zm) * 60 * kSecond;
      }
    }
    if (!sc.done()) return false;
    out->kind = TimeArg::Kind::kAbsolute;
    out->ns = chrono::sys_days(date).time_since_epoch().count() * kDay + clock - zone;
    return true;
  }
  int64_t clock;
  if (!ParseClock(&sc, &clock) || !sc.done()) return false;
  out->kind = TimeArg::Kind::kTimeOfDay;
  out->ns = clock;
  return true;
}

int64_t ResolveTime(const TimeArg& arg, int64_t start_ns, int64_t end_ns) {
  switch (arg.kind) {
    case TimeArg::Kind::kAbsolute:
      return arg.ns;
    case TimeArg::Kind::kFromStart:
      return start_ns + arg.ns;
    case TimeArg::Kind::kFromEnd:
      return end_ns - arg.ns;
    case TimeArg::Kind::kTimeOfDay: {
      // The occurrence within 12 hours of the start: 00:10 is the next day
      // for a recording that started at 23:50, 14:00 the same day for one
      // that started at 14:02.
      int64_t midnight = (start_ns >= 0 ? start_ns : start_ns - kDay + 1) / kDay * kDay;
      int64_t t = midnight + arg.ns;
      if (t < start_ns - kDay / 2) t += kDay;
      if (t >= start_ns + kDay / 2) t -= kDay;
      return t;
    }
  }
  return arg.ns;
}

namespace {

// The day of `unix_ns` (days since 1970-01-01, rounded down) and the
// nanoseconds since that day's midnight.
void Split(int64_t unix_ns, int64_t* days, int64_t* in_day) {
  *days = chrono::floor<chrono::days>(chrono::nanoseconds(unix_ns)).count();
  *in_day = unix_ns - *days * kDay;
}

}  // namespace

std::string FormatTimeOfDay(int64_t unix_ns) {
  int64_t days, t;
  Split(unix_ns, &days, &t);
  int64_t secs = t / kSecond;
  return fmt::format("{:02}:{:02}:{:02}.{:06}", secs / 3600, secs / 60 % 60, secs % 60,
                     t % kSecond / 1000);
}

std::string FormatInstant(int64_t unix_ns) {
  int64_t days, t;
  Split(unix_ns, &days, &t);
  chrono::year_month_day date = DateOf(days);
  return fmt::format("{:04}-{:02}-{:02} {} UTC", int(date.year()), unsigned(date.month()),
                     unsigned(date.day()), FormatTimeOfDay(unix_ns));
}

std::string FormatIso(int64_t unix_ns) {
  int64_t days, t;
  Split(unix_ns, &days, &t);
  chrono::year_month_day date = DateOf(days);
  int64_t secs = t / kSecond;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", int(date.year()),
                     unsigned(date.month()), unsigned(date.day()), secs / 3600, secs / 60 % 60,
                     secs % 60, t % kSecond);
}

std::string FormatDuration(uint64_t ns) {
  if (ns < 1000) return fmt::format("{} ns", ns);
  if (ns < 1000000) return fmt::format("{:.1f} us", double(ns) / 1e3);
  if (ns < uint64_t(kSecond)) return fmt::format("{:.2f} ms", double(ns) / 1e6);
  return fmt::format("{:.3f} s", double(ns) / 1e9);
}

}  // namespace tape::cli
