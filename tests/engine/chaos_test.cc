// Chaos mode (specs/chaos.md): the spec's grammar, the perturbations of every
// effect (each a well-formed result of its layout), the seeded generator, and
// chaotic recordings that replay and rerun exactly.

#include "engine/internal/chaos.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include <cerrno>
#include <cmath>
#include <fstream>
#include <set>

#include "engine/effects/live_env.h"
#include "engine/effects/registry.h"
#include "format/clock.h"
#include "format/layout.h"
#include "format/trace_reader.h"
#include "tests/engine/session_fixture.h"

namespace tape::testing {
namespace {

using engine::Chaos;
using engine::ChaosSpec;
using engine::ParseChaosSpec;
using engine::Perturbation;
using engine::PerturbationsOf;

uint8_t K(EffectKind kind) { return uint8_t(kind); }

ChaosSpec MustParse(const std::string& text) {
  Result<ChaosSpec> spec = ParseChaosSpec(text);
  EXPECT_TRUE(spec.has_value()) << text << ": " << spec.error().message();
  return spec.has_value() ? *spec : ChaosSpec{};
}

// --- the spec (§2) ------------------------------------------------------------

TEST(ChaosSpec, NamesEffectsModulesUserAndAll) {
  ChaosSpec s = MustParse(" fs.read = 0.1, clock=0.01 ");
  EXPECT_EQ(s.text, "fs.read=0.1,clock=0.01");
  EXPECT_DOUBLE_EQ(s.probability[K(EffectKind::kFsRead)], 0.1);
  EXPECT_DOUBLE_EQ(s.probability[K(EffectKind::kClockNow)], 0.01);
  EXPECT_EQ(s.probability[K(EffectKind::kRandomBits)], 0);
  EXPECT_EQ(s.allowed[K(EffectKind::kFsRead)], 0b1111u);  // enoent, eacces, eio, truncate

  ChaosSpec all = MustParse("all=0.05");
  for (int k = 0; k < 256; ++k) {
    double expected = PerturbationsOf(uint8_t(k)).empty() ? 0 : 0.05;
    EXPECT_EQ(all.probability[k], expected) << "kind " << k;
  }
  EXPECT_EQ(all.probability[K(EffectKind::kIoWrite)], 0);
  EXPECT_EQ(all.probability[200], 0.05);

  ChaosSpec user = MustParse("user=0.5");
  EXPECT_EQ(user.probability[kFirstUserKind], 0.5);
  EXPECT_EQ(user.probability[255], 0.5);
  EXPECT_EQ(user.probability[K(EffectKind::kFsRead)], 0);
}

TEST(ChaosSpec, LaterEntriesReplaceEarlierOnes) {
  ChaosSpec s = MustParse("all=0.05,clock.now=0");
  EXPECT_EQ(s.probability[K(EffectKind::kClockNow)], 0);
  EXPECT_EQ(s.probability[K(EffectKind::kFsRead)], 0.05);
  Chaos chaos(s, 1);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(chaos.Draw(EffectKind::kClockNow), nullptr);
}

TEST(ChaosSpec, NamesOnePerturbationRegardlessOfCase) {
  ChaosSpec s = MustParse("fs.read:EIO=1");
  EXPECT_EQ(s.allowed[K(EffectKind::kFsRead)], 0b0100u);
  Chaos chaos(s, 9);
  for (int i = 0; i < 100; ++i) {
    const Perturbation* p = chaos.Draw(EffectKind::kFsRead);
    ASSERT_NE(p, nullptr);
    EXPECT_STREQ(p->name, "eio");
  }
}

TEST(ChaosSpec, BadSpecsSayWhatIsWrong) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "the chaos spec is empty"},
      {"  ", "the chaos spec is empty"},
      {"fs.read", "'fs.read' has no probability"},
      {"fs.read=", "'' in 'fs.read=' is not a probability"},
      {"fs.read=abc", "'abc' in 'fs.read=abc' is not a probability"},
      {"fs.read=0.1x", "is not a probability"},
      {"fs.read=nan", "is not a probability"},
      {"fs.read=inf", "is not a probability"},
      {"fs.read=1.5", "the probability in 'fs.read=1.5' is outside 0..1"},
      {"fs.read=-0.1", "is outside 0..1"},
      {"teleport=0.1", "unknown effect 'teleport' in 'teleport=0.1'; chaos can perturb clock.now"},
      {"fs=0.1", "unknown effect 'fs'"},
      {"io.write=0.1", "io.write cannot be perturbed"},
      {"args.get=0.1", "args.get cannot be perturbed"},
      {"fs.read:bogus=0.1",
       "fs.read has no perturbation 'bogus'; its perturbations are enoent, eacces, eio, truncate"},
      {"fs.read:=0.1", "names no perturbation after ':'"},
      {"=0.1", "'=0.1' names no effect"},
      {"all:eio=0.1", "'all' takes no perturbation name"},
      {"fs.read=0.1,,clock.now=0.1", "an empty entry"},
      {"fs.read=0.1,", "an empty entry"},
      {std::string(5000, 'x') + "=1", "at most 4096"},
  };
  for (const auto& [text, expected] : cases) {
    Result<ChaosSpec> spec = ParseChaosSpec(text);
    ASSERT_FALSE(spec.has_value()) << "accepted: " << text;
    EXPECT_NE(spec.error().message().find(expected), std::string::npos)
        << text << " -> " << spec.error().message();
  }
}

