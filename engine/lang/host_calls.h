// Host calls: the script's doors to the world, one per effect of
// tape::Runtime (specs/language.md §8). Each call site is a tape site, so
// the recorder and replayer see where in the script an effect came from.

#ifndef TAPE_LANG_HOST_CALLS_H_
#define TAPE_LANG_HOST_CALLS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/lang/value.h"
#include "tape/runtime.h"

namespace tape::lang {

enum class Host : uint8_t {
  kClockNow,
  kRandomBits,
  kIoWrite,
  kIoLastError,
  kFsRead,
  kFsWrite,
  kFsLastError,
  kEnvGet,
  kEnvGetOr,  // env.get(name, default)
  kEnvHas,    // env.has(name): an env.get effect, answered set/unset
  kArgsGet,
  kTimeSleep,
  kPrint,  // print(x): an io.write of str(x) + "\n"
};

struct HostInfo {
  std::string_view module;    // "clock"; empty for print
  std::string_view function;  // "now"
  Host id;
  int arity;
  // The effect it performs ("clock.now"), which names its site; empty for
  // io.last_error and fs.last_error, which only read the interpreter's state.
  std::string_view effect;
};

// nullptr if `module.function` is not a host call. print is ("", "print").
// A call with two forms (env.get) has an entry per argument count: given
// `argc`, the entry that takes that many, else the first.
const HostInfo* FindHost(std::string_view module, std::string_view function, int argc = -1);
// "clock.now, random.bits, ..." for error messages.
std::string HostCallList();

// What host calls remember between calls within one run.
struct HostState {
  int io_errno = 0;  // of the last io.write or print
  int fs_errno = 0;  // of the last fs.read or fs.write
};

// Performs host call `id` with `args` (arity already checked). Faults on a
// bad argument; lets tape::DriftError from the runtime pass through.
// REQUIRES: site.location stays valid while `rt` may keep it.
Value CallHost(Host id, Runtime& rt, const Site& site, Value* args, HostState* state);

}  // namespace tape::lang

#endif  // TAPE_LANG_HOST_CALLS_H_
