// EffectSpec: everything tape knows about one effect, declared once in the
// effect's file under engine/effects/ and collected by the registry
// (registry.h). The recorder, replayer, rerunner, chaos mode, redaction, the
// tools and the script language read effects only through it.
//
// A declaration says what the effect is (kind, name, direction), how its
// args and result are laid out in a trace (fields bound to C++ structs,
// bind.h), which args identify "the same question" for `tape rerun`,
// whether its duration is recorded, how it is performed live and what
// replay does besides returning the recorded result, how chaos mode may
// perturb it, and how scripts call it (script.h).

#ifndef TAPE_ENGINE_EFFECTS_EFFECT_H_
#define TAPE_ENGINE_EFFECTS_EFFECT_H_

#include <cassert>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <typeinfo>

#include "engine/effects/bind.h"
#include "engine/effects/fields.h"
#include "engine/effects/live_env.h"
#include "tape/effects.h"
#include "tape/runtime.h"

namespace tape::lang {
class Value;
}  // namespace tape::lang

namespace tape::engine {

struct ScriptCall;

// What a rerun does with an effect (specs/rerun.md): inputs are served from
// the trace, outputs are performed and compared, control events (thread
// and lock order) are structure, not data.
enum class Direction : uint8_t { kInput, kOutput, kControl };

// Performs an effect for real: `args` encoded per the effect's layout.
// Returns the encoded result: a view of `scratch` (which it clears first:
// it holds the previous result) or of env.small, valid until the next call.
using LiveFn = std::string_view (*)(LiveEnv& env, Bytes args, std::string* scratch);
// What replay does besides returning the recorded result (io.write shows the
// recorded bytes again).
using ReenactFn = void (*)(LiveEnv& env, Bytes args);
// Checks that belong to no single field (random.bits returns n bytes): OK,
// or Corrupt with what is wrong.
using CrossCheckFn = Status (*)(const ParsedPayload& args, const ParsedPayload& result);
// Rerun serves a recorded result to a call whose args differ from the
// recorded call's: makes `result` fit `args` (random.bits(n): n bytes), and
// appends to `note` how it did, e.g. ", cut to 4 bytes".
using RerunFitFn = void (*)(Bytes args, std::string* result, std::string* note);
// Record-time redaction stored other args than the call's (a marker, of
// another length, in place of a secret): makes `result`, the live call's
// answer to `performed`, fit the `stored` args that a replay gives the
// program (libc.write: a whole write of the secret is a whole write of its
// marker, so the program does not write the rest again).
using RedactedFitFn = void (*)(Bytes performed, Bytes stored, std::string* result);

// The generator chaos mode draws from (SplitMix64), seeded per recording
// (specs/chaos.md §4).
struct ChaosDraw {
  uint64_t state = 0;
  uint64_t Next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
};

// One way chaos mode may perturb an effect (specs/chaos.md §3). Exactly
// one of the three is set; bind.h makes them from typed functions.
struct Perturbation {
  const char* name;  // "enoent": what a spec's effect:name selects
  // Not performed: the result is this, made from the call's args.
  void (*replace)(Bytes args, std::string* result) = nullptr;
  // Performed with `*changed` for args; false: performed as called (there
  // is nothing to change, a sleep of 0 ms), and not perturbed.
  bool (*change_args)(Bytes args, ChaosDraw& draw, std::string* changed) = nullptr;
  // Performed, then the result changed in place; false: kept as it is
  // (nothing to change, a failed read), and not perturbed.
  bool (*change_result)(std::string* result, ChaosDraw& draw) = nullptr;
  // With `replace`: the time a faked timeout stands for, from the call's
  // args (the request's timeout), so that time passes for the program
  // (specs/chaos.md §3): the recorder records it as the call's duration and
  // moves later clock.now readings on by it. nullptr: no wait.
  uint64_t (*waits_ns)(Bytes args) = nullptr;
};

// The exception type a perturbed user-defined effect throws (as
// tape::EffectError::type()).
inline constexpr const char* kChaosErrorType = "tape::ChaosError";

// How scripts call an effect (specs/language.md §8): `module.function` with
// `arity` arguments; one binding per form (env.get(name) and env.get(name,
// default) are two). `call` checks the script's values, performs the effect
// through the runtime and returns the answer as a script value; it faults
// (lang::Fault) on a bad argument, before anything is performed.
enum class ScriptErrors : uint8_t {
  kNone,     // the module has no last_error()
  kErrno,    // M.last_error() is the errno of the module's last call (an int, 0 at first)
  kMessage,  // M.last_error() is why the module's last call failed (a string, "" at first)
};
struct ScriptBinding {
  std::string_view module;    // "fs"; "" for print and eprint
  std::string_view function;  // "read"
  int arity;
  lang::Value (*call)(ScriptCall& call);
  // What the call leaves for M.last_error(), and M when it is not `module`
  // (print and eprint leave theirs for io.last_error()). Every binding that
  // leaves something for one M says the same kind of thing.
  ScriptErrors errors = ScriptErrors::kNone;
  std::string_view errors_of = {};
  std::string_view errors_module() const { return errors_of.empty() ? module : errors_of; }
};

// An effect's args or result: its layout, and the C++ struct its fields
// are bound to (bind.h), if any.
struct Payload {
  Layout layout;
  // Args: bit i set when field i is part of the key that `tape rerun`
  // matches recorded inputs by (the path of fs.read, the name of env.get),
  // and that `tape redact` keeps.
  uint8_t keys = 0;
  const void* fields = nullptr;          // the Fields<S>
  const std::type_info* type = nullptr;  // typeid(S)

