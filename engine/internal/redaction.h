// Redaction: secrets in recorded payloads replaced by markers, so that a
// trace can be shared (specs/trace-format.md §13.6). The recorder uses it for
// RecordOptions::redact_env, `tape redact` for traces already written.

#ifndef TAPE_ENGINE_REDACTION_H_
#define TAPE_ENGINE_REDACTION_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/effects/fields.h"
#include "format/bytes.h"

namespace tape::engine {

using format::Bytes;

// Every marker starts with this, then the decimal N, then ']'.
inline constexpr std::string_view kMarkerPrefix = "[redacted #";

// The text that replaces a redacted value: "[redacted #N]".
//
// Equal values get equal markers, different values different markers: a
// program that compared two secrets finds their markers equal or not in the
// same way on replay, and a reader of the trace can tell that two events saw
// the same secret, and nothing more. N counts distinct values in order of
// first appearance, so a marker carries no information about its value: there
// is no hash to test guesses against and no key to keep safe. Values are told
// apart by their XXH3-128 (two values with one hash would share a marker:
// odds of 2^-128 per pair); the table keeps hashes, never the values.
class MarkerTable {
 public:
  // The marker of `value`; valid until the next call.
  std::string_view MarkerFor(Bytes value);
  // The marker of the value whose XXH3-128 is (low, high).
  std::string_view MarkerForHash(uint64_t low, uint64_t high);
  // Numbers new markers after `n`, for a trace that already holds markers up
  // to "[redacted #n]" (they keep their meaning).
  void StartAfter(uint64_t n) {
    if (n >= next_) next_ = n + 1;
  }
  // Distinct values marked so far.
  size_t distinct() const { return numbers_.size(); }

 private:
  struct Key {
    uint64_t low, high;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const { return size_t(k.low); }
  };
  std::unordered_map<Key, uint64_t, KeyHash> numbers_;
  uint64_t next_ = 1;
  std::string marker_;
};

// A byte range [begin, end) of a text.
struct ByteRange {
  size_t begin = 0, end = 0;
};

// Appends the ranges of the markers ("[redacted #N]", N a decimal number of
// at most 19 digits) in `text` to `out`, in order, and returns the largest N
// (0 when there is none).
uint64_t FindMarkers(Bytes text, std::vector<ByteRange>* out = nullptr);
// True if `text` is exactly one marker.
bool IsMarker(Bytes text);

// The longest marker: the prefix, 19 digits, ']'.
inline constexpr size_t kMaxMarkerBytes = kMarkerPrefix.size() + 19 + 1;
// The most ranges of one field that are replaced one by one. A field with
// more (a pattern that matches every other byte of a large payload) becomes
// the marker of its whole value instead: the copy stays about as large as
// the source, and still holds none of what was found.
inline constexpr size_t kMaxRangesPerField = 1u << 20;

// Replaces each range of `text` (sorted, disjoint) by the marker of the bytes
// it covers; appends the result to `out`. With more than kMaxRangesPerField
// ranges, appends the marker of the whole text.
void ReplaceRanges(Bytes text, const std::vector<ByteRange>& ranges, MarkerTable* markers,
                   std::string* out);

// The part of a value that its marker replaces: the value without the ASCII
// whitespace at its ends (space, \t, \n, \v, \f, \r), which stays around the
// marker: a key file's last newline, the spaces of a pasted token. The
// value's copies are looked for by that part too, so a trimmed copy is found
// and a copy followed by the newline keeps the newline. The whole value when
// it is nothing but whitespace.
ByteRange SecretCore(Bytes value);

// Appends `value` with its SecretCore replaced by the core's marker.
void MarkValue(Bytes value, MarkerTable* markers, std::string* out);

// Finds copies of redacted values in other text: a secret read from the
// environment and then printed, written to a file or sent in a request.
// Keeps each value's length and XXH3-128, never the value.
class ValueFinder {
 public:
  // Shorter values are not looked for: "1", "true" or "prod" would turn up
  // in unrelated text everywhere.
  static constexpr size_t kMinValueBytes = 6;

  ValueFinder();
  // Looks for `value` from now on, if it is at least kMinValueBytes long.
  // True if it was not looked for before.
  bool Add(Bytes value);
  bool empty() const { return values_.empty(); }
  // Appends the ranges of `text` that are copies of a value, in order and
  // disjoint: where several values start at one byte, the longest is taken,
  // and the search goes on after it. Stops after kMaxRangesPerField + 1.
  void Find(Bytes text, std::vector<ByteRange>* out) const;

 private:
  struct Value {
    uint64_t size, low, high;  // length and XXH3-128
    bool operator==(const Value&) const = default;
  };
  static uint64_t Prefix(const uint8_t* p);  // the first kMinValueBytes bytes
  // Values by their first kMinValueBytes bytes, longest first; a bitmap of
  // the prefixes' hashes skips most text positions without a map lookup.
  std::unordered_map<uint64_t, std::vector<Value>> values_;
  std::vector<uint64_t> prefix_filter_;
};

// Finds what a message written for people (the outcome's message) shows of
// redacted values, beyond the verbatim copies ValueFinder finds: a value as
// scripts quote strings (\" \\ \n \t \r, and \xHH for other control bytes,
// and in error messages for non-ASCII bytes too), and a prefix of the value,
// plain or quoted, that the message cut short with "..." (a script error
// shows a long token as "tok_live_8f2b9c71d3e4_0123456789abcdefg..."). Keeps
// the first kHeadBytes of each value (a message shows no more of one) and
// the whole value's hash, for its marker.
class MessageValueFinder {
 public:
  // Script errors show at most 40 bytes of a string, host call errors 60.
  static constexpr size_t kHeadBytes = 128;
  // More values than this are not looked for (a `tape redact --kind` that
  // selects millions of events): with their quoted forms, at most 1152
  // bytes each, 18 MiB in all.
  static constexpr size_t kMaxValues = 1u << 14;

