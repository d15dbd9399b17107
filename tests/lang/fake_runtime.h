// A deterministic in-memory tape::Runtime for the language tests: the clock
// starts at a fixed instant and advances a fixed step per reading (and by the
// time slept), random bytes come from a queue and then a fixed generator,
// files, directories and the environment are maps, HTTP answers come from a
// table, and a few fake commands stand in for PATH (see RunCommand). Every
// effect is logged with its site.

#ifndef TAPE_TESTS_LANG_FAKE_RUNTIME_H_
#define TAPE_TESTS_LANG_FAKE_RUNTIME_H_

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/effects/registry.h"
#include "format/bytes.h"
#include "tape/effects.h"
#include "tape/runtime.h"

namespace tape::lang::testing {

class FakeRuntime : public Runtime {
 public:
  static constexpr int64_t kClockStart = 1'700'000'000'000'000'000;
  static constexpr int64_t kClockStep = 1'000'000;  // 1 ms per clock.now()
  // fs.write, fs.append, fs.exists and fs.list under this prefix fail with
  // EACCES.
  static constexpr std::string_view kDeniedPrefix = "/denied/";
  // http.request of a URL with this prefix answers 200 with a description
  // of the request it got (EchoBody).
  static constexpr std::string_view kEchoPrefix = "http://echo/";

  struct Event {
    EffectKind kind;
    uint64_t site_id;
    std::string location;
  };

  std::string out;                           // what io.write wrote
  std::string err;                           // what io.error wrote
  std::map<std::string, std::string> files;  // fs.read / fs.write / fs.append
  // Directories, besides those that hold a file ("a" and "a/b" for "a/b/c").
  std::set<std::string> dirs;
  // http.request answers by "METHOD URL"; any other URL (but kEchoPrefix)
  // gets no response: status 0 and an error.
  std::map<std::string, HttpResponse> http;
  std::vector<HttpRequest> http_requests;
  std::vector<ProcRequest> proc_requests;
  std::map<std::string, std::string> env;
  std::vector<std::string> args;
  std::deque<uint8_t> random_queue;  // served before the generator
  std::vector<Event> events;
  std::vector<uint64_t> sleeps_ms;
  int io_error = 0;   // when set, io.write fails with this errno
  int err_error = 0;  // when set, io.error fails with this errno
  int64_t now = kClockStart;

  // Answers each effect from the fields above, with the effect's encoded
  // result (specs/trace-format.md §13), as a recorder would.
  std::string_view Perform(const Site& site, EffectKind kind, std::string_view in,
                           const LiveCall& live) override {
    events.push_back(Event{kind, site.id, std::string(site.location)});
    result_.clear();
    switch (kind) {
      case EffectKind::kClockNow:
        PutU64(uint64_t(now));
        now += kClockStep;
        break;
      case EffectKind::kRandomBits:
        for (uint32_t i = 0, n = GetU32(in); i < n; ++i) {
          result_.push_back(static_cast<char>(NextRandomByte()));
        }
        break;
      case EffectKind::kIoWrite:
        if (io_error == 0) out.append(in);
        PutU32(uint32_t(io_error));
        break;
      case EffectKind::kFsRead: {
        auto it = files.find(std::string(in));
        if (it == files.end()) {
          PutU32(ENOENT);
        } else {
          PutU32(0);
          result_.append(it->second);
        }
        break;
      }
      case EffectKind::kFsWrite: {
        uint32_t n = GetU32(in);
        std::string path(in.substr(4, n));
        if (path.substr(0, kDeniedPrefix.size()) == kDeniedPrefix) {
          PutU32(EACCES);
        } else {
          files[path] = std::string(in.substr(4 + n));
          PutU32(0);
        }
        break;
      }
      case EffectKind::kEnvGet: {
        auto it = env.find(std::string(in));
        if (it == env.end()) {
          result_.push_back(0);
        } else {
          result_.push_back(1);
          result_.append(it->second);
        }
        break;
      }
      case EffectKind::kArgsGet:
        PutU32(uint32_t(args.size()));
        for (const std::string& a : args) {
          PutU32(uint32_t(a.size()));
          result_.append(a);
        }
        break;
      case EffectKind::kTimeSleep: {
        uint64_t ms = 0;
        for (int i = 0; i < 8; ++i) ms |= uint64_t(uint8_t(in[i])) << (8 * i);
        sleeps_ms.push_back(ms);
        now += static_cast<int64_t>(ms) * 1'000'000;
        break;
      }
      case EffectKind::kIoError:
        if (err_error == 0) err.append(in);
        PutU32(uint32_t(err_error));
        break;
      case EffectKind::kFsExists: {
        std::string path(in);
        bool is_dir = IsDir(path);
        PutU32(Denied(path) ? EACCES : is_dir || files.count(path) ? 0 : ENOENT);
        result_.push_back(is_dir && !Denied(path) ? 1 : 0);
        break;
      }
      case EffectKind::kFsList: {
        std::string path(in);
        std::set<std::string> names;
        int error = Denied(path) ? EACCES : IsDir(path) ? 0 : files.count(path) ? ENOTDIR : ENOENT;
        if (error == 0) names = Children(path);
        PutU32(uint32_t(error));
        PutU32(uint32_t(names.size()));
        for (const std::string& n : names) {
          PutU32(uint32_t(n.size()));
          result_.append(n);
        }
        break;
      }
      case EffectKind::kFsAppend: {
        uint32_t n = GetU32(in);
        std::string path(in.substr(4, n));
        if (Denied(path)) {
          PutU32(EACCES);
        } else {
          files[path] += std::string(in.substr(4 + n));
          PutU32(0);
        }
        break;
      }
      case EffectKind::kHttpRequest: {
        HttpRequest request;
        engine::DecodeFor(engine::kHttpRequest.args, format::AsBytes(in), &request);
        http_requests.push_back(request);
        HttpResponse response;
        auto it = http.find(request.method + " " + request.url);
        if (it != http.end()) {
          response = it->second;
        } else if (request.url.substr(0, kEchoPrefix.size()) == kEchoPrefix) {
          response.status = 200;
          response.headers = {{"Content-Type", "text/plain"}};
          response.body = EchoBody(request);
        } else {
          response.error = "no response for " + request.method + " " + request.url;
        }
        engine::EncodeFor(engine::kHttpRequest.result, response, &result_);
        break;
      }
      case EffectKind::kProcRun: {
        ProcRequest request;
        engine::DecodeFor(engine::kProcRun.args, format::AsBytes(in), &request);
        proc_requests.push_back(request);
        engine::EncodeFor(engine::kProcRun.result, RunCommand(request), &result_);
        break;
      }
      default:
        if (live.fn) live.fn(live.context, nullptr, in, &result_);  // user effects run live
        break;
    }
    return result_;
  }
  uint64_t seq() const override { return events.size(); }

