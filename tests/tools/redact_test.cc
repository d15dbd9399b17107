// tape redact (specs/trace-format.md §13.6), in-process: a recording with an
// API token, a key file, a user effect's secret and a large spilled payload,
// over many chunks; after redaction no byte of a secret is left anywhere in
// the file, compressed or not, and everything else is kept.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>

#include "engine/internal/redaction.h"
#include "format/layout.h"
#include "format/trace_reader.h"
#include "tape/thread.h"
#include "tests/engine/session_fixture.h"
#include "tests/format/trace_bytes.h"
#include "tools/cli.h"
#include "tools/event_text.h"
#include "tools/program_loader.h"

namespace tape::testing {
namespace {

using format::testing::AllTraceBytes;

constexpr char kToken[] = "ghp_R3dact3dT0kenValue0123456789abcdef";
constexpr char kKey[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n"
    "-----END PRIVATE KEY-----\n";
constexpr char kKeyLine[] = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7";
constexpr char kPassword[] = "pw-Sup3rS3cret!";
constexpr int kTicks = 3000;

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

// Reads the token and the key, ticks through many chunks, reads a 300 KiB
// file that holds both (a spilled payload), sends the token in a header,
// asks a user effect for a password, and fails with the token in its message.
Program Leaky(const std::string& key_path, const std::string& big_path, std::string* log) {
  return TestProgram("leaky", [=](Runtime& rt) -> int {
    std::string token = rt.EnvGet("API_TOKEN").value_or("");
    std::string key = rt.FsRead(key_path).data;
    for (int i = 0; i < kTicks; ++i) {
      rt.ClockNow();
      if (i % 500 == 0) rt.IoWrite("tick " + std::to_string(i) + "\n");
    }
    std::string big = rt.FsRead(big_path).data;
    rt.IoWrite("Authorization: Bearer " + token + "\n");
    std::string password = rt.Effect<std::string>("vault.get", std::string("db"),
                                                  [] { return std::string(kPassword); });
    *log = token + "|" + key + "|" + password + "|" + std::to_string(big.size());
    throw std::runtime_error("refusing token " + token);
  });
}

class RedactTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = dir_.File("id.pem");
    big_ = dir_.File("big.txt");
    WriteFile(key_, kKey);
    std::string big(150 << 10, 'a');
    big += std::string("token ") + kToken + "\n" + kKey;
    big += std::string(150 << 10, 'z');
    WriteFile(big_, big);
    setenv("API_TOKEN", kToken, 1);
    RecordOptions o;
    o.trace_path = dir_.File("run.trace");
    o.chunk_events = 512;
    o.stdout_fd = ::open(dir_.File("run.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    RunReport rec = Record(Leaky(key_, big_, &log_), o);
    ::close(o.stdout_fd);
    ASSERT_EQ(rec.status, RunReport::Status::kOk) << rec.error;
    ASSERT_EQ(log_, std::string(kToken) + "|" + kKey + "|" + kPassword + "|" +
                        std::to_string(big.size()));
  }

  cli::RedactArgs Args(const std::string& out) {
    cli::RedactArgs a;
    a.file = dir_.File("run.trace");
    a.out = dir_.File(out);
    a.names = {"API_TOKEN", key_};
    a.kinds = {"vault.get"};
    return a;
  }

  static void ExpectNoSecret(const std::string& bytes) {
    for (const char* secret : {kToken, kKeyLine, kPassword}) {
      EXPECT_EQ(bytes.find(secret), std::string::npos) << "found " << secret;
    }
  }

  TempDir dir_;
  std::string key_, big_, log_;
};

TEST_F(RedactTest, NoByteOfASecretIsLeftCompressedOrNot) {
  std::string before = AllTraceBytes(ReadFile(dir_.File("run.trace")));
  // The test would see them: the source holds every secret.
  for (const char* secret : {kToken, kKeyLine, kPassword}) {
    EXPECT_NE(before.find(secret), std::string::npos) << secret;
  }
  ASSERT_EQ(cli::RunRedact(Args("clean.trace")), cli::kExitOk);
  ExpectNoSecret(AllTraceBytes(ReadFile(dir_.File("clean.trace"))));
  cli::VerifyArgs verify;
  verify.file = dir_.File("clean.trace");
  EXPECT_EQ(cli::RunVerify(verify), cli::kExitOk);
}

TEST_F(RedactTest, EverythingButTheSecretsIsKept) {
  ASSERT_EQ(cli::RunRedact(Args("clean.trace")), cli::kExitOk);
  auto a = format::TraceReader::Open(dir_.File("run.trace"));
  auto b = format::TraceReader::Open(dir_.File("clean.trace"));
  ASSERT_TRUE(a.has_value() && b.has_value());
  const format::TraceReader& src = **a;
  const format::TraceReader& red = **b;
  ASSERT_TRUE(red.finalized());
  EXPECT_EQ(red.header().redaction,
            "redact --kind vault.get\nredact --name API_TOKEN\nredact --name " + key_ +
                "\nredact: the outcome message");
  EXPECT_EQ(red.header().created_unix_ns, src.header().created_unix_ns);
  EXPECT_EQ(red.header().code_hash, src.header().code_hash);
  EXPECT_EQ(red.header().program_name, src.header().program_name);
  EXPECT_EQ(red.header().chunk_max_events, 512u);
  EXPECT_EQ(red.event_count(), src.event_count());
  EXPECT_EQ(red.finished_unix_ns(), src.finished_unix_ns());
  EXPECT_EQ(red.program_steps(), src.program_steps());  // unknown for a C++ program
  EXPECT_EQ(red.sites(), src.sites());
  EXPECT_EQ(red.kind_names(), src.kind_names());
  EXPECT_EQ(red.outcome().kind, format::OutcomeKind::kException);
  EXPECT_EQ(red.outcome().message, "std::runtime_error: refusing token [redacted #1]");
  // Chunk for chunk: the same boundaries.
  ASSERT_EQ(red.chunks().size(), src.chunks().size());
  ASSERT_GT(red.chunks().size(), 5u);
  for (size_t c = 0; c < red.chunks().size(); ++c) {
    EXPECT_EQ(red.chunks()[c].first_seq, src.chunks()[c].first_seq);
    EXPECT_EQ(red.chunks()[c].event_count, src.chunks()[c].event_count);
  }

  // Event for event: the same seq, site and kind; payloads differ exactly
  // where the marks say so.
  format::EventCursor x(&src, format::kDecodeAll), y(&red, format::kDecodeAll);
  ASSERT_TRUE(x.Seek(0).ok() && y.Seek(0).ok());
  std::map<std::string, uint8_t> marks;  // first event of each kind with marks
  uint64_t marked = 0, spilled = 0;
  std::string shown;
  while (!x.at_end()) {
    ASSERT_FALSE(y.at_end());
    format::EventView e = x.event(), f = y.event();
    ASSERT_EQ(e.seq, f.seq);
    ASSERT_EQ(e.site, f.site);
    ASSERT_EQ(e.kind, f.kind);
    std::string a_args, a_result, b_args, b_result;
    ASSERT_TRUE(src.ReadWholePayload(e.args, &a_args).ok());
    ASSERT_TRUE(src.ReadWholePayload(e.result, &a_result).ok());
    ASSERT_TRUE(red.ReadWholePayload(f.args, &b_args).ok());
    ASSERT_TRUE(red.ReadWholePayload(f.result, &b_result).ok());
    EXPECT_EQ(a_args != b_args, (f.marks & format::kMarkArgsRedacted) != 0) << f.seq;
    EXPECT_EQ(a_result != b_result, (f.marks & format::kMarkResultRedacted) != 0) << f.seq;
    if (e.result.size > (256u << 10)) {
      // The large fs.read: spilled to BLOB records before and after.
      EXPECT_TRUE(e.result.spilled());
      EXPECT_TRUE(f.result.spilled());
      ++spilled;
    }
    if (f.marks) {
      ++marked;
      std::string kind = cli::EventCall(red, f).substr(0, 8);
      marks.emplace(kind, f.marks);
      if (f.kind == uint8_t(EffectKind::kEnvGet)) shown = cli::EventLine(red, f);
    }
    ASSERT_TRUE(x.Next().ok() && y.Next().ok());
  }
  EXPECT_TRUE(y.at_end());
  EXPECT_EQ(spilled, 1u);
  // env.get, the key's fs.read, the large fs.read, the printed header, the user effect.
  EXPECT_EQ(marked, 5u);
  EXPECT_EQ(marks["env.get("], format::kMarkResultRedacted);
  EXPECT_EQ(marks["fs.read("], format::kMarkResultRedacted);
  EXPECT_EQ(marks["io.write"], format::kMarkArgsRedacted);
  EXPECT_EQ(marks["vault.ge"], format::kMarkArgsRedacted | format::kMarkResultRedacted);
  EXPECT_NE(shown.find("env.get(\"API_TOKEN\") -> \"[redacted #1]\" [result redacted]"),
            std::string::npos)
      << shown;
}

TEST_F(RedactTest, TheRedactedTraceReplaysWithTheMarkers) {
  ASSERT_EQ(cli::RunRedact(Args("clean.trace")), cli::kExitOk);
  std::string log;
  Captured rep = ReplayCaptured(dir_, Leaky(key_, big_, &log), "clean.trace");
  ASSERT_EQ(rep.report.status, RunReport::Status::kOk)
      << (rep.report.drift ? rep.report.drift->Describe() : rep.report.error);
  // The big file: its copies of the token and the key became their markers
  // (the key's last newline stays after its marker).
  size_t big = (300 << 10) + std::string("token \n").size() + std::string("[redacted #1]").size() +
               std::string("[redacted #2]\n").size();
  // (vault.get's args "db" are #3, its result #4.)
  EXPECT_EQ(log, "[redacted #1]|[redacted #2]\n|[redacted #4]|" + std::to_string(big));
  EXPECT_NE(rep.out.find("Authorization: Bearer [redacted #1]\n"), std::string::npos);
  EXPECT_EQ(rep.report.outcome, "threw std::runtime_error: refusing token [redacted #1]");
}

TEST_F(RedactTest, RedactingIsDeterministicAndAgainKeepsTheMarkers) {
  ASSERT_EQ(cli::RunRedact(Args("one.trace")), cli::kExitOk);
  ASSERT_EQ(cli::RunRedact(Args("two.trace")), cli::kExitOk);
  EXPECT_EQ(ReadFile(dir_.File("one.trace")), ReadFile(dir_.File("two.trace")));

  // A second pass numbers new values after the markers already there.
  cli::RedactArgs again;
  again.file = dir_.File("one.trace");
  again.out = dir_.File("again.trace");
  again.matches = {"tick ([0-9]+)"};
  ASSERT_EQ(cli::RunRedact(again), cli::kExitOk);
  auto r = format::TraceReader::Open(again.out);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)->header().redaction.substr((*r)->header().redaction.rfind('\n') + 1),
            "redact --match: 1 pattern, not recorded");
  format::EventCursor c(r->get(), format::kDecodeAll);
  ASSERT_TRUE(c.Seek(0).ok());
  std::vector<std::string> ticks;
  while (!c.at_end()) {
    format::EventView e = c.event();
    std::string args(format::AsChars(e.args.bytes()));
    if (e.kind == uint8_t(EffectKind::kIoWrite) && args.starts_with("tick")) ticks.push_back(args);
    ASSERT_TRUE(c.Next().ok());
  }
  ASSERT_EQ(ticks.size(), size_t(kTicks / 500));
  EXPECT_EQ(ticks[0], "tick [redacted #5]\n");
  EXPECT_EQ(ticks[1], "tick [redacted #6]\n");
  ExpectNoSecret(AllTraceBytes(ReadFile(again.out)));
}

// A file secret is learnt without the newline at its end: a trim()med copy
// is caught too (in the chunks and in the footer's outcome message), and
// where a copy is caught the bytes around it stay (the newline after it).
TEST(Redact, AFileSecretIsFoundTrimmedAndTheBytesAroundItStay) {
  TempDir dir;
  constexpr char kSecret[] = "s3cret-file-value-4f9a";
  std::string key = dir.File("deploy.key");
  WriteFile(key, std::string(kSecret) + "\n");
  Program p = TestProgram("filekey", [key](Runtime& rt) -> int {
    std::string data = rt.FsRead(key).data;
    std::string trimmed = data.substr(0, data.find('\n'));
    rt.IoWrite("file=" + data);
    for (int i = 0; i < 3; ++i) rt.IoWrite("key " + std::to_string(i) + ": " + trimmed + ";\n");
    throw std::runtime_error("the server refused key " + trimmed);
  });
  RecordOptions o;
  o.trace_path = dir.File("run.trace");
  o.stdout_fd = ::open("/dev/null", O_WRONLY);
  RunReport rec = Record(p, o);
  ::close(o.stdout_fd);
  ASSERT_EQ(rec.status, RunReport::Status::kOk) << rec.error;
  cli::RedactArgs a;
  a.file = o.trace_path;
  a.out = dir.File("clean.trace");
  a.names = {key};
  ASSERT_EQ(cli::RunRedact(a), cli::kExitOk);
  EXPECT_EQ(AllTraceBytes(ReadFile(a.out)).find(kSecret), std::string::npos)
      << "a copy of the file's value is left";
  auto r = format::TraceReader::Open(a.out);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)->outcome().message, "std::runtime_error: the server refused key [redacted #1]");
  format::EventCursor c(r->get(), format::kDecodeAll);
  ASSERT_TRUE(c.Seek(0).ok());
  std::vector<std::string> payloads;
  while (!c.at_end()) {
    format::EventView e = c.event();
    payloads.emplace_back(format::AsChars(e.kind == uint8_t(EffectKind::kFsRead) ? e.result.bytes()
                                                                                 : e.args.bytes()));
    ASSERT_TRUE(c.Next().ok());
  }
  ASSERT_EQ(payloads.size(), 5u);
  EXPECT_EQ(payloads[0], std::string(4, '\0') + "[redacted #1]\n");
  EXPECT_EQ(payloads[1], "file=[redacted #1]\n");
  EXPECT_EQ(payloads[2], "key 0: [redacted #1];\n");
  EXPECT_EQ(payloads[4], "key 2: [redacted #1];\n");
  Captured rep = ReplayCaptured(dir, p, "clean.trace");
  EXPECT_EQ(rep.report.status, RunReport::Status::kOk)
      << (rep.report.drift ? rep.report.drift->Describe() : rep.report.error);
}