  template <class S>
  constexpr Payload(const Fields<S>& f)  // NOLINT: implicit by design
      : layout(f.layout), keys(f.keys), fields(&f), type(&typeid(S)) {}
  constexpr Payload(const Layout& l) : layout(l) {}  // NOLINT: implicit by design
};

struct EffectSpec {
  EffectKind kind;
  std::string_view name;  // "clock.now"
  Direction direction;
  Payload args;
  Payload result;
  // The effect waits for the outside world (a sleep, the disk, the
  // network, another process): the trace records how long each call took
  // (specs/trace-format.md §7.8), for two more clock readings per call,
  // which the effect's own system calls dwarf. clock.now, random.bits,
  // io.write, env.get and args.get are instantaneous at the event clock's
  // resolution; measuring them would cost as much as recording them.
  bool measured = false;
  LiveFn live = nullptr;  // nullptr for effects performed by their caller
  ReenactFn reenact = nullptr;
  CrossCheckFn cross_check = nullptr;
  RerunFitFn rerun_fit = nullptr;
  RedactedFitFn redacted_fit = nullptr;
  // A recording that SIGPIPE ended was ended by a call of this effect (a
  // write to standard output): replay that reaches one after the trace's
  // last event ends the same way.
  bool ends_on_sigpipe = false;
  std::span<const Perturbation> chaos;  // keep the order: a seed draws by index
  std::span<const ScriptBinding> script;
};

// --- live implementations, chaos perturbations and runtime calls ----------------

// A LiveFn from a typed implementation `R Fn(LiveEnv&, const A&)`.
template <const auto& kArgs, const auto& kResult, auto Fn>
std::string_view LiveTyped(LiveEnv& env, Bytes args, std::string* scratch) {
  StructOf<kArgs> a{};
  bool ok = Decode(kArgs, args, &a);
  assert(ok && "the runtime encoded these args");
  (void)ok;
  StructOf<kResult> r = Fn(env, a);
  scratch->clear();
  Encode(kResult, r, scratch);
  return *scratch;
}

// Perturbation "name": the call is not performed; its result is make().
template <const auto& kResult, class Make>
constexpr Perturbation Replace(const char* name, Make) {
  static_assert(std::is_class_v<Make>, "a captureless lambda: it is made again where it is used");
  return {.name = name, .replace = [](Bytes, std::string* out) {
            out->clear();
            Encode(kResult, StructOf<kResult>(Make{}()), out);
          }};
}

// Perturbation "name" of a call that waits up to the args' `kTimeoutMs`
// milliseconds: not performed, its result is make(), and it stands for
// that whole wait (Perturbation::waits_ns).
template <const auto& kArgs, const auto& kResult, auto kTimeoutMs, class Make>
constexpr Perturbation ReplaceTimedOut(const char* name, Make make) {
  Perturbation p = Replace<kResult>(name, make);
  p.waits_ns = [](Bytes args) -> uint64_t {
    StructOf<kArgs> a{};
    if (!Decode(kArgs, args, &a)) return 0;
    return uint64_t(a.*kTimeoutMs) * 1000000;
  };
  return p;
}

// The same, with the result made from the call's args: make(args).
template <const auto& kArgs, const auto& kResult, class Make>
constexpr Perturbation ReplaceFor(const char* name, Make) {
  static_assert(std::is_class_v<Make>, "a captureless lambda: it is made again where it is used");
  return {.name = name, .replace = [](Bytes args, std::string* out) {
            StructOf<kArgs> a{};
            Decode(kArgs, args, &a);
            out->clear();
            Encode(kResult, StructOf<kResult>(Make{}(a)), out);
          }};
}

// The call is performed with args that change(args, draw) changed; change
// returns false to leave them (the call is then not perturbed).
template <const auto& kArgs, class Change>
constexpr Perturbation ChangeArgs(const char* name, Change) {
  static_assert(std::is_class_v<Change>, "a captureless lambda: it is made again where it is used");
  return {.name = name, .change_args = [](Bytes args, ChaosDraw& draw, std::string* changed) {
            StructOf<kArgs> a{};
            Decode(kArgs, args, &a);
            if (!Change{}(a, draw)) return false;
            changed->clear();
            Encode(kArgs, a, changed);
            return true;
          }};
}

// The call is performed and its result changed by change(result, draw),
// which returns false to leave it (the call is then not perturbed).
template <const auto& kResult, class Change>
constexpr Perturbation ChangeResult(const char* name, Change) {
  static_assert(std::is_class_v<Change>, "a captureless lambda: it is made again where it is used");
  return {.name = name, .change_result = [](std::string* result, ChaosDraw& draw) {
            StructOf<kResult> r{};
            if (!Decode(kResult, format::AsBytes(*result), &r) || !Change{}(r, draw)) return false;
            result->clear();
            Encode(kResult, r, result);
            return true;
          }};
}

// For the typed methods of tape::Runtime (defined in the effects' files):
// performs effect `kind` with `args` encoded per kArgs and decodes its
// result per kResult; a result without that layout comes from a damaged
// trace (Runtime::BadResult).
struct EffectCall {
  template <const auto& kArgs, const auto& kResult>
  static StructOf<kResult> Perform(Runtime& rt, const Site& site, EffectKind kind,
                                   const StructOf<kArgs>& args) {
    std::string encoded;
    Encode(kArgs, args, &encoded);
    StructOf<kResult> out{};
    if (!Decode(kResult, format::AsBytes(rt.Perform(site, kind, encoded, {})), &out)) {
      rt.BadResult(kind);
    }
    return out;
  }
};

// The struct `kind`'s args (or result) are bound to, encoded or decoded
// (for the fakes of tests and tools that serve effects themselves). False
// when `kind` binds another struct, or the bytes do not have the layout.
template <class S>
bool EncodeFor(const Payload& p, const S& s, std::string* out) {
  if (p.type == nullptr || *p.type != typeid(S)) return false;
  Encode(*static_cast<const Fields<S>*>(p.fields), s, out);
  return true;
}
template <class S>
bool DecodeFor(const Payload& p, Bytes bytes, S* s) {
  if (p.type == nullptr || *p.type != typeid(S)) return false;
  return Decode(*static_cast<const Fields<S>*>(p.fields), bytes, s);
}

}  // namespace tape::engine

#endif  // TAPE_ENGINE_EFFECTS_EFFECT_H_
