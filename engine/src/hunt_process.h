// A hunted run as a child process (engine/internal/hunt.h): started in a
// process group of its own with stdin from /dev/null and stdout and stderr
// in one pipe, read without blocking, stopped with SIGTERM and then SIGKILL.

#ifndef TAPE_ENGINE_SRC_HUNT_PROCESS_H_
#define TAPE_ENGINE_SRC_HUNT_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "engine/internal/hunt.h"
#include "format/status.h"

namespace tape::engine {

inline constexpr uint64_t kMsNs = 1000000;

struct Run {
  uint64_t number = 0;
  pid_t pid = -1;
  int out_fd = -1;  // read end of the pipe holding its stdout and stderr
  std::string output;
  std::string trace;  // where it records (a hidden temporary name)
  uint64_t seed = 0;
  uint64_t deadline_ns = 0;  // 0: no timeout
  uint64_t term_ns = 0;      // when SIGTERM was sent (0: not yet)
  bool timed_out = false;
  bool discard = false;  // stopped by the hunt: neither counted nor kept
};

// Closes *fd if open and sets it to -1.
void CloseFd(int* fd);

// Starts `run`: o.command(run) executed as o.executable, stdin `devnull`. It
// dies with this process (PR_SET_PDEATHSIG) and takes the default action of
// SIGTERM, SIGPIPE and SIGXFSZ whatever this process does with them.
Status Launch(const HuntOptions& o, int devnull, Run* run);

// Reads what the run's pipe holds now, keeping the first kMaxRunOutput
// bytes; closes the pipe at its end.
void ReadOutput(Run* run);

// Stops the run's process group: SIGTERM the first time, SIGKILL once
// kStopGraceMs have passed since (`now`: MonotonicNs()).
void Stop(Run* run, uint64_t now);

}  // namespace tape::engine

#endif  // TAPE_ENGINE_SRC_HUNT_PROCESS_H_
