// Which events `inspect` and `export` show, and the walk that finds them in a
// trace of any size: a seq window, a time window, effects, a site, a lane and
// text in the payloads.
//
// The walk touches only the chunks the windows can hold (the index has each
// chunk's seqs and times), decodes only the columns the filters need to
// decide (kinds and lanes, sites, times, payload heaps), and decodes a chunk whole only
// when something in it is shown. It holds two decoded chunks at a time and
// returns each chunk's pages to the OS when done with it, so memory stays flat
// whatever the trace's size.

#ifndef TAPE_TOOLS_EVENT_SELECT_H_
#define TAPE_TOOLS_EVENT_SELECT_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "format/trace_reader.h"

namespace re2 {
class RE2;
}

namespace tape::cli {

struct EventSelection {
  uint64_t first_seq = 0;         // seq window [first_seq, end_seq)
  uint64_t end_seq = UINT64_MAX;
  bool timed = false;             // time window [from_ns, to_ns): events of unknown time are out
  int64_t from_ns = INT64_MIN;
  int64_t to_ns = INT64_MAX;
  bool all_kinds = true;
  std::array<bool, 256> kinds{};  // when !all_kinds
  bool by_site = false;
  uint64_t site = 0;
  bool by_lane = false;           // only the events of one thread's lane (§7.3 LANES)
  uint32_t lane = 0;
  // Text in the args or the result (the payload bytes; integer-coded clock
  // readings are numbers, not text, and are not searched).
  std::string grep;
  std::shared_ptr<const re2::RE2> regex;
  // The regex asserts nothing about where a text begins or ends (no ^, $,
  // \A, \z, \b, \B), so it matches inside a payload exactly when it matches
  // that payload's bytes within the heap around them: one scan of a whole
  // payload heap finds the candidates. Set by ResolveSelection: the pattern is
  // RegexIsPositionFree and does not match the empty text.
  bool regex_position_free = false;
};

// Whether `pattern` (RE2 syntax) has no assertion about the text around a
// match: none of ^ $ outside a character class, and no \A \z \b \B. A pattern
// that has one (or that this scan cannot tell) is searched payload by payload.
bool RegexIsPositionFree(std::string_view pattern);

// Spilled payloads (§8) are searched in their first this-many bytes.
inline constexpr uint64_t kGrepSpilledBytes = 16u << 20;

// Compiles `pattern` for EventSelection::regex; on failure returns nullptr
// and sets `error`.
std::shared_ptr<const re2::RE2> CompileRegex(const std::string& pattern, std::string* error);

struct SelectArgs;  // tools/cli.h
// Checks the selection flags against `reader`'s trace and fills `out`. On a
// bad value returns false and sets `error` to a message naming the flag,
// the value and what to give instead ("--from 14:61: not a time: ...").
// The site of `r` that --site TEXT names: its id as tape prints it (16 hex
// digits) or a prefix of that naming one site, with or without 0x; or the
// whole id as a number as the original tape wrote ids, 0x and hex
// (0x64168c21) or decimal (1679199265). "" and *site set when exactly one
// site matches; else why not, naming the candidates.
std::string ResolveSite(const format::TraceReader& r, const std::string& text, uint64_t* site);

bool ResolveSelection(const format::TraceReader& reader, const SelectArgs& args,
                      EventSelection* out, std::string* error);
// Where "+90s" counts from: when the recording started (its HEAD), or its
// first event's time when the HEAD does not say.
int64_t RecordingStart(const format::TraceReader& reader);

class EventWalker {
 public:
  // `reader` must outlive the walker.
  EventWalker(const format::TraceReader& reader, EventSelection selection);
  ~EventWalker();

  // Sees one selected event: its chunk (decoded whole) and index in it.
  // Returns false to stop the walk.
  using Visitor = std::function<bool(const format::DecodedChunk& chunk, uint32_t i)>;
  // Each chunk the windows reach, in order, before its events are visited.
  using ChunkHook = std::function<void(size_t chunk)>;

  // Visits the selected events in seq order.
  Status Forward(const Visitor& visit, const ChunkHook& on_chunk = nullptr);
  // Visits the last `n` selected events, in seq order: walks the chunks
  // backwards counting matches, then forwards from where the last `n` start.
  Status Last(uint64_t n, const Visitor& visit, const ChunkHook& on_chunk = nullptr);

  // Chunks looked at and decoded whole so far (for tests and benchmarks).
  uint64_t chunks_probed() const { return probed_; }
  uint64_t chunks_decoded() const { return decoded_; }

 private:
  // The chunks the seq and time windows can reach: [first_chunk_, end_chunk_).
  void FindChunks();
  // Fills matches_ with the selected events of chunk `c`; with `full`, also
  // decodes the chunk whole into full_ when any match.
  Status Select(size_t c, bool full);
  void Grep(const format::DecodedChunk& chunk, uint32_t begin, uint32_t end);
  bool GrepPayload(const format::PayloadView& p);
  Status Walk(size_t from_chunk, uint64_t skip, const Visitor& visit,
                      const ChunkHook& on_chunk);

  const format::TraceReader& reader_;
  const EventSelection sel_;
  size_t first_chunk_ = 0, end_chunk_ = 0;
  format::ChunkDecoder decoder_;
  format::DecodedChunk probe_, full_;
  std::vector<uint32_t> matches_;
  std::vector<uint8_t> hit_;  // per event of the chunk: its payloads contain the text
  std::string spilled_;       // a spilled payload's prefix
  uint64_t probed_ = 0, decoded_ = 0;
};

}  // namespace tape::cli

#endif  // TAPE_TOOLS_EVENT_SELECT_H_
