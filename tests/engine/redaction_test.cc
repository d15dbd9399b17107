// Redaction (specs/trace-format.md §13.6): markers, payloads rewritten by
// their layouts, redaction at record time, and replay of redacted events.

#include "engine/internal/redaction.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <stdexcept>

#include "engine/effects/registry.h"
#include "format/bytes.h"
#include "format/layout.h"
#include "format/recovery_writer.h"
#include "format/trace_reader.h"
#include "tape/thread.h"
#include "tests/engine/session_fixture.h"

namespace tape::testing {
namespace {

using engine::ByteRange;
using engine::MarkerTable;
using engine::RewritePayload;
using format::AsBytes;
using format::Bytes;

std::string U32(uint32_t v) {
  std::string out;
  format::AppendU32(&out, v);
  return out;
}

// A FieldRewrite that replaces every field it is given (keys too, unless
// `keep_keys`) by "<" + the field + ">", and notes what it saw.
struct Wrap {
  bool keep_keys = false;
  std::vector<std::pair<std::string, bool>> seen;  // field, key
  engine::FieldRewrite fn() {
    return [this](Bytes field, bool key, std::string* out) {
      seen.emplace_back(std::string(format::AsChars(field)), key);
      if (key && keep_keys) return false;
      out->append("<").append(format::AsChars(field)).append(">");
      return true;
    };
  }
};

std::vector<std::string> Seen(const Wrap& w) {
  std::vector<std::string> fields;
  for (const auto& [f, key] : w.seen) fields.push_back(f);
  return fields;
}

TEST(Markers, EqualValuesGetEqualMarkersInOrderOfFirstAppearance) {
  MarkerTable t;
  EXPECT_EQ(t.MarkerFor(AsBytes("alpha")), "[redacted #1]");
  EXPECT_EQ(t.MarkerFor(AsBytes("beta")), "[redacted #2]");
  EXPECT_EQ(t.MarkerFor(AsBytes("alpha")), "[redacted #1]");
  EXPECT_EQ(t.MarkerFor(AsBytes("")), "[redacted #3]");
  EXPECT_EQ(t.distinct(), 3u);
}

TEST(Markers, NewNumbersStartAfterTheMarkersATraceHolds) {
  MarkerTable t;
  t.StartAfter(7);
  EXPECT_EQ(t.MarkerFor(AsBytes("x")), "[redacted #8]");
  t.StartAfter(3);  // never goes back
  EXPECT_EQ(t.MarkerFor(AsBytes("y")), "[redacted #9]");
}

TEST(Markers, FindsEveryMarkerAndTheLargestNumber) {
  std::string text = "a [redacted #3] b [redacted #12]c [redacted #] [redacted #x] [redacted #4";
  std::vector<ByteRange> found;
  EXPECT_EQ(engine::FindMarkers(AsBytes(text), &found), 12u);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(text.substr(found[0].begin, found[0].end - found[0].begin), "[redacted #3]");
  EXPECT_EQ(text.substr(found[1].begin, found[1].end - found[1].begin), "[redacted #12]");
  EXPECT_EQ(engine::FindMarkers(AsBytes("no markers")), 0u);
  // More digits than a u64 holds is not a marker.
  EXPECT_EQ(engine::FindMarkers(AsBytes("[redacted #123456789012345678901]")), 0u);
  EXPECT_TRUE(engine::IsMarker(AsBytes("[redacted #1]")));
  EXPECT_FALSE(engine::IsMarker(AsBytes("[redacted #1] ")));
  EXPECT_FALSE(engine::IsMarker(AsBytes("x[redacted #1]")));
}

TEST(RewritePayload, EnvGetValueStaysSetAndUnsetStaysUnset) {
  Wrap w;
  std::string out;
  ASSERT_TRUE(
      RewritePayload(uint8_t(EffectKind::kEnvGet), false, AsBytes("\1secret"), w.fn(), &out));
  EXPECT_EQ(out, "\1<secret>");
  EXPECT_FALSE(RewritePayload(uint8_t(EffectKind::kEnvGet), false, AsBytes(std::string(1, '\0')),
                              w.fn(), &out));
  // An empty value hides nothing: the function is not asked.
  EXPECT_FALSE(RewritePayload(uint8_t(EffectKind::kEnvGet), false, AsBytes("\1"), w.fn(), &out));
  EXPECT_EQ(Seen(w), std::vector<std::string>{"secret"});
}

TEST(RewritePayload, FsReadKeepsItsErrno) {
  Wrap w;
  std::string out;
  uint8_t fs_read = uint8_t(EffectKind::kFsRead);
  ASSERT_TRUE(RewritePayload(fs_read, false, AsBytes(U32(0) + "key material"), w.fn(), &out));
  EXPECT_EQ(out, U32(0) + "<key material>");
  EXPECT_FALSE(RewritePayload(fs_read, false, AsBytes(U32(2)), w.fn(), &out));
  EXPECT_EQ(
      engine::CheckEvent(fs_read, AsBytes("/k"), AsBytes(U32(0) + "<key material>")).message(), "");
}

TEST(RewritePayload, RandomBitsKeepsItsLength) {
  Wrap w;
  std::string out;
  uint8_t random = uint8_t(EffectKind::kRandomBits);
  ASSERT_TRUE(RewritePayload(random, false, AsBytes("12345678"), w.fn(), &out));
  EXPECT_EQ(out, "<1234567");  // "<12345678>" cut to 8 bytes
  ASSERT_TRUE(RewritePayload(random, false, AsBytes("abcdefghijklmnopqrstu"), w.fn(), &out));
  EXPECT_EQ(out.size(), 21u);
  EXPECT_EQ(engine::CheckEvent(random, AsBytes(U32(21)), AsBytes(out)).message(), "");
}

TEST(RewritePayload, KeyFieldsAreFlaggedAndSizedFieldsResized) {
  Wrap w;
  w.keep_keys = true;
  std::string out;
  uint8_t fs_write = uint8_t(EffectKind::kFsWrite);
  std::string args = U32(6) + "/a/key" + "data";
  ASSERT_TRUE(RewritePayload(fs_write, true, AsBytes(args), w.fn(), &out));
  EXPECT_EQ(out, U32(6) + "/a/key" + "<data>");
  ASSERT_EQ(w.seen.size(), 2u);
  EXPECT_TRUE(w.seen[0].second);   // the path: fs.write's rerun key
  EXPECT_FALSE(w.seen[1].second);  // the data
  // Results have no key fields; a replaced sized field gets its new length.
  w.seen.clear();
  w.keep_keys = false;
  ASSERT_TRUE(RewritePayload(fs_write, true, AsBytes(args), w.fn(), &out));
  EXPECT_EQ(out, U32(8) + "</a/key>" + "<data>");
  EXPECT_EQ(engine::CheckEvent(fs_write, AsBytes(out), AsBytes(U32(0))).message(), "");
}

TEST(RewritePayload, ListsAndNumbersOfAStructuredResult) {
  // http.request's result: u32 status, sized error, list headers, body.
  std::string result = U32(200) + U32(0) + U32(2) + U32(6) + "A: b c" + U32(4) + "D: e" + "body";
  uint8_t http = uint8_t(EffectKind::kHttpRequest);
  ASSERT_EQ(engine::CheckEvent(http, AsBytes(U32(3) + "GET" + U32(1) + "u" + U32(0) + U32(5)),
                               AsBytes(result)).message(),
            "");
  Wrap w;
  std::string out;
  ASSERT_TRUE(RewritePayload(http, false, AsBytes(result), w.fn(), &out));
  EXPECT_EQ(out, U32(200) + U32(0) + U32(2) + U32(8) + "<A: b c>" + U32(6) + "<D: e>" + "<body>");
  // The empty error string is kept as it is.
  EXPECT_EQ(Seen(w), (std::vector<std::string>{"A: b c", "D: e", "body"}));
}

TEST(RewritePayload, UserResultKeepsItsTagAndExceptionType) {
  uint8_t user = kFirstUserKind;
  std::string threw = std::string(1, '\1') + U32(18) + "std::runtime_error" + "bad token";
  Wrap w;
  std::string out;
  ASSERT_TRUE(RewritePayload(user, false, AsBytes(threw), w.fn(), &out));
  EXPECT_EQ(out, std::string(1, '\1') + U32(18) + "std::runtime_error" + "<bad token>");
  ASSERT_TRUE(RewritePayload(user, false, AsBytes(std::string(1, '\0') + "value"), w.fn(), &out));
  EXPECT_EQ(out, std::string(1, '\0') + "<value>");
  ASSERT_TRUE(RewritePayload(user, true, AsBytes("args"), w.fn(), &out));
  EXPECT_EQ(out, "<args>");
}

TEST(RewritePayload, APayloadWithoutItsLayoutIsOneField) {
  Wrap w;
  std::string out;
  // env.get's set/unset byte is 0 or 1.
  ASSERT_TRUE(RewritePayload(uint8_t(EffectKind::kEnvGet), false, AsBytes("\5abc"), w.fn(), &out));
  EXPECT_EQ(out, "<\5abc>");
  // A reserved kind has no layout at all.
  ASSERT_TRUE(RewritePayload(100, true, AsBytes("xyz"), w.fn(), &out));
  EXPECT_EQ(out, "<xyz>");
}

TEST(ValueFinder, FindsCopiesLongestFirstAndIgnoresShortValues) {
  engine::ValueFinder f;
  f.Add(AsBytes("tok_abc"));
  f.Add(AsBytes("tok_abcdef"));
  f.Add(AsBytes("short"));  // under kMinValueBytes: too common to look for
  f.Add(AsBytes("tok_abc"));
  std::string text = "x tok_abcdef y tok_abc short tok_ab";
  std::vector<ByteRange> found;
  f.Find(AsBytes(text), &found);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(text.substr(found[0].begin, found[0].end - found[0].begin), "tok_abcdef");
  EXPECT_EQ(text.substr(found[1].begin, found[1].end - found[1].begin), "tok_abc");
  MarkerTable markers;
  std::string out;
  engine::ReplaceRanges(AsBytes(text), found, &markers, &out);
  EXPECT_EQ(out, "x [redacted #1] y [redacted #2] short tok_ab");
}

TEST(ValueFinder, AFieldWithTooManyCopiesBecomesOneMarker) {
  engine::ValueFinder f;
  f.Add(AsBytes("secret"));
  std::string text;
  for (size_t i = 0; i <= engine::kMaxRangesPerField; ++i) text += "secret,";
  std::vector<ByteRange> found;
  f.Find(AsBytes(text), &found);
  EXPECT_EQ(found.size(), engine::kMaxRangesPerField + 1);  // it stops there
  MarkerTable markers;
  std::string out;
  engine::ReplaceRanges(AsBytes(text), found, &markers, &out);
  EXPECT_EQ(out, "[redacted #1]");
  found.resize(2);
  out.clear();
  engine::ReplaceRanges(AsBytes(text.substr(0, 14)), found, &markers, &out);
  EXPECT_EQ(out, "[redacted #2],[redacted #2],");
}

// --- record-time redaction (RecordOptions::redact_env) ----------------------

constexpr char kToken[] = "tok_5f3a9c2e8b7d41";

// Reads API_TOKEN and a variable no glob names, prints them, and writes the
// token to a file. `*seen` gets the token the program got.
Program TokenProgram(const std::string& copy_path, std::string* seen) {
  return TestProgram("token", [copy_path, seen](Runtime& rt) {
    std::string token = rt.EnvGet("API_TOKEN").value_or("unset");
    std::string other = rt.EnvGet("TAPE_TEST_PLAIN").value_or("unset");
    rt.IoWrite("token=" + token + " plain=" + other + "\n");
    rt.FsWrite(copy_path, token);
    *seen = token;
    return 0;
  });
}

std::vector<format::EventView> Events(const format::TraceReader& r,
                                      std::vector<std::string>* keep) {
  std::vector<format::EventView> events;
  format::EventCursor cursor(&r, format::kDecodeAll);
  EXPECT_TRUE(cursor.Seek(0).ok());
  while (!cursor.at_end()) {
    format::EventView e = cursor.event();
    // The cursor's chunk goes away with the next one: keep copies.
    keep->emplace_back(format::AsChars(e.args.bytes()));
    keep->emplace_back(format::AsChars(e.result.bytes()));
    events.push_back(e);
    EXPECT_TRUE(cursor.Next().ok());
  }
  return events;
}

TEST(RedactEnv, TheProgramGetsTheValueTheTraceAMarker) {
  TempDir dir;
  setenv("API_TOKEN", kToken, 1);
  setenv("TAPE_TEST_PLAIN", "visible", 1);
  std::string copy = dir.File("copy.txt");
  std::string seen;
  Program p = TokenProgram(copy, &seen);
  RecordOptions o;
  o.trace_path = dir.File("t.trace");
  o.redact_env = {"API_*", "NOT_SET_*"};
  o.stdout_fd = ::open(dir.File("out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  RunReport rec = Record(p, o);
  ::close(o.stdout_fd);
  ASSERT_EQ(rec.status, RunReport::Status::kOk) << rec.error;
  EXPECT_EQ(seen, kToken);
  EXPECT_EQ(ReadFile(dir.File("out")), std::string("token=") + kToken + " plain=visible\n");
  EXPECT_EQ(ReadFile(copy), kToken);

  std::string bytes = ReadFile(o.trace_path);
  EXPECT_EQ(bytes.find(kToken), std::string::npos) << "the token reached the trace";
  auto r = format::TraceReader::Open(o.trace_path);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)->header().redaction, "record --redact-env API_*\nrecord --redact-env NOT_SET_*");
  std::vector<std::string> keep;
  std::vector<format::EventView> events = Events(**r, &keep);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].marks, format::kMarkResultRedacted);
  EXPECT_EQ(keep[1], "\1[redacted #1]");
  EXPECT_EQ(events[1].marks, 0);  // TAPE_TEST_PLAIN: no glob names it
  EXPECT_EQ(keep[3], "\1visible");
  EXPECT_EQ(events[2].marks, format::kMarkArgsRedacted);  // the printed copy
  EXPECT_EQ(keep[4], "token=[redacted #1] plain=visible\n");
  EXPECT_EQ(events[3].marks, format::kMarkArgsRedacted);  // the file written
  EXPECT_EQ(keep[6], U32(copy.size()) + copy + "[redacted #1]");