TEST(Redact, APatternThatMatchesEverywhereCostsNoMoreThanTheField) {
  TempDir dir;
  // 2 MiB of "a_": more matches of --match a than are replaced one by one,
  // in one spilled payload.
  std::string text;
  for (size_t i = 0; i <= engine::kMaxRangesPerField; ++i) text += "a_";
  Program p = TestProgram("chatty", [&](Runtime& rt) {
    rt.IoWrite(text);
    rt.IoWrite("a_b");
    return 0;
  });
  ASSERT_EQ(RecordCaptured(dir, p, "run.trace").report.status, RunReport::Status::kOk);
  cli::RedactArgs a;
  a.file = dir.File("run.trace");
  a.out = dir.File("clean.trace");
  a.matches = {"a"};
  ASSERT_EQ(cli::RunRedact(a), cli::kExitOk);
  auto r = format::TraceReader::Open(a.out);
  ASSERT_TRUE(r.has_value());
  format::EventCursor c(r->get(), format::kDecodeAll);
  ASSERT_TRUE(c.Seek(0).ok());
  // Too many matches: the whole field is one marker.
  EXPECT_EQ(format::AsChars(c.event().args.bytes()), "[redacted #1]");
  ASSERT_TRUE(c.Next().ok());
  EXPECT_EQ(format::AsChars(c.event().args.bytes()), "[redacted #2]_b");
  EXPECT_EQ(c.event().marks, format::kMarkArgsRedacted);
}

