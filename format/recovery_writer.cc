#include "format/recovery_writer.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "format/blob.h"
#include "format/layout.h"
#include "format/trace_reader.h"

namespace tape::format {

namespace {

// The recovered trace's chunks: TraceWriter's defaults (WriterOptions).
constexpr uint32_t kChunkEvents = 65536;
constexpr uint32_t kChunkHeap = 1u << 20;
constexpr uint32_t kSpillThreshold = 256u << 10;  // larger inline payloads go to BLOB records
constexpr int kZstdLevel = 1;
// The chunk settings TraceWriter accepts (WriterOptions::Validate).
constexpr uint32_t kMinChunkHeap = 1024;
constexpr uint32_t kMaxChunkHeap = kMaxHeapBytes / 2;

}  // namespace

Result<std::unique_ptr<RecoveryWriter>> RecoveryWriter::Create(const std::string& path,
                                                               const TraceReader& source,
                                                               const CopyOptions& options) {
  TraceHeader h = options.header ? *options.header : source.header();
  uint32_t events = kChunkEvents, heap = kChunkHeap;
  if (options.source_chunking) {
    // A header is not trusted: settings TraceWriter would refuse keep the defaults.
    const TraceHeader& s = source.header();
    if (s.chunk_max_events >= 1 && s.chunk_max_events <= kMaxChunkEvents) {
      events = s.chunk_max_events;
    }
    if (s.chunk_max_payload >= kMinChunkHeap && s.chunk_max_payload <= kMaxChunkHeap) {
      heap = s.chunk_max_payload;
    }
  }
  TAPE_ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> out, OutputFile::Create(path, options.force));
  std::unique_ptr<RecoveryWriter> w(new RecoveryWriter(std::move(out), source, events, heap));
  h.chunk_max_events = events;
  h.chunk_max_payload = heap;
  std::vector<uint8_t> head;
  AppendPrelude(&head);
  AppendRecord(kTagHeader, EncodeHeaderBody(h), &head);
  TAPE_RETURN_IF_ERROR(w->Write(head.data(), head.size()));
  return w;
}

RecoveryWriter::RecoveryWriter(std::unique_ptr<OutputFile> out, const TraceReader& source,
                               uint32_t chunk_events, uint32_t chunk_heap)
    : source_(source),
      chains_(source.file()),
      out_(std::move(out)),
      fd_(out_->fd()),
      temp_path_(out_->temp_name()),
      builder_(chunk_events, chunk_heap),
      spill_threshold_(std::min(kSpillThreshold, chunk_heap)),
      encoder_(kZstdLevel),
      cctx_(ZSTD_createCCtx()),
      dctx_(ZSTD_createDCtx()) {
  cursor_ = builder_.Reset(0);
}

RecoveryWriter::~RecoveryWriter() {
  ZSTD_freeCCtx(cctx_);
  ZSTD_freeDCtx(dctx_);
}

Status RecoveryWriter::Write(const uint8_t* data, size_t size) {
  if (!error_.ok()) return error_;
  while (size > 0) {
    ssize_t n = ::write(fd_, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error_ = Status::FromErrno(fmt::format("cannot write {} at byte {}", temp_path_, offset_),
                                 n < 0 ? errno : EIO);
      return error_;
    }
    data += n;
    size -= size_t(n);
    offset_ += uint64_t(n);
  }
  return Status::Ok();
}

void RecoveryWriter::DefineSite(uint64_t id, std::string_view location) {
  if (!sites_known_.insert(id).second) return;
  std::string text(location.substr(0, kMaxSiteText));
  sites_pending_.emplace_back(id, text);
  sites_.emplace(id, std::move(text));
}

void RecoveryWriter::AddGap(uint64_t first, uint64_t end) {
  if (first >= end) return;
  if (!gaps_.empty() && gaps_.back().end() == first) {
    gaps_.back().count += end - first;
  } else {
    gaps_.push_back({first, end - first});
  }
}

Status RecoveryWriter::Seal() {
  uint32_t n = builder_.published();
  if (n == 0) return error_;
  uint64_t hash = 0;
  // The first chunk names every kind the source trace names (KIND_NAMES).
  KindDefinitions kinds;
  if (index_.empty()) {
    for (int k = 0; k < 256; ++k) {
      if (!source_.kind_names()[k].empty()) kinds.emplace_back(uint8_t(k), source_.kind_names()[k]);
    }
  }
  encoder_.Encode(builder_, 0, n, uint32_t(index_.size()), sites_pending_, &record_, &hash, &kinds);
  sites_pending_.clear();
  uint64_t at = offset_;
  TAPE_RETURN_IF_ERROR(Write(record_.data(), record_.size()));
  index_.push_back({at, builder_.first_seq(), n, uint32_t(record_.size()), hash, true,
                    encoder_.first_time(), encoder_.last_time()});
  cursor_ = builder_.Reset(next_seq_);
  return Status::Ok();
}