  // Replay gives the program the marker.
  std::remove(copy.c_str());
  Captured rep = ReplayCaptured(dir, p, "t.trace");
  ASSERT_EQ(rep.report.status, RunReport::Status::kOk)
      << (rep.report.drift ? rep.report.drift->Describe() : rep.report.error);
  EXPECT_EQ(seen, "[redacted #1]");
  EXPECT_EQ(rep.out, "token=[redacted #1] plain=visible\n");
  EXPECT_FALSE(std::filesystem::exists(copy));
}

// Threads (lanes, §7.7) share the markers: every lane's copy of the token,
// read by one lane or another, becomes the same marker, and replay serves it.
TEST(RedactEnv, LanesShareOneMarkerPerValue) {
  TempDir dir;
  setenv("API_TOKEN", kToken, 1);
  constexpr int kWorkers = 4;
  Program p = TestProgram("lanes", [](Runtime& rt) {
    std::vector<tape::Thread> threads;
    for (int w = 0; w < kWorkers; ++w) {
      threads.push_back(tape::Thread(rt, [&rt, w] {
        std::string token = rt.EnvGet("API_TOKEN").value_or("unset");
        for (int i = 0; i < 20; ++i) {
          rt.IoWrite("worker " + std::to_string(w) + " sends " + token + "\n");
        }
      }));
    }
    for (auto& t : threads) t.join();
    return 0;
  });
  RecordOptions o;
  o.trace_path = dir.File("t.trace");
  o.redact_env = {"API_TOKEN"};
  o.stdout_fd = ::open("/dev/null", O_WRONLY);
  RunReport rec = Record(p, o);
  ::close(o.stdout_fd);
  ASSERT_EQ(rec.status, RunReport::Status::kOk) << rec.error;
  EXPECT_EQ(ReadFile(o.trace_path).find(kToken), std::string::npos);
  auto r = format::TraceReader::Open(o.trace_path);
  ASSERT_TRUE(r.has_value());
  std::vector<std::string> keep;
  std::vector<format::EventView> events = Events(**r, &keep);
  int reads = 0, writes = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].kind == uint8_t(EffectKind::kEnvGet)) {
      ++reads;
      EXPECT_EQ(events[i].marks, format::kMarkResultRedacted);
      EXPECT_EQ(keep[2 * i + 1], "\1[redacted #1]");
    } else if (events[i].kind == uint8_t(EffectKind::kIoWrite)) {
      ++writes;
      EXPECT_EQ(events[i].marks, format::kMarkArgsRedacted);
      EXPECT_NE(keep[2 * i].find(" sends [redacted #1]\n"), std::string::npos) << keep[2 * i];
    }
  }
  EXPECT_EQ(reads, kWorkers);
  EXPECT_EQ(writes, kWorkers * 20);
  Captured rep = ReplayCaptured(dir, p, "t.trace");
  ASSERT_EQ(rep.report.status, RunReport::Status::kOk)
      << (rep.report.drift ? rep.report.drift->Describe() : rep.report.error);
  EXPECT_EQ(rep.out.find(kToken), std::string::npos);
}

