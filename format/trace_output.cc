#include "format/trace_output.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <random>
#include <vector>

#include "format/bytes.h"
#include "format/layout.h"
#include "format/output_file.h"
#include "format/records.h"

namespace tape::format {

namespace {

constexpr char kTempMarker[] = ".tape-partial-";

bool StartsLikeTrace(int fd) {
  uint8_t magic[8];
  ssize_t n = ::pread(fd, magic, sizeof magic, 0);
  return n == 8 && std::memcmp(magic, kFileMagic, 8) == 0;
}

// Removes temporary files that recorders killed before their first chunk
// left beside `path`: those nobody holds locked.
void RemoveStaleTemps(const std::string& path) {
  std::string dir = DirOf(path);
  std::string prefix = ".";
  prefix.append(BaseOf(path)).append(kTempMarker);
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (dirent* e = ::readdir(d)) {
    if (std::strncmp(e->d_name, prefix.c_str(), prefix.size()) != 0) continue;
    std::string p = dir + "/" + e->d_name;
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0) continue;
    struct stat st;
    bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    if (regular && ::flock(fd, LOCK_EX | LOCK_NB) == 0) ::unlink(p.c_str());
    ::close(fd);
  }
  ::closedir(d);
}

Status Busy(const std::string& path) {
  return Status::IoError("cannot record to " + path +
                         ": another tape process is recording that file right now; wait for it "
                         "to finish or choose another --out");
}

}  // namespace

