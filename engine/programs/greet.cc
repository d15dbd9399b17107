// greet: an environment variable, recorded; replay sees the old value.
#include "engine/programs/programs.h"

namespace tape::programs {

int Greet(Runtime& rt) {
  std::string name = rt.EnvGet("NAME").value_or("stranger");
  rt.IoWrite("hello, " + name + "\n");
  return 0;
}

}  // namespace tape::programs
