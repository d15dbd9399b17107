// shrink_while_reading VERB TRACE: opens TRACE the way the reading verbs do
// (cli::OpenTrace, which installs their SIGBUS handler), truncates the file
// to 100 bytes, then reads every mapped byte. The handler must end the
// process with exit 81 and "tape VERB: TRACE changed while it was being
// read: it shrank from N to 100 bytes"; exit 0 would mean the read went on.
#include <unistd.h>

#include <cstdio>

#include "tools/cli.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: shrink_while_reading VERB TRACE\n");
    return 2;
  }
  auto reader = tape::cli::OpenTrace(argv[1], argv[2]);
  if (!reader) return 3;
  if (::truncate(argv[2], 100) != 0) return 4;
  unsigned sum = 0;
  for (uint8_t b : reader->file()) sum += b;
  std::printf("read %zu bytes (sum %u) after the file shrank\n", reader->file().size(), sum);
  return 0;
}
