// The registry: every effect tape knows, each declared once in its file
// under engine/effects/ (an EffectSpec, effect.h) and collected here through
// the list of built-in kinds in tape/effects.h. Everything generic over
// effects (the recorder, replayer and rerunner, verify, inspect, export,
// diff, redaction, chaos mode, the script language) finds them here.
//
// Adding an effect: a kind in TAPE_BUILTIN_EFFECTS, a file under
// engine/effects/ that defines k<Name> (see clock.cc for the smallest, http.cc
// for one with a request, checks and a script map), a row in
// specs/trace-format.md §13 and, when scripts call it, in specs/language.md §8.

#ifndef TAPE_ENGINE_EFFECTS_REGISTRY_H_
#define TAPE_ENGINE_EFFECTS_REGISTRY_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/effects/effect.h"
#include "tape/effects.h"

namespace tape::engine {

// The declarations, defined in the effects' files.
#define TAPE_DECLARE_EFFECT_(name, number) extern const EffectSpec k##name;
TAPE_BUILTIN_EFFECTS(TAPE_DECLARE_EFFECT_)
#undef TAPE_DECLARE_EFFECT_

// What kinds kFirstUserKind..255 share: the layouts of user-defined effects'
// payloads (specs/trace-format.md §13.4) and their chaos perturbations
// (user.cc). Its kind is kFirstUserKind and its name "user".
extern const EffectSpec kUserEffects;

// The entry for `kind`, or nullptr for a kind tape does not define (reserved
// bytes, and the per-trace kinds of user-defined effects, kFirstUserKind..).
extern const std::array<const EffectSpec*, 256> kEffectIndex;
inline const EffectSpec* FindEffect(uint8_t kind) { return kEffectIndex[kind]; }
// The same, and kUserEffects for a user kind: nullptr only for reserved ones.
inline const EffectSpec* FindEffectOrUser(uint8_t kind) {
  return kind >= kFirstUserKind ? &kUserEffects : kEffectIndex[kind];
}
// The entry named `name` ("clock.now"; also "clock" when only one effect of
// that module exists), or nullptr.
const EffectSpec* FindEffectByName(std::string_view name);
// Every entry, in kind order.
const std::vector<const EffectSpec*>& AllEffects();
// "clock.now, random.bits, ..." for messages.
std::string EffectNameList();

// The layouts of a kind's args and result: the effect's, the user layouts
// for kinds >= kFirstUserKind, nullptr for a reserved kind.
const Layout* ArgsLayout(uint8_t kind);
const Layout* ResultLayout(uint8_t kind);
inline const Layout& UserArgsLayout() { return kUserEffects.args.layout; }
inline const Layout& UserResultLayout() { return kUserEffects.result.layout; }

// Checks an event's payloads against its kind's layouts (user kinds: the
// user layouts): OK when well formed, else Corrupt with what is wrong
// ("args: 3 bytes more than the layout holds").
Status CheckEvent(uint8_t kind, Bytes args, Bytes result);

}  // namespace tape::engine

#endif  // TAPE_ENGINE_EFFECTS_REGISTRY_H_
