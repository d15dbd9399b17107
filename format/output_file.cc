#include "format/output_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "format/partial_outputs.h"

namespace tape::format {

int HighFd(int fd) {
  if (fd < 0 || fd > 2) return fd;
  int high = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  int err = errno;
  ::close(fd);
  errno = err;
  return high;
}

std::string DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string BaseOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

namespace {

// The mode a new trace or export gets (mkstemp makes files private).
void GiveDefaultMode(int fd) {
  mode_t mask = ::umask(0);
  ::umask(mask);
  (void)::fchmod(fd, 0644 & ~mask);
}

Status WriteAll(int fd, const char* data, size_t size, const std::string& path) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::FromErrno("cannot write " + path, n < 0 ? errno : EIO);
    data += n;
    size -= size_t(n);
  }
  return Status::Ok();
}

}  // namespace

const char* FileTypeName(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a regular file";
}

bool OutputAllowed(const struct stat& st, bool force) {
  return S_ISREG(st.st_mode) || (force && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)));
}

Result<OutputTarget> CheckOutputTarget(const std::string& path, bool force) {
  OutputTarget t;
  t.path = path;
  struct stat link;
  if (::lstat(path.c_str(), &link) != 0) return t;  // new (or unreachable: opening says why)
  if (S_ISLNK(link.st_mode)) {
    // A buffer of ours rather than realpath's malloc: the interposition
    // library (preload/) allocates with its own allocator, not the C library's.
    char real[PATH_MAX];
    if (::realpath(path.c_str(), real) == nullptr) {
      return Status::InvalidArgument("refusing to write to " + path +
                                     ": it is a symbolic link to a file that does not exist; "
                                     "name the file itself");
    }
    t.path = real;
  }
  if (::stat(t.path.c_str(), &t.st) != 0) return t;  // gone meanwhile: new
  mode_t mode = t.st.st_mode;
  if (S_ISREG(mode)) {
    t.kind = OutputTarget::Kind::kRegular;
    return t;
  }
  if (S_ISDIR(mode)) {
    return Status::InvalidArgument(path + " is a directory; name a file to write to");
  }
  if (S_ISCHR(mode) || S_ISFIFO(mode)) {
    if (!force) {
      return Status::InvalidArgument("refusing to write to " + path + ": it is " +
                                     FileTypeName(mode) +
                                     ", not a regular file; use --force to write into it in "
                                     "place");
    }
    t.kind = OutputTarget::Kind::kStream;
    return t;
  }
  return Status::InvalidArgument(
      "refusing to write to " + path + ": it is " + FileTypeName(mode) +
      ", not a regular file; tape writes only regular files (and, with --force, character "
      "devices and FIFOs), so --force does not change this: name another file");
}

Result<int> OpenStream(const OutputTarget& target, const std::string& shown_path) {
  int fd = ::open(target.path.c_str(), O_WRONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENXIO && S_ISFIFO(target.st.st_mode)) {
      return Status::IoError("cannot write to the FIFO " + shown_path +
                             ": no process has it open for reading; start the reader first");
    }
    return Status::FromErrno("cannot open " + shown_path + " for writing", errno);
  }
  struct stat st;
  // The file opened must still be the kind the rule allowed.
  if (::fstat(fd, &st) != 0 || !OutputAllowed(st, /*force=*/true) || S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument("refusing to write to " + shown_path +
                                   ": it was replaced while tape opened it");
  }
  int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  fd = HighFd(fd);
  if (fd < 0) return Status::FromErrno("cannot open " + shown_path + " for writing", errno);
  return fd;
}

void RemoveRegularFile(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) ::unlink(path.c_str());
}

Result<std::unique_ptr<OutputFile>> OutputFile::Create(const std::string& path, bool force) {
  TAPE_ASSIGN_OR_RETURN(OutputTarget target, CheckOutputTarget(path, force));
  std::unique_ptr<OutputFile> out(new OutputFile());
  out->shown_path_ = path;
  out->target_ = target.path;
  if (target.kind == OutputTarget::Kind::kStream) {
    TAPE_ASSIGN_OR_RETURN(out->stream_fd_, OpenStream(target, path));
    std::string dir = std::filesystem::temp_directory_path().string();
    int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {  // a file system without O_TMPFILE: a named file, unlinked at once
      std::string name = dir + "/tape-out-XXXXXX";
      fd = ::mkostemp(name.data(), O_CLOEXEC);
      if (fd >= 0) ::unlink(name.c_str());
    }
    if (fd < 0) {
      return Status::FromErrno("cannot create a temporary file in " + dir + " for the output to " +
                                   path,
                               errno);
    }
    out->fd_ = HighFd(fd);
    out->temp_name_ = "a temporary file in " + dir;
    return out;
  }
  out->temp_path_ = DirOf(target.path) + "/." + BaseOf(target.path) + ".tape-new-XXXXXX";
  // Remembered as it is made: a signal that ends the tool before Commit must
  // not leave the half-written file.
  int fd = CreateRememberedTemp(&out->temp_path_, &out->partial_slot_);
  if (fd < 0) {
    int err = errno;
    out->temp_path_.clear();
    return Status::FromErrno("cannot create a file beside " + path, err);
  }
  GiveDefaultMode(fd);
  out->fd_ = HighFd(fd);
  out->temp_name_ = out->temp_path_;
  if (out->fd_ < 0) return Status::FromErrno("cannot create a file beside " + path, errno);
  return out;
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) ::close(fd_);
  if (stream_fd_ >= 0) ::close(stream_fd_);
  if (!committed_ && !temp_path_.empty()) ::unlink(temp_path_.c_str());
  ForgetPartialOutput(partial_slot_);
}

Status OutputFile::Commit() {
  committed_ = true;
  if (stream_fd_ >= 0) {
    // Copy the finished output into the device, from the start.
    Status s;
    char buf[1 << 16];
    for (off_t at = 0; s.ok();) {
      ssize_t n = ::pread(fd_, buf, sizeof buf, at);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) s = Status::FromErrno("cannot read back " + temp_name_, errno);
      if (n <= 0) break;
      s = WriteAll(stream_fd_, buf, size_t(n), shown_path_);
      at += n;
    }
    ::close(fd_);
    fd_ = -1;
    if (::close(stream_fd_) != 0 && s.ok()) s = Status::FromErrno("cannot write " + shown_path_, errno);
    stream_fd_ = -1;
    return s;
  }
  Status s;
  if (::close(fd_) != 0) s = Status::FromErrno("cannot write " + temp_name_, errno);
  fd_ = -1;
  // Renamed only over a regular file (or nothing): a device, FIFO or
  // directory put at the path since Create is not replaced.
  struct stat st;
  if (s.ok() && ::lstat(target_.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    s = Status::InvalidArgument("refusing to replace " + shown_path_ + ": it became " +
                                FileTypeName(st.st_mode) + " while tape wrote the output");
  }
  if (s.ok() && ::rename(temp_path_.c_str(), target_.c_str()) != 0) {
    s = Status::FromErrno("cannot rename " + temp_path_ + " to " + shown_path_, errno);
  }
  if (!s.ok()) ::unlink(temp_path_.c_str());
  // Only now: a signal before the rename still removes the file.
  ForgetPartialOutput(partial_slot_);
  partial_slot_ = -1;
  return s;
}

}  // namespace tape::format