// libc.start's environment (a program not written for tape): the values of
// the variables a glob names, not their names, not empty values, and not
// variables of other lists (the argv).
TEST(RedactEnv, EnvValuesNamedFindsTheValuesInLibcStartsEnvironment) {
  auto list = [](std::vector<std::string> items) {
    std::string out = U32(uint32_t(items.size()));
    for (const std::string& i : items) out += U32(uint32_t(i.size())) + i;
    return out;
  };
  std::string result = list({"prog", "API_KEY=in-argv"}) +
                       list({"HOME=/root", "API_KEY=tok123456", "API_EMPTY=", "api_key=lower"}) +
                       U32(1) + "/" + list({"0", "1", "2"});
  uint8_t start = uint8_t(EffectKind::kLibcStart);
  ASSERT_TRUE(engine::CheckEvent(start, {}, AsBytes(result)).ok());
  std::vector<engine::NamedValue> found;
  engine::EnvValuesNamed(start, false, AsBytes(result), {"API_*"}, &found);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(format::AsChars(found[0].value_bytes()), "tok123456");
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(found[0].line), found[0].value),
            "API_KEY=");
  found.clear();
  engine::EnvValuesNamed(uint8_t(EffectKind::kProcRun), true, AsBytes(result), {"*"}, &found);
  EXPECT_TRUE(found.empty());  // no list named env there
}