  // Looks for `value` from now on, if it is at least
  // ValueFinder::kMinValueBytes long.
  void Add(Bytes value);
  bool empty() const { return forms_.empty(); }
  // Appends to `out` the text with each copy found replaced by its value's
  // marker (the "..." after a cut copy stays). False, appending nothing,
  // when there is none.
  bool Redact(std::string_view text, MarkerTable* markers, std::string* out) const;

 private:
  struct Form {
    std::string text;    // the value's head, plain or quoted
    bool whole;          // the head is all of the value
    uint64_t low, high;  // XXH3-128 of the whole value
  };
  std::vector<Form> forms_;
  // Forms by their first ValueFinder::kMinValueBytes bytes (indexes into forms_).
  std::unordered_map<uint64_t, std::vector<uint32_t>> by_prefix_;
  std::unordered_set<uint64_t> seen_;  // the values added (their hashes' low halves)
};

// Rewrites the byte fields of an event's args (`args` true) or result of
// effect kind `kind` by the kind's layout (§13; RewritePayloadFields in
// engine/effects/fields.h), the fields of the effect's rerun key marked
// `key` (EffectSpec::args.keys: env.get's name, the path of the fs
// effects, ...). A payload whose kind has no layout is rewritten as one
// text field. Returns true, with the new payload in `out`, when some field
// changed.
bool RewritePayload(uint8_t kind, bool args, Bytes payload, const FieldRewrite& fn,
                    std::string* out);

// Replaces every copy of a value `values` knows in the byte fields of a
// payload (as RewritePayload) by the value's marker. True, with the new
// payload in `out`, when there was one.
bool RedactCopies(uint8_t kind, bool args, Bytes payload, const ValueFinder& values,
                  MarkerTable* markers, std::string* out);

// A named value in a list item of a payload: a header line ("Name: value")
// or an environment variable ("NAME=value") whose value is to be redacted.
struct NamedValue {
  const uint8_t* line;  // where the item starts in the payload
  size_t value;         // where its value starts in the item
  size_t size;          // the item's length
  Bytes value_bytes() const { return Bytes(line + value, size - value); }
};
// The HTTP headers named by one of `globs` (fnmatch(3), any case:
// "Authorization", "X-*-Token") in a payload of effect kind `kind`, its args
// (`args`) or result: the items of the layout's `headers` list, one
// "Name: value" line per header (http.request's request and response
// headers), whose value is not empty. RewritePayload passes each such item
// to its FieldRewrite as a field that starts at `line`.
void HeaderValuesNamed(uint8_t kind, bool args, Bytes payload,
                       const std::vector<std::string>& globs, std::vector<NamedValue>* out);
// The same for environment variables: the items "NAME=value" of the
// layout's `env` list (libc.start's result: the environment a program not
// written for tape started with) whose NAME matches one of `globs` (case
// matters, as for env.get) and whose value is not empty.
void EnvValuesNamed(uint8_t kind, bool args, Bytes payload, const std::vector<std::string>& globs,
                    std::vector<NamedValue>* out);

// The longest rule (a glob, a name) a redaction accepts.
inline constexpr size_t kMaxRuleBytes = 1024;
// OK if `rule` can be a redaction rule and appear in the header's
// `redaction` field (1 to kMaxRuleBytes bytes, no control characters: the
// field is one line per rule), else InvalidArgument saying what is wrong
// with it ("is empty", "contains a control character").
Status CheckRule(std::string_view rule);
// Adds `line` to a HEAD `redaction` field (§6: one line per rule applied,
// oldest first). False when the field would exceed its limit (4096 bytes).
bool AddRedactionLine(std::string* field, std::string_view line);
// The lines a recording's rules add to that field: "record --redact-env
// GLOB" per glob, "record --redact-header NAME" per name and, for
// `match_patterns` patterns, "record --redact-match: N patterns, not
// recorded" (a pattern may spell out the secret it finds). OK, or
// InvalidArgument naming the option and the rule that is not one (CheckRule)
// or that takes the field past its limit.
Status AddRecordingRules(const std::vector<std::string>& redact_env,
                         const std::vector<std::string>& redact_header, size_t match_patterns,
                         std::string* field);

// True if `name` matches `glob` (fnmatch(3), no flags: '*' also matches
// '/'; `any_case`: FNM_CASEFOLD), or one of `globs`.
bool MatchesGlob(const std::string& glob, std::string_view name, bool any_case = false);
bool MatchesAnyGlob(const std::vector<std::string>& globs, std::string_view name,
                    bool any_case = false);

}  // namespace tape::engine

#endif  // TAPE_ENGINE_REDACTION_H_
