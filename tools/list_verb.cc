// tape list: the built-in demo programs.

#include <cstdio>

#include "engine/programs/programs.h"
#include "tools/cli.h"

namespace tape::cli {

int RunList() {
  std::printf("%-10s  %-24s  %s\n", "program", "effects exercised", "what it shows");
  for (const programs::BuiltinProgram& p : programs::Builtins()) {
    std::printf("%-10s  %-24s  %s\n", p.name, p.effects, p.shows);
  }
  std::printf("\nrecord one:  tape record dice --out dice.bin\n"
              "replay it:   tape replay dice --trace dice.bin\n");
  return kExitOk;
}

}  // namespace tape::cli