// --- the perturbations (§3) ----------------------------------------------------

struct Scratch {
  TempDir dir;
  std::vector<std::string> args = {"a"};
  LiveEnv env;
  Scratch() {
    std::ofstream(dir.File("data.txt")) << "hello, world";
    env.args = &args;
  }
};

// Encoded args for a call of `kind` that the live effect can perform.
std::string ArgsFor(uint8_t kind, const Scratch& s) {
  auto u32 = [](uint32_t v) {
    std::string out(4, '\0');
    format::StoreU32(reinterpret_cast<uint8_t*>(out.data()), v);
    return out;
  };
  std::string path = s.dir.File("data.txt");
  switch (EffectKind(kind)) {
    case EffectKind::kRandomBits:
      return u32(16);
    case EffectKind::kFsRead:
    case EffectKind::kFsExists:
      return path;
    case EffectKind::kFsList:
      return s.dir.File("");
    case EffectKind::kFsWrite:
    case EffectKind::kFsAppend: {
      std::string out = s.dir.File("out.txt");
      return u32(uint32_t(out.size())) + out + "data";
    }
    case EffectKind::kEnvGet:
      return "HOME";
    case EffectKind::kTimeSleep: {
      std::string ms(8, '\0');
      format::StoreU64(reinterpret_cast<uint8_t*>(ms.data()), 2);
      return ms;
    }
    case EffectKind::kHttpRequest: {
      HttpRequest r;
      r.url = "http://127.0.0.1:9/";
      std::string out;
      engine::EncodeFor(engine::kHttpRequest.args, r, &out);
      return out;
    }
    case EffectKind::kProcRun: {
      ProcRequest r;
      r.argv = {"true"};
      std::string out;
      engine::EncodeFor(engine::kProcRun.args, r, &out);
      return out;
    }
    // Programs not written for tape (trace-format.md §13.7).
    case EffectKind::kLibcClockGettime:
      return u32(0);
    case EffectKind::kLibcOpen:
    case EffectKind::kLibcAccess:
      return u32(uint32_t(-100)) + u32(0) + u32(0) + path;
    case EffectKind::kLibcRead:
      return u32(0) + u32(16) + u32(0);
    case EffectKind::kLibcPread:
      return u32(0) + u32(16) + u32(0) + u32(0) + u32(0);
    case EffectKind::kLibcWrite:
      return u32(1) + "data";
    case EffectKind::kLibcPwrite:
      return u32(1) + u32(0) + u32(0) + "data";
    case EffectKind::kLibcStat:
      return u32(uint32_t(-100)) + u32(0) + path;
    case EffectKind::kLibcStatx:
      return u32(uint32_t(-100)) + u32(0) + u32(0x7ff) + path;
    case EffectKind::kLibcReadlink:
      return u32(uint32_t(-100)) + u32(64) + u32(0) + path;
    default:
      return "";  // clock.now, libc.gettimeofday, libc.time; a user effect's args are its own bytes
  }
}

