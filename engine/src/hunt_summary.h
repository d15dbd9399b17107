// What a hunt says about its runs (engine/internal/hunt.h): the failure
// rate and its interval, runs per second, the end of a run's output.

#ifndef TAPE_ENGINE_SRC_HUNT_SUMMARY_H_
#define TAPE_ENGINE_SRC_HUNT_SUMMARY_H_

#include <cstddef>
#include <string>
#include <vector>

namespace tape::engine {

// The last `max_lines` lines of a run's output, escaped, for the summary;
// "..." first when more came before them, and a line that says so when
// the output was `cut` at kMaxRunOutput.
std::vector<std::string> OutputTail(const std::string& output, bool cut, size_t max_lines);

}  // namespace tape::engine

#endif  // TAPE_ENGINE_SRC_HUNT_SUMMARY_H_
