// The hunt driver (engine/internal/hunt.h) with stand-in runs: /bin/sh copies a
// prepared trace to where the run records and exits as the test says, so
// every path of the driver is exercised quickly and deterministically. The
// real thing (tape hunt re-executing tape) is tested in tests/cli/hunt.sh.

#include "engine/internal/hunt.h"

#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>

#include "format/trace_writer.h"
#include "tests/engine/session_fixture.h"

namespace tape::testing {
namespace {

using engine::Hunt;
using engine::HuntOptions;
using engine::HuntReport;

// A trace of a program that makes `calls` clock readings (so different
// `calls` are different paths) and exits with `code`.
void MakeTrace(const TempDir& dir, const std::string& name, int calls, int code = 0) {
  RecordOptions o;
  o.trace_path = dir.File(name);
  RunReport r = Record(TestProgram("fake",
                                   [calls, code](Runtime& rt) {
                                     for (int i = 0; i < calls; ++i) rt.ClockNow();
                                     return code;
                                   }),
                       o);
  ASSERT_EQ(r.status, RunReport::Status::kOk) << r.error;
}

// A finished trace whose recording says it was interrupted because the
// trace could not be written (what a recording on a full disk leaves when
// its footer still fits).
void MakeInterruptedTrace(const TempDir& dir, const std::string& name) {
  format::TraceHeader header;
  header.program_kind = format::ProgramKind::kEmbedded;
  header.program_name = "fake";
  auto w = format::TraceWriter::Create(dir.File(name), header, {});
  ASSERT_TRUE(w.has_value()) << w.error().message();
  ASSERT_TRUE(
      (*w)->Finish({format::OutcomeKind::kInterrupted, 0, "the trace could not be written"}).ok());
}

class HuntTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MakeTrace(dir_, "pass.bin", 1);
    MakeTrace(dir_, "a.bin", 2);
    MakeTrace(dir_, "b.bin", 3);
    MakeTrace(dir_, "exit81.bin", 1, 81);
    MakeInterruptedTrace(dir_, "interrupted.bin");
  }

  // Runs `script` with $1 = the run, $2 = its trace, $3 = its seed, and
  // $PASS, $A, $B the prepared traces.
  HuntOptions Shell(const std::string& script) {
    HuntOptions o;
    o.executable = "/bin/sh";
    std::string prelude = "PASS=" + dir_.File("pass.bin") + " A=" + dir_.File("a.bin") +
                          " B=" + dir_.File("b.bin") + " EXIT81=" + dir_.File("exit81.bin") +
                          " INTERRUPTED=" + dir_.File("interrupted.bin") + "; ";
    o.command = [prelude, script](uint64_t run, const std::string& trace, uint64_t seed) {
      return std::vector<std::string>{
          "sh", "-c", prelude + script, "sh", std::to_string(run), trace, std::to_string(seed)};
    };
    o.name = "fake";
    o.keep_dir = dir_.File("keep");
    o.jobs = 1;
    o.runs = 50;
    return o;
  }

  std::set<std::string> Kept() const {
    std::set<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir_.File("keep"))) {
      names.insert(e.path().filename().string());
    }
    return names;
  }

  TempDir dir_;
};

TEST_F(HuntTest, StopsAtTheFirstFailureAndKeepsOnlyItsTrace) {
  HuntOptions o = Shell("cp \"$A\" \"$2\"; [ $(($1 % 5)) -ne 0 ] || { echo boom $1; exit 3; }");
  HuntReport r = Hunt(o);
  ASSERT_EQ(r.status, HuntReport::Status::kFound) << r.error;
  EXPECT_EQ(engine::HuntExitCode(r), 0);
  ASSERT_EQ(r.kept.size(), 1u);
  EXPECT_EQ(r.kept[0].run, 5u);
  EXPECT_EQ(r.kept[0].exit_code, 3);
  EXPECT_EQ(r.kept[0].output, "boom 5\n");
  EXPECT_EQ(r.kept[0].outcome, "exited with code 0");  // what the (stand-in) trace says
  EXPECT_EQ(r.kept[0].trace, dir_.File("keep") + "/fake-run5.bin");
  EXPECT_EQ(r.runs, 5u);
  EXPECT_EQ(r.failures, 1u);
  EXPECT_EQ(Kept(), (std::set<std::string>{"fake-run5.bin"}));
  EXPECT_EQ(ReadFile(r.kept[0].trace), ReadFile(dir_.File("a.bin")));
}

