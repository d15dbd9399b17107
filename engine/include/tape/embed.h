// tape::Main: give your own C++ program tape's record and replay commands.
//
//   #include <tape/embed.h>
//   int Run(tape::Runtime& rt) { rt.IoWrite("hello\n"); return 0; }
//   int main(int argc, char** argv) {
//     return tape::Main(argc, argv, {tape::ProgramKind::kEmbedded, "hello", TAPE_CODE_HASH, "", Run});
//   }
//
// Then:  hello record [--out FILE] [--flush-ms N] [--chaos SPEC [--seed S]] [-- ARGS...]
//        hello replay [--trace FILE]
//        hello rerun [--trace FILE] [--live]
//        hello hunt [--runs N] [--jobs J] [--until COND] [--keep DIR] [--chaos SPEC] [-- ARGS...]
//
// FILE defaults to trace.bin, as for the tape command, and the default is
// said on stderr when it is used. `tape record ./hello` runs `./hello record`.
//
// Exit codes match the tape CLI: the program's own code, 2 for bad usage, 80
// when replay drifts, 81 when the trace cannot be read or written. Fatal
// signals finalize the trace before the process ends with the same signal.
// `hunt` records the program again and again, each run in a child process
// that re-executes this program, until a run fails; it exits 0 when one did,
// 1 when none did.

#ifndef TAPE_EMBED_H_
#define TAPE_EMBED_H_

#include "tape/program.h"
#include "tape/session.h"

namespace tape {

int Main(int argc, char** argv, const Program& program);

}  // namespace tape

#endif  // TAPE_EMBED_H_