TEST(RedactEnv, ABadGlobIsRefusedBeforeAnythingIsWritten) {
  TempDir dir;
  RecordOptions o;
  o.trace_path = dir.File("t.trace");
  for (std::string glob : {std::string(), std::string("A\nB"), std::string(2000, '*')}) {
    o.redact_env = {glob};
    std::string seen;
    RunReport rec = Record(TokenProgram(dir.File("copy"), &seen), o);
    EXPECT_EQ(rec.status, RunReport::Status::kTraceError);
    EXPECT_NE(rec.error.find("redact_env: the glob"), std::string::npos) << rec.error;
    EXPECT_FALSE(std::filesystem::exists(o.trace_path));
  }
}

// Records `p` into DIR/t.trace redacting the variables `globs` name, under
// chaos `spec` (seed 3) when given, its output going to /dev/null. Expects
// the recording to succeed and kToken to be nowhere in the file.
void RecordRedacted(const TempDir& dir, const Program& p, std::vector<std::string> globs,
                    std::string chaos = "") {
  RecordOptions o;
  o.trace_path = dir.File("t.trace");
  o.redact_env = std::move(globs);
  o.chaos = std::move(chaos);
  o.chaos_seed = 3;
  o.stdout_fd = ::open("/dev/null", O_WRONLY);
  RunReport rec = Record(p, o);
  ::close(o.stdout_fd);
  ASSERT_EQ(rec.status, RunReport::Status::kOk) << rec.error;
  EXPECT_EQ(ReadFile(o.trace_path).find(kToken), std::string::npos)
      << "the token reached the trace";
}