TEST_F(HuntTest, RunsInParallelAndStopsTheOthersWhenOneFails) {
  // Runs 1-5 pass at once, 6-8 run until stopped, 9 fails. With 4 jobs, run
  // 9 starts in the slot run 5 frees, beside 6-8, whatever the machine's
  // speed: the hunt must stop 6-8 when 9 fails.
  HuntOptions o = Shell(
      "cp \"$A\" \"$2\"; [ \"$1\" = 9 ] && exit 1; [ \"$1\" -ge 6 ] && exec sleep 600; exit 0");
  o.jobs = 4;
  HuntReport r = Hunt(o);
  ASSERT_EQ(r.status, HuntReport::Status::kFound) << r.error;
  EXPECT_EQ(r.jobs, 4u);
  ASSERT_EQ(r.kept.size(), 1u);
  EXPECT_EQ(r.kept[0].run, 9u);
  // The runs still going when run 9 failed were stopped and are not counted.
  EXPECT_EQ(r.runs, 6u);
  EXPECT_EQ(r.failures, 1u);
  EXPECT_EQ(Kept(), (std::set<std::string>{"fake-run9.bin"})) << "stopped runs' traces remain";
}

TEST_F(HuntTest, NoFailureIsExitOneAndLeavesNoFiles) {
  HuntOptions o = Shell("cp \"$PASS\" \"$2\"");
  o.runs = 12;
  o.jobs = 3;
  HuntReport r = Hunt(o);
  EXPECT_EQ(r.status, HuntReport::Status::kNotFound) << r.error;
  EXPECT_EQ(engine::HuntExitCode(r), 1);
  EXPECT_EQ(r.runs, 12u);
  EXPECT_EQ(r.failures, 0u);
  EXPECT_FALSE(std::filesystem::exists(dir_.File("keep"))) << "the hunt made it and kept nothing";
  std::vector<std::string> lines =
      engine::DescribeHunt(r, o, [](const std::string& t) { return t; });
  ASSERT_GE(lines.size(), 2u);
  EXPECT_NE(lines[0].find("12 runs in "), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("0 failed, 0.0% (95% interval 0.0% to 24.2%)"), std::string::npos)
      << lines[0];
  EXPECT_EQ(lines[1], "no run met --until exit!=0; no trace kept");
}

TEST_F(HuntTest, OutputConditionMatchesALineOfStdoutOrStderr) {
  HuntOptions o = Shell("cp \"$PASS\" \"$2\"; echo \"value $1\"; echo \"err $1\" >&2");
  Result<engine::HuntCondition> until = engine::ParseHuntCondition("output~^err 1[2-9]$");
  ASSERT_TRUE(until.has_value());
  o.until = *until;
  HuntReport r = Hunt(o);
  ASSERT_EQ(r.status, HuntReport::Status::kFound) << r.error;
  ASSERT_EQ(r.kept.size(), 1u);
  EXPECT_EQ(r.kept[0].run, 12u);
  EXPECT_EQ(r.kept[0].exit_code, 0);
}

TEST_F(HuntTest, KeepsFailuresThatTookDistinctPaths) {
  HuntOptions o = Shell(
      "case $1 in 3|5) cp \"$A\" \"$2\"; exit 1;; 7) cp \"$B\" \"$2\"; exit 1;; "
      "*) cp \"$PASS\" \"$2\";; esac");
  o.keep_failures = 2;
  HuntReport r = Hunt(o);
  ASSERT_EQ(r.status, HuntReport::Status::kFound) << r.error;
  ASSERT_EQ(r.kept.size(), 2u);
  EXPECT_EQ(r.kept[0].run, 3u);
  EXPECT_EQ(r.kept[1].run, 7u);
  EXPECT_NE(r.kept[0].path, r.kept[1].path);
  EXPECT_EQ(r.failures, 3u);
  EXPECT_EQ(r.same_path, 1u);
  EXPECT_EQ(r.runs, 7u);
  EXPECT_EQ(Kept(), (std::set<std::string>{"fake-run3.bin", "fake-run7.bin"}));
}

