// dice: the smallest happy path (clock + random + write).
#include "engine/programs/programs.h"

namespace tape::programs {

int Dice(Runtime& rt) {
  int64_t now = rt.ClockNow();
  std::string roll = rt.RandomBits(1);
  int face = 1 + static_cast<unsigned char>(roll[0]) % 6;
  rt.IoWrite("at " + std::to_string(now / 1000000000) + "s you rolled a " + std::to_string(face) +
             "\n");
  return 0;
}

}  // namespace tape::programs
