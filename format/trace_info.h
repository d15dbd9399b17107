// The metadata a trace carries besides its events: who recorded what program
// (HEAD, §6), how the program ended and where the chunks are (FOOT, §9).

#ifndef TAPE_FORMAT_TRACE_INFO_H_
#define TAPE_FORMAT_TRACE_INFO_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace tape::format {

enum class ProgramKind : uint8_t {
  kBuiltin = 0,   // a demo program compiled into tape
  kScript = 1,    // a .tape script; its source is embedded in the header
  kEmbedded = 2,  // a user's C++ program linking the tape library
  // Since 1.1: a program that was not written for tape (any dynamically
  // linked executable), recorded through tape's interposition library
  // (preload/); its name is the executable's absolute path.
  kExecutable = 3,
};
const char* ProgramKindName(ProgramKind kind);

struct TraceHeader {
  uint16_t format_major = 0;  // filled by the reader from the prelude
  uint16_t format_minor = 0;
  uint64_t created_unix_ns = 0;
  std::string recorder;  // e.g. "tape 0.1.0"
  ProgramKind program_kind = ProgramKind::kBuiltin;
  std::string program_name;
  std::string code_hash;  // raw bytes; shown as hex
  std::string script_source;
  uint32_t chunk_max_events = 0;  // the writer's settings, informational
  uint32_t chunk_max_payload = 0;
  uint32_t flush_ms = 0;
  // Since format 1.1: where the events came from when tape did not record
  // them, e.g. "imported from the original tape (schema 2)"; empty otherwise.
  std::string origin;
  // Since format 1.1: the redaction rules applied to the trace (which kinds,
  // names, sites or patterns; never the secrets), empty when none.
  std::string redaction;
  // Since format 1.1: the chaos spec the recording ran under (e.g.
  // "fs.read=0.1"), empty for none, and the seed of its generator.
  std::string chaos;
  uint64_t chaos_seed = 0;
};

// How the recorded program ended (§9.1).
enum class OutcomeKind : uint8_t {
  kExited = 0,       // code = exit status
  kException = 1,    // message = "type: what()"
  kSignal = 2,       // code = signal number, message = its name
  kInterrupted = 3,  // the recording stopped before the program ended
  kError = 4,        // the runtime stopped the program (e.g. a script error)
};
const char* OutcomeKindName(OutcomeKind kind);

struct Outcome {
  OutcomeKind kind = OutcomeKind::kInterrupted;
  int32_t code = 0;
  std::string message;

  static Outcome Exited(int code) { return {OutcomeKind::kExited, code, ""}; }
  bool operator==(const Outcome&) const = default;
  // "exited with code 1", "was killed by signal 11 (SIGSEGV)", ... (reads after "the program").
  std::string Describe() const;
};

struct ChunkIndexEntry {
  uint64_t file_offset = 0;  // of the CHNK record header
  uint64_t first_seq = 0;
  uint32_t event_count = 0;
  uint32_t record_size = 0;  // header + body
  uint64_t content_hash = 0;  // §7.6
  bool content_hash_known = true;  // false when the index was rebuilt by scanning
  // Format 1.1: wall-clock time of the chunk's first and last event, ns since
  // the Unix epoch (§9.4); 0 when unknown.
  int64_t first_time_ns = 0, last_time_ns = 0;
};

using SiteTable = std::unordered_map<uint64_t, std::string>;
// Names of the kind bytes a trace defines itself (§7.3 KIND_NAMES): index =
// kind byte, "" where none.
using KindNames = std::array<std::string, 256>;

struct Footer {
  uint64_t event_count = 0;
  uint64_t finished_unix_ns = 0;
  Outcome outcome;
  std::vector<ChunkIndexEntry> chunks;
  SiteTable sites;
  KindNames kind_names;  // format 1.1; all empty in older traces
  // Format 1.1: how many steps (loop iterations and calls) the recorded
  // script ran, so that a replay can be bounded by it; none when unknown (C++
  // programs, interrupted recordings, older traces).
  std::optional<uint64_t> program_steps;
};

// Lower-case hex of raw bytes ("" for none).
std::string ToHex(const std::string& bytes);

}  // namespace tape::format

#endif  // TAPE_FORMAT_TRACE_INFO_H_