TEST_F(HuntTest, NeverOverwritesAnExistingFile) {
  std::filesystem::create_directories(dir_.File("keep"));
  std::ofstream(dir_.File("keep/fake-run2.bin")) << "an older trace";
  HuntOptions o = Shell("cp \"$A\" \"$2\"; [ \"$1\" != 2 ]");
  HuntReport r = Hunt(o);
  ASSERT_EQ(r.status, HuntReport::Status::kFound) << r.error;
  EXPECT_EQ(r.kept[0].trace, dir_.File("keep") + "/fake-run2-2.bin");
  EXPECT_EQ(ReadFile(dir_.File("keep/fake-run2.bin")), "an older trace");
}

TEST_F(HuntTest, ARunPastTheTimeoutIsStoppedAndCountsAsKilled) {
  HuntOptions o = Shell("cp \"$PASS\" \"$2\"; exec sleep 30");
  o.timeout_s = 1;
  o.runs = 1;
  HuntReport r = Hunt(o);
  ASSERT_EQ(r.status, HuntReport::Status::kFound) << r.error;
  EXPECT_EQ(r.timeouts, 1u);
  ASSERT_EQ(r.kept.size(), 1u);
  EXPECT_TRUE(r.kept[0].timed_out);
  EXPECT_EQ(r.kept[0].exit_code, 128 + SIGTERM);  // stopped, not left to sleep its 30 s
  EXPECT_GE(r.elapsed_ns, uint64_t(1e9));          // and not before its --timeout
}

TEST_F(HuntTest, ARunThatLeavesNoTraceStopsTheHuntWithItsOutput) {
  HuntOptions o = Shell("echo cannot write the trace >&2; exit 81");
  HuntReport r = Hunt(o);
  EXPECT_EQ(r.status, HuntReport::Status::kError);
  EXPECT_EQ(engine::HuntExitCode(r), 81);
  EXPECT_NE(r.error.find("run 1 left no trace (it exited with code 81); its output:\n"
                         "  cannot write the trace"),
            std::string::npos)
      << r.error;
  EXPECT_FALSE(std::filesystem::exists(dir_.File("keep")));
}

TEST_F(HuntTest, ARunKilledByASignalFailsWithCode128PlusTheSignal) {
  // The run's trace is whole (copied first); the process dies by SIGKILL.
  HuntOptions o = Shell("cp \"$A\" \"$2\"; [ \"$1\" = 3 ] && kill -KILL $$; exit 0");
  HuntReport r = Hunt(o);
  ASSERT_EQ(r.status, HuntReport::Status::kFound) << r.error;
  ASSERT_EQ(r.kept.size(), 1u);
  EXPECT_EQ(r.kept[0].run, 3u);
  EXPECT_EQ(r.kept[0].exit_code, 128 + SIGKILL);
  EXPECT_EQ(ReadFile(r.kept[0].trace), ReadFile(dir_.File("a.bin")));
  // With --until exit==137, the same kill is what the hunt looks for.
  Result<engine::HuntCondition> until = engine::ParseHuntCondition("exit==137");
  ASSERT_TRUE(until.has_value());
  o.until = *until;
  o.keep_dir = dir_.File("keep2");
  r = Hunt(o);
  ASSERT_EQ(r.status, HuntReport::Status::kFound) << r.error;
  EXPECT_EQ(r.kept[0].run, 3u);
}

TEST_F(HuntTest, OutputIsMatchedInItsFirstMiBOnly) {
  // 1 MiB of 16-byte lines, then the line looked for: past the cap, never
  // matched (and never held: a run's output in memory is at most
  // kMaxRunOutput).
  HuntOptions o =
      Shell("cp \"$PASS\" \"$2\"; yes fillerfillerfil | head -c 1048576; echo needle");
  Result<engine::HuntCondition> until = engine::ParseHuntCondition("output~^needle$");
  ASSERT_TRUE(until.has_value());
  o.until = *until;
  o.runs = 2;
  HuntReport r = Hunt(o);
  EXPECT_EQ(r.status, HuntReport::Status::kNotFound) << r.error;
  EXPECT_EQ(r.runs, 2u);
  // The same line just inside the cap is found; the output kept is cut at it
  // and the summary says so.
  o = Shell(
      "cp \"$PASS\" \"$2\"; yes fillerfillerfil | head -c 1048560; echo needle; "
      "yes more | head -c 100000");
  o.until = *until;
  o.runs = 2;
  r = Hunt(o);
  ASSERT_EQ(r.status, HuntReport::Status::kFound) << r.error;
  EXPECT_EQ(r.kept[0].output.size(), engine::kMaxRunOutput);
  std::vector<std::string> lines =
      engine::DescribeHunt(r, o, [](const std::string& t) { return t; });
  bool said = false;
  for (const std::string& line : lines) said |= line.find("output after the first 1 MiB") != std::string::npos;
  EXPECT_TRUE(said) << "the summary does not say the output was cut";
}

