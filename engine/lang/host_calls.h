// Host calls: the script's doors to the world (specs/language.md §8). Each
// is the script binding of an effect (engine/effects/, EffectSpec::script),
// found here by module and function; besides them, M.last_error() for each
// module whose calls leave an error. Each call site of an effect is a tape
// site, so the recorder and replayer see where in the script it came from.

#ifndef TAPE_LANG_HOST_CALLS_H_
#define TAPE_LANG_HOST_CALLS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/lang/value.h"
#include "tape/runtime.h"

namespace tape::lang {

// A host call's number in the host table: what a compiled call carries.
// clock.now is 0 (the interpreter serves it without the table: it is the
// hottest); any other value is an index into the table.
enum class Host : uint8_t { kClockNow = 0 };

struct HostInfo {
  std::string_view module;    // "clock"; empty for print and eprint
  std::string_view function;  // "now"
  Host id;
  int arity;
  // The effect it performs ("clock.now"), which names its site; empty for
  // M.last_error(), which only reads the interpreter's state.
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

// What host calls remember between calls within one run: each module's
// last error (M.last_error()), and per call site the string it returned
// last, which the next call there returns again when it is the same
// (engine::SiteString: a loop reading one variable allocates nothing).
struct HostState {
  HostState();
  std::vector<Value> last_error;
  std::vector<Value> site_results;  // by site index; the VM sizes it
};

// Performs host call `id` at site number `site_index` (-1: the call has no
// site) with `args` (arity already checked). Faults on a bad argument, and
// on a request the runtime refuses before performing it
// (std::invalid_argument: a malformed URL, an unknown method); lets
// tape::DriftError and the runtime's trace errors pass through.
// REQUIRES: site.location stays valid while `rt` may keep it;
// state->site_results has a slot for `site_index`.
Value CallHost(Host id, Runtime& rt, const Site& site, int site_index, Value* args,
               HostState* state);

}  // namespace tape::lang

#endif  // TAPE_LANG_HOST_CALLS_H_