// Expects DIR/t.trace to replay `p` to its end.
void ExpectReplays(const TempDir& dir, const Program& p) {
  Captured rep = ReplayCaptured(dir, p, "t.trace");
  EXPECT_EQ(rep.report.status, RunReport::Status::kOk)
      << (rep.report.drift ? rep.report.drift->Describe() : rep.report.error);
}

// The events of DIR/t.trace, their payloads in `keep` (args, result, ...).
std::vector<format::EventView> EventsOf(const TempDir& dir, std::vector<std::string>* keep) {
  auto r = format::TraceReader::Open(dir.File("t.trace"));
  EXPECT_TRUE(r.has_value());
  return r.has_value() ? Events(**r, keep) : std::vector<format::EventView>{};
}

// Chaos mode perturbs calls without performing them, but their args are the
// program's: the data of an fs.write, a request's Authorization header, a
// command's argv carry the token all the same.
TEST(RedactEnv, CallsThatChaosPerturbsAreRedactedToo) {
  TempDir dir;
  setenv("API_TOKEN", kToken, 1);
  std::string path = dir.File("never-written");
  Program p = TestProgram("chaotic", [&](Runtime& rt) {
    std::string token = rt.EnvGet("API_TOKEN").value_or("unset");
    rt.FsWrite(path, "key=" + token);
    HttpRequest request;
    request.url = "http://127.0.0.1:9/deploy";
    request.headers = {{"Authorization", "Bearer " + token}};
    rt.Http(request);
    rt.ProcRun({{"deploy", "--token", token}, "", 0});
    return 0;
  });
  RecordRedacted(dir, p, {"API_TOKEN"}, "fs.write=1,http.request=1,proc.run=1");
  EXPECT_FALSE(std::filesystem::exists(path)) << "chaos should have replaced the write";
  std::vector<std::string> keep;
  std::vector<format::EventView> events = EventsOf(dir, &keep);
  ASSERT_EQ(events.size(), 4u);
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(events[i].marks, format::kMarkPerturbed | format::kMarkArgsRedacted) << "seq " << i;
    EXPECT_NE(keep[2 * i].find("[redacted #1]"), std::string::npos) << "seq " << i;
  }
  EXPECT_NE(keep[4].find("Bearer [redacted #1]"), std::string::npos);
  ExpectReplays(dir, p);
}

