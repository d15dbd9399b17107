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
  kIoError,
  kEprint,  // eprint(x): an io.error of str(x) + "\n"
  kFsExists,
  kFsIsDir,  // fs.is_dir(path): an fs.exists effect, answered is-a-directory
  kFsList,
  kFsAppend,
  kHttpRequest,      // http.request(method, url, headers, body)
  kHttpRequestWith,  // http.request(method, url, headers, body, options)
  kHttpGet,          // http.get(url): http.request("GET", url, nil, nil)
  kHttpGetWith,      // http.get(url, options)
  kProcRun,          // proc.run(argv)
  kProcRunWith,      // proc.run(argv, options)
  kVersion,          // version(change_id, min, max): a version.marker effect
};

struct HostInfo {
  std::string_view module;    // "clock"; empty for print, eprint and version
  std::string_view function;  // "now"
  Host id;
  int arity;
  // The effect it performs ("clock.now"), which names its site; empty for
  // io.last_error and fs.last_error, which only read the interpreter's state.
  std::string_view effect;
};

// nullptr if `module.function` is not a host call. print is ("", "print"),
// eprint ("", "eprint"). A call with several forms (env.get, http.get) has
// an entry per argument count: given `argc`, the entry that takes that many,
// else the first. All forms of a call perform the same effect.
const HostInfo* FindHost(std::string_view module, std::string_view function, int argc = -1);
// The fewest and most arguments the forms of `module.function` take.
// REQUIRES: FindHost(module, function) is not null.
void HostArgCounts(std::string_view module, std::string_view function, int* min, int* max);
// "clock.now, random.bits, ..." for error messages.
std::string HostCallList();

// What host calls remember between calls within one run.
struct HostState {
  int io_errno = 0;  // of the last io.write, print, io.error or eprint
  int fs_errno = 0;  // of the last fs.read, fs.write, fs.append, fs.exists,
                     // fs.is_dir or fs.list
};

// Performs host call `id` with `args` (arity already checked). Faults on a
// bad argument, and on a request the runtime refuses before performing it
// (std::invalid_argument: a malformed URL, an unknown method); lets
// tape::DriftError and the runtime's trace errors pass through.
// REQUIRES: site.location stays valid while `rt` may keep it.
Value CallHost(Host id, Runtime& rt, const Site& site, Value* args, HostState* state);

}  // namespace tape::lang

#endif  // TAPE_LANG_HOST_CALLS_H_
