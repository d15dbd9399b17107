#include "engine/src/hunt_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/core.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "format/output_file.h"

namespace tape::engine {

namespace {

// The work directories' names begin with this, then the hunt's pid.
constexpr char kWorkPrefix[] = ".tape-hunt-";

// Removes the files in directory `dir` (not following links) and then the
// directory `name` of `parent`: a hunt's work directory. Returns false when
// something stays (a directory inside it that the hunt did not make).
bool RemoveWorkDir(int parent, const char* name, int dir) {
  if (DIR* d = ::fdopendir(::dup(dir))) {
    ::rewinddir(d);  // the duplicate shares the offset
    while (dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
        ::unlinkat(dir, e->d_name, 0);
      }
    }
    ::closedir(d);
  }
  return ::unlinkat(parent, name, AT_REMOVEDIR) == 0;
}

// The pid in a name KEEP/.tape-hunt-PID-..., or 0.
pid_t HuntPidOf(const char* name) {
  size_t prefix = sizeof kWorkPrefix - 1;
  if (std::strncmp(name, kWorkPrefix, prefix) != 0) return 0;
  const char* digits = name + prefix;
  const char* end = std::strchr(digits, '-');
  int pid = 0;
  if (end == nullptr || end == digits) return 0;
  auto [stop, ec] = std::from_chars(digits, end, pid);
  return ec == std::errc() && stop == end && pid > 0 ? pid_t(pid) : 0;
}

// Removes what killed hunts left in the keep directory `dir`: the work
// directories (and the per-run files of older versions of tape) of hunts
// whose process is gone, owned by this user, that nobody holds locked.
// Links and entries of live processes or other users are left alone.
void RemoveDeadHunts(const std::string& dir) {
  int keep = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (keep < 0) return;
  DIR* d = ::fdopendir(::dup(keep));
  if (d == nullptr) {
    ::close(keep);
    return;
  }
  while (dirent* e = ::readdir(d)) {
    pid_t pid = HuntPidOf(e->d_name);
    if (pid == 0 || pid == ::getpid()) continue;
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // alive (or not ours to ask)
    struct stat st;
    if (::fstatat(keep, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_uid != ::geteuid()) {
      continue;
    }
    if (S_ISREG(st.st_mode)) {
      ::unlinkat(keep, e->d_name, 0);
    } else if (S_ISDIR(st.st_mode)) {
      int work = ::openat(keep, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (work < 0) continue;
      // Still the directory looked at (not one swapped in since), and free.
      struct stat opened;
      if (::fstat(work, &opened) == 0 && opened.st_dev == st.st_dev && opened.st_ino == st.st_ino &&
          ::flock(work, LOCK_EX | LOCK_NB) == 0) {
        RemoveWorkDir(keep, e->d_name, work);
      }
      ::close(work);
    }
  }
  ::closedir(d);
  ::close(keep);
}

}  // namespace

std::string SafeName(std::string name) {
  if (name.ends_with(".tape")) name.resize(name.size() - 5);
  for (char& c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  if (name.empty() || name[0] == '.') name = "run" + name;
  return name.substr(0, 128);
}

Result<std::string> KeepAs(const std::string& from, const std::string& dir, const std::string& name,
                           uint64_t run) {
  std::string base = (std::filesystem::path(dir) / (name + "-run" + std::to_string(run))).string();
  for (int attempt = 1; attempt <= 1000; ++attempt) {
    std::string to = base;
    if (attempt > 1) to += '-' + std::to_string(attempt);
    to += ".bin";
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
      return to;
    }
    if (errno == EEXIST) continue;
    if (errno != EINVAL && errno != ENOSYS) return Status::FromErrno("cannot keep " + to, errno);
    // A file system without RENAME_NOREPLACE: link refuses an existing name too.
    if (::link(from.c_str(), to.c_str()) == 0) {
      format::RemoveRegularFile(from);
      return to;
    }
    if (errno != EEXIST) return Status::FromErrno("cannot keep " + to, errno);
  }
  return Status::IoError(fmt::format(
      "cannot keep the trace of run {}: {}.bin and 999 more names like it exist", run, base));
}

Status HuntFiles::Open(const std::string& keep_dir) {
  keep_dir_ = keep_dir;
  std::error_code ec;
  created_keep_dir_ = std::filesystem::create_directories(keep_dir, ec);
  if (ec) return Status::IoError("cannot create the directory " + keep_dir + ": " + ec.message());
  if (::access(keep_dir.c_str(), W_OK | X_OK) != 0) {
    return Status::FromErrno("cannot write traces to " + keep_dir, errno);
  }
  RemoveDeadHunts(keep_dir);
  std::string work =
      (std::filesystem::path(keep_dir) / (kWorkPrefix + std::to_string(::getpid()) + "-XXXXXX"))
          .string();
  if (::mkdtemp(work.data()) == nullptr) {
    return Status::FromErrno("cannot create a directory for the runs in " + keep_dir, errno);
  }
  work_dir_ = work;
  work_fd_ = ::open(work.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (work_fd_ < 0 || ::flock(work_fd_, LOCK_EX | LOCK_NB) != 0) {
    return Status::FromErrno("cannot use the directory " + work, errno);
  }
  return Status::Ok();
}

Result<std::string> HuntFiles::CreateRunFile(uint64_t run) {
  std::string name = std::to_string(run);
  int fd =
      ::openat(work_fd_, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::FromErrno(
        fmt::format("cannot create the trace of run {} in {}", run, work_dir_), errno);
  }
  ::close(fd);
  return work_dir_ + "/" + name;
}

void HuntFiles::Close(bool kept_any) {
  if (work_fd_ >= 0) {
    std::string parent = std::filesystem::path(work_dir_).parent_path().string();
    std::string name = std::filesystem::path(work_dir_).filename().string();
    int keep = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (keep >= 0) {
      RemoveWorkDir(keep, name.c_str(), work_fd_);
      ::close(keep);
    }
    ::close(work_fd_);
    work_fd_ = -1;
  } else if (!work_dir_.empty()) {
    ::rmdir(work_dir_.c_str());
  }
  work_dir_.clear();
  // A directory made for traces that nothing was kept in goes again.
  if (created_keep_dir_ && !kept_any) ::rmdir(keep_dir_.c_str());
  created_keep_dir_ = false;
}

}  // namespace tape::engine