// Threads that chaos perturbs while they redact: each lane's perturbed and
// performed calls alike keep the token out (chaos's lock is taken before
// redaction's, never the other way round).
TEST(RedactEnv, LanesUnderChaosRedactTooAndReplay) {
  TempDir dir;
  setenv("API_TOKEN", kToken, 1);
  constexpr int kWorkers = 4;
  std::string base = dir.File("out");
  Program p = TestProgram("chaotic-lanes", [&](Runtime& rt) {
    std::vector<tape::Thread> threads;
    for (int w = 0; w < kWorkers; ++w) {
      threads.push_back(tape::Thread(rt, [&rt, &base, w] {
        std::string token = rt.EnvGet("API_TOKEN").value_or("unset");
        for (int i = 0; i < 20; ++i) {
          rt.FsWrite(base + std::to_string(w), "token=" + token);
          rt.IoWrite("worker " + std::to_string(w) + " sends " + token + "\n");
        }
      }));
    }
    for (auto& t : threads) t.join();
    return 0;
  });
  RecordRedacted(dir, p, {"API_TOKEN"}, "fs.write=0.5");
  std::vector<std::string> keep;
  int perturbed = 0;
  for (const format::EventView& e : EventsOf(dir, &keep)) {
    perturbed += (e.marks & format::kMarkPerturbed) != 0;
  }
  EXPECT_GT(perturbed, 0);
  ExpectReplays(dir, p);
}

// The outcome's message is in the footer, which is shared with the trace: a
// program that fails with the token in its message must not put it there.
// The caller still gets the message as it was.
TEST(RedactEnv, TheOutcomeMessageIsRedacted) {
  TempDir dir;
  setenv("API_TOKEN", kToken, 1);
  Program p = TestProgram("fails", [](Runtime& rt) -> int {
    std::string token = rt.EnvGet("API_TOKEN").value_or("unset");
    throw std::runtime_error("the service refused token " + token + " (expired)");
  });
  RecordOptions o;
  o.trace_path = dir.File("t.trace");
  o.redact_env = {"API_*"};
  RunReport rec = Record(p, o);
  ASSERT_EQ(rec.status, RunReport::Status::kOk) << rec.error;
  EXPECT_NE(rec.outcome.find(kToken), std::string::npos) << rec.outcome;
  EXPECT_EQ(ReadFile(o.trace_path).find(kToken), std::string::npos)
      << "the token reached the trace";
  auto r = format::TraceReader::Open(o.trace_path);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)->outcome().message,
            "std::runtime_error: the service refused token [redacted #1] (expired)");
  // Replay gives the program the marker, so it fails with the same message.
  ExpectReplays(dir, p);
}

