// io.read_line and io.read_all: standard input read through a bounded
// buffer, recorded, and replayed with standard input closed.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "engine/effects/stdin_reader.h"
#include "tests/engine/session_fixture.h"

namespace tape::testing {
namespace {

using engine::StdinReader;

// A reader of a file holding `text`.
struct FileInput {
  FileInput(const TempDir& dir, const std::string& text) {
    std::string path = dir.File("input");
    std::ofstream(path, std::ios::binary) << text;
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  }
  ~FileInput() { ::close(fd); }
  int fd;
};

std::vector<std::string> Lines(StdinReader& in, size_t max_line, std::vector<int>* errors) {
  std::vector<std::string> lines;
  for (int i = 0; i < 100; ++i) {
    std::optional<std::string> line;
    int err = in.ReadLine(max_line, &line);
    errors->push_back(err);
    if (err == 0 && !line) break;
    lines.push_back(line.value_or("<error>"));
  }
  return lines;
}

TEST(StdinReader, SplitsLinesAndEndsWithNothing) {
  TempDir dir;
  FileInput f(dir, "a\nb\r\n\nlast");
  StdinReader in(f.fd);
  std::vector<int> errors;
  EXPECT_EQ(Lines(in, 100, &errors), (std::vector<std::string>{"a", "b\r", "", "last"}));
  EXPECT_EQ(errors, (std::vector<int>{0, 0, 0, 0, 0}));
  std::optional<std::string> again;
  EXPECT_EQ(in.ReadLine(100, &again), 0);  // still the end
  EXPECT_FALSE(again);
}

// A line too long is EFBIG, and the next call gets the line after it:
// whether the end of the long line is in the buffer already or many reads
// later, and without holding the long line.
TEST(StdinReader, ALineTooLongIsAnErrorAndSkipped) {
  TempDir dir;
  std::string huge(3 * StdinReader::kReadBytes + 17, 'x');
  FileInput f(dir, "short\ntoolong\nok\n" + huge + "\nafter\n" + huge);
  StdinReader in(f.fd);
  std::vector<int> errors;
  EXPECT_EQ(Lines(in, 5, &errors),
            (std::vector<std::string>{"short", "<error>", "ok", "<error>", "after", "<error>"}));
  EXPECT_EQ(errors, (std::vector<int>{0, EFBIG, 0, EFBIG, 0, EFBIG, 0}));
}

TEST(StdinReader, ReadAllTakesWhatTheLinesLeft) {
  TempDir dir;
  FileInput f(dir, "one\ntwo\nthree");
  StdinReader in(f.fd);
  std::optional<std::string> line;
  ASSERT_EQ(in.ReadLine(100, &line), 0);
  EXPECT_EQ(line, "one");
  std::string rest;
  EXPECT_EQ(in.ReadAll(100, &rest), 0);
  EXPECT_EQ(rest, "two\nthree");
  EXPECT_EQ(in.ReadAll(100, &rest), 0);
  EXPECT_EQ(rest, "");
  ASSERT_EQ(in.ReadLine(100, &line), 0);
  EXPECT_FALSE(line);
}

TEST(StdinReader, ReadAllOverTheLimitIsEfbigAndHoldsNothing) {
  TempDir dir;
  FileInput f(dir, std::string(2 * StdinReader::kReadBytes + 1, 'y'));
  StdinReader in(f.fd);
  std::string all;
  EXPECT_EQ(in.ReadAll(StdinReader::kReadBytes, &all), EFBIG);
  EXPECT_TRUE(all.empty());
}

TEST(StdinReader, AClosedDescriptorIsEbadf) {
  StdinReader in(-1);
  std::optional<std::string> line;
  EXPECT_EQ(in.ReadLine(100, &line), EBADF);
  std::string all;
  EXPECT_EQ(in.ReadAll(100, &all), EBADF);
}

// Puts a file holding `text` on descriptor 0 for the test's duration.
class StandardInput {
 public:
  StandardInput(const TempDir& dir, const std::string& text) : saved_(::dup(0)) {
    Replace(dir, text);
  }
  void Replace(const TempDir& dir, const std::string& text) {
    FileInput f(dir, text);
    ::dup2(f.fd, 0);
  }
  void Close() { ::close(0); }
  ~StandardInput() {
    ::dup2(saved_, 0);
    ::close(saved_);
  }

 private:
  int saved_;
};

TEST(IoRead, RecordedLinesReplayWithStandardInputClosed) {
  TempDir dir;
  std::vector<std::optional<std::string>> lines;
  std::string rest;
  Program p = TestProgram("stdin", [&](Runtime& rt) {
    lines.clear();
    for (int i = 0; i < 2; ++i) lines.push_back(rt.IoReadLine().line);
    rest = rt.IoReadAll().data;
    lines.push_back(rt.IoReadLine().line);  // the end of input
    return 0;
  });
  StandardInput in(dir, "first\nsecond\nand the rest\nof it\n");
  ASSERT_EQ(RecordCaptured(dir, p, "t").report.status, RunReport::Status::kOk);
  std::vector<std::optional<std::string>> recorded = lines;
  EXPECT_EQ(recorded, (std::vector<std::optional<std::string>>{"first", "second", std::nullopt}));
  EXPECT_EQ(rest, "and the rest\nof it\n");

  in.Close();
  rest.clear();
  Captured rep = ReplayCaptured(dir, p, "t");
  ASSERT_EQ(rep.report.status, RunReport::Status::kOk) << rep.report.error;
  EXPECT_EQ(lines, recorded);
  EXPECT_EQ(rest, "and the rest\nof it\n");
}

TEST(IoRead, ChaosEndsTheInputEarly) {
  TempDir dir;
  IoLine seen;
  FsReadResult all;
  Program p = TestProgram("stdin", [&](Runtime& rt) {
    seen = rt.IoReadLine();
    all = rt.IoReadAll();
    return 0;
  });
  StandardInput in(dir, "a line\n");
  RecordOptions o;
  o.trace_path = dir.File("t");
  o.stdout_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  o.chaos = "io.read_line:eof=1";
  RunReport r = Record(p, o);
  ::close(o.stdout_fd);
  ASSERT_EQ(r.status, RunReport::Status::kOk) << r.error;
  EXPECT_EQ(seen.error, 0);
  EXPECT_FALSE(seen.line);
  EXPECT_EQ(all.data, "a line\n");  // not performed: the line is still there
}

}  // namespace
}  // namespace tape::testing
