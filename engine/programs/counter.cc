// counter: five writes in a tight loop.
#include "engine/programs/programs.h"

namespace tape::programs {

int Counter(Runtime& rt) {
  for (int i = 1; i <= 5; ++i) rt.IoWrite("count " + std::to_string(i) + "\n");
  return 0;
}

}  // namespace tape::programs
