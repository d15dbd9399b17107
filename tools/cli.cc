#include "tools/cli.h"

#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>

#include "format/clock.h"
#include "format/layout.h"
#include "format/trace_mappings.h"

namespace tape::cli {

void Error(const std::string& verb, const std::string& message) {
  std::cerr << "tape " << verb << ": " << ShownLines(message) << "\n";
}

int Fail(const std::string& verb, int code, const std::string& message) {
  Error(verb, message);
  return code;
}

void PrintProgramError(const std::string& verb, const std::string& error) {
  if (error.empty()) return;
  if (error.find('\n') != std::string::npos) {
    std::cerr << ShownLines(error) << (error.ends_with("\n") ? "" : "\n");
  } else {
    Error(verb, "the program stopped: " + error);
  }
}

namespace {

char g_guarded_verb[32];

void OnSigbus(int sig, siginfo_t* info, void*) {
  format::MappedTrace m;
  // si_code > 0: raised by the kernel for a memory access, not sent by kill.
  if (info->si_code > 0 && format::TraceMappingAt(info->si_addr, &m)) {
    char buf[1600];
    size_t n = format::FormatTraceChanged(g_guarded_verb, m, buf, sizeof buf);
    ssize_t ignored = ::write(2, buf, n);
    (void)ignored;
    ::_exit(kExitTrace);
  }
  // Not a trace: the default action, as if no handler were installed.
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigaction(sig, &dfl, nullptr);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  raise(sig);
}

}  // namespace

void GuardTraceReads(const std::string& verb) {
  std::snprintf(g_guarded_verb, sizeof g_guarded_verb, "%s", verb.c_str());
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = OnSigbus;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGBUS, &sa, nullptr);
}

std::unique_ptr<format::TraceReader> OpenTrace(const std::string& verb, const std::string& path) {
  GuardTraceReads(verb);
  auto reader = format::TraceReader::Open(path);
  if (!reader.has_value()) {
    Error(verb, reader.error().message());
    return nullptr;
  }
  return std::move(reader).value();
}

bool LooksLikeTrace(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[8];
  return in.read(magic, 8) && std::memcmp(magic, format::kFileMagic, 8) == 0;
}

Status CheckOutputPath(const std::string& path, bool force) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Status::Ok();  // a new file
  if (S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument(path + " is a directory; name a file to write the trace to");
  }
  if (!force && st.st_size > 0 && !LooksLikeTrace(path)) {
    return Status::InvalidArgument("refusing to overwrite " + path +
                                   ": it exists and is not a tape trace (use --force to replace it)");
  }
  return Status::Ok();
}

bool StderrIsTerminal() { return ::isatty(2) == 1; }

Progress::Progress(std::string label, uint64_t total)
    : label_(std::move(label)), total_(total), enabled_(StderrIsTerminal()) {}

Progress::~Progress() { Finish(); }

void Progress::Update(uint64_t done) {
  if (!enabled_) return;
  uint64_t now = MonotonicNs();
  if (now - last_ns_ < 100000000) return;
  last_ns_ = now;
  double pct = total_ ? 100.0 * double(done) / double(total_) : 0;
  std::fprintf(stderr, "\r%s: %llu / %llu (%.0f%%)", label_.c_str(), (unsigned long long)done,
               (unsigned long long)total_, pct);
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::Finish() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

std::string FormatTime(uint64_t unix_ns) {
  time_t secs = time_t(unix_ns / 1000000000u);
  tm t;
  gmtime_r(&secs, &t);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &t);
  return buf;
}

std::string Count(uint64_t n, const char* singular, const char* plural) {
  return std::to_string(n) + " " + (n == 1 ? singular : plural);
}

std::string Duration(uint64_t ns) {
  char buf[32];
  if (ns < 1000000000) {
    std::snprintf(buf, sizeof buf, "%.2f ms", double(ns) / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.3f s", double(ns) / 1e9);
  }
  return buf;
}

namespace {

// Appends `text` with the escapes described in cli.h.
std::string Escape(std::string_view text, bool keep_lines) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  auto byte = [&](unsigned char c) {
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 15];
  };
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c >= 0x20 && c != 0x7f) {
        out += char(c);
      } else if ((c == '\n' || c == '\t') && keep_lines) {
        out += char(c);
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c == '\r') {
        out += "\\r";
      } else {
        byte(c);
      }
      ++i;
      continue;
    }
    // A UTF-8 sequence: lead byte, continuation bytes, and the ranges that
    // exclude overlong forms, surrogates and code points past U+10FFFF.
    size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    uint32_t cp = n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
    bool valid = n != 0 && i + n <= text.size();
    for (size_t k = 1; valid && k < n; ++k) {
      unsigned char d = static_cast<unsigned char>(text[i + k]);
      valid = (d & 0xc0) == 0x80;
      cp = cp << 6 | (d & 0x3f);
    }
    if (valid) {
      valid = (n == 3 && cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff)) ||
              (n == 4 && cp >= 0x10000 && cp <= 0x10ffff) || n == 2;
    }
    if (!valid) {
      byte(c);
      ++i;
      continue;
    }
    bool control = (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
                   (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
    if (control) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\u{%04x}", unsigned(cp));
      out += buf;
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  return out;
}

}  // namespace

std::string Shown(std::string_view text) { return Escape(text, false); }
std::string ShownLines(std::string_view text) { return Escape(text, true); }

std::string OutcomeDescription(const format::TraceReader& reader) {
  if (reader.footer_missing() && reader.outcome().kind == format::OutcomeKind::kInterrupted &&
      reader.outcome().message.empty()) {
    return "is still being recorded, or its recording was interrupted";
  }
  return reader.outcome().Describe();
}

std::string OutcomeText(const format::TraceReader& reader) {
  return Shown(OutcomeDescription(reader));
}

std::string GapsText(const format::TraceReader& reader) {
  std::string out;
  for (const format::SeqRange& g : reader.gaps()) {
    if (!out.empty()) out += ", ";
    out += g.count == 1 ? "event " + std::to_string(g.first)
                        : "events " + std::to_string(g.first) + ".." + std::to_string(g.end() - 1);
  }
  return out;
}

std::string EventsText(const format::TraceReader& reader) {
  uint64_t n = reader.event_count(), missing = reader.missing_events();
  if (missing == 0) return Count(n, "event", "events");
  return std::to_string(n - missing) + " of " + Count(n, "event", "events") + " (" +
         std::to_string(missing) + " missing)";
}

std::string SiteHex(uint64_t site) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)site);
  return buf;
}

}  // namespace tape::cli
