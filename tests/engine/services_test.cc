// http.request and proc.run: recorded against a real HTTP server on
// 127.0.0.1 and real commands, replayed after the server is gone and the
// command removed. No test reaches an address outside the loopback range.

#include <gtest/gtest.h>
#include <httplib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "format/trace_reader.h"
#include "tests/engine/session_fixture.h"

namespace tape::testing {
namespace {

// A local HTTP server on a free port, in its own thread.
class LocalServer {
 public:
  LocalServer() {
    server_.Get("/hello", [](const httplib::Request& req, httplib::Response& res) {
      res.set_header("X-Greeting", "hi");
      res.set_content("hello " + req.get_header_value("X-Who"), "text/plain");
    });
    server_.Get("/missing", [](const httplib::Request&, httplib::Response& res) {
      res.status = 404;
      res.set_content("not here", "text/plain");
    });
    server_.Get("/broken", [](const httplib::Request&, httplib::Response& res) {
      res.status = 500;
      res.set_content("it broke", "text/plain");
    });
    server_.Get("/moved", [](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("/hello");
    });
    server_.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content("got " + req.body, "text/plain");
    });
    server_.Get("/stall", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      res.set_content("late", "text/plain");
    });
    server_.Get("/chunked", [](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/plain", [](size_t offset, httplib::DataSink& sink) {
        if (offset >= 30) {
          sink.done();
          return true;
        }
        sink.write("0123456789", 10);
        return true;
      });
    });
    server_.Get("/large", [](const httplib::Request&, httplib::Response& res) {
      std::string body(50u << 20, 'x');
      for (size_t i = 0; i < body.size(); i += 4096) body[i] = char('a' + (i / 4096) % 26);
      res.set_content(body, "application/octet-stream");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~LocalServer() { Stop(); }
  void Stop() {
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int port() const { return port_; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

// A loopback port nobody listens on while this lives: bound, never
// listening, and without SO_REUSEADDR, so that no other process's server can
// bind it meanwhile (a port found free and closed again could be taken by
// another test's server before it is used).
class DeadPort {
 public:
  DeadPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("cannot bind a loopback port");
    }
    port_ = ntohs(addr.sin_port);
  }
  ~DeadPort() {
    if (fd_ >= 0) ::close(fd_);
  }
  DeadPort(const DeadPort&) = delete;
  DeadPort& operator=(const DeadPort&) = delete;
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

// The same text on record and replay: what a program saw.
std::string Show(const HttpResponse& r) {
  std::string s = std::to_string(r.status) + "|" + r.error + "|";
  for (const auto& [name, value] : r.headers) {
    if (name == "Date") continue;
    s += name + "=" + value + ";";
  }
  return s + "|" + std::to_string(r.body.size()) + "|" + r.body.substr(0, 40);
}

TEST(Http, RecordedExchangesReplayAfterTheServerIsGone) {
  TempDir dir;
  auto server = std::make_unique<LocalServer>();
  DeadPort dead;
  int unused_port = dead.port();
  std::string base = server->Url("");
  std::vector<std::string> seen;
  Program p = TestProgram("http", [&](Runtime& rt) {
    seen.clear();
    HttpRequest hello;
    hello.url = base + "/hello";
    hello.headers = {{"X-Who", "ada"}};
    seen.push_back(Show(rt.Http(hello)));
    seen.push_back(Show(rt.HttpGet(base + "/missing")));
    seen.push_back(Show(rt.HttpGet(base + "/broken")));
    seen.push_back(Show(rt.HttpGet(base + "/moved")));
    HttpRequest post;
    post.method = "POST";
    post.url = base + "/echo";
    post.body = "payload";
    seen.push_back(Show(rt.Http(post)));
    HttpRequest slow;
    slow.url = base + "/stall";
    slow.timeout_ms = 300;
    seen.push_back(Show(rt.Http(slow)));
    seen.push_back(Show(rt.HttpGet(base + "/chunked")));
    seen.push_back(Show(rt.HttpGet(base + "/large")));
    seen.push_back(Show(rt.HttpGet("http://127.0.0.1:" + std::to_string(unused_port) + "/")));
    return 0;
  });
  Captured rec = RecordCaptured(dir, p, "http");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  std::vector<std::string> recorded = seen;
  ASSERT_EQ(recorded.size(), 9u);
  EXPECT_NE(recorded[0].find("200||"), std::string::npos) << recorded[0];
  EXPECT_NE(recorded[0].find("X-Greeting=hi;"), std::string::npos) << recorded[0];
  EXPECT_NE(recorded[0].find("hello ada"), std::string::npos) << recorded[0];
  EXPECT_EQ(recorded[1].substr(0, 4), "404|");
  EXPECT_NE(recorded[1].find("not here"), std::string::npos);
  EXPECT_EQ(recorded[2].substr(0, 4), "500|");
  EXPECT_NE(recorded[3].find("hello "), std::string::npos) << "redirect not followed: " << recorded[3];
  EXPECT_NE(recorded[4].find("got payload"), std::string::npos) << recorded[4];
  EXPECT_EQ(recorded[5].substr(0, 2), "0|") << recorded[5];
  EXPECT_NE(recorded[5].find("timed out"), std::string::npos) << recorded[5];
  EXPECT_NE(recorded[6].find("|30|012345678901234567890123456789"), std::string::npos)
      << recorded[6];
  EXPECT_NE(recorded[7].find("|52428800|"), std::string::npos) << recorded[7].substr(0, 80);
  EXPECT_EQ(recorded[8].substr(0, 2), "0|") << recorded[8];
  EXPECT_NE(recorded[8].find("onnect"), std::string::npos) << recorded[8];

  server->Stop();
  server.reset();
  Captured rep = ReplayCaptured(dir, p, "http");
  ASSERT_EQ(rep.report.status, RunReport::Status::kOk)
      << (rep.report.drift ? rep.report.drift->Describe() : rep.report.error);
  EXPECT_EQ(seen, recorded);
}

TEST(Http, MalformedRequestsAreErrorsAndNotRecorded) {
  TempDir dir;
  std::vector<std::string> errors;
  Program p = TestProgram("badhttp", [&](Runtime& rt) {
    auto attempt = [&](HttpRequest r) {
      try {
        rt.Http(r);
        errors.push_back("no error");
      } catch (const std::invalid_argument& e) {
        errors.push_back(e.what());
      }
    };
    HttpRequest r;
    r.url = "http://127.0.0.1:1/";
    HttpRequest bad_method = r;
    bad_method.method = "FETCH";
    attempt(bad_method);
    HttpRequest bad_url = r;
    bad_url.url = "ht!tp:/x y";
    attempt(bad_url);
    HttpRequest ftp = r;
    ftp.url = "ftp://127.0.0.1/";
    attempt(ftp);
    HttpRequest injected = r;
    injected.headers = {{"X-A", "1\r\nX-B: 2"}};
    attempt(injected);
    HttpRequest no_timeout = r;
    no_timeout.timeout_ms = 0;
    attempt(no_timeout);
    return 0;
  });
  Captured rec = RecordCaptured(dir, p, "badhttp");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk);
  EXPECT_EQ(rec.report.events, 0u);
  ASSERT_EQ(errors.size(), 5u);
  EXPECT_NE(errors[0].find("unknown method 'FETCH'"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("malformed URL"), std::string::npos) << errors[1];
  EXPECT_NE(errors[2].find("not http:// or https://"), std::string::npos) << errors[2];
  EXPECT_NE(errors[3].find("line break"), std::string::npos) << errors[3];
  EXPECT_NE(errors[4].find("timeout 0 ms is out of range"), std::string::npos) << errors[4];
}

std::string Show(const ProcResult& r) {
  return "exit=" + std::to_string(r.exit_code) + " signal=" + std::to_string(r.signal) +
         " start=" + std::to_string(r.start_error) + " timeout=" + std::to_string(r.timed_out) +
         " out=" + std::to_string(r.stdout_data.size()) + ":" + r.stdout_data.substr(0, 30) +
         " err=" + r.stderr_data.substr(0, 30);
}

TEST(Proc, CommandsReplayAfterTheCommandIsGone) {
  TempDir dir;
  std::string bin = dir.File("bin");
  ::mkdir(bin.c_str(), 0755);
  std::string tool = bin + "/tape-test-tool";
  {
    std::ofstream f(tool);
    f << "#!/bin/sh\necho \"tool says $1\"\necho warning >&2\nexit 3\n";
  }
  ::chmod(tool.c_str(), 0755);
  std::string path = std::string(std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin");
  setenv("PATH", (bin + ":" + path).c_str(), 1);

  std::vector<std::string> seen;
  Program p = TestProgram("proc", [&](Runtime& rt) {
    seen.clear();
    seen.push_back(Show(rt.ProcRun({{"tape-test-tool", "hi"}, "", 0})));
    seen.push_back(Show(rt.ProcRun({{"head", "-c", "20000000", "/dev/zero"}, "", 0})));
    seen.push_back(Show(rt.ProcRun({{"sleep", "5"}, "", 200})));
    seen.push_back(Show(rt.ProcRun({{"tape-no-such-command"}, "", 0})));
    std::string big(1 << 20, 'z');  // more than a pipe holds, echoed back while written
    ProcResult cat = rt.ProcRun({{"cat"}, big, 0});
    seen.push_back(Show(cat) + (cat.stdout_data == big ? " same" : " differs"));
    seen.push_back(Show(rt.ProcRun({{"sh", "-c", "kill -TERM $$"}, "", 0})));
    return 0;
  });
  Captured rec = RecordCaptured(dir, p, "proc");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  std::vector<std::string> recorded = seen;
  ASSERT_EQ(recorded.size(), 6u);
  EXPECT_EQ(recorded[0], "exit=3 signal=0 start=0 timeout=0 out=13:tool says hi\n err=warning\n");
  EXPECT_EQ(recorded[1].substr(0, 47), "exit=0 signal=0 start=0 timeout=0 out=20000000:") << recorded[1];
  EXPECT_EQ(recorded[2].substr(0, 34), "exit=-1 signal=9 start=0 timeout=1") << recorded[2];
  EXPECT_EQ(recorded[3].substr(0, 24), "exit=-1 signal=0 start=2") << recorded[3];
  EXPECT_NE(recorded[4].find("out=1048576:zzz"), std::string::npos) << recorded[4];
  EXPECT_NE(recorded[4].find(" same"), std::string::npos);
  EXPECT_EQ(recorded[5].substr(0, 18), "exit=-1 signal=15 ") << recorded[5];

  ::unlink(tool.c_str());
  setenv("PATH", "/nonexistent", 1);  // nothing can run now
  Captured rep = ReplayCaptured(dir, p, "proc");
  setenv("PATH", path.c_str(), 1);
  ASSERT_EQ(rep.report.status, RunReport::Status::kOk)
      << (rep.report.drift ? rep.report.drift->Describe() : rep.report.error);
  EXPECT_EQ(seen, recorded);
}

// A command that closes its output and goes on running: the timeout must
// still stop it. (The sleep is 30 s and the timeout 1 s; the bound leaves
// a loaded machine plenty of room and still fails without the timeout.)
TEST(Proc, TheTimeoutHoldsAfterTheCommandClosesItsOutput) {
  TempDir dir;
  ProcResult got;
  Program p = TestProgram("closes", [&](Runtime& rt) {
    got = rt.ProcRun({{"sh", "-c", "exec >&- 2>&-; sleep 30; exit 3"}, "", 1000});
    return 0;
  });
  auto start = std::chrono::steady_clock::now();
  Captured rec = RecordCaptured(dir, p, "closes");
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  EXPECT_EQ(Show(got), "exit=-1 signal=9 start=0 timeout=1 out=0: err=");
  EXPECT_LT(took, std::chrono::seconds(20));
}

// Given an environment, a command sees exactly it (and is still found in
// tape's PATH); the trace holds it as part of the request, so a replay
// whose program passes another environment drifts there.
TEST(Proc, AGivenEnvironmentIsAllTheCommandSeesAndIsCompared) {
  TempDir dir;
  setenv("TAPE_TEST_INHERITED", "inherited", 1);
  using Env = std::vector<std::pair<std::string, std::string>>;
  Env given = {{"ONLY", "given value"}, {"EMPTY", ""}};
  std::vector<std::string> seen;
  Program p = TestProgram("env", [&](Runtime& rt) {
    seen.clear();
    std::string show = "echo \"[$TAPE_TEST_INHERITED][$ONLY][${EMPTY-unset}]\"";
    ProcRequest r{{"sh", "-c", show}, "", 0};
    seen.push_back(rt.ProcRun(r).stdout_data);
    r.env = given;
    seen.push_back(rt.ProcRun(r).stdout_data);
    r = ProcRequest{{"env"}, "", 0};
    r.env = Env{};
    seen.push_back(rt.ProcRun(r).stdout_data);
    return 0;
  });
  Captured rec = RecordCaptured(dir, p, "env");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  EXPECT_EQ(seen, (std::vector<std::string>{"[inherited][][unset]\n", "[][given value][]\n", ""}));
  auto reader = format::TraceReader::Open(dir.File("env"));
  ASSERT_TRUE(reader.has_value());
  format::EventCursor cursor(reader->get(), format::kDecodeAll);
  ASSERT_TRUE(cursor.Seek(1).ok());
  std::string args(format::AsChars(cursor.event().args.bytes()));
  // The words, an item of one NUL byte, then NAME=value items.
  using namespace std::string_literals;
  EXPECT_NE(args.find("\x01\0\0\0\0\x10\0\0\0ONLY=given value\x06\0\0\0EMPTY="s),
            std::string::npos);

  Captured rep = ReplayCaptured(dir, p, "env");
  ASSERT_EQ(rep.report.status, RunReport::Status::kOk)
      << (rep.report.drift ? rep.report.drift->Describe() : rep.report.error);
  given[0].second = "another value";
  rep = ReplayCaptured(dir, p, "env");
  ASSERT_EQ(rep.report.status, RunReport::Status::kDrift);
  EXPECT_EQ(rep.report.drift->kind, DriftKind::kArgsMismatch);
  EXPECT_EQ(rep.report.drift->seq, 1u);
}

TEST(Proc, MalformedCommandsAreErrors) {
  TempDir dir;
  std::vector<std::string> errors;
  Program p = TestProgram("badproc", [&](Runtime& rt) {
    for (ProcRequest r :
         {ProcRequest{{}, "", 0}, ProcRequest{{""}, "", 0},
          ProcRequest{{"echo", std::string("a\0b", 3)}, "", 0},
          ProcRequest{{"true"}, "", 100'000'000}, ProcRequest{{"env"}, "", 0, {{{"", "x"}}}},
          ProcRequest{{"env"}, "", 0, {{{"A=B", "x"}}}},
          ProcRequest{{"env"}, "", 0, {{{"A", std::string("x\0y", 3)}}}}}) {
      try {
        rt.ProcRun(r);
        errors.push_back("no error");
      } catch (const std::invalid_argument& e) {
        errors.push_back(e.what());
      }
    }
    return 0;
  });
  Captured rec = RecordCaptured(dir, p, "badproc");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk);
  EXPECT_EQ(rec.report.events, 0u);
  ASSERT_EQ(errors.size(), 7u);
  EXPECT_NE(errors[0].find("the command is empty"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("argv[0]) is empty"), std::string::npos) << errors[1];
  EXPECT_NE(errors[2].find("argument 1 contains a NUL byte"), std::string::npos) << errors[2];
  EXPECT_NE(errors[3].find("out of range"), std::string::npos) << errors[3];
  EXPECT_NE(errors[4].find("an environment variable's name is empty"), std::string::npos)
      << errors[4];
  EXPECT_NE(errors[5].find("name 'A=B' contains '='"), std::string::npos) << errors[5];
  EXPECT_NE(errors[6].find("value of environment variable A contains a NUL"), std::string::npos)
      << errors[6];
}

TEST(FileEffects, ExistsListAppendAndErrorReplay) {
  TempDir dir;
  std::string d = dir.File("tree");
  ::mkdir(d.c_str(), 0755);
  std::ofstream(d + "/b.txt") << "b";
  std::ofstream(d + "/a.txt") << "a";
  std::vector<std::string> seen;
  Program p = TestProgram("files", [&](Runtime& rt) {
    seen.clear();
    FsStat s = rt.FsExists(d);
    seen.push_back(std::to_string(s.error) + " " + std::to_string(s.is_dir));
    seen.push_back(std::to_string(rt.FsExists(d + "/nope").error));
    FsList l = rt.FsListDir(d);
    std::string names;
    for (const std::string& n : l.names) names += n + ",";
    seen.push_back(std::to_string(l.error) + " " + names);
    seen.push_back(std::to_string(rt.FsListDir(d + "/nope").error));
    seen.push_back(std::to_string(rt.FsAppend(d + "/log", "one\n")));
    seen.push_back(std::to_string(rt.FsAppend(d + "/log", "two\n")));
    seen.push_back(std::to_string(rt.IoError("to stderr\n")));
    return 0;
  });
  Captured rec = RecordCaptured(dir, p, "files");
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  std::vector<std::string> recorded = seen;
  EXPECT_EQ(recorded, (std::vector<std::string>{"0 1", "2", "0 a.txt,b.txt,", "2", "0", "0", "0"}));
  EXPECT_EQ(ReadFile(d + "/log"), "one\ntwo\n");
  // Replay touches nothing: the tree can be gone.
  std::filesystem::remove_all(d);
  Captured rep = ReplayCaptured(dir, p, "files");
  ASSERT_EQ(rep.report.status, RunReport::Status::kOk)
      << (rep.report.drift ? rep.report.drift->Describe() : rep.report.error);
  EXPECT_EQ(seen, recorded);
  EXPECT_FALSE(std::filesystem::exists(d));
}

}  // namespace
}  // namespace tape::testing