// A script's step count, which bounds its replay (§9), is kept.
TEST(Redact, AScriptTraceKeepsItsStepCountAndReplays) {
  TempDir dir;
  std::string path = dir.File("count.tape");
  std::ofstream(path) << "let t = env.get(\"API_TOKEN\");\n"
                         "for i in 0..20 { }\n"
                         "print(\"token \" + t);\n";
  Result<Program> program = cli::LoadScript(path);
  ASSERT_TRUE(program.has_value()) << program.error().message();
  setenv("API_TOKEN", kToken, 1);
  ASSERT_EQ(RecordCaptured(dir, *program, "run.trace").report.status, RunReport::Status::kOk);
  cli::RedactArgs a;
  a.file = dir.File("run.trace");
  a.out = dir.File("clean.trace");
  a.names = {"API_TOKEN"};
  ASSERT_EQ(cli::RunRedact(a), cli::kExitOk);
  auto src = format::TraceReader::Open(a.file);
  auto red = format::TraceReader::Open(a.out);
  ASSERT_TRUE(src.has_value() && red.has_value());
  ASSERT_TRUE((*src)->program_steps().has_value());
  EXPECT_GE(*(*src)->program_steps(), 20u);  // the loop's iterations at least
  EXPECT_EQ((*red)->program_steps(), (*src)->program_steps());
  EXPECT_EQ(AllTraceBytes(ReadFile(a.out)).find(kToken), std::string::npos);
  Captured replayed = ReplayCaptured(dir, *program, "clean.trace");
  EXPECT_EQ(replayed.report.status, RunReport::Status::kOk) << replayed.report.error;
  EXPECT_EQ(replayed.out, "token [redacted #1]\n");
}