TEST(ChaosPerturbations, EachGivesAResultOfItsEffectsLayout) {
  Scratch s;
  // io.read_line and io.read_all read standard input: a file with lines,
  // for this test.
  std::ofstream(s.dir.File("stdin.txt")) << "one\ntwo\nthree\n";
  int saved_stdin = ::dup(0);
  int input = ::open(s.dir.File("stdin.txt").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(input, 0);
  ::dup2(input, 0);
  ::close(input);
  struct Restore {
    int fd;
    ~Restore() {
      ::dup2(fd, 0);
      ::close(fd);
    }
  } restore{saved_stdin};
  size_t checked = 0;
  for (int k = 1; k <= kFirstUserKind; ++k) {
    uint8_t kind = uint8_t(k);
    std::span<const Perturbation> list = PerturbationsOf(kind);
    for (size_t i = 0; i < list.size(); ++i) {
      SCOPED_TRACE(std::string(engine::FindEffect(kind) ? engine::FindEffect(kind)->name : "user") +
                   ":" + list[i].name);
      ChaosSpec spec;
      spec.probability[kind] = 1;
      spec.allowed[kind] = 1u << i;
      Chaos chaos(spec, 5);
      const Perturbation* p = chaos.Draw(EffectKind(kind));
      ASSERT_EQ(p, &list[i]);
      std::string args = ArgsFor(kind, s), scratch;
      bool perturbed = false;
      std::string result(chaos.Apply(*p, EffectKind(kind), s.env, args, &scratch, &perturbed));
      EXPECT_TRUE(perturbed);
      EXPECT_EQ(
          engine::CheckEvent(kind, format::AsBytes(args), format::AsBytes(result)).message(), "");
      ++checked;
    }
  }
  EXPECT_EQ(checked, 55u);  // every perturbation of specs/chaos.md §3
  // The modules chaos mode leaves alone.
  EXPECT_TRUE(PerturbationsOf(K(EffectKind::kIoWrite)).empty());
  EXPECT_TRUE(PerturbationsOf(K(EffectKind::kIoError)).empty());
  EXPECT_TRUE(PerturbationsOf(K(EffectKind::kArgsGet)).empty());
}

// Applies the only perturbation `spec` allows to one call of `kind`.
std::string Perturb(const std::string& spec, EffectKind kind, Scratch& s, bool* perturbed,
                    uint64_t seed = 3) {
  Chaos chaos(MustParse(spec), seed);
  const Perturbation* p = chaos.Draw(kind);
  EXPECT_NE(p, nullptr);
  if (p == nullptr) return "";
  std::string scratch, args = ArgsFor(uint8_t(kind), s);
  return std::string(chaos.Apply(*p, kind, s.env, args, &scratch, perturbed));
}

TEST(ChaosPerturbations, ResultsAreWhatTheSpecSays) {
  Scratch s;
  bool perturbed = false;
  std::string r = Perturb("fs.read:enoent=1", EffectKind::kFsRead, s, &perturbed);
  EXPECT_EQ(r, std::string("\x02\0\0\0", 4));
  r = Perturb("fs.write=1", EffectKind::kFsWrite, s, &perturbed);
  EXPECT_EQ(format::LoadU32(format::AsBytes(r).data()), uint32_t(ENOSPC));
  EXPECT_FALSE(std::ifstream(s.dir.File("out.txt")).good()) << "a failed write wrote";
  EXPECT_EQ(Perturb("env.get:unset=1", EffectKind::kEnvGet, s, &perturbed), std::string(1, '\0'));
  EXPECT_EQ(Perturb("env.get:empty=1", EffectKind::kEnvGet, s, &perturbed), std::string(1, '\1'));
  EXPECT_EQ(Perturb("random.bits:zeros=1", EffectKind::kRandomBits, s, &perturbed),
            std::string(16, '\0'));
  EXPECT_EQ(Perturb("random.bits:ones=1", EffectKind::kRandomBits, s, &perturbed),
            std::string(16, '\xff'));

  // A truncated read keeps a strict prefix of the file.
  for (uint64_t seed = 0; seed < 20; ++seed) {
    r = Perturb("fs.read:truncate=1", EffectKind::kFsRead, s, &perturbed, seed);
    ASSERT_TRUE(perturbed);
    ASSERT_GE(r.size(), 4u);
    EXPECT_EQ(format::LoadU32(format::AsBytes(r).data()), 0u);
    std::string data = r.substr(4);
    EXPECT_LT(data.size(), std::string("hello, world").size());
    EXPECT_TRUE(std::string("hello, world").starts_with(data)) << data;
  }

  // A clock jump is 1 s to 1 h from the real time, which was read between
  // `before` and `after` (however long a loaded machine took).
  int64_t before = int64_t(WallClockNs());
  r = Perturb("clock.now:backward=1", EffectKind::kClockNow, s, &perturbed);
  int64_t after = int64_t(WallClockNs());
  int64_t back = int64_t(format::LoadU64(format::AsBytes(r).data()));
  EXPECT_LE(back, after - 1000000000);
  EXPECT_GE(back, before - 3600 * int64_t(1000000000));
  r = Perturb("clock.now:forward=1", EffectKind::kClockNow, s, &perturbed);
  int64_t ahead = int64_t(format::LoadU64(format::AsBytes(r).data()));
  EXPECT_GE(ahead, before + 1000000000);
  EXPECT_LE(ahead, int64_t(WallClockNs()) + 3600 * int64_t(1000000000));

  HttpResponse response;
  ASSERT_TRUE(engine::DecodeFor(engine::kHttpRequest.result,
      format::AsBytes(Perturb("http:timeout=1", EffectKind::kHttpRequest, s, &perturbed)),
      &response));
  EXPECT_EQ(response.status, 0);
  EXPECT_EQ(response.error, "Timeout was reached");
  ProcResult proc;
  ASSERT_TRUE(engine::DecodeFor(engine::kProcRun.result,
      format::AsBytes(Perturb("proc:nostart=1", EffectKind::kProcRun, s, &perturbed)), &proc));
  EXPECT_EQ(proc.start_error, ENOENT);
  EXPECT_EQ(proc.exit_code, -1);
}

TEST(ChaosPerturbations, ATruncationOfAFailedReadIsNoPerturbation) {
  Scratch s;
  Chaos chaos(MustParse("fs.read:truncate=1"), 1);
  const Perturbation* p = chaos.Draw(EffectKind::kFsRead);
  ASSERT_NE(p, nullptr);
  std::string scratch, missing = s.dir.File("missing.txt");
  bool perturbed = true;
  std::string r(chaos.Apply(*p, EffectKind::kFsRead, s.env, missing, &scratch, &perturbed));
  EXPECT_FALSE(perturbed);
  EXPECT_EQ(format::LoadU32(format::AsBytes(r).data()), uint32_t(ENOENT));
}

// --- the generator (§4) --------------------------------------------------------

TEST(ChaosGenerator, TheSameSeedDrawsTheSameAndOtherKindsDrawNothing) {
  ChaosSpec spec = MustParse("fs.read=0.3");
  Chaos a(spec, 42), b(spec, 42), c(spec, 43);
  int fired = 0, differ = 0;
  for (int i = 0; i < 2000; ++i) {
    // b also asks about effects the spec does not name: they draw nothing.
    EXPECT_EQ(b.Draw(EffectKind::kClockNow), nullptr);
    EXPECT_EQ(b.Draw(EffectKind::kIoWrite), nullptr);
    const Perturbation* pa = a.Draw(EffectKind::kFsRead);
    EXPECT_EQ(pa, b.Draw(EffectKind::kFsRead)) << "call " << i;
    differ += pa != c.Draw(EffectKind::kFsRead);
    fired += pa != nullptr;
  }
  EXPECT_GT(differ, 100) << "another seed draws the same";
  EXPECT_GT(fired, 2000 * 0.25);
  EXPECT_LT(fired, 2000 * 0.35);
}

TEST(ChaosGenerator, ProbabilityZeroNeverFiresAndOneAlwaysDoes) {
  Chaos never(MustParse("fs.read=0"), 7), always(MustParse("fs.read=1"), 7);
  std::set<std::string> picked;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(never.Draw(EffectKind::kFsRead), nullptr);
    const Perturbation* p = always.Draw(EffectKind::kFsRead);
    ASSERT_NE(p, nullptr);
    picked.insert(p->name);
  }
  EXPECT_EQ(picked, (std::set<std::string>{"eacces", "eio", "enoent", "truncate"}));
}

