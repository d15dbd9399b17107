// Field types: the pieces an effect's args and result are made of in a
// trace (specs/trace-format.md §13).
//
// A layout is a sequence of typed fields. Everything tape does with a
// payload without knowing its effect goes through the field types defined
// here: checking it (verify, replay), showing it as text (inspect, drift
// reports) and as JSON (export), rewriting its byte fields (redaction),
// building one (chaos replacements, rerun's default results), and sizing it
// (verify's fast path). Each field type is one struct below with all of
// that; VisitFieldType is the one place that maps a FieldType value to its
// struct. Adding a field type is a struct, an enumerator and a case there.

#ifndef TAPE_ENGINE_EFFECTS_FIELDS_H_
#define TAPE_ENGINE_EFFECTS_FIELDS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "format/bytes.h"
#include "format/status.h"

namespace tape::engine {

using format::Bytes;

enum class FieldType : uint8_t {
  kU32,         // u32, shown as a number
  kI32,         // i32, shown as a number
  kU64,         // u64, shown as a number
  kTimeNs,      // i64 nanoseconds since the Unix epoch, shown as seconds.nanoseconds
  kErrno,       // i32: 0 = ok, else an errno value
  kText,        // the rest of the payload: bytes, shown quoted when printable
  kHex,         // the rest of the payload: bytes, always shown in hex
  kSizedText,   // u32 length, then that many bytes
  kOptText,     // u8 0 (absent), or u8 1 and the rest of the payload
  kTextList,    // u32 count, then per item u32 length and bytes
  kErrnoData,   // i32 errno, then the rest of the payload (empty unless errno is 0)
  kUserResult,  // u8 0 and the value (the rest), or u8 1, u32-sized type name, message
  kFlag,        // u8 0 or 1, shown as false/true
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

// One field of a payload: views into the payload's bytes (parsed), or into
// the caller's values (to append).
struct FieldValue {
  FieldType type = FieldType::kU32;
  uint64_t number = 0;        // numbers, errnos, flags, the set/unset and threw tags
  Bytes bytes{};              // text, hex, sized text, an optional's value,
                              // errno+data's data, a user result's value or type
  Bytes message{};            // a user result's exception message
  std::vector<Bytes> list{};  // list items
};

struct ParsedPayload {
  FieldValue fields[kMaxFields];
  uint8_t count = 0;
};

// Splits `payload` by `layout`: OK when it has exactly that layout, else
// Corrupt with what is wrong ("3 bytes where a u32 is expected").
Status ParsePayload(const Layout& layout, Bytes payload, ParsedPayload* out);
// The bytes of `fields` (as ParsePayload gives them) laid out per `layout`:
// the inverse of ParsePayload. `fields` has layout.count entries.
void AppendPayload(const Layout& layout, const FieldValue* fields, std::string* out);
// A payload of `layout` with every number 0, every set/unset or threw tag 0
// and every byte field empty ("success, nothing" for a result).
std::string ZeroPayload(const Layout& layout);

// The sizes of payloads a layout accepts without looking at their bytes:
// `width` bytes of fixed-width numbers, then (when `rest`) any bytes. -1:
// the layout holds something else, whose sizes say nothing (a sized field,
// a list, a tag).
struct SizeRule {
  int width = -1;
  bool rest = false;
  bool Holds(uint64_t size) const {
    return width >= 0 && (rest ? size >= uint64_t(width) : size == uint64_t(width));
  }
};
SizeRule SizeRuleOf(const Layout& layout);

// How payloads read for people (inspect, diff, drift reports): the fields
// of `payload` as text joined by ", ", each "name=value" when `named`. At
// most about `limit` characters of each byte field are shown; `missing`
// counts bytes of the payload's last field the caller left out (it passed
// a prefix of a long payload). False when the payload does not have the
// layout (nothing is appended).
bool AppendFieldsText(const Layout& layout, Bytes payload, size_t limit, uint64_t missing,
                      bool named, std::string* out);

// Where a field's JSON form goes: the tools build JSON with a library of
// their own; the field types only say what goes where. Bytes() is any byte
// field, which the writer shows as a string when it is text and otherwise
// as it sees fit; `cut` when the caller passed a prefix of the field.
class JsonOut {
 public:
  virtual ~JsonOut() = default;
  virtual void Null() = 0;
  virtual void Bool(bool b) = 0;
  virtual void Int(int64_t n) = 0;
  virtual void Uint(uint64_t n) = 0;
  virtual void Bytes(format::Bytes b, bool cut) = 0;
  // Always hex (random bytes that happen to be text are still bytes);
  // `cut` marks a prefix as Bytes does.
  virtual void Hex(format::Bytes b, bool cut) = 0;
  virtual void BeginObject() = 0;
  virtual void Key(std::string_view key) = 0;
  virtual void EndObject() = 0;
  virtual void BeginArray() = 0;
  virtual void EndArray() = 0;
};

// A payload as JSON (the shapes of specs/trace-format.md §13 in JSON):
// null when its layout has no fields, the field itself when it has one, an
// object keyed by field name otherwise. `cut`: the caller passed a prefix
// of the payload (its last field is cut). False when the payload does not
// have the layout (nothing is written).
bool WritePayloadJson(const Layout& layout, Bytes payload, bool cut, JsonOut& out);

// How RewritePayloadFields changes one byte field: called with the field's
// bytes (never empty) and whether the field identifies the call (`key`).
// Returns false to keep the field, or true after appending its new bytes
// to `out`.
using FieldRewrite = std::function<bool(Bytes field, bool key, std::string* out)>;

// Rewrites the byte fields of `payload` per `layout`: text, bytes, sized text, a set optional's
// value, each list item, errno+data's data, a user effect's value or exception message. The rest is
// kept, so the payload keeps its layout: numbers, errnos, flags, tags, list counts, a user result's
// exception type. A hex field keeps its length (random.bits returns exactly n bytes): its new bytes
// are repeated or cut to it. Bit i of `key_fields` marks field i as a key. A payload that does not
// have the layout is rewritten as one text field. Returns true, with the new payload in `out`, when
// some field changed.
bool RewritePayloadFields(const Layout& layout, Bytes payload, uint8_t key_fields,
                          const FieldRewrite& fn, std::string* out);

}  // namespace tape::engine

#endif  // TAPE_ENGINE_EFFECTS_FIELDS_H_
