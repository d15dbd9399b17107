#include "tools/executable.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

namespace tape::cli {

namespace {

// What tape's interposer needs to be loaded: glibc's x86-64 dynamic loader.
constexpr std::string_view kGlibcLoader = "ld-linux-x86-64.so.2";
constexpr size_t kMaxHeaderBytes = 1u << 20;

class File {
 public:
  explicit File(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~File() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  // Exactly `n` bytes at `offset`, or false.
  bool Read(uint64_t offset, size_t n, void* out) const {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd_, static_cast<char*>(out) + done, n - done, off_t(offset + done));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      done += size_t(r);
    }
    return true;
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

Status Refused(const std::string& path, const std::string& why) {
  return Status::InvalidArgument(path + " " + why);
}

// The ELF checks. `shown` names the program in messages.
Status CheckElf(const std::string& path, const File& f, const std::string& shown) {
  Elf64_Ehdr eh;
  if (!f.Read(0, sizeof eh, &eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
    return Refused(shown, "is neither an ELF program nor a #! script");
  }
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64) {
    return Refused(shown, "is not an x86-64 program; tape's interposer records x86-64 Linux "
                          "programs");
  }
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || size_t(eh.e_phnum) * sizeof(Elf64_Phdr) > kMaxHeaderBytes) {
    return Refused(shown, "has damaged program headers");
  }
  std::vector<Elf64_Phdr> ph(eh.e_phnum);
  if (!ph.empty() && !f.Read(eh.e_phoff, ph.size() * sizeof(Elf64_Phdr), ph.data())) {
    return Refused(shown, "has damaged program headers");
  }
  std::string interp;
  for (const Elf64_Phdr& p : ph) {
    if (p.p_type != PT_INTERP) continue;
    if (p.p_filesz == 0 || p.p_filesz > 4096) return Refused(shown, "names a damaged loader");
    interp.resize(p.p_filesz);
    if (!f.Read(p.p_offset, p.p_filesz, interp.data())) return Refused(shown, "names a damaged loader");
    interp.resize(strnlen(interp.data(), interp.size()));
  }
  // Go, static or not, makes its own system calls and reads the vDSO's clock
  // itself: the sections its toolchain writes tell it.
  if (eh.e_shentsize == sizeof(Elf64_Shdr) && eh.e_shnum > 0 && eh.e_shstrndx < eh.e_shnum &&
      size_t(eh.e_shnum) * sizeof(Elf64_Shdr) <= kMaxHeaderBytes) {
    std::vector<Elf64_Shdr> sh(eh.e_shnum);
    if (f.Read(eh.e_shoff, sh.size() * sizeof(Elf64_Shdr), sh.data())) {
      const Elf64_Shdr& names = sh[eh.e_shstrndx];
      std::string table(std::min<uint64_t>(names.sh_size, kMaxHeaderBytes), '\0');
      if (f.Read(names.sh_offset, table.size(), table.data())) {
        for (const Elf64_Shdr& s : sh) {
          if (s.sh_name >= table.size()) continue;
          std::string_view name(table.c_str() + s.sh_name);
          if (name == ".go.buildinfo" || name == ".note.go.buildid" || name == ".gopclntab") {
            return Refused(shown, "is a Go program: Go makes its system calls and reads the clock "
                                  "without the C library, where tape's interposer cannot see "
                                  "them. Record Go programs with rr on a machine that has it");
          }
        }
      }
    }
  }
  if (interp.empty()) {
    return Refused(shown, "is statically linked: it loads no libraries, so tape's interposer "
                          "(LD_PRELOAD) cannot be loaded into it. Record a dynamically linked "
                          "build of it");
  }
  std::string_view loader(interp);
  if (loader.substr(loader.rfind('/') + 1) != kGlibcLoader) {
    return Refused(shown, "uses the loader " + interp +
                              ", not glibc's: tape's interposer is built for glibc");
  }
  (void)path;
  return Status::Ok();
}

// Absolute `path` (against the working directory), without resolving links:
// the trace names the program as it was run.
std::string Absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return path;
  return std::string(cwd) + "/" + path;
}

Result<std::string> Search(const std::string& name) {
  if (name.find('/') != std::string::npos) return Absolute(name);
  const char* path_env = std::getenv("PATH");
  std::string_view dirs = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    size_t colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return Absolute(candidate);
    }
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return Status::NotFound("no program '" + name + "' in PATH");
}

}  // namespace

Result<std::string> HashExecutable(const std::string& path) {
  File f(path);
  if (!f.ok()) return Status::FromErrno("cannot read " + path, errno);
  XXH3_state_t* state = XXH3_createState();
  XXH3_128bits_reset(state);
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(f.fd(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      XXH3_freeState(state);
      return Status::FromErrno("cannot read " + path, err);
    }
    if (n == 0) break;
    XXH3_128bits_update(state, buf.data(), size_t(n));
  }
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(state));
  XXH3_freeState(state);
  return std::string(reinterpret_cast<const char*>(canonical.digest), sizeof canonical.digest);
}

Result<Executable> FindExecutable(const std::string& name) {
  if (name.empty()) return Status::InvalidArgument("no program given");
  Result<std::string> found = Search(name);
  if (!found.has_value()) return found.error();
  const std::string& path = *found;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Status::FromErrno("cannot run " + path, errno);
  if (!S_ISREG(st.st_mode)) return Refused(path, "is not a regular file");
  if (::access(path.c_str(), X_OK) != 0) return Status::FromErrno("cannot run " + path, errno);
  if (st.st_mode & (S_ISUID | S_ISGID)) {
    return Refused(path, "is set-user-ID or set-group-ID: the loader ignores LD_PRELOAD for it, "
                         "so tape's interposer cannot be loaded into it");
  }
  File f(path);
  if (!f.ok()) return Status::FromErrno("cannot read " + path, errno);
  char head[256] = {};
  ssize_t got = ::pread(f.fd(), head, sizeof head - 1, 0);
  if (got >= 2 && head[0] == '#' && head[1] == '!') {
    // A script: the kernel runs its interpreter, into which the interposer
    // is loaded. /usr/bin/env would start another program.
    std::string_view line(head + 2, size_t(got) - 2);
    line = line.substr(0, line.find('\n'));
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos) return Refused(path, "is a #! script without an interpreter");
    line.remove_prefix(start);
    std::string interpreter(line.substr(0, line.find_first_of(" \t")));
    if (interpreter.ends_with("/env")) {
      return Refused(path, "is a script run through " + interpreter +
                               ", which starts another program; record its interpreter: tape "
                               "record -- INTERPRETER " + name);
    }
    File g(interpreter);
    if (!g.ok()) return Status::FromErrno("cannot read " + path + "'s interpreter " + interpreter, errno);
    Status s = CheckElf(interpreter, g, path + "'s interpreter " + interpreter);
    if (!s.ok()) return s;
  } else {
    Status s = CheckElf(path, f, path);
    if (!s.ok()) return s;
  }
  Result<std::string> hash = HashExecutable(path);
  if (!hash.has_value()) return hash.error();
  return Executable{path, *hash};
}

}  // namespace tape::cli