// A value's marker stands for it without the whitespace at its ends, and
// copies are found by that part: a trimmed copy is caught, and a copy's
// newline stays where it was.
TEST(RedactEnv, WhitespaceAroundAValueStaysAroundItsMarker) {
  TempDir dir;
  setenv("API_TOKEN", (std::string(kToken) + "\n").c_str(), 1);
  Program p = TestProgram("trim", [](Runtime& rt) {
    std::string token = rt.EnvGet("API_TOKEN").value_or("unset");
    rt.IoWrite("raw=" + token);
    rt.IoWrite("trimmed=" + token.substr(0, token.size() - 1) + ";\n");
    return 0;
  });
  RecordRedacted(dir, p, {"API_TOKEN"});
  std::vector<std::string> keep;
  ASSERT_EQ(EventsOf(dir, &keep).size(), 3u);
  EXPECT_EQ(keep[1], "\1[redacted #1]\n");
  EXPECT_EQ(keep[2], "raw=[redacted #1]\n");
  EXPECT_EQ(keep[4], "trimmed=[redacted #1];\n");
}

TEST(SecretCore, IsTheValueWithoutTheWhitespaceAtItsEnds) {
  auto core = [](std::string s) {
    ByteRange r = engine::SecretCore(AsBytes(s));
    return s.substr(r.begin, r.end - r.begin);
  };
  EXPECT_EQ(core("secret\n"), "secret");
  EXPECT_EQ(core(" \t secret value\r\n"), "secret value");
  EXPECT_EQ(core("secret"), "secret");
  EXPECT_EQ(core(" \n "), " \n ");  // nothing but whitespace: the whole value
  EXPECT_EQ(core(""), "");
  MarkerTable markers;
  std::string out;
  engine::MarkValue(AsBytes(std::string("  key\n")), &markers, &out);
  EXPECT_EQ(out, "  [redacted #1]\n");
}

TEST(MessageValueFinder, FindsQuotedAndCutCopiesAsMessagesShowThem) {
  engine::MessageValueFinder f;
  f.Add(AsBytes(std::string("tok_live_8f2b9c71d3e4_0123456789abcdefghijklmnop")));
  f.Add(AsBytes(std::string("pa\"ss\\wörd\n")));  // quoted: pa\"ss\\w\xc3\xb6rd\n
  f.Add(AsBytes(std::string("short")));           // under 6 bytes: not looked for
  MarkerTable markers;
  auto redact = [&](std::string text) {
    std::string out;
    return f.Redact(text, &markers, &out) ? out : "unchanged: " + text;
  };
  EXPECT_EQ(redact("int(): \"tok_live_8f2b9c71d3e4_0123456789abcdefg...\" is not a number"),
            "int(): \"[redacted #1]...\" is not a number");
  EXPECT_EQ(redact("failed: \"tok_live_8f2b9c71\"... (cut after the quote)"),
            "failed: \"[redacted #1]\"... (cut after the quote)");
  EXPECT_EQ(redact("bad \"pa\\\"ss\\\\w\\xc3\\xb6rd\\n\" given"), "bad \"[redacted #2]\" given");
  EXPECT_EQ(redact("printed [\"pa\\\"ss\\\\w\xc3\xb6rd\\n\"]"), "printed [\"[redacted #2]\"]");
  // A prefix that the message did not cut is not a copy; nor is a short value.
  EXPECT_EQ(redact("tok_live_8f2b9c71 and more"), "unchanged: tok_live_8f2b9c71 and more");
  EXPECT_EQ(redact("a short... value"), "unchanged: a short... value");
}

