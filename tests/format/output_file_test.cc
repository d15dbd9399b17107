// The device rule (format/output_file.h) where the CLI tests cannot reach:
// a path that changes between the check and the rename, symbolic links, and
// TraceOutput's rename of a new trace over an old one.

#include "format/output_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "format/layout.h"
#include "format/trace_output.h"
#include "tests/format/trace_fixture.h"

namespace tape::format {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

bool IsFifo(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
}

size_t FilesIn(const TempDir& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.File(""))) ++n;
  return n;
}

Status WriteAllTo(int fd, const std::string& bytes) {
  if (::write(fd, bytes.data(), bytes.size()) != ssize_t(bytes.size())) {
    return Status::FromErrno("write", errno);
  }
  return Status::Ok();
}

TEST(OutputFile, ReplacesARegularFileOnlyAtCommit) {
  TempDir dir;
  std::string path = dir.File("out");
  WriteFile(path, "old");
  auto out = OutputFile::Create(path, /*force=*/false);
  ASSERT_TRUE(out.has_value()) << out.error().message();
  ASSERT_TRUE(WriteAllTo((*out)->fd(), "new bytes").ok());
  EXPECT_EQ(ReadFile(path), "old") << "the old file changed before Commit";
  ASSERT_TRUE((*out)->Commit().ok());
  EXPECT_EQ(ReadFile(path), "new bytes");
  EXPECT_EQ(FilesIn(dir), 1u) << "a temporary file was left";
}

TEST(OutputFile, WithoutCommitLeavesNothing) {
  TempDir dir;
  {
    auto out = OutputFile::Create(dir.File("out"), false);
    ASSERT_TRUE(out.has_value());
    ASSERT_TRUE(WriteAllTo((*out)->fd(), "half").ok());
  }
  EXPECT_EQ(FilesIn(dir), 0u);
}

TEST(OutputFile, APathThatBecameAFifoIsNotRenamedOver) {
  TempDir dir;
  std::string path = dir.File("out");
  WriteFile(path, "old");
  auto out = OutputFile::Create(path, /*force=*/true);
  ASSERT_TRUE(out.has_value());
  ASSERT_TRUE(WriteAllTo((*out)->fd(), "new").ok());
  // Another program puts a FIFO where the file was.
  ASSERT_EQ(::unlink(path.c_str()), 0);
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  Status s = (*out)->Commit();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("it became a FIFO"), std::string::npos) << s.message();
  EXPECT_TRUE(IsFifo(path));
  EXPECT_EQ(FilesIn(dir), 1u) << "the temporary file was left";
}

TEST(OutputFile, AFifoGetsTheWholeOutputInPlace) {
  TempDir dir;
  std::string path = dir.File("fifo");
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  // Nobody reads it: an error at once, not a hang.
  auto refused = OutputFile::Create(path, true);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message().find("no process has it open for reading"),
            std::string::npos);
  // Without force: refused whatever reads it.
  EXPECT_FALSE(OutputFile::Create(path, false).has_value());

  int reader = ::open(path.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  auto out = OutputFile::Create(path, true);
  ASSERT_TRUE(out.has_value()) << out.error().message();
  EXPECT_TRUE((*out)->to_stream());
  ASSERT_TRUE(WriteAllTo((*out)->fd(), "xxxx").ok());
  // The writer may rewrite what it wrote, as in a regular file.
  ASSERT_EQ(::pwrite((*out)->fd(), "ab", 2, 1), 2);
  char buf[16];
  EXPECT_EQ(::read(reader, buf, sizeof buf), -1) << "bytes reached the FIFO before Commit";
  ASSERT_TRUE((*out)->Commit().ok());
  ssize_t n = ::read(reader, buf, sizeof buf);
  ASSERT_EQ(n, 4);
  EXPECT_EQ(std::string(buf, 4), "xabx");
  ::close(reader);
  EXPECT_TRUE(IsFifo(path));
  EXPECT_EQ(FilesIn(dir), 1u);
}

TEST(OutputFile, ASymbolicLinkNamesTheFileItPointsTo) {
  TempDir dir;
  std::string target = dir.File("target"), link = dir.File("link");
  WriteFile(target, "old");
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  auto out = OutputFile::Create(link, false);
  ASSERT_TRUE(out.has_value());
  ASSERT_TRUE(WriteAllTo((*out)->fd(), "new").ok());
  ASSERT_TRUE((*out)->Commit().ok());
  struct stat st;
  ASSERT_EQ(::lstat(link.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode)) << "the link was replaced";
  EXPECT_EQ(ReadFile(target), "new");
  // A link to nothing is refused: replacing the link would not write where it points.
  ASSERT_EQ(::symlink(dir.File("nowhere").c_str(), dir.File("dangling").c_str()), 0);
  auto dangling = CheckOutputTarget(dir.File("dangling"), true);
  ASSERT_FALSE(dangling.has_value());
  EXPECT_NE(dangling.error().message().find("a symbolic link to a file that does not exist"),
            std::string::npos);
}

TEST(OutputFile, ADirectoryIsRefusedEvenWhenForcedAndAFifoNeverRemoved) {
  TempDir dir;
  auto d = CheckOutputTarget(dir.File(""), true);
  ASSERT_FALSE(d.has_value());
  EXPECT_NE(d.error().message().find("is a directory"), std::string::npos);
  // A FIFO is allowed forced, and RemoveRegularFile never removes it.
  std::string fifo = dir.File("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto f = CheckOutputTarget(fifo, true);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, OutputTarget::Kind::kStream);
  RemoveRegularFile(fifo);
  EXPECT_TRUE(IsFifo(fifo));
}

TEST(TraceOutput, ANewTraceIsNotRenamedOverAFifoPutAtThePath) {
  TempDir dir;
  std::string path = dir.File("t.trace");
  WriteFile(path, std::string(reinterpret_cast<const char*>(kFileMagic), 8) + "old trace");
  auto out = TraceOutput::Claim(path, false);
  ASSERT_TRUE(out.has_value()) << out.error().message();
  ASSERT_FALSE((*out)->published()) << "an old trace is kept until the new one has a chunk";
  ASSERT_EQ(::unlink(path.c_str()), 0);
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  Status s = (*out)->Publish();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("it became a FIFO"), std::string::npos) << s.message();
  EXPECT_TRUE(IsFifo(path));
  out->reset();
  EXPECT_EQ(FilesIn(dir), 2u) << "the new trace should be kept beside the FIFO";
}

}  // namespace
}  // namespace tape::format
