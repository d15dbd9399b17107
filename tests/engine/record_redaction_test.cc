// Record-time redaction beyond the environment (specs/trace-format.md
// §13.6): RecordOptions::redact_match and redact_header. Each test looks for
// the secret in the trace file and in every decoded payload, header field
// and the outcome message, so that a secret zstd compressed out of sight in
// the file is still caught.

#include <gtest/gtest.h>
#include <httplib.h>
#include <stdlib.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "format/layout.h"
#include "format/trace_reader.h"
#include "tests/engine/session_fixture.h"

namespace tape::testing {
namespace {

using format::AsChars;

// Everything a trace holds, decoded: the header's text fields, every
// event's args and result, the outcome message.
std::string DecodedText(const std::string& path) {
  auto r = format::TraceReader::Open(path);
  EXPECT_TRUE(r.has_value());
  if (!r.has_value()) return "";
  const format::TraceReader& reader = **r;
  std::string all = reader.header().script_source + "\n" + reader.header().redaction + "\n" +
                    reader.outcome().message + "\n";
  format::EventCursor cursor(&reader, format::kDecodeAll);
  EXPECT_TRUE(cursor.Seek(0).ok());
  while (!cursor.at_end()) {
    format::EventView e = cursor.event();
    all.append(AsChars(e.args.bytes())).append("\n").append(AsChars(e.result.bytes()));
    all.append("\n");
    EXPECT_TRUE(cursor.Next().ok());
  }
  return all;
}

// The events' args and results, in order, with their marks.
struct Stored {
  std::string args, result;
  uint8_t marks;
};
std::vector<Stored> StoredEvents(const std::string& path) {
  std::vector<Stored> events;
  auto r = format::TraceReader::Open(path);
  EXPECT_TRUE(r.has_value());
  if (!r.has_value()) return events;
  format::EventCursor cursor(r->get(), format::kDecodeAll);
  EXPECT_TRUE(cursor.Seek(0).ok());
  while (!cursor.at_end()) {
    format::EventView e = cursor.event();
    events.push_back({std::string(AsChars(e.args.bytes())), std::string(AsChars(e.result.bytes())),
                      e.marks});
    EXPECT_TRUE(cursor.Next().ok());
  }
  return events;
}

void ExpectNowhere(const std::string& path, const std::string& secret) {
  EXPECT_EQ(ReadFile(path).find(secret), std::string::npos) << secret << " is in " << path;
  std::string decoded = DecodedText(path);
  EXPECT_FALSE(decoded.empty());
  EXPECT_EQ(decoded.find(secret), std::string::npos) << secret << " is in the decoded trace";
}

Captured RecordWith(const TempDir& dir, const Program& p, RecordOptions o) {
  std::string out_path = dir.File("record.out");
  o.trace_path = dir.File("t.trace");
  o.stdout_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  Captured c{Record(p, o), ""};
  ::close(o.stdout_fd);
  c.out = ReadFile(out_path);
  return c;
}

constexpr char kToken[] = "tok_live_5f3a9c2e8b7d41";

TEST(RedactMatch, WhatAPatternMatchesIsAMarkerWhereverItIs) {
  TempDir dir;
  setenv("TAPE_TEST_TOKEN", kToken, 1);
  std::string seen;
  Program p = TestProgram("match", [&](Runtime& rt) {
    seen = rt.EnvGet("TAPE_TEST_TOKEN").value_or("unset");
    rt.IoWrite("using " + seen + " and tok_live_0000000000\n");
    rt.FsWrite(dir.File("copy"), seen);
    return 0;
  });
  RecordOptions o;
  o.redact_match = {"tok_live_[0-9a-f]+"};
  Captured rec = RecordWith(dir, p, o);
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  // The program and the world get the values.
  EXPECT_EQ(rec.out, std::string("using ") + kToken + " and tok_live_0000000000\n");
  EXPECT_EQ(ReadFile(dir.File("copy")), kToken);

  ExpectNowhere(dir.File("t.trace"), kToken);
  ExpectNowhere(dir.File("t.trace"), "tok_live_0000000000");
  auto r = format::TraceReader::Open(dir.File("t.trace"));
  ASSERT_TRUE(r.has_value());
  // The header says a pattern applied, never which.
  EXPECT_EQ((*r)->header().redaction, "record --redact-match: 1 pattern, not recorded");
  std::vector<Stored> events = StoredEvents(dir.File("t.trace"));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].args, "TAPE_TEST_TOKEN");  // where it came in: the env.get result
  EXPECT_EQ(events[0].result, "\1[redacted #1]");
  EXPECT_EQ(events[0].marks, format::kMarkResultRedacted);
  EXPECT_EQ(events[1].args, "using [redacted #1] and [redacted #2]\n");
  EXPECT_EQ(events[1].marks, format::kMarkArgsRedacted);
  EXPECT_NE(events[2].args.find("[redacted #1]"), std::string::npos);