// A trace of several threads keeps each event's lane (§7.7), so it still
// replays lane by lane.
TEST(Redact, EveryEventKeepsItsLane) {
  TempDir dir;
  Program p = TestProgram("lanes", [](Runtime& rt) {
    tape::Mutex m(rt, "out");
    std::vector<tape::Thread> threads;
    for (int w = 0; w < 3; ++w) {
      threads.push_back(tape::Thread(rt, [&rt, &m, w] {
        for (int i = 0; i < 10; ++i) {
          std::string b = rt.RandomBits(4);
          std::lock_guard g(m);
          rt.IoWrite("worker " + std::to_string(w) + " secret-" + std::to_string(b.size()) + "\n");
        }
      }));
    }
    for (auto& t : threads) t.join();
    return 0;
  });
  ASSERT_EQ(RecordCaptured(dir, p, "run.trace").report.status, RunReport::Status::kOk);
  cli::RedactArgs a;
  a.file = dir.File("run.trace");
  a.out = dir.File("clean.trace");
  a.matches = {"secret-[0-9]+"};
  ASSERT_EQ(cli::RunRedact(a), cli::kExitOk);
  auto lanes = [](const std::string& path) {
    auto r = format::TraceReader::Open(path);
    EXPECT_TRUE(r.has_value());
    std::vector<std::pair<uint32_t, uint8_t>> out;  // lane, marks
    format::EventCursor c(r->get(), format::kDecodeAll);
    EXPECT_TRUE(c.Seek(0).ok());
    while (!c.at_end()) {
      out.push_back({c.event().lane, c.event().marks});
      EXPECT_TRUE(c.Next().ok());
    }
    return out;
  };
  std::vector<std::pair<uint32_t, uint8_t>> before = lanes(a.file), after = lanes(a.out);
  ASSERT_EQ(after.size(), before.size());
  uint32_t max_lane = 0, redacted = 0;
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].first, before[i].first) << "seq " << i;
    max_lane = std::max(max_lane, after[i].first);
    redacted += after[i].second == format::kMarkArgsRedacted;
  }
  EXPECT_EQ(max_lane, 3u);
  EXPECT_EQ(redacted, 30u);
  cli::VerifyArgs verify;
  verify.file = a.out;
  EXPECT_EQ(cli::RunVerify(verify), cli::kExitOk);
  Captured replayed = ReplayCaptured(dir, p, "clean.trace");
  EXPECT_EQ(replayed.report.status, RunReport::Status::kOk)
      << (replayed.report.drift ? replayed.report.drift->Describe() : replayed.report.error);
}