// Ignores `sig` in this process while it lives, then restores what it found.
class IgnoredSignal {
 public:
  explicit IgnoredSignal(int sig) : sig_(sig) {
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    sigaction(sig_, &ign, &old_);
  }
  ~IgnoredSignal() { sigaction(sig_, &old_, nullptr); }

 private:
  int sig_;
  struct sigaction old_;
};

// An ignored signal stays ignored across exec. A process that hunts may
// ignore SIGPIPE (cpp-httplib's Server does so for the whole process) or
// SIGXFSZ (tape does): its runs still get the default actions, as runs
// started from a shell do. (Inherited, an ignored SIGPIPE turned `yes |
// head` in a run into an error message in the run's output.)
TEST_F(HuntTest, ARunTakesTheDefaultActionsOfSignalsTheHuntIgnores) {
  IgnoredSignal pipe(SIGPIPE), file_size(SIGXFSZ);
  HuntOptions o = Shell(
      "cp \"$PASS\" \"$2\"; ign=0x$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status); "
      "echo \"ignored: pipe=$(( (ign >> 12) & 1 )) xfsz=$(( (ign >> 24) & 1 ))\"");
  Result<engine::HuntCondition> until = engine::ParseHuntCondition("output~^ignored: ");
  ASSERT_TRUE(until.has_value());
  o.until = *until;
  o.runs = 1;
  HuntReport r = Hunt(o);
  ASSERT_EQ(r.status, HuntReport::Status::kFound) << r.error;
  EXPECT_EQ(r.kept[0].output, "ignored: pipe=0 xfsz=0\n");
}

// The per-run paths of older versions were predictable (KEEP/.tape-hunt-
// PID-N): a link planted there made the run write wherever it pointed.
// Runs now record in a directory only the hunt can write to, into files
// the hunt created (never an existing name, never through a link).
TEST_F(HuntTest, ARunNeverWritesThroughALinkPlantedInTheKeepDirectory) {
  std::filesystem::create_directories(dir_.File("keep"));
  std::string victim = dir_.File("victim");
  std::ofstream(victim) << "precious";
  std::set<std::string> links;
  for (int n = 1; n <= 3; ++n) {
    std::string name = ".tape-hunt-" + std::to_string(::getpid()) + "-" + std::to_string(n);
    std::filesystem::create_symlink(victim, dir_.File("keep/" + name));
    links.insert(name);
  }
  // The run checks where it records: an empty regular file (not a link) in
  // a directory of mode 0700 inside KEEP; then writes as a recorder would,
  // following links.
  HuntOptions o = Shell(
      "d=$(dirname \"$2\"); ok=0; [ -f \"$2\" ] && [ ! -L \"$2\" ] && [ ! -s \"$2\" ] && "
      "[ \"$(stat -c %a \"$d\")\" = 700 ] && [ \"$(dirname \"$d\")\" = \"" +
      dir_.File("keep") +
      "\" ] && ok=1; cp \"$PASS\" \"$2\"; "
      "[ $ok = 1 ] || { echo bad place \"$2\"; exit 9; }");
  o.runs = 3;
  HuntReport r = Hunt(o);
  EXPECT_EQ(r.status, HuntReport::Status::kNotFound)
      << r.error << (r.kept.empty() ? "" : r.kept[0].output);
  EXPECT_EQ(ReadFile(victim), "precious") << "a run wrote through a planted link";
  EXPECT_EQ(Kept(), links) << "the links stay, and the hunt leaves nothing of its own";
}