  // Replay gives the program the marker, and writes nothing.
  std::remove(dir.File("copy").c_str());
  Captured rep = ReplayCaptured(dir, p, "t.trace");
  ASSERT_EQ(rep.report.status, RunReport::Status::kOk)
      << (rep.report.drift ? rep.report.drift->Describe() : rep.report.error);
  EXPECT_EQ(seen, "[redacted #1]");
  EXPECT_FALSE(std::filesystem::exists(dir.File("copy")));
}

// A pattern that needs context (`Bearer (\S+)`) finds the token where the
// context is; from then on, the token is redacted wherever it goes.
TEST(RedactMatch, AValueAPatternMatchedIsRedactedInLaterEventsWithoutTheContext) {
  TempDir dir;
  Program p = TestProgram("context", [&](Runtime& rt) {
    rt.IoWrite(std::string("Authorization: Bearer ") + kToken + "\n");
    rt.IoWrite(std::string("the token again: ") + kToken + "\n");
    rt.FsWrite(dir.File("copy"), kToken);
    return 0;
  });
  RecordOptions o;
  o.redact_match = {R"(Bearer (\S+))"};
  Captured rec = RecordWith(dir, p, o);
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  ExpectNowhere(dir.File("t.trace"), kToken);
  std::vector<Stored> events = StoredEvents(dir.File("t.trace"));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].args, "Authorization: Bearer [redacted #1]\n");  // the group only
  EXPECT_EQ(events[1].args, "the token again: [redacted #1]\n");
  EXPECT_EQ(events[2].marks, format::kMarkArgsRedacted);
}

TEST(RedactMatch, TheOutcomeMessageIsRedacted) {
  TempDir dir;
  Program p = TestProgram("throws", [](Runtime& rt) -> int {
    rt.IoWrite("starting\n");
    throw std::runtime_error(std::string("login refused for ") + kToken);
  });
  RecordOptions o;
  o.redact_match = {"tok_live_[0-9a-f]+"};
  Captured rec = RecordWith(dir, p, o);
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  // The caller gets the message as it is; the trace a marker.
  EXPECT_NE(rec.report.program_error.find(kToken), std::string::npos);
  ExpectNowhere(dir.File("t.trace"), kToken);
  auto r = format::TraceReader::Open(dir.File("t.trace"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)->outcome().message, "std::runtime_error: login refused for [redacted #1]");
}

TEST(RedactMatch, ABadPatternIsRefusedBeforeAnythingIsWritten) {
  TempDir dir;
  bool ran = false;
  Program p = TestProgram("never", [&](Runtime&) {
    ran = true;
    return 0;
  });
  for (const char* bad : {"(unclosed", "x*", ""}) {
    RecordOptions o;
    o.redact_match = {"fine", bad};
    Captured rec = RecordWith(dir, p, o);
    EXPECT_EQ(rec.report.status, RunReport::Status::kBadOptions) << bad;
    EXPECT_NE(rec.report.error.find("redact_match: the pattern '"), std::string::npos)
        << rec.report.error;
    EXPECT_FALSE(ran);
    EXPECT_FALSE(std::filesystem::exists(dir.File("t.trace")));
  }
}

