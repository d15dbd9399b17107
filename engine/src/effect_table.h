// The effect table: every effect tape knows, declared once.
//
// Each entry says what an effect is (kind byte, name, input or output), how
// its args and result are laid out in a trace (specs/trace-format.md §13),
// which args identify "the same question" for `tape rerun`, how it is
// performed live, and what replay does besides returning the recorded
// result. The recorder, replayer, verify, inspect, diff and drift reports are
// generic over this table: adding an effect is one entry here (and its kind in
// tape/effects.h) plus its live implementation.
//
// Payload layouts are sequences of typed fields (FieldType). A layout fully
// determines how a payload is checked, shown as text and shown as JSON, so no
// effect has code of its own in the tools.

#ifndef TAPE_ENGINE_EFFECT_TABLE_H_
#define TAPE_ENGINE_EFFECT_TABLE_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "format/bytes.h"
#include "tape/effects.h"
#include "tape/runtime.h"

namespace tape::engine {

using format::Bytes;

// What a rerun does with an effect (specs/trace-format.md §13): inputs are
// served from the trace, outputs are performed and compared, control events
// (thread and lock order) are structure, not data.
enum class Direction : uint8_t { kInput, kOutput, kControl };

enum class FieldType : uint8_t {
  kU32,        // u32, shown as a number
  kI32,        // i32, shown as a number
  kU64,        // u64, shown as a number
  kTimeNs,     // i64 nanoseconds since the Unix epoch, shown as seconds.nanoseconds
  kErrno,      // i32: 0 = ok, else an errno value
  kText,       // the rest of the payload: bytes, shown quoted when printable
  kHex,        // the rest of the payload: bytes, always shown in hex
  kSizedText,  // u32 length, then that many bytes
  kOptText,    // u8 0 (absent), or u8 1 and the rest of the payload
  kTextList,   // u32 count, then per item u32 length and bytes
  kErrnoData,  // i32 errno, then the rest of the payload (empty unless errno is 0)
  kUserResult, // u8 0 and the value (the rest), or u8 1, u32-sized type name, message
  kFlag,       // u8 0 or 1, shown as false/true
};

struct FieldSpec {
  FieldType type;
  const char* name;  // the JSON key when a layout has several fields
};

// A field that takes "the rest" must be last.
inline constexpr int kMaxFields = 6;
struct Layout {
  FieldSpec fields[kMaxFields];
  uint8_t count = 0;
};

// One field of a parsed payload. Views into the payload's bytes.
struct FieldValue {
  FieldType type = FieldType::kU32;
  uint64_t number = 0;        // kU32, kU64, kTimeNs (as bits), kErrno, kFlag, kOptText/kUserResult tag
  Bytes bytes;                // kText, kHex, kSizedText, kOptText, kErrnoData data, kUserResult value/type
  Bytes message;              // kUserResult: the exception's message
  std::vector<Bytes> list;    // kTextList
};

struct ParsedPayload {
  FieldValue fields[kMaxFields];
  uint8_t count = 0;
};

// Performs an effect for real: `args` encoded per the effect's layout.
// Returns the encoded result: a view of `scratch` (which it clears first:
// it holds the previous result) or of env.small, valid until the next call.
using LiveFn = std::string_view (*)(LiveEnv& env, Bytes args, std::string* scratch);
// What replay does besides returning the recorded result (io.write shows the
// recorded bytes again); nullptr for nothing.
using ReenactFn = void (*)(LiveEnv& env, Bytes args);
// Checks that belong to no single field (random.bits returns n bytes).
// Returns an empty string when the event is well formed, else what is wrong.
using CrossCheckFn = std::string (*)(const ParsedPayload& args, const ParsedPayload& result);

struct EffectSpec {
  EffectKind kind;
  std::string_view name;  // "clock.now"
  Direction direction;
  Layout args;
  Layout result;
  // Bit i set: args field i is part of the key that `tape rerun` matches
  // recorded inputs by (the path of fs.read, the name of env.get).
  uint8_t key_fields;
  LiveFn live;            // nullptr for effects performed by their caller
  ReenactFn reenact;
  CrossCheckFn cross_check;
};

// The entry for `kind`, or nullptr for a kind tape does not define (reserved
// bytes, and the per-trace kinds of user-defined effects, kFirstUserKind..).
extern const std::array<const EffectSpec*, 256> kEffectIndex;
inline const EffectSpec* FindEffect(uint8_t kind) { return kEffectIndex[kind]; }
// The entry named `name` ("clock.now"; also "clock" when only one effect of
// that module exists), or nullptr.
const EffectSpec* FindEffectByName(std::string_view name);
// Every entry, in kind order.
const std::vector<const EffectSpec*>& AllEffects();
// "clock.now, random.bits, ..." for messages.
std::string EffectNameList();

// The layout of user-defined effects' payloads (kinds kFirstUserKind..255).
const Layout& UserArgsLayout();
const Layout& UserResultLayout();

// Splits `payload` by `layout`. Returns "" when it has exactly that layout,
// else what is wrong ("3 bytes where a u32 is expected").
std::string ParsePayload(const Layout& layout, Bytes payload, ParsedPayload* out);

// Checks an event's payloads against its kind's layouts (user kinds: the user
// layouts). "" when well formed.
std::string CheckEvent(uint8_t kind, Bytes args, Bytes result);

}  // namespace tape::engine

#endif  // TAPE_ENGINE_EFFECT_TABLE_H_