// A script error quotes the value it could not use, cut short when it is
// long: the prefix of a long token must not reach the footer either.
TEST(RedactEnv, AnOutcomeMessageThatShowsALongTokenCutShortIsRedacted) {
  TempDir dir;
  std::string token = std::string(kToken) + "_0123456789abcdefghijklmnopqrstuvwxyz";
  setenv("API_TOKEN", token.c_str(), 1);
  Program p = TestProgram("cut", [](Runtime& rt) -> int {
    std::string t = rt.EnvGet("API_TOKEN").value_or("unset");
    throw std::runtime_error("int(): \"" + t.substr(0, 38) + "...\" is not a whole number");
  });
  RecordRedacted(dir, p, {"API_TOKEN"});
  EXPECT_EQ(ReadFile(dir.File("t.trace")).find(token.substr(0, 20)), std::string::npos);
  auto r = format::TraceReader::Open(dir.File("t.trace"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)->outcome().message,
            "std::runtime_error: int(): \"[redacted #1]...\" is not a whole number");
}

// --- replay of redacted args ------------------------------------------------

// Copies `from` to `to`, replacing the args of every io.write by a marker
// and marking them redacted (or not, with `mark` false): what `tape redact`
// does to output that held a secret.
void RedactWrites(const std::string& from, const std::string& to, bool mark) {
  auto r = format::TraceReader::Open(from);
  ASSERT_TRUE(r.has_value());
  auto w = format::RecoveryWriter::Create(to, **r);
  ASSERT_TRUE(w.has_value());
  format::EventCursor cursor(r->get(), format::kDecodeAll);
  ASSERT_TRUE(cursor.Seek(0).ok());
  std::string marker = "[redacted #1]\n";
  while (!cursor.at_end()) {
    format::EventView e = cursor.event();
    (*w)->DefineSite(e.site, (*r)->SiteLocation(e.site));
    if (e.kind == uint8_t(EffectKind::kIoWrite)) {
      e.args = format::PayloadView{};
      e.args.data = reinterpret_cast<const uint8_t*>(marker.data());
      e.args.size = marker.size();
      if (mark) e.marks |= format::kMarkArgsRedacted;
    }
    ASSERT_TRUE((*w)->Append(e).ok());
    ASSERT_TRUE(cursor.Next().ok());
  }
  ASSERT_TRUE((*w)->Finish((*r)->outcome(), (*r)->event_count(), 1).ok());
}

TEST(Replay, RedactedArgsAreNotComparedButTheSiteAndKindAre) {
  TempDir dir;
  enum { kWrite, kClock, kElsewhere } first = kWrite;
  Program p = TestProgram("writer", [&](Runtime& rt) {
    static const Site site{SiteIdOf("writer.cc:1:1"), "writer.cc:1:1"};
    if (first == kWrite) rt.IoWriteAt(site, "password=hunter22\n");
    if (first == kClock) rt.ClockNowAt(site);
    if (first == kElsewhere) rt.IoWrite("password=hunter22\n");
    rt.IoWrite("done\n");
    return 0;
  });
  ASSERT_EQ(RecordCaptured(dir, p, "plain").report.status, RunReport::Status::kOk);
  RedactWrites(dir.File("plain"), dir.File("marked"), true);
  RedactWrites(dir.File("plain"), dir.File("unmarked"), false);

  // The program's own bytes are written, whatever the trace holds.
  Captured rep = ReplayCaptured(dir, p, "marked");
  ASSERT_EQ(rep.report.status, RunReport::Status::kOk)
      << (rep.report.drift ? rep.report.drift->Describe() : rep.report.error);
  EXPECT_EQ(rep.out, "password=hunter22\ndone\n");

  // Without the mark, other args are drift.
  rep = ReplayCaptured(dir, p, "unmarked");
  ASSERT_EQ(rep.report.status, RunReport::Status::kDrift);
  EXPECT_EQ(rep.report.drift->kind, DriftKind::kArgsMismatch);
  EXPECT_EQ(rep.report.drift->seq, 0u);

  // A redacted event still needs its kind and its site.
  first = kClock;
  rep = ReplayCaptured(dir, p, "marked");
  ASSERT_EQ(rep.report.status, RunReport::Status::kDrift);
  EXPECT_EQ(rep.report.drift->kind, DriftKind::kKindMismatch);
  EXPECT_EQ(rep.report.drift->seq, 0u);
  first = kElsewhere;
  rep = ReplayCaptured(dir, p, "marked");
  ASSERT_EQ(rep.report.status, RunReport::Status::kDrift);
  EXPECT_EQ(rep.report.drift->kind, DriftKind::kSiteMismatch);
  EXPECT_EQ(rep.report.drift->seq, 0u);
}

}  // namespace
}  // namespace tape::testing
