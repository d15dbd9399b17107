// flaky: the rationale demo. One run in 32 fails; replay reproduces it.
#include "engine/programs/programs.h"

namespace tape::programs {

int Flaky(Runtime& rt) {
  int roll = static_cast<unsigned char>(rt.RandomBits(1)[0]);
  if (roll < 8) {
    rt.IoWrite("FAIL: expected the answer to be 42, got " + std::to_string(roll) +
               " — this is the bug\n");
    return 1;
  }
  rt.IoWrite("ok: roll was " + std::to_string(roll) + ", no flake this time\n");
  return 0;
}

}  // namespace tape::programs