// A loopback service that answers with a session cookie, and echoes the
// Authorization header it got in its body.
class CookieServer {
 public:
  CookieServer() {
    server_.Get("/login", [](const httplib::Request& req, httplib::Response& res) {
      res.set_header("Set-Cookie", "session=s3ss10n_c00k1e_42; HttpOnly");
      res.set_header("X-Plain", "visible-value");
      res.set_content("you sent " + req.get_header_value("Authorization"), "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~CookieServer() {
    server_.stop();
    thread_.join();
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

TEST(RedactHeader, NamedHeadersOfRequestsAndResponsesAreMarkersAndSoAreTheirCopies) {
  TempDir dir;
  auto server = std::make_unique<CookieServer>();
  std::string url = server->Url("/login");
  std::string shown;
  Program p = TestProgram("login", [&](Runtime& rt) {
    HttpRequest req;
    req.url = url;
    req.headers = {{"Authorization", "Basic c2VjcmV0OnBhc3N3b3Jk"}, {"X-Trace", "abc"}};
    HttpResponse res = rt.Http(req);
    shown = res.body + "|";
    for (const auto& [name, value] : res.headers) {
      if (name == "Set-Cookie" || name == "X-Plain") shown += name + "=" + value + ";";
    }
    rt.IoWrite(shown + "\n");
    return 0;
  });
  RecordOptions o;
  o.redact_header = {"authorization", "Set-*"};  // any case, globs
  Captured rec = RecordWith(dir, p, o);
  ASSERT_EQ(rec.report.status, RunReport::Status::kOk) << rec.report.error;
  EXPECT_EQ(rec.out,
            "you sent Basic c2VjcmV0OnBhc3N3b3Jk|Set-Cookie=session=s3ss10n_c00k1e_42; "
            "HttpOnly;X-Plain=visible-value;\n");
  server.reset();  // replay must not need it

  ExpectNowhere(dir.File("t.trace"), "c2VjcmV0OnBhc3N3b3Jk");
  ExpectNowhere(dir.File("t.trace"), "s3ss10n_c00k1e_42");
  auto r = format::TraceReader::Open(dir.File("t.trace"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)->header().redaction,
            "record --redact-header authorization\nrecord --redact-header Set-*");
  std::vector<Stored> events = StoredEvents(dir.File("t.trace"));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].marks, format::kMarkArgsRedacted | format::kMarkResultRedacted);
  // Names and other headers stay; the values are markers.
  EXPECT_NE(events[0].args.find("Authorization: [redacted #1]"), std::string::npos);
  EXPECT_NE(events[0].args.find("X-Trace: abc"), std::string::npos);
  EXPECT_NE(events[0].result.find("Set-Cookie: [redacted #2]"), std::string::npos);
  EXPECT_NE(events[0].result.find("X-Plain: visible-value"), std::string::npos);
  // The body's copy of the request header is the same marker.
  EXPECT_NE(events[0].result.find("you sent [redacted #1]"), std::string::npos);
  EXPECT_EQ(events[1].args,
            "you sent [redacted #1]|Set-Cookie=[redacted #2];X-Plain=visible-value;\n");

  Captured rep = ReplayCaptured(dir, p, "t.trace");
  ASSERT_EQ(rep.report.status, RunReport::Status::kOk)
      << (rep.report.drift ? rep.report.drift->Describe() : rep.report.error);
  EXPECT_EQ(rep.out, "you sent [redacted #1]|Set-Cookie=[redacted #2];X-Plain=visible-value;\n");
}

}  // namespace
}  // namespace tape::testing
