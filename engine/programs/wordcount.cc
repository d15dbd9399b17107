// wordcount: reads the file named by TAPE_INPUT (default README.md) and
// prints its lines, words and characters.
#include <cstring>

#include "engine/programs/programs.h"

namespace tape::programs {

int Wordcount(Runtime& rt) {
  std::string path = rt.EnvGet("TAPE_INPUT").value_or("README.md");
  FsReadResult file = rt.FsRead(path);
  if (!file.ok()) {
    rt.IoWrite("wordcount: cannot read " + path + ": " + std::strerror(file.error) + "\n");
    return 1;
  }
  size_t lines = 0, words = 0;
  bool in_word = false;
  for (char c : file.data) {
    if (c == '\n') ++lines;
    bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  rt.IoWrite(path + ": " + std::to_string(lines) + " lines, " + std::to_string(words) +
             " words, " + std::to_string(file.data.size()) + " chars\n");
  return 0;
}

}  // namespace tape::programs
