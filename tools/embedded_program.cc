#include "tools/embedded_program.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "engine/internal/embed_marker.h"
#include "tools/cli.h"

namespace tape::cli {

namespace {

// A word of a command line as a shell would need it: quoted when it holds
// anything but letters, digits and -_./=:,+@%.
std::string ShellWord(const std::string& word) {
  bool plain = !word.empty();
  for (char c : word) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && !std::strchr("-_./=:,+@%", c))
      plain = false;
  }
  if (plain) return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

bool IsEmbeddedProgram(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  struct stat st;
  bool found = false;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0 && st.st_size > 4 &&
      ::access(path.c_str(), X_OK) == 0) {
    void* map = ::mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (map != MAP_FAILED) {
      const char* bytes = static_cast<const char*>(map);
      found = std::memcmp(bytes,
                          "\x7f"
                          "ELF",
                          4) == 0 &&
              ::memmem(bytes, size_t(st.st_size), engine::kEmbedMarker,
                       sizeof engine::kEmbedMarker - 1) != nullptr;
      ::munmap(map, size_t(st.st_size));
    }
  }
  ::close(fd);
  return found;
}

int RunEmbedded(const std::string& cli_verb, const std::string& path, const std::string& verb,
                const std::vector<std::string>& args) {
  // execv searches no PATH: "myapp" alone would not find ./myapp.
  std::string program = path.find('/') == std::string::npos ? "./" + path : path;
  std::vector<std::string> words = {program, verb};
  words.insert(words.end(), args.begin(), args.end());
  std::string shown;
  for (const std::string& w : words) {
    if (!shown.empty()) shown += ' ';
    shown += ShellWord(w);
  }
  std::string note = path;
  note.append(" links the tape library and ")
      .append(verb)
      .append("s itself: running ")
      .append(shown);
  Error(cli_verb, note);
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  std::cout.flush();
  ::execv(program.c_str(), argv.data());
  return Fail(cli_verb, kExitUsage, Status::FromErrno("cannot run " + path, errno).message());
}

}  // namespace tape::cli
