// Debugging a program under tape with gdb (or any debugger that calls
// functions in the program): which effect call the run is at.
//
//   $ gdb -ex run --args ./myapp replay --trace t.bin --stop-at 1234
//   (gdb) break main.cc:42 if tape::CurrentSeq() >= 1200
//
// `--stop-at SEQ` (tape replay, and a program's own `replay` command through
// tape::Main) raises SIGTRAP just before event SEQ is served when a debugger
// is attached; without one it stops the process (SIGSTOP) so that one can
// attach (gdb -p PID), and says so on stderr.

#ifndef TAPE_DEBUG_H_
#define TAPE_DEBUG_H_

#include <cstdint>

namespace tape {

// The seq of the next effect call of the run in progress in this process (a
// record or a replay): the number of calls made so far. UINT64_MAX when no
// run is in progress. For debuggers, with the program stopped: not
// synchronized with threads that make effect calls.
uint64_t CurrentSeq();

}  // namespace tape

// The same under a C name, for debuggers that do not read C++ names.
extern "C" uint64_t tape_current_seq(void);

#endif  // TAPE_DEBUG_H_
