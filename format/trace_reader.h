// TraceReader: opens a trace without loading it (§11).
//
// The file is memory-mapped; opening a finalized trace reads the prelude, the
// HEAD record and the footer (index and site table): O(index), not O(file).
// A trace without a valid footer (still being recorded, or the recorder was
// killed) is opened by scanning its records from the front and keeping every
// chunk up to the first torn or damaged one (§12, the recovery rule).
//
// Chunks are verified (checksum, position, counts) when they are read, and
// decoded only for the columns asked for. Const methods are safe to call from
// several threads as long as each uses its own ChunkDecoder.
//
// Seqs run from 0 to event_count() - 1. A trace written by `tape recover` may
// lack some of them (gaps(), §9.3): no chunk holds a seq inside a gap.
//
// The mapping is registered with format/trace_mappings.h, so that a SIGBUS
// from a file that shrinks while it is read can be reported as such.

#ifndef TAPE_FORMAT_TRACE_READER_H_
#define TAPE_FORMAT_TRACE_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "format/chunk_decoder.h"
#include "format/records.h"
#include "format/status.h"
#include "format/trace_info.h"

namespace tape::format {

// The most bytes a reader materialises for one payload (§11): a trace may
// claim payloads of up to 2^40 bytes, more than a machine can hold.
struct PayloadBudget {
  uint64_t bytes = 0;
  std::string source;  // why this much, for messages: "half of this machine's memory"
};
// tape's default: TAPE_MAX_PAYLOAD if set (bytes, or with a K, M, G or T
// suffix: binary units); else half of the physical memory, and at most a
// quarter of the address-space or data-segment limit (ulimit -v / -d) when
// one is set: a replayed payload exists twice (the replayer's copy and the
// program's), plus the decoding buffers.
PayloadBudget DefaultPayloadBudget();

class TraceReader {
 public:
  // Maps and opens the trace at `path`. Errors name the file.
  static Result<std::unique_ptr<TraceReader>> Open(const std::string& path);
  // Opens a trace held in memory; `bytes` must outlive the reader.
  static Result<std::unique_ptr<TraceReader>> OpenBytes(Bytes bytes, std::string name = "<memory>");
  ~TraceReader();

  const std::string& path() const { return path_; }
  const TraceHeader& header() const { return header_; }
  uint64_t file_size() const { return file_.size(); }
  Bytes file() const { return file_; }

  // An IoError saying the file shrank since it was opened (re-recorded in
  // place, truncated), or Ok. Reads of a shrunk file fail with this error
  // instead of the damage the vanished bytes would seem to show (a shrunk
  // file reads as zeros up to the end of its last page, then raises SIGBUS:
  // see format/trace_mappings.h).
  Status CheckUnchanged() const;

  // True if the trace ends with a valid footer and trailer.
  bool finalized() const { return finalized_; }
  // Set when the trace was opened by scanning: why the footer was not used
  // and where the scan stopped, e.g. "no footer: the trace is still being
  // recorded, or its recording was interrupted; read 20 events in 4 chunks;
  // scan stopped at byte 9012: record ... truncated".
  const std::string& recovery_note() const { return recovery_note_; }
  // True when the trace was opened by scanning because it has no footer at
  // all (as opposed to a damaged one): it may still be being recorded.
  bool footer_missing() const { return footer_missing_; }
  // The byte offset just past the last record kept (the whole file for a
  // finalized trace).
  uint64_t valid_bytes() const { return valid_bytes_; }

  const Outcome& outcome() const { return outcome_; }
  uint64_t finished_unix_ns() const { return finished_unix_ns_; }
  // One past the last seq: the events the recording made, including any
  // missing ones (gaps).
  uint64_t event_count() const { return event_count_; }
  const std::vector<ChunkIndexEntry>& chunks() const { return chunks_; }
  const SiteTable& sites() const { return sites_; }
  // Names of the kinds the trace defines itself (user-defined effects).
  const KindNames& kind_names() const { return kind_names_; }
  // How many steps the recorded script ran, when known (see Footer).
  std::optional<uint64_t> program_steps() const { return program_steps_; }
  // §9.4: whether any chunk has event times, and the time of the first and
  // the last event that has one (0 when none does). Times never decrease
  // from one chunk to the next, so a time window is a run of chunks.
  bool has_times() const { return first_time_ns_ != 0; }
  int64_t first_time_ns() const { return first_time_ns_; }
  int64_t last_time_ns() const { return last_time_ns_; }
  // "file:line:col" of a site, or "" when the trace does not name it.
  std::string SiteLocation(uint64_t site) const;

