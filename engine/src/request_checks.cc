#include "engine/src/request_checks.h"

#include "engine/src/live_effects.h"

namespace tape::engine {

namespace {

constexpr const char* kMethods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
constexpr uint32_t kMaxProcTimeoutMs = 86'400'000;

bool HasLineBreakOrNul(const std::string& s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos;
}

// A short, printable excerpt of `s` for a message.
std::string Shown(const std::string& s) {
  std::string out = s.substr(0, 80);
  for (char& c : out) {
    if (uint8_t(c) < 0x20 || uint8_t(c) == 0x7f) c = '?';
  }
  return out + (s.size() > 80 ? "..." : "");
}

}  // namespace

std::string CheckHttpRequest(const HttpRequest& r) {
  bool known = false;
  for (const char* m : kMethods) known = known || r.method == m;
  if (!known) {
    return "unknown method '" + Shown(r.method) +
           "' (use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS)";
  }
  if (r.url.empty()) return "the URL is empty";
  if (HasLineBreakOrNul(r.url)) return "the URL '" + Shown(r.url) + "' contains a line break";
  std::string scheme_text;
  std::string malformed = ParseUrlScheme(r.url, &scheme_text);
  if (!malformed.empty()) {
    return "malformed URL '" + Shown(r.url) + "' (" + malformed +
           "); expected e.g. http://host:port/path";
  }
  if (scheme_text != "http" && scheme_text != "https") {
    return "URL '" + Shown(r.url) + "' is not http:// or https://";
  }
  for (const auto& [name, value] : r.headers) {
    if (name.empty() || name.find_first_of(": \t") != std::string::npos ||
        HasLineBreakOrNul(name)) {
      return "bad header name '" + Shown(name) + "'";
    }
    if (HasLineBreakOrNul(value)) return "header " + name + " has a line break in its value";
  }
  if (r.timeout_ms == 0 || r.timeout_ms > kMaxHttpTimeoutMs) {
    return "timeout " + std::to_string(r.timeout_ms) + " ms is out of range (1.." +
           std::to_string(kMaxHttpTimeoutMs) + ")";
  }
  return "";
}

std::string CheckProcRequest(const ProcRequest& r) {
  if (r.argv.empty()) return "the command is empty (argv needs at least the program)";
  if (r.argv[0].empty()) return "the program name (argv[0]) is empty";
  for (size_t i = 0; i < r.argv.size(); ++i) {
    if (r.argv[i].find('\0') != std::string::npos) {
      return "argument " + std::to_string(i) + " contains a NUL byte";
    }
  }
  if (r.env) {
    for (const auto& [name, value] : *r.env) {
      if (name.empty()) return "an environment variable's name is empty";
      if (name.find_first_of(std::string_view("=\0", 2)) != std::string::npos) {
        return "the environment variable name '" + Shown(name) + "' contains '=' or a NUL byte";
      }
      if (value.find('\0') != std::string::npos) {
        return "the value of environment variable " + Shown(name) + " contains a NUL byte";
      }
    }
  }
  if (r.timeout_ms > kMaxProcTimeoutMs) {
    return "timeout " + std::to_string(r.timeout_ms) + " ms is out of range (0.." +
           std::to_string(kMaxProcTimeoutMs) + ")";
  }
  return "";
}

}  // namespace tape::engine
