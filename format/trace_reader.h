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

#ifndef TAPE_FORMAT_TRACE_READER_H_
#define TAPE_FORMAT_TRACE_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "format/chunk_decoder.h"
#include "format/status.h"
#include "format/trace_info.h"

namespace tape::format {

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

  // True if the trace ends with a valid footer and trailer.
  bool finalized() const { return finalized_; }
  // Set when the trace was opened by scanning: why the footer was not used
  // and where the scan stopped, e.g. "no footer (the recording did not
  // finish); scan stopped at byte 9012: record ... truncated".
  const std::string& recovery_note() const { return recovery_note_; }
  // The byte offset just past the last record kept (the whole file for a
  // finalized trace).
  uint64_t valid_bytes() const { return valid_bytes_; }

  const Outcome& outcome() const { return outcome_; }
  uint64_t finished_unix_ns() const { return finished_unix_ns_; }
  uint64_t event_count() const { return event_count_; }
  const std::vector<ChunkIndexEntry>& chunks() const { return chunks_; }
  const SiteTable& sites() const { return sites_; }
  // Names of the kinds the trace defines itself (user-defined effects).
  const KindNames& kind_names() const { return kind_names_; }
  // "file:line:col" of a site, or "" when the trace does not name it.
  std::string SiteLocation(uint64_t site) const;

  // The chunk holding event `seq`. REQUIRES: seq < event_count().
  size_t ChunkFor(uint64_t seq) const;
  // Verifies and decodes chunk `i`.
  Status ReadChunk(size_t i, unsigned parts, ChunkDecoder* decoder, DecodedChunk* out) const;
  // The content hash of chunk `i` (§7.6): from the index, or computed.
  Result<uint64_t> ChunkContentHash(size_t i, ChunkDecoder* decoder) const;
  // The bytes of a payload; a spilled one is read from its BLOB records.
  // At most `max_bytes` are returned.
  Status ReadPayload(const PayloadView& payload, uint64_t max_bytes, std::string* out) const;

 private:
  struct Mapping;
  TraceReader() = default;
  Status Parse();
  Status ParseFooter(uint64_t footer_offset);
  void Scan(uint64_t from, const std::string& why);

  std::unique_ptr<Mapping> mapping_;
  std::string path_;
  Bytes file_;
  uint64_t data_start_ = 0;  // just past the HEAD record
  TraceHeader header_;
  bool finalized_ = false;
  std::string recovery_note_;
  uint64_t valid_bytes_ = 0;
  Outcome outcome_;
  uint64_t finished_unix_ns_ = 0;
  uint64_t event_count_ = 0;
  std::vector<ChunkIndexEntry> chunks_;
  SiteTable sites_;
  KindNames kind_names_;
};

// Walks events in order, one decoded chunk at a time.
class EventCursor {
 public:
  EventCursor(const TraceReader* reader, unsigned parts) : reader_(reader), parts_(parts) {}

  // Positions the cursor at `seq` (at the end if seq >= event_count()).
  Status Seek(uint64_t seq);
  bool at_end() const { return seq_ >= reader_->event_count(); }
  uint64_t seq() const { return seq_; }
  // Moves to the next event. REQUIRES: !at_end().
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
