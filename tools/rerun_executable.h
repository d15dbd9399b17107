// `tape rerun` and `tape test` of a recording of a program that was not
// written for tape (`tape record -- PROGRAM`): the executable runs again
// under the interposer, which answers its calls from the trace as replay
// does (specs/rerun.md §10).

#ifndef TAPE_TOOLS_RERUN_EXECUTABLE_H_
#define TAPE_TOOLS_RERUN_EXECUTABLE_H_

#include "format/trace_reader.h"
#include "tools/cli.h"

namespace tape::cli {

// Reruns the recording `reader` (at args.trace) on the recorded executable,
// or on args.program. Returns the exit status, as RunRerun does.
int RerunExecutable(const RerunArgs& args, const format::TraceReader& reader);

}  // namespace tape::cli

#endif  // TAPE_TOOLS_RERUN_EXECUTABLE_H_
