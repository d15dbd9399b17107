// Chaos mode: while recording, perturb what effects return, from a seeded
// generator, so that a run meets the failures the world seldom produces: a
// read that fails or comes back short, a clock that jumps, random bytes that
// are all zeros, an HTTP request that times out (specs/chaos.md).
//
// The recorder asks Draw() before each effect call. Draw returns nullptr (the
// common case: one load and one compare for an effect the spec does not name,
// one generator step more for one it does) or the Perturbation to carry out,
// which Apply() does: it performs the effect, or not, and returns the result
// to record. That result is an ordinary result of the effect's layout
// (specs/trace-format.md §13), so a chaotic trace replays, reruns and
// verifies like any other; the recorder marks the event perturbed
// (EVENT_MARKS, §7.3) and the header names the spec and seed (§6).
//
// What can happen to each effect is declared with the effect (its
// EffectSpec's chaos list, engine/effects/): a replacement result, or a
// change to the real call's args or result.

#ifndef TAPE_ENGINE_CHAOS_H_
#define TAPE_ENGINE_CHAOS_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "engine/effects/registry.h"
#include "format/status.h"
#include "tape/runtime.h"

namespace tape::engine {

// The perturbations of `kind` (user kinds share one list); empty for an
// effect chaos mode leaves alone (io.write, io.error, args.get).
std::span<const Perturbation> PerturbationsOf(uint8_t kind);

// A parsed chaos spec: per kind, the probability that a call is perturbed
// and which of its perturbations may be chosen.
struct ChaosSpec {
  std::string text;  // the spec as given, without spaces (what HEAD stores)
  double probability[256] = {};
  // Bit i: perturbation i of PerturbationsOf(kind) may be chosen.
  uint32_t allowed[256] = {};
};

// Parses "fs.read=0.1,clock.now=0.01", "all=0.05", "fs.read:eio=0.2",
// "user=0.1" (specs/chaos.md §2). The error says what is wrong and how to
// write it (no "--chaos" prefix: callers add where the spec came from).
Result<ChaosSpec> ParseChaosSpec(std::string_view text);

// "clock.now (forward, backward), random.bits (zeros, ones), ..., user (throw)".
std::string ChaosTargetList();

// A seed from the operating system's random source, for a chaotic recording
// that was given none (the trace stores it).
uint64_t NewChaosSeed();

// A seeded perturbation source for one recording (specs/chaos.md §4).
// Not thread-safe: it serves the recorder's thread.
class Chaos {
 public:
  Chaos(const ChaosSpec& spec, uint64_t seed);

  // Whether the next call of `kind` is perturbed: nullptr when not, else
  // how. Draws from the generator only for kinds with a probability above 0.
  const Perturbation* Draw(EffectKind kind) {
    uint64_t threshold = threshold_[uint8_t(kind)];
    if (threshold == 0) [[likely]] return nullptr;
    if ((draw_.Next() >> 11) >= threshold) [[likely]] return nullptr;
    return Pick(uint8_t(kind));
  }

  // Carries out `p` for a call of `kind` with encoded `args`: performs the
  // effect through the effect table when `p` needs the real answer (a user
  // effect's function is never run: its perturbations replace the result),
  // and returns the encoded result to record (a view of `scratch` or
  // env.small). `*perturbed` is false when `p` did not apply (a truncation
  // of a failed read): the result is then the real one. `*waited_ns` (when
  // given) is the wait a faked timeout stands for (Perturbation::waits_for),
  // else 0.
  std::string_view Apply(const Perturbation& p, EffectKind kind, LiveEnv& env,
                         std::string_view args, std::string* scratch, bool* perturbed,
                         uint64_t* waited_ns = nullptr);

 private:
  const Perturbation* Pick(uint8_t kind);

  ChaosDraw draw_;
  // Per kind: a call fires when the generator's top 53 bits are below this;
  // 0 for a kind the spec leaves alone (2^53 for probability 1).
  uint64_t threshold_[256] = {};
  uint32_t allowed_[256] = {};
};

}  // namespace tape::engine

#endif  // TAPE_ENGINE_CHAOS_H_