// Matches the reference values of specs/chaos.md §4: SplitMix64 from the
// seed, a fire test on the top 53 bits, then an index draw.
TEST(ChaosGenerator, FollowsTheSpecsAlgorithm) {
  auto splitmix = [](uint64_t* state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  const double p = 0.4;
  Chaos chaos(MustParse("env.get=0.4"), 1234);
  uint64_t state = 1234;
  uint64_t threshold = uint64_t(std::ldexp(p, 53));
  for (int i = 0; i < 500; ++i) {
    const Perturbation* expected = nullptr;
    if ((splitmix(&state) >> 11) < threshold) {
      expected = &PerturbationsOf(K(EffectKind::kEnvGet))[splitmix(&state) % 2];
    }
    ASSERT_EQ(chaos.Draw(EffectKind::kEnvGet), expected) << "call " << i;
  }
}

// --- chaotic recordings --------------------------------------------------------

// Reads a file, the clock, random bytes and the environment many times, and
// writes what it saw.
Program Reader(const std::string& path) {
  return TestProgram("chaotic", [path](Runtime& rt) {
    std::string seen;
    for (int i = 0; i < 30; ++i) {
      FsReadResult r = rt.FsRead(path);
      seen += r.ok() ? "[" + r.data + "]" : "E" + std::to_string(r.error);
      seen += " " + std::to_string(rt.ClockNow() / 1000000000 % 7);
      seen += " " + std::to_string(uint8_t(rt.RandomBits(2)[0]));
      seen += " " + rt.EnvGet("HOME").value_or("<unset>") + "\n";
    }
    rt.IoWrite(seen);
    return 0;
  });
}

struct Recorded {
  std::string chaos;
  uint64_t seed = 0;
  std::vector<uint8_t> marks, kinds;
  std::string out;
};

Recorded RecordChaotic(const TempDir& dir, const Program& p, const std::string& trace,
                       const std::string& spec, uint64_t seed) {
  std::string out_path = dir.File(trace + ".out");
  int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  RecordOptions o;
  o.trace_path = dir.File(trace);
  o.stdout_fd = fd;
  o.chaos = spec;
  o.chaos_seed = seed;
  RunReport report = Record(p, o);
  ::close(fd);
  EXPECT_EQ(report.status, RunReport::Status::kOk) << report.error;
  Recorded r;
  r.out = ReadFile(out_path);
  auto reader = format::TraceReader::Open(dir.File(trace));
  EXPECT_TRUE(reader.has_value());
  if (!reader.has_value()) return r;
  r.chaos = (*reader)->header().chaos;
  r.seed = (*reader)->header().chaos_seed;
  format::ChunkDecoder decoder;
  format::DecodedChunk chunk;
  for (size_t c = 0; c < (*reader)->chunks().size(); ++c) {
    EXPECT_TRUE((*reader)->ReadChunk(c, format::kDecodeKinds, &decoder, &chunk).ok());
    for (uint32_t i = 0; i < chunk.size(); ++i) {
      r.marks.push_back(chunk.marks(i));
      r.kinds.push_back(chunk.kind(i));
    }
  }
  return r;
}

TEST(ChaosRecording, MarksPerturbedEventsStoresSpecAndSeedAndReplaysExactly) {
  TempDir dir;
  std::string path = dir.File("data.txt");
  std::ofstream(path) << "0123456789";
  Program p = Reader(path);
  Recorded r =
      RecordChaotic(dir, p, "chaos.bin", "fs.read=0.3, clock.now=0.3,random=0.3,env=0.3", 77);
  EXPECT_EQ(r.chaos, "fs.read=0.3,clock.now=0.3,random=0.3,env=0.3");
  EXPECT_EQ(r.seed, 77u);
  ASSERT_EQ(r.marks.size(), 121u);  // 4 x 30 inputs and one io.write
  size_t marked = 0;
  for (size_t i = 0; i < r.marks.size(); ++i) {
    EXPECT_EQ(r.marks[i] & ~format::kMarkPerturbed, 0) << "only bit 0 is chaos mode's";
    marked += r.marks[i] != 0;
  }
  EXPECT_EQ(r.marks.back(), 0) << "io.write is never perturbed";
  EXPECT_GT(marked, 15u);
  EXPECT_LT(marked, 60u);
  EXPECT_NE(r.out.find("E"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("<unset>"), std::string::npos) << r.out;

  // Replay returns the perturbed results: the same output, byte for byte,
  // although nothing perturbs it now.
  Captured replay = ReplayCaptured(dir, p, "chaos.bin");
  ASSERT_EQ(replay.report.status, RunReport::Status::kOk)
      << (replay.report.drift ? replay.report.drift->Describe() : replay.report.error);
  EXPECT_EQ(replay.out, r.out);

  // The same seed perturbs the same calls the same way; another seed does not.
  Recorded again = RecordChaotic(dir, p, "again.bin", r.chaos, 77);
  EXPECT_EQ(again.marks, r.marks);
  Recorded other = RecordChaotic(dir, p, "other.bin", r.chaos, 78);
  EXPECT_NE(other.marks, r.marks);
}

// A faked timeout takes, for the program, the time it stands for: its
// recorded duration is the request's timeout, and the clock readings after
// it are later by that much (specs/chaos.md §3), so deadline logic sees the
// time pass. Replay gives the program the same readings.
TEST(ChaosRecording, AFakedTimeoutMovesTheClockOnByTheTimeout) {
  TempDir dir;
  Program p = TestProgram("deadline", [](Runtime& rt) {
    int64_t start = rt.ClockNow();
    HttpRequest request;
    request.url = "http://127.0.0.1:9/";
    request.timeout_ms = 2500;
    HttpResponse r = rt.Http(request);
    ProcRequest cmd;
    cmd.argv = {"true"};
    cmd.timeout_ms = 1500;
    ProcResult done = rt.ProcRun(cmd);
    int64_t waited_ms = (rt.ClockNow() - start) / 1000000;
    rt.IoWrite(r.error + ", timed out " + std::to_string(done.timed_out) + ", " +
               std::to_string(waited_ms) + " ms\n");
    return 0;
  });
  auto started = std::chrono::steady_clock::now();
  Recorded r = RecordChaotic(dir, p, "deadline.bin", "http.request:timeout=1,proc.run:timeout=1", 5);
  // It took the program 4 seconds, and the recording far less.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));
  int64_t waited = 0;
  ASSERT_EQ(std::sscanf(r.out.c_str(), "Timeout was reached, timed out 1, %lld ms",
                        reinterpret_cast<long long*>(&waited)),
            1)
      << r.out;
  EXPECT_GE(waited, 4000);
  EXPECT_LT(waited, 4000 + 2000) << "the wait is the timeouts, not much more";
  auto reader = format::TraceReader::Open(dir.File("deadline.bin"));
  ASSERT_TRUE(reader.has_value());
  format::ChunkDecoder decoder;
  format::DecodedChunk chunk;
  ASSERT_TRUE((*reader)->ReadChunk(0, format::kDecodeAll, &decoder, &chunk).ok());
  std::vector<uint64_t> durations;
  for (uint32_t i = 0; i < chunk.size(); ++i) {
    format::EventView e = chunk.event(i);
    if (e.kind == uint8_t(EffectKind::kHttpRequest) || e.kind == uint8_t(EffectKind::kProcRun)) {
      durations.push_back(e.duration_ns);
    }
  }
  EXPECT_EQ(durations, (std::vector<uint64_t>{2500000000u, 1500000000u}));
  Captured replay = ReplayCaptured(dir, p, "deadline.bin");
  ASSERT_EQ(replay.report.status, RunReport::Status::kOk);
  EXPECT_EQ(replay.out, r.out);
}

TEST(ChaosRecording, WithoutChaosNoEventIsMarkedAndTheHeaderIsEmpty) {
  TempDir dir;
  std::string path = dir.File("data.txt");
  std::ofstream(path) << "x";
  Captured c = RecordCaptured(dir, Reader(path), "plain.bin");
  ASSERT_EQ(c.report.status, RunReport::Status::kOk);
  auto reader = format::TraceReader::Open(dir.File("plain.bin"));
  ASSERT_TRUE(reader.has_value());
  EXPECT_EQ((*reader)->header().chaos, "");
  EXPECT_EQ((*reader)->header().chaos_seed, 0u);
  format::ChunkDecoder decoder;
  format::DecodedChunk chunk;
  ASSERT_TRUE((*reader)->ReadChunk(0, format::kDecodeKinds, &decoder, &chunk).ok());
  for (uint32_t i = 0; i < chunk.size(); ++i) EXPECT_EQ(chunk.marks(i), 0);
}

TEST(ChaosRecording, AUserEffectThrowsWithoutRunningItsFunction) {
  TempDir dir;
  int calls = 0;
  std::string seen;
  Program p = TestProgram("user", [&](Runtime& rt) {
    seen.clear();
    try {
      seen = rt.Effect("db.query", std::string("select 1"), [&] {
        ++calls;
        return std::string("row");
      });
    } catch (const EffectError& e) {
      seen = e.type() + ": " + e.message();
    }
    rt.IoWrite(seen);
    return 0;
  });
  Recorded r = RecordChaotic(dir, p, "user.bin", "user=1", 1);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(r.out, "tape::ChaosError: injected by chaos mode");
  EXPECT_EQ(r.marks, (std::vector<uint8_t>{format::kMarkPerturbed, 0}));
  Captured replay = ReplayCaptured(dir, p, "user.bin");
  ASSERT_EQ(replay.report.status, RunReport::Status::kOk);
  EXPECT_EQ(replay.out, r.out);
  EXPECT_EQ(calls, 0);
}

TEST(ChaosRecording, ABadSpecRunsNothingAndWritesNoTrace) {
  TempDir dir;
  bool ran = false;
  RecordOptions o;
  o.trace_path = dir.File("bad.bin");
  o.chaos = "teleport=1";
  RunReport report = Record(TestProgram("p",
                                        [&](Runtime&) {
                                          ran = true;
                                          return 0;
                                        }),
                            o);
  EXPECT_EQ(report.status, RunReport::Status::kBadOptions);
  EXPECT_NE(report.error.find("chaos spec 'teleport=1': unknown effect 'teleport'"),
            std::string::npos)
      << report.error;
  EXPECT_FALSE(ran);
  EXPECT_FALSE(std::ifstream(dir.File("bad.bin")).good());
}

TEST(ChaosRecording, RerunServesThePerturbedInputs) {
  TempDir dir;
  std::string path = dir.File("config.txt");
  std::ofstream(path) << "port=80";
  Program p = TestProgram("config", [path](Runtime& rt) {
    FsReadResult r = rt.FsRead(path);
    rt.IoWrite(r.ok() ? "config: " + r.data + "\n"
                      : "no config (errno " + std::to_string(r.error) + ")\n");
    return r.ok() ? 0 : 1;
  });
  Recorded r = RecordChaotic(dir, p, "missing.bin", "fs.read:eacces=1", 5);
  EXPECT_EQ(r.out, "no config (errno 13)\n");
  RerunOptions o;
  o.trace_path = dir.File("missing.bin");
  int fd = ::open(dir.File("rerun.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  o.stdout_fd = fd;
  RunReport rerun = Rerun(p, o);
  ::close(fd);
  ASSERT_EQ(rerun.status, RunReport::Status::kOk) << rerun.error;
  EXPECT_EQ(rerun.exit_code, 1);
  EXPECT_EQ(ReadFile(dir.File("rerun.out")), "no config (errno 13)\n");
}

}  // namespace
}  // namespace tape::testing