Result<TraceHeader> ReadHeaderOf(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return Status::FromErrno("cannot read " + path, errno);
  uint8_t head[kPreludeSize + kRecordHeaderSize];
  if (st.st_size < off_t(sizeof head) || ::pread(fd, head, sizeof head, 0) != ssize_t(sizeof head)) {
    return Status::Corrupt(path + ": too short for a trace's header");
  }
  uint16_t major = 0, minor = 0;
  TAPE_RETURN_IF_ERROR(CheckPrelude(Bytes(head, kPreludeSize), &major, &minor));
  uint32_t body = LoadU32(head + kPreludeSize + 4);
  // Read only what the file holds, and never more than a HEAD can be.
  if (LoadU32(head + kPreludeSize) != kTagHeader || body > kMaxRecordBody ||
      uint64_t(st.st_size) - sizeof head < body) {
    return Status::Corrupt(path + ": no complete HEAD record at byte 16");
  }
  std::vector<uint8_t> bytes(sizeof head + body);
  std::memcpy(bytes.data(), head, sizeof head);
  size_t done = 0;
  while (done < body) {
    ssize_t n = ::pread(fd, bytes.data() + sizeof head + done, body - done, off_t(sizeof head + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::Corrupt(path + ": the HEAD record could not be read whole");
    done += size_t(n);
  }
  RecordView record;
  TAPE_RETURN_IF_ERROR(ReadRecord(Bytes(bytes.data(), bytes.size()), kPreludeSize, &record));
  TraceHeader header;
  TAPE_RETURN_IF_ERROR(ParseHeaderBody(record.body, &header));
  return header;
}

Status CheckSameProgram(int fd, const std::string& path, const TraceHeader& next) {
  Result<TraceHeader> old = ReadHeaderOf(fd, path);
  if (!old.has_value()) return Status::Ok();
  if (old->program_kind == next.program_kind && old->program_name == next.program_name) {
    return Status::Ok();
  }
  // An imported trace may not name its program: nothing says it is another.
  if (old->program_name.empty()) return Status::Ok();
  auto describe = [](const TraceHeader& h) {
    if (h.program_name.empty()) return std::string("a program it does not name");
    return std::string(ProgramKindName(h.program_kind)) + " program '" + h.program_name + "'";
  };
  return Status::InvalidArgument("refusing to replace " + path + ": it is a trace of " +
                                 describe(*old) + ", and this is a trace of " + describe(next) +
                                 " (use --force to replace it, or choose another file)");
}

Result<std::unique_ptr<TraceOutput>> TraceOutput::Claim(const std::string& path, bool force,
                                                        const TraceHeader* next) {
  std::unique_ptr<TraceOutput> out(new TraceOutput());
  out->path_ = path;
  for (int attempt = 0;; ++attempt) {
    // The device rule (format/output_file.h): a symbolic link names the file
    // it points to; a character device or FIFO is written in place when
    // forced; a directory, block device or socket is refused.
    TAPE_ASSIGN_OR_RETURN(OutputTarget where, CheckOutputTarget(path, force));
    out->path_ = where.path;
    const std::string& target = out->path_;
    if (where.kind == OutputTarget::Kind::kStream) {
      TAPE_ASSIGN_OR_RETURN(out->fd_, OpenStream(where, path));
      out->dev_ = where.st.st_dev;
      out->ino_ = where.st.st_ino;
      return out;
    }
    // Open without truncating, then lock: a second recorder stops here.
    int fd = ::open(target.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0644);
    if (fd < 0) return Status::FromErrno("cannot create trace " + path, errno);
    fd = HighFd(fd);
    if (fd < 0) return Status::FromErrno("cannot create trace " + path, errno);
    // What was opened must be a regular file: a FIFO or device put at the
    // path since the check is not truncated or renamed over.
    struct stat opened;
    if (::fstat(fd, &opened) != 0 || !S_ISREG(opened.st_mode)) {
      ::close(fd);
      if (attempt < 3) continue;
      return Busy(path);
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) return Busy(path);
      return Status::FromErrno("cannot lock trace " + path, err);
    }
    // The file locked must still be the one at `path`: another recorder may
    // have renamed its new trace over it between our open and our lock.
    struct stat locked, now;
    if (::fstat(fd, &locked) != 0 || ::stat(target.c_str(), &now) != 0 ||
        locked.st_dev != now.st_dev || locked.st_ino != now.st_ino) {
      ::close(fd);
      if (attempt < 3) continue;
      return Busy(path);
    }
    if (locked.st_size > 0 && !force && !StartsLikeTrace(fd)) {
      ::close(fd);
      return Status::InvalidArgument("refusing to overwrite " + path +
                                     ": it exists and is not a tape trace (use --force to "
                                     "replace it)");
    }
    if (locked.st_size > 0 && !force && next != nullptr) {
      Status same = CheckSameProgram(fd, path, *next);
      if (!same.ok()) {
        ::close(fd);
        return same;
      }
    }
    RemoveStaleTemps(target);
    if (locked.st_size == 0) {
      // Nothing to keep: write in place.
      int flags = ::fcntl(fd, F_GETFL);
      ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
      out->fd_ = fd;
      out->dev_ = locked.st_dev;
      out->ino_ = locked.st_ino;
      return out;
    }
    // Keep the old trace whole (and locked) until the new one has a chunk.
    out->old_fd_ = fd;
    out->old_dev_ = locked.st_dev;
    out->old_ino_ = locked.st_ino;
    std::random_device rd;
    for (int tries = 0; tries < 16 && out->fd_ < 0; ++tries) {
      out->temp_path_ = DirOf(target);
      out->temp_path_.append("/.").append(BaseOf(target)).append(kTempMarker);
      out->temp_path_.append(std::to_string(::getpid())).append("-");
      out->temp_path_.append(std::to_string(rd() % 1000000));
      int t = ::open(out->temp_path_.c_str(),
                     O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
      if (t < 0 && errno == EEXIST) continue;
      if (t < 0) {
        // No room beside it (e.g. the directory is not writable): the old
        // trace is replaced in place, as the only way left to record.
        out->temp_path_.clear();
        if (::ftruncate(fd, 0) != 0) return Status::FromErrno("cannot truncate " + path, errno);
        int flags = ::fcntl(fd, F_GETFL);
        ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
        out->fd_ = fd;
        out->old_fd_ = -1;
        out->dev_ = locked.st_dev;
        out->ino_ = locked.st_ino;
        return out;
      }
      t = HighFd(t);
      ::flock(t, LOCK_EX | LOCK_NB);
      struct stat ts;
      ::fstat(t, &ts);
      out->fd_ = t;
      out->dev_ = ts.st_dev;
      out->ino_ = ts.st_ino;
    }
    if (out->fd_ < 0) return Status::IoError("cannot create a temporary file beside " + path);
    return out;
  }
}

TraceOutput::~TraceOutput() {
  (void)Close();
  // A recording that never published leaves the old trace as it was.
  if (!temp_path_.empty() && !keep_temp_) ::unlink(temp_path_.c_str());
}

Status TraceOutput::Publish() {
  if (temp_path_.empty()) return Status::Ok();
  // Renamed only over a regular file (the old trace, or what replaced it):
  // never over a device or FIFO put at the path during the recording.
  struct stat st;
  if (::lstat(path_.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    keep_temp_ = true;
    return Status::IoError("refusing to move the new trace over " + path_ + ": it became " +
                           FileTypeName(st.st_mode) +
                           " during the recording; the trace is left in " + temp_path_);
  }
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    return Status::FromErrno("cannot move the new trace " + temp_path_ + " to " + path_, errno);
  }
  temp_path_.clear();
  if (old_fd_ >= 0) ::close(old_fd_);  // nobody can open the old file by its path any more
  old_fd_ = -1;
  return Status::Ok();
}

bool TraceOutput::IsOwnFile(dev_t dev, ino_t ino) const {
  return (dev == dev_ && ino == ino_) || (old_fd_ >= 0 && dev == old_dev_ && ino == old_ino_);
}

Status TraceOutput::CheckStillAtPath() const {
  if (fd_ < 0 || !temp_path_.empty()) return Status::Ok();
  struct stat mine, there;
  if (::fstat(fd_, &mine) != 0) return Status::Ok();
  if (!S_ISREG(mine.st_mode)) return Status::Ok();
  if (::stat(path_.c_str(), &there) != 0) {
    if (mine.st_nlink == 0) {
      return Status::IoError("the trace " + path_ +
                             " was deleted while it was being recorded; the recording is lost");
    }
    return Status::IoError("the trace " + path_ +
                           " was moved away while it was being recorded; the recording is not "
                           "at that path");
  }
  if (there.st_dev != mine.st_dev || there.st_ino != mine.st_ino) {
    return Status::IoError("the trace " + path_ +
                           " was replaced by another file while it was being recorded; the "
                           "recording is lost");
  }
  return Status::Ok();
}

Status TraceOutput::Close() {
  Status s;
  if (fd_ >= 0 && ::close(fd_) != 0) s = Status::FromErrno("cannot close trace " + path_, errno);
  fd_ = -1;
  if (old_fd_ >= 0) ::close(old_fd_);
  old_fd_ = -1;
  return s;
}

}  // namespace tape::format