  // §9.3: the seq ranges the trace does not hold, in order.
  const std::vector<SeqRange>& gaps() const { return gaps_; }
  uint64_t missing_events() const { return missing_events_; }
  // The gap holding `seq`, or nullptr.
  const SeqRange* GapAt(uint64_t seq) const;
  // Why event `seq` cannot be read when no chunk holds it: "FILE holds no
  // events 10..19: they were lost to damage before the trace was recovered".
  Status MissingEvent(uint64_t seq) const;

  // The chunk holding event `seq`; when none does (a gap, or past the end),
  // the first chunk after it (chunks().size() if there is none).
  size_t ChunkFor(uint64_t seq) const;
  // Verifies and decodes chunk `i`. With kDecodeTimes, also checks that the
  // chunk's EVENT_TIMES agree with the index's times for it (§9.4).
  Status ReadChunk(size_t i, unsigned parts, ChunkDecoder* decoder, DecodedChunk* out) const;
  // Verifies chunk `i`'s record (checksum, position, fixed fields against
  // the index) without decoding it: cheap, for a chunk compared by hash.
  Status CheckChunk(size_t i) const;
  // Lets the OS drop this process's pages of chunk `i`'s record (they are
  // read again from the file if touched): a tool that streams through a
  // large trace keeps its memory flat. Views into the chunk stay valid.
  void ReleaseChunkPages(size_t i) const;
  // The content hash of chunk `i` (§7.6): from the index, or computed.
  Result<uint64_t> ChunkContentHash(size_t i, ChunkDecoder* decoder) const;
  // A prefix of a payload, for display: at most `max_bytes` are returned; a
  // spilled payload is read from its BLOB records, and only as far as needed.
  Status ReadPayload(const PayloadView& payload, uint64_t max_bytes, std::string* out) const;
  // The whole payload, checked against its hash when spilled. A spilled
  // payload larger than payload_budget() is refused with an error that says
  // how to raise the budget, before anything is allocated.
  Status ReadWholePayload(const PayloadView& payload, std::string* out) const;
  const PayloadBudget& payload_budget() const { return budget_; }
  void set_payload_budget(PayloadBudget budget) { budget_ = std::move(budget); }
  // The descriptor of the open trace file, which reading chunks may use
  // (fstat, to tell a file that shrank) as may a SIGBUS handler
  // (trace_mappings.h); -1 for a reader of bytes in memory.
  int file_descriptor() const;

 private:
  struct Mapping;
  TraceReader();
  Status Parse();
  Status ParseFooter(uint64_t footer_offset);
  void Scan(uint64_t from, const std::string& why);
  void NoteTimes();  // first_time_ns_ and last_time_ns_ from the index
  // Verifies chunk `i`'s record against the index; returns its view.
  Status ChunkRecord(size_t i, RecordView* rec) const;
  // `s`, or the CheckUnchanged() error when `s` failed because the file shrank.
  Status Explain(Status s) const;

  std::unique_ptr<Mapping> mapping_;
  std::string path_;
  Bytes file_;
  uint64_t data_start_ = 0;  // just past the HEAD record
  TraceHeader header_;
  bool finalized_ = false;
  bool footer_missing_ = false;
  std::string recovery_note_;
  uint64_t valid_bytes_ = 0;
  Outcome outcome_;
  uint64_t finished_unix_ns_ = 0;
  uint64_t event_count_ = 0;
  std::vector<ChunkIndexEntry> chunks_;
  SiteTable sites_;
  KindNames kind_names_;
  std::optional<uint64_t> program_steps_;
  std::vector<SeqRange> gaps_;
  uint64_t missing_events_ = 0;
  int64_t first_time_ns_ = 0, last_time_ns_ = 0;
  PayloadBudget budget_;
};

// Walks the events a trace holds in order, one decoded chunk at a time. Gaps
// are skipped: seq() jumps over them.
class EventCursor {
 public:
  EventCursor(const TraceReader* reader, unsigned parts) : reader_(reader), parts_(parts) {}

  // Positions the cursor at `seq`, or at the first event after it when the
  // trace does not hold it (at the end if there is none).
  Status Seek(uint64_t seq);
  bool at_end() const { return seq_ >= reader_->event_count(); }
  uint64_t seq() const { return seq_; }
  // Moves to the next event the trace holds. REQUIRES: !at_end().
  Status Next();

  // REQUIRES: !at_end().
  const DecodedChunk& chunk() const { return chunk_; }
  uint32_t index() const { return index_; }
  EventView event() const { return chunk_.event(index_); }

 private:
  const TraceReader* reader_;
  unsigned parts_;
  ChunkDecoder decoder_;
  DecodedChunk chunk_;
  size_t chunk_index_ = SIZE_MAX;  // the chunk decoded into chunk_
  uint64_t seq_ = 0;
  uint32_t index_ = 0;
};

}  // namespace tape::format

#endif  // TAPE_FORMAT_TRACE_READER_H_
