// What the effects that talk to other programs take and return: HTTP
// requests (http.request), subprocesses (proc.run) and name resolution
// (dns.resolve), and the answers of the file effects beyond read and write.

#ifndef TAPE_SERVICES_H_
#define TAPE_SERVICES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tape {

// fs.exists
struct FsStat {
  int error = 0;  // 0 when the path exists, else an errno such as ENOENT
  bool is_dir = false;
  bool exists() const { return error == 0; }
};

// fs.stat: what a path names, as lstat(2) sees it (a symbolic link is a
// link, not what it points to).
enum class FileKind : uint8_t { kNone, kFile, kDir, kLink, kOther };
struct FsStatResult {
  int error = 0;  // 0 when the path exists, else an errno such as ENOENT
  FileKind kind = FileKind::kNone;
  uint64_t size = 0;     // in bytes (a link: the length of the path it holds)
  uint32_t mode = 0;     // the permission bits (st_mode & 07777)
  int64_t mtime_ns = 0;  // last modified, nanoseconds since the Unix epoch
  bool exists() const { return error == 0; }
};

// fs.list: the names in a directory, sorted bytewise (without "." and "..").
struct FsList {
  int error = 0;
  std::vector<std::string> names;
  bool ok() const { return error == 0; }
};

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS
  std::string url;             // http:// or https://
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The whole exchange, redirects included, must finish within this time;
  // connecting within min(timeout, 10 s). At most kMaxHttpTimeoutMs.
  uint32_t timeout_ms = 30000;
};

struct HttpResponse {
  int status = 0;     // the final response's status; 0 when there was none
  std::string error;  // why there was no response (cannot connect, timed out, ...)
  std::vector<std::pair<std::string, std::string>> headers;  // of the final response
  std::string body;
  bool ok() const { return error.empty(); }
};

inline constexpr uint32_t kMaxHttpTimeoutMs = 3600 * 1000;
// Larger response bodies are refused (an error, no response).
inline constexpr uint64_t kMaxHttpBodyBytes = uint64_t(1) << 30;

// dns.resolve: the addresses a host name resolves to (getaddrinfo(3)).
struct DnsResult {
  int error = 0;        // 0, or getaddrinfo's error code (EAI_NONAME, EAI_AGAIN, ...)
  std::string message;  // why it failed, in the resolver's words; empty when it did not
  // IPv6 and IPv4 addresses as text ("::1", "127.0.0.1"), in the
  // resolver's order of preference, each once.
  std::vector<std::string> addresses;
  bool ok() const { return error == 0; }
};

struct ProcRequest {
  std::vector<std::string> argv;  // argv[0] is looked up in tape's PATH; no shell
  std::string stdin_data;         // written to the command's standard input
  uint32_t timeout_ms = 0;        // 0: no limit; else the command is killed after it
  // The command's environment. Unset, it inherits the whole of the
  // program's, secrets included (--redact-env keeps them out of the trace,
  // not out of the command). Set, the command gets exactly these variables,
  // in this order, and the trace records them as part of the request, so
  // that replay compares them. Names are not empty and hold no '=' or NUL;
  // values hold no NUL.
  std::optional<std::vector<std::pair<std::string, std::string>>> env = std::nullopt;
};

// The longest timeout a command may have: a day.
inline constexpr uint32_t kMaxProcTimeoutMs = 86'400'000;

struct ProcResult {
  int exit_code = -1;     // the exit status, or -1 when it did not exit normally
  int signal = 0;         // the signal that killed it, or 0
  int start_error = 0;    // errno when it could not be started (ENOENT: no such command)
  bool timed_out = false; // killed (SIGKILL) after timeout_ms
  std::string stdout_data, stderr_data;
  bool ok() const { return start_error == 0 && !timed_out && signal == 0 && exit_code == 0; }
};

// Larger output (per stream) ends the command (it is killed) with what fit.
inline constexpr uint64_t kMaxProcOutputBytes = uint64_t(1) << 30;

}  // namespace tape

#endif  // TAPE_SERVICES_H_