 protected:
  void OnUserKind(EffectKind, std::string_view) override {}

 private:
  bool Denied(const std::string& path) const {
    return path.substr(0, kDeniedPrefix.size()) == kDeniedPrefix;
  }
  bool IsDir(const std::string& path) const {
    if (dirs.count(path)) return true;
    std::string prefix = path + "/";
    for (const auto& [file, data] : files) {
      if (file.substr(0, prefix.size()) == prefix) return true;
    }
    for (const std::string& d : dirs) {
      if (d.substr(0, prefix.size()) == prefix) return true;
    }
    return false;
  }
  // The names directly in directory `path`, sorted (std::set: bytewise).
  std::set<std::string> Children(const std::string& path) const {
    std::set<std::string> names;
    std::string prefix = path + "/";
    auto add = [&](const std::string& p) {
      if (p.substr(0, prefix.size()) != prefix || p.size() == prefix.size()) return;
      std::string rest = p.substr(prefix.size());
      names.insert(rest.substr(0, rest.find('/')));
    };
    for (const auto& [file, data] : files) add(file);
    for (const std::string& d : dirs) add(d);
    return names;
  }
  // What an http://echo/ URL answers: the request, one field per line.
  static std::string EchoBody(const HttpRequest& r) {
    std::string body = r.method + " " + r.url + "\ntimeout_ms " + std::to_string(r.timeout_ms) +
                       "\n";
    for (const auto& [name, value] : r.headers) body += name + ": " + value + "\n";
    return body + "body " + r.body;
  }
  // The fake commands: `echo ARGS...` prints its arguments; `cat` copies
  // its standard input; `exit N` exits with N, saying so on stderr; `sleep
  // MS` takes MS milliseconds (so a smaller timeout kills it: timed_out,
  // SIGKILL); `kill N` dies of signal N. Anything else cannot be started
  // (ENOENT), as a command missing from PATH.
  static ProcResult RunCommand(const ProcRequest& r) {
    ProcResult result;
    const std::string& cmd = r.argv[0];
    long n = r.argv.size() > 1 ? std::strtol(r.argv[1].c_str(), nullptr, 10) : 0;
    if (cmd == "echo") {
      for (size_t i = 1; i < r.argv.size(); ++i) {
        result.stdout_data += (i > 1 ? " " : "") + r.argv[i];
      }
      result.stdout_data += "\n";
      result.exit_code = 0;
    } else if (cmd == "cat") {
      result.stdout_data = r.stdin_data;
      result.exit_code = 0;
    } else if (cmd == "exit") {
      result.stderr_data = "exiting with " + std::to_string(n) + "\n";
      result.exit_code = int(n);
    } else if (cmd == "sleep") {
      if (r.timeout_ms != 0 && r.timeout_ms < uint64_t(n)) {
        result.timed_out = true;
        result.signal = SIGKILL;
      } else {
        result.exit_code = 0;
      }
    } else if (cmd == "kill") {
      result.signal = int(n);
    } else {
      result.start_error = ENOENT;
    }
    return result;
  }

  void PutU32(uint32_t v) { tape::format::AppendU32(&result_, v); }
  void PutU64(uint64_t v) { tape::format::AppendU64(&result_, v); }
  static uint32_t GetU32(std::string_view b) {
    return tape::format::LoadU32(reinterpret_cast<const uint8_t*>(b.data()));
  }
  uint8_t NextRandomByte() {
    if (!random_queue.empty()) {
      uint8_t b = random_queue.front();
      random_queue.pop_front();
      return b;
    }
    // splitmix64 from a fixed seed: the same bytes on every machine.
    rng_ += 0x9e3779b97f4a7c15ull;
    uint64_t z = rng_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return static_cast<uint8_t>((z ^ (z >> 31)) >> 56);
  }
  uint64_t rng_ = 42;
  std::string result_;
};

}  // namespace tape::lang::testing

#endif  // TAPE_TESTS_LANG_FAKE_RUNTIME_H_
