// entropy: deterministic output from non-deterministic input.
#include "engine/programs/programs.h"

namespace tape::programs {

int Entropy(Runtime& rt) {
  std::string bytes = rt.RandomBits(64);
  unsigned sum = 0;
  for (unsigned char b : bytes) sum += b;
  rt.IoWrite("sum of 64 random bytes: " + std::to_string(sum) + "\n");
  return 0;
}

}  // namespace tape::programs
