// Finding the Program to record or replay: a built-in by name, a .tape script
// by path, or the program a trace names.

#ifndef TAPE_TOOLS_PROGRAM_LOADER_H_
#define TAPE_TOOLS_PROGRAM_LOADER_H_

#include <string>

#include "format/status.h"
#include "format/trace_info.h"
#include "tape/program.h"

namespace tape::cli {

// A built-in program, or an error listing the ones there are.
Result<Program> LoadBuiltin(const std::string& name);
// Compiles the script at `path`; errors are ScriptError with the compiler's message.
Result<Program> LoadScript(const std::string& path);
// Why the file at `path`, named where a script is expected, cannot be one,
// with what to do instead: a trace (of tape or of the original tape), an
// executable. "" for anything else (a script, or a file
// that cannot be read, which the caller reports).
std::string NotAScript(const std::string& path);
// How `tape replay` and `tape rerun` read their arguments, in two steps
// around running a program that links tape (which has defaults of its own):
// - TraceGivenAsProgram: `VERB TRACE` names the trace itself (recognised by
//   its first bytes); `VERB A --trace B` with A a trace too is an error that
//   says to give one trace (its program runs) or to diff the two.
// - DefaultTrace: without a trace, kDefaultTrace, said on stderr; an error
//   when there is none here.
// Both return "" when all is well, else the message of a usage error.
std::string TraceGivenAsProgram(const std::string& verb, std::string* program, std::string* trace);
std::string DefaultTrace(const std::string& verb, std::string* trace);
// The program named by a trace's header: a built-in, or the embedded script.
Result<Program> LoadFromTrace(const format::TraceHeader& header);
// The program a command line names: a built-in by its name, anything else
// the script at that path. (A built-in's name holds no '/' and does not end
// in ".tape".)
Result<Program> LoadNamed(const std::string& name);
// Prints why a program could not be had, for `verb`, and returns the exit
// code: a script that does not compile as the compiler reports it
// (kExitScript), anything else as a usage error (kExitUsage).
int ReportLoadError(const std::string& verb, const Status& error);
// For a script CodeHashMismatch: which line changed since the recording.
std::string DescribeScriptChange(const std::string& recorded_source,
                                 const std::string& current_source);

}  // namespace tape::cli

#endif  // TAPE_TOOLS_PROGRAM_LOADER_H_