TEST_F(RedactTest, ADamagedTraceIsRefusedAndNothingIsWritten) {
  std::string bytes = ReadFile(dir_.File("run.trace"));
  auto r = format::TraceReader::Open(dir_.File("run.trace"));
  ASSERT_TRUE(r.has_value());
  // Flip a byte in the middle of the fourth chunk: the footer still reads.
  const format::ChunkIndexEntry& chunk = (*r)->chunks()[3];
  bytes[chunk.file_offset + chunk.record_size / 2] ^= 0x40;
  WriteFile(dir_.File("bad.trace"), bytes);
  cli::RedactArgs a = Args("clean.trace");
  a.file = dir_.File("bad.trace");
  EXPECT_EQ(cli::RunRedact(a), cli::kExitTrace);
  EXPECT_FALSE(std::filesystem::exists(a.out));
  // Damage found while writing (no rule needs the first pass) leaves no
  // file behind either.
  cli::RedactArgs match_only;
  match_only.file = a.file;
  match_only.out = a.out;
  match_only.matches = {"tick"};
  EXPECT_EQ(cli::RunRedact(match_only), cli::kExitTrace);
  EXPECT_FALSE(std::filesystem::exists(a.out));
  // An unfinished one (no footer) is refused before anything is read.
  WriteFile(dir_.File("cut.trace"), ReadFile(dir_.File("run.trace")).substr(0, chunk.file_offset));
  a.file = dir_.File("cut.trace");
  EXPECT_EQ(cli::RunRedact(a), cli::kExitTrace);
  EXPECT_FALSE(std::filesystem::exists(a.out));
  for (const auto& entry : std::filesystem::directory_iterator(dir_.File(""))) {
    EXPECT_EQ(entry.path().string().find("recovering"), std::string::npos) << entry.path();
  }
}

}  // namespace
}  // namespace tape::testing
