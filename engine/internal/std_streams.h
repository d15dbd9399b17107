// Standard streams a process was started without.

#ifndef TAPE_ENGINE_STD_STREAMS_H_
#define TAPE_ENGINE_STD_STREAMS_H_

namespace tape::engine {

// Gives each closed descriptor 0, 1 and 2 a placeholder, so that no file tape
// opens later (a trace, a file a program reads) takes its number: writes
// meant for stdout must never land in a trace. The placeholder is /dev/null
// opened in the direction the stream is NOT used (stdin write-only, stdout
// and stderr read-only), so the program still sees EBADF, exactly as with
// the stream closed, and that is what gets recorded. Call first in main().
void ReserveStandardFds();

}  // namespace tape::engine

#endif  // TAPE_ENGINE_STD_STREAMS_H_
