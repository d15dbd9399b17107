#include "tools/cli.h"
namespace tape::cli {
int RunDap(const DebugArgs&) { return Fail("dap", kExitUsage, "not yet"); }
}  // namespace tape::cli