// A hunt killed with SIGKILL leaves its work directory. The next hunt in
// the same directory removes those of dead processes, and nothing else.
TEST_F(HuntTest, RemovesWhatKilledHuntsLeftAndNothingElse) {
  std::string keep = dir_.File("keep");
  std::filesystem::create_directories(keep);
  pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ASSERT_GT(dead, 0);
  ASSERT_EQ(::waitpid(dead, nullptr, 0), dead);
  std::string d = ".tape-hunt-" + std::to_string(dead);
  auto make_dir = [&](const std::string& name) {
    std::string path = keep + "/" + name;
    EXPECT_EQ(::mkdir(path.c_str(), 0700), 0) << path;
    std::ofstream(path + "/1") << "a run's trace";
    return path;
  };
  make_dir(d + "-aaaaaa");                          // a killed hunt's: removed
  std::ofstream(keep + "/" + d + "-7") << "trace";  // an older version's run file: removed
  std::string outside = dir_.File("outside");
  ASSERT_EQ(::mkdir(outside.c_str(), 0700), 0);
  std::ofstream(outside + "/1") << "a run's trace";
  std::filesystem::create_symlink(outside, keep + "/" + d + "-bbbbbb");  // a link: left
  std::string live = ".tape-hunt-" + std::to_string(::getppid()) + "-cccccc";
  make_dir(live);  // its hunt still runs: left
  std::string locked_path = make_dir(d + "-dddddd");
  int locked = ::open(locked_path.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_EQ(::flock(locked, LOCK_EX | LOCK_NB), 0);  // someone holds it: left
  std::set<std::string> left = {d + "-bbbbbb", live, d + "-dddddd", ".tape-hunt-x-1", "notes"};
  std::ofstream(keep + "/.tape-hunt-x-1") << "not a hunt's";
  std::ofstream(keep + "/notes") << "mine";
  if (::geteuid() == 0) {  // another user's: left
    std::string other = make_dir(d + "-eeeeee");
    ASSERT_EQ(::chown(other.c_str(), 65534, 65534), 0);
    left.insert(d + "-eeeeee");
  }
  HuntOptions o = Shell("cp \"$PASS\" \"$2\"");
  o.runs = 2;
  HuntReport r = Hunt(o);
  ::close(locked);
  EXPECT_EQ(r.status, HuntReport::Status::kNotFound) << r.error;
  EXPECT_EQ(Kept(), left);
  EXPECT_EQ(ReadFile(outside + "/1"), "a run's trace") << "the cleanup followed a link";
  EXPECT_EQ(ReadFile(locked_path + "/1"), "a run's trace");
}

// A run that tape could not record (a full disk: the recording exits 81,
// tape's code for a trace it cannot write) says nothing about the program.
// The hunt stops with an error that shows why, and counts no run: before,
// it counted "1 failed, 100.0%", or, under an output condition, a pass.
TEST_F(HuntTest, ARunTapeCouldNotRecordIsAnErrorOfTheHuntNotAFailure) {
  for (const char* until : {"exit!=0", "output~never printed"}) {
    SCOPED_TRACE(until);
    HuntOptions o = Shell(
        "head -c 300 \"$A\" > \"$2\"; "
        "echo 'tape run: cannot write trace: No space left on device' >&2; exit 81");
    o.until = *engine::ParseHuntCondition(until);
    HuntReport r = Hunt(o);
    EXPECT_EQ(r.status, HuntReport::Status::kError);
    EXPECT_EQ(engine::HuntExitCode(r), 81);
    EXPECT_EQ(r.runs, 0u);
    EXPECT_EQ(r.failures, 0u);
    EXPECT_NE(r.error.find("tape could not record run 1 (it exited with code 81, tape's code "
                           "for a trace it cannot write); its output:\n"
                           "  tape run: cannot write trace: No space left on device"),
              std::string::npos)
        << r.error;
    for (const std::string& line :
         engine::DescribeHunt(r, o, [](const std::string& t) { return t; })) {
      EXPECT_EQ(line.find("1 failed"), std::string::npos) << line;
    }
    EXPECT_FALSE(std::filesystem::exists(dir_.File("keep")));
  }
}

// A recording interrupted for any other reason is reported once, in words
// that do not repeat themselves ("was interrupted (was interrupted (...").
TEST_F(HuntTest, AnInterruptedRecordingIsAnErrorSaidOnce) {
  HuntOptions o = Shell("cp \"$INTERRUPTED\" \"$2\"; exit 1");
  HuntReport r = Hunt(o);
  EXPECT_EQ(r.status, HuntReport::Status::kError);
  EXPECT_EQ(r.runs, 0u);
  EXPECT_EQ(r.failures, 0u);
  EXPECT_NE(r.error.find("the recording of run 1 was interrupted (the trace could not be "
                         "written); its output: (none)"),
            std::string::npos)
      << r.error;
  EXPECT_EQ(r.error.find("interrupted (was interrupted"), std::string::npos) << r.error;
}

// The program's own exit code 81, in a whole trace that says so, is a
// failure like any other.
TEST_F(HuntTest, AProgramThatExitsWith81IsAFailureOfTheProgram) {
  HuntOptions o = Shell("cp \"$EXIT81\" \"$2\"; exit 81");
  HuntReport r = Hunt(o);
  ASSERT_EQ(r.status, HuntReport::Status::kFound) << r.error;
  EXPECT_EQ(r.kept[0].exit_code, 81);
  EXPECT_EQ(r.kept[0].outcome, "exited with code 81");
}

TEST_F(HuntTest, ChaoticRunsGetTheirOwnSeeds) {
  HuntOptions o = Shell("cp \"$PASS\" \"$2\"; [ \"$1\" != 4 ] || { echo \"$3\"; exit 1; }");
  o.chaos = true;
  o.seed = 99;
  HuntReport r = Hunt(o);
  ASSERT_EQ(r.status, HuntReport::Status::kFound) << r.error;
  EXPECT_EQ(r.kept[0].chaos_seed, engine::RunSeed(99, 4));
  EXPECT_EQ(r.kept[0].output, std::to_string(engine::RunSeed(99, 4)) + "\n");
  EXPECT_NE(engine::RunSeed(99, 4), engine::RunSeed(99, 5));
  EXPECT_NE(engine::RunSeed(99, 4), engine::RunSeed(100, 4));
}

TEST(HuntCondition, ParsesExitAndOutputConditions) {
  auto until = engine::ParseHuntCondition("exit!=0");
  ASSERT_TRUE(until.has_value());
  EXPECT_EQ(until->kind, engine::HuntCondition::Kind::kExitNot);
  until = engine::ParseHuntCondition("exit==139");
  ASSERT_TRUE(until.has_value());
  EXPECT_EQ(until->kind, engine::HuntCondition::Kind::kExitIs);
  EXPECT_EQ(until->code, 139);
  until = engine::ParseHuntCondition("output~FAIL: .*42");
  ASSERT_TRUE(until.has_value());
  EXPECT_EQ(until->pattern, "FAIL: .*42");
  const std::pair<const char*, const char*> bad[] = {
      {"exit=1", "expected exit!=K, exit==K"}, {"exit==256", "expected exit!=K"},
      {"exit==-1", "expected exit!=K"},        {"exit!=", "expected exit!=K"},
      {"output~", "the regex is empty"},       {"output~(", "not a regular expression"},
      {"crash", "expected exit!=K"},
  };
  for (const auto& [text, expected] : bad) {
    auto c = engine::ParseHuntCondition(text);
    ASSERT_FALSE(c.has_value()) << text;
    EXPECT_NE(c.error().message().find(expected), std::string::npos) << c.error().message();
  }
}

// --until output~REGEX reads the output line by line, as grep -E does (and
// regcomp's REG_NEWLINE did): ^ and $ match at every line's ends, no part of
// a match crosses a newline, and a NUL byte is just a byte.
TEST(HuntCondition, OutputRegexMatchesLineByLine) {
  auto met = [](const std::string& pattern, std::string_view output) {
    auto c = engine::ParseHuntCondition("output~" + pattern);
    EXPECT_TRUE(c.has_value()) << pattern << ": " << c.error().message();
    return c.has_value() && c->Met(0, output);
  };
  EXPECT_TRUE(met("^err 13$", "value 13\nerr 13\nmore\n"));
  EXPECT_FALSE(met("^err 1$", "err 13\n"));
  EXPECT_FALSE(met("^13", "err 13\n"));
  EXPECT_FALSE(met("value.*err", "value 13\nerr 13\n"));
  EXPECT_FALSE(met("a[^x]*b", "a\nb\n"));
  EXPECT_TRUE(met("a[^x]*b", "--a-b--\n"));
  EXPECT_FALSE(met("a\\sb", "a\nb"));
  EXPECT_TRUE(met("^$", "x\n\ny\n"));
  EXPECT_TRUE(met("roll was 2[0-9]{2},", "ok: roll was 250, kept\n"));
  EXPECT_TRUE(met("^[[:digit:]]+ (failed|broke)$", "3 broke\n"));
  EXPECT_TRUE(met("\\bfail\\b", "a fail here"));
  EXPECT_FALSE(met("\\bfail\\b", "failure"));
  EXPECT_TRUE(met("^after$", std::string_view("before\0\nafter\n", 14)));
  // The exit conditions do not look at the output.
  auto exit_not_0 = engine::ParseHuntCondition("exit!=0");
  EXPECT_TRUE(exit_not_0->Met(1, ""));
  EXPECT_FALSE(exit_not_0->Met(0, "FAIL"));
  EXPECT_TRUE(engine::ParseHuntCondition("exit==139")->Met(139, ""));
  // A bad pattern: the message names it and says what RE2 found wrong.
  auto bad = engine::ParseHuntCondition("output~a(b");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message(),
            "'output~a(b': the pattern 'a(b' is not a regular expression (RE2 syntax): "
            "missing ): a(b");
  EXPECT_FALSE(engine::ParseHuntCondition("output~(x)\\1").has_value())
      << "RE2 has no backreferences";
}

