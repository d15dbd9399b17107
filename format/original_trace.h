// Traces written by the original tape (the Rust prototype tape reimplements):
// one bincode 1.3 blob of `Trace { header, events, footer }`, schema 2.
// specs/original-trace.md is the contract; section numbers below refer to it.
//
// The file has no magic number and no checksums, and every vector in it is
// length-prefixed, so the parser treats it as hostile: each length is checked
// against the bytes left before anything is allocated or read, and a failure
// names the byte offset and the field. Parsing reads the container only (the
// header, each event's seq, site, kind and payload bytes, the footer); what
// the payload bytes mean is for the caller (tools/original_import.cc).

#ifndef TAPE_FORMAT_ORIGINAL_TRACE_H_
#define TAPE_FORMAT_ORIGINAL_TRACE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "format/bytes.h"
#include "format/status.h"

namespace tape::format::original {

// §3: the only schema this reader knows (and the only one the original reads).
inline constexpr uint32_t kSchemaVersion = 2;
// §3.1: version (4) | started_at (8) | code_hash (32).
inline constexpr size_t kHeaderSize = 44;
inline constexpr size_t kCodeHashSize = 32;
// §3.2: seq (8) | site (4) | kind (4) | args length (8) | result length (8),
// the smallest an event can be; bounds the event count a file can claim.
inline constexpr size_t kMinEventSize = 32;
// §3.2: the EffectKind variants, 0 (clock.now) .. 7 (time.sleep).
inline constexpr uint32_t kEffectVariants = 8;

// §3.3 Outcome variants.
enum class OutcomeTag : uint32_t { kExit = 0, kPanic = 1, kAborted = 2 };

struct Event {
  uint64_t offset = 0;  // of the event's first byte in the file
  uint64_t seq = 0;
  uint32_t site = 0;
  uint8_t kind = 0;  // tape's kind byte: the original's variant index + 1
  Bytes args;        // the payloads exactly as the original stored them (§4)
  Bytes result;
};

struct Trace {
  uint32_t version = 0;
  int64_t started_at = 0;  // seconds since the Unix epoch
  std::array<uint8_t, kCodeHashSize> code_hash{};
  std::vector<Event> events;
  OutcomeTag outcome = OutcomeTag::kAborted;
  int32_t exit_code = 0;       // kExit
  std::string panic_message;   // kPanic
  std::string panic_location;  // kPanic, "file:line", may be empty
  uint64_t last_seq = 0;       // the number of events, as the original counted them
};

// §6: true when `file` begins like a trace of the original: its first four
// bytes are the schema version 2 (little-endian). Necessary, not sufficient:
// the file is one only if Parse() also succeeds.
bool HasSignature(Bytes file);

// Parses a whole trace (§3), checking every rule of §3 and §5. On failure the
// status (Corrupt) names the byte offset and the field, and `trace` keeps the
// header and the events that parsed completely before the damage.
Status Parse(Bytes file, Trace* trace);

// True if `bytes` is well-formed UTF-8 (what the original's bincode requires
// of every String).
bool IsUtf8(Bytes bytes);

}  // namespace tape::format::original

#endif  // TAPE_FORMAT_ORIGINAL_TRACE_H_