Status RecoveryWriter::StorePayload(const PayloadView& p, uint8_t entry[24], Bytes* stored,
                                    bool* spilled) {
  *spilled = p.spilled() || p.size > spill_threshold_;
  if (!*spilled) {
    *stored = p.bytes();
    return Status::Ok();
  }
  uint64_t first = offset_;
  uint64_t hash = p.spill_hash;
  if (p.spilled()) {
    auto copied = copies_.find(p.blob_offset);
    if (copied != copies_.end() && copied->second.size == p.size && copied->second.hash == hash) {
      first = copied->second.offset;
    } else {
      // Copied record by record as the chain is checked (a piece holds no
      // file offsets); a chain is checked once, so a bad one fails fast for
      // every later event. A good chain whose copy was rolled back (the
      // event's other payload failed) is walked again to copy it.
      Bytes file = source_.file();
      auto copy = [&](const RecordView& piece) {
        return Write(file.data() + piece.offset, size_t(piece.size()));
      };
      bool walked = false;
      Status s = chains_.Check(p.blob_offset, p.size, hash, copy, &walked);
      if (s.ok() && !walked) s = WalkBlobChain(file, p.blob_offset, p.size, hash, dctx_, copy);
      if (!error_.ok()) return error_;
      if (!s.ok()) return s.WithContext(source_.path());
      copies_[p.blob_offset] = {p.size, hash, first};
      copies_in_event_.push_back(p.blob_offset);
    }
  } else {
    hash = XXH3_64bits(p.data, size_t(p.size));
    EncodeBlobRecords(p.bytes(), hash, cctx_, kZstdLevel, kBlobFrameBytes,
                      [&](Bytes record) { return Write(record.data(), record.size()).ok(); });
    TAPE_RETURN_IF_ERROR(error_);
  }
  StoreU64(entry, hash);
  StoreU64(entry + 8, first);
  StoreU64(entry + 16, p.size);
  *stored = {entry, kBuilderSpillEntry};
  return Status::Ok();
}

Status RecoveryWriter::Append(const EventView& e) {
  TAPE_RETURN_IF_ERROR(error_);
  if (e.seq < next_seq_) {
    return Status::InvalidArgument("recovered events must be appended in seq order");
  }
  // Keep one gap for Finish's trailing one.
  if (e.seq > next_seq_ && gaps_.size() + 1 >= kMaxGaps) {
    return Status::Unsupported(
        fmt::format("more than {} separate ranges of events are missing (§11)", kMaxGaps - 1));
  }
  uint64_t rollback = offset_;
  copies_in_event_.clear();
  uint8_t entries[2][kBuilderSpillEntry];
  Bytes stored[2];
  bool spilled[2];
  Status s = StorePayload(e.args, entries[0], &stored[0], &spilled[0]);
  if (s.ok()) s = StorePayload(e.result, entries[1], &stored[1], &spilled[1]);
  if (!s.ok()) {
    if (!error_.ok()) return error_;
    // A payload failed after the other was copied: drop this event's copies.
    for (uint64_t source_offset : copies_in_event_) copies_.erase(source_offset);
    if (offset_ != rollback) {
      if (::ftruncate(fd_, off_t(rollback)) != 0 || ::lseek(fd_, off_t(rollback), SEEK_SET) < 0) {
        error_ = Status::FromErrno("cannot truncate " + temp_path_, errno);
        return error_;
      }
      offset_ = rollback;
    }
    return s;
  }
  // A chunk has times for all its events or for none (§7.8): an event of
  // unknown time after timed ones (or the reverse) starts a new chunk.
  uint32_t held = cursor_.count();
  bool times_change = held > 0 && (builder_.times()[held - 1] == 0) != (e.time_ns == 0);
  if (e.seq != next_seq_ || times_change || !cursor_.HasRoom(stored[0].size(), stored[1].size())) {
    TAPE_RETURN_IF_ERROR(Seal());
    AddGap(next_seq_, e.seq);
    cursor_ = builder_.Reset(e.seq);
  }
  uint8_t flags = (spilled[0] ? kArgsSpilled : 0) | (spilled[1] ? kResultSpilled : 0);
  cursor_.Append(e.site, e.kind, stored[0], stored[1], flags, e.marks, e.lane, e.time_ns,
                 e.duration_ns);
  next_seq_ = e.seq + 1;
  ++events_;
  if (cursor_.full()) TAPE_RETURN_IF_ERROR(Seal());
  return Status::Ok();
}

Status RecoveryWriter::EndChunk(int64_t first_time_ns, int64_t last_time_ns) {
  TAPE_RETURN_IF_ERROR(Seal());
  for (; untimed_ < index_.size(); ++untimed_) {
    index_[untimed_].first_time_ns = first_time_ns;
    index_[untimed_].last_time_ns = last_time_ns;
  }
  return Status::Ok();
}

Status RecoveryWriter::Finish(const Outcome& outcome, uint64_t end_seq, uint64_t finished_unix_ns,
                              std::optional<uint64_t> program_steps) {
  TAPE_RETURN_IF_ERROR(Seal());
  AddGap(next_seq_, end_seq);
  uint64_t event_count = std::max(next_seq_, end_seq);
  Footer footer;
  footer.event_count = event_count;
  footer.finished_unix_ns = finished_unix_ns;
  footer.program_steps = program_steps;
  footer.outcome = outcome;
  footer.chunks = index_;
  footer.sites = sites_;
  footer.kind_names = source_.kind_names();
  std::vector<uint8_t> tail;
  uint64_t footer_offset = offset_;
  AppendRecord(kTagFooter, EncodeFooterBody(footer, gaps_), &tail);
  AppendTrailer(footer_offset, &tail);
  TAPE_RETURN_IF_ERROR(Write(tail.data(), tail.size()));
  if (!out_->to_stream() && ::fsync(fd_) != 0) {
    return error_ = Status::FromErrno("cannot write " + temp_path_, errno);
  }
  error_ = out_->Commit();
  fd_ = -1;
  return error_;
}

}  // namespace tape::format