// Each run's command line: the recorder's, its trace, and chaos mode's
// flags and the program's arguments when there are any.
TEST(HuntCommand, RecordsEachRunIntoItsTrace) {
  engine::HuntCommand chaotic =
      engine::RecordingCommand({"tape", "record", "dice"}, "all=0.1", {"a", "--b"});
  EXPECT_EQ(chaotic(3, "/w/3", 42),
            (std::vector<std::string>{"tape", "record", "dice", "--out", "/w/3", "--chaos",
                                      "all=0.1", "--seed", "42", "--", "a", "--b"}));
  EXPECT_EQ(engine::RecordingCommand({"./myapp", "record"}, "", {})(1, "t", 0),
            (std::vector<std::string>{"./myapp", "record", "--out", "t"}));
}

// The progress line's text.
TEST(HuntStatistics, ProgressTextCountsRunsFailuresAndRate) {
  HuntReport r;
  r.runs = 12;
  r.failures = 1;
  EXPECT_EQ(engine::HuntProgressText(r, 2000000000), "12 runs, 1 failed, 6.0 runs/s");
  EXPECT_EQ(engine::HuntProgressText(HuntReport(), 0), "0 runs, 0 failed, 0 runs/s");
}

// A hunt of a few slow runs says how fast it went, not "0 runs/s".
TEST(HuntStatistics, TheRateOfShortHuntsHasSignificantDigits) {
  engine::HuntOptions o;
  auto summary = [&o](uint64_t runs, double seconds) {
    engine::HuntReport r;
    r.status = engine::HuntReport::Status::kNotFound;
    r.runs = runs;
    r.jobs = 1;
    r.elapsed_ns = uint64_t(seconds * 1e9);
    return engine::DescribeHunt(r, o, [](const std::string& t) { return t; })[0];
  };
  EXPECT_NE(summary(1, 2.5).find("1 run in 2.50 s (0.4 runs/s, 1 at a time)"), std::string::npos)
      << summary(1, 2.5);
  EXPECT_NE(summary(2, 30).find("(0.067 runs/s"), std::string::npos) << summary(2, 30);
  EXPECT_NE(summary(7, 2).find("(3.5 runs/s"), std::string::npos) << summary(7, 2);
  EXPECT_NE(summary(300, 11.74).find("(26 runs/s"), std::string::npos) << summary(300, 11.74);
  EXPECT_NE(summary(0, 0).find("(0 runs/s"), std::string::npos) << summary(0, 0);
}

TEST(HuntStatistics, WilsonIntervals) {
  double low, high;
  engine::WilsonInterval(1, 46, &low, &high);
  EXPECT_NEAR(low, 0.003848, 1e-6);
  EXPECT_NEAR(high, 0.113353, 1e-6);
  engine::WilsonInterval(0, 200, &low, &high);
  EXPECT_EQ(low, 0);
  EXPECT_NEAR(high, 0.018845, 1e-6);
  engine::WilsonInterval(10, 100, &low, &high);
  EXPECT_NEAR(low, 0.055229, 1e-6);
  EXPECT_NEAR(high, 0.174366, 1e-6);
}

}  // namespace
}  // namespace tape::testing
