#include "format/trace_reader.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <boost/interprocess/file_mapping.hpp>
#include <boost/interprocess/mapped_region.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "format/blob.h"
#include "format/layout.h"
#include "format/trace_mappings.h"

namespace tape::format {

namespace bip = boost::interprocess;

namespace {

// One decompression context per thread for payload reads (a context holds
// megabytes of window once used; creating one per read would repeat that).
ZSTD_DCtx* ThreadDCtx() {
  struct Holder {
    ZSTD_DCtx* dctx = ZSTD_createDCtx();
    ~Holder() { ZSTD_freeDCtx(dctx); }
  };
  thread_local Holder holder;
  return holder.dctx;
}

std::string Plural(uint64_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string SizeText(uint64_t n) {
  char buf[32];
  if (n >= (uint64_t(1) << 30)) {
    std::snprintf(buf, sizeof buf, "%.1f GiB", double(n) / double(uint64_t(1) << 30));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f MiB", double(n) / double(1u << 20));
  }
  return buf;
}

// "123", "64M", "2G": bytes, or binary units.
bool ParseSize(const char* text, uint64_t* out) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *text == '-') return false;
  int shift = 0;
  switch (*end) {
    case 'K': case 'k': shift = 10; ++end; break;
    case 'M': case 'm': shift = 20; ++end; break;
    case 'G': case 'g': shift = 30; ++end; break;
    case 'T': case 't': shift = 40; ++end; break;
    default: break;
  }
  if (*end != 0 || (shift && v > (UINT64_MAX >> shift))) return false;
  *out = uint64_t(v) << shift;
  return true;
}

}  // namespace

PayloadBudget DefaultPayloadBudget() {
  std::string note;
  if (const char* env = std::getenv("TAPE_MAX_PAYLOAD")) {
    uint64_t bytes;
    if (ParseSize(env, &bytes)) return {bytes, "TAPE_MAX_PAYLOAD=" + std::string(env)};
    note = "; TAPE_MAX_PAYLOAD=" + std::string(env) + " is not a size (use e.g. 512M or 4G)";
  }
  long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  PayloadBudget b{pages > 0 && page > 0 ? uint64_t(pages) * uint64_t(page) / 2 : uint64_t(1) << 30,
                  "half of this machine's memory"};
  for (auto [resource, name] : {std::pair{RLIMIT_AS, "the address-space limit, ulimit -v"},
                                std::pair{RLIMIT_DATA, "the data-segment limit, ulimit -d"}}) {
    struct rlimit rl;
    if (::getrlimit(resource, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        uint64_t(rl.rlim_cur) / 4 < b.bytes) {
      b = {uint64_t(rl.rlim_cur) / 4, std::string("a quarter of ") + name};
    }
  }
  b.bytes = std::min(b.bytes, kMaxPayloadBytes);
  b.source += note;
  return b;
}

struct TraceReader::Mapping {
  bip::file_mapping file;
  bip::mapped_region region;
  int registry_slot = -1;  // format/trace_mappings.h
  ~Mapping() { UnregisterTraceMapping(registry_slot); }  // before the region is unmapped
};

TraceReader::TraceReader() : budget_(DefaultPayloadBudget()) {}
TraceReader::~TraceReader() = default;

int TraceReader::file_descriptor() const {
  return mapping_ ? mapping_->file.get_mapping_handle().handle : -1;
}

Result<std::unique_ptr<TraceReader>> TraceReader::Open(const std::string& path) {
  // Ask the OS first: it gives the precise reason (missing, a directory,
  // unreadable) that Boost's exception text would blur.
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT) return Status::NotFound("cannot open trace " + path + ": no such file");
    return Status::FromErrno("cannot open trace " + path, err);
  }
  if (S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument(path + " is a directory, not a trace file");
  }
  if (!S_ISREG(st.st_mode)) {
    return Status::InvalidArgument(path + " is not a regular file");
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("cannot open trace " + path, errno);
  ::close(fd);
  if (st.st_size == 0) {
    return Status::Corrupt(path + " is empty (0 bytes): not a tape trace");
  }

  std::unique_ptr<TraceReader> reader(new TraceReader());
  reader->path_ = path;
  try {
    reader->mapping_ = std::make_unique<Mapping>();
    reader->mapping_->file = bip::file_mapping(path.c_str(), bip::read_only);
    reader->mapping_->region = bip::mapped_region(reader->mapping_->file, bip::read_only);
  } catch (const bip::interprocess_exception& e) {
    return Status::IoError("cannot map trace " + path + ": " + e.what());
  }
  const auto* base = static_cast<const uint8_t*>(reader->mapping_->region.get_address());
  reader->file_ = Bytes(base, reader->mapping_->region.get_size());
  reader->mapping_->registry_slot = RegisterTraceMapping(
      base, reader->file_.size(), reader->mapping_->file.get_mapping_handle().handle, path);
  Status s = reader->Parse();
  // What a file that shrank meanwhile showed is not the trace's.
  Status changed = reader->CheckUnchanged();
  if (!changed.ok()) return changed;
  if (!s.ok()) return s.WithContext(path);
  return reader;
}

Result<std::unique_ptr<TraceReader>> TraceReader::OpenBytes(Bytes bytes, std::string name) {
  std::unique_ptr<TraceReader> reader(new TraceReader());
  reader->path_ = std::move(name);
  reader->file_ = bytes;
  if (bytes.empty()) return Status::Corrupt(reader->path_ + " is empty (0 bytes): not a tape trace");
  Status s = reader->Parse();
  if (!s.ok()) return s.WithContext(reader->path_);
  return reader;
}

Status TraceReader::Parse() {
  TAPE_RETURN_IF_ERROR(CheckPrelude(file_, &header_.format_major, &header_.format_minor));
  RecordView head;
  Status s = ReadRecord(file_, kPreludeSize, &head);
  if (!s.ok()) {
    // A file cut inside its header was cut before its first event: there
    // is nothing any tool (tape recover included) can read from it.
    uint64_t end = file_.size() >= kPreludeSize + kRecordHeaderSize
                       ? kPreludeSize + kRecordHeaderSize + LoadU32(file_.data() + kPreludeSize + 4)
                       : 0;
    if (end > file_.size() || file_.size() < kPreludeSize + kRecordHeaderSize) {
      return Status::Corrupt(fmt::format(
          "the file ends at byte {}, inside its header ({}): it was cut before its first event was "
          "written, so it holds no events, and tape recover has none to keep",
          file_.size(),
          end > file_.size() ? fmt::format("which says it ends at byte {}", end)
                             : std::string("at least 32 bytes")));
    }
    return Status::Corrupt("the header is damaged: " + s.message() +
                           "; without its header no event of the trace can be read (tape recover "
                           "needs it too)");
  }
  if (head.tag != kTagHeader) {
    return Status::Corrupt("expected the HEAD record at byte 16, found " + TagName(head.tag));
  }
  uint16_t major = header_.format_major, minor = header_.format_minor;
  TAPE_RETURN_IF_ERROR(ParseHeaderBody(head.body, &header_));
  header_.format_major = major;
  header_.format_minor = minor;
  data_start_ = kPreludeSize + head.size();

  uint64_t footer_offset;
  if (!ReadTrailer(file_, &footer_offset)) {
    footer_missing_ = true;
    Scan(data_start_,
         "no footer: the trace is still being recorded, or its recording was interrupted");
    return Status::Ok();
  }
  s = ParseFooter(footer_offset);
  if (!s.ok()) {
    Scan(data_start_, "the footer is damaged (" + s.message() + ")");
    return Status::Ok();
  }
  finalized_ = true;
  valid_bytes_ = file_.size();
  return Status::Ok();
}

Status TraceReader::ParseFooter(uint64_t footer_offset) {
  uint64_t footer_end_limit = file_.size() - kTrailerSize;
  if (footer_offset < data_start_ || footer_offset >= footer_end_limit) {
    return Status::Corrupt(
        fmt::format("the trailer points at byte {}, outside the file's records", footer_offset));
  }
  RecordView rec;
  TAPE_RETURN_IF_ERROR(ReadRecord(file_.first(size_t(footer_end_limit)), footer_offset, &rec));
  if (rec.tag != kTagFooter) return Status::Corrupt("the trailer points at a " + TagName(rec.tag) + " record");
  if (footer_offset + rec.size() != footer_end_limit) {
    return Status::Corrupt("bytes between the footer and the trailer");
  }
  Footer footer;
  std::vector<SeqRange> gaps;
  TAPE_RETURN_IF_ERROR(ParseFooterBody(rec.body, &footer, &gaps));
  // The gaps (§9.3): in order, not empty, not touching, not overflowing.
  for (size_t g = 0; g < gaps.size(); ++g) {
    const SeqRange& r = gaps[g];
    if (r.count == 0 || r.count > UINT64_MAX - r.first ||
        (g > 0 && r.first <= gaps[g - 1].end())) {
      return Status::Corrupt(
          fmt::format("gap {} (seq {}, {}) is empty, out of order or touches the previous one", g,
                      r.first, Plural(r.count, "event", "events")));
    }
  }
  // Validate the index once, here, before any offset arithmetic uses it.
  // Chunks and gaps together cover seqs 0 .. event_count - 1, in order.
  uint64_t seq = 0;
  size_t next_gap = 0;
  auto skip_gap = [&] {
    if (next_gap < gaps.size() && gaps[next_gap].first == seq) seq = gaps[next_gap++].end();
  };
  uint64_t min_offset = data_start_;
  int64_t previous_time = 0;
  for (size_t i = 0; i < footer.chunks.size(); ++i) {
    const ChunkIndexEntry& c = footer.chunks[i];
    std::string which = fmt::format("index entry {}", i);
    // §9.4: a chunk's times are both 0 (unknown) or a range that starts no
    // earlier than the previous timed chunk's.
    if ((c.first_time_ns == 0) != (c.last_time_ns == 0) ||
        (c.first_time_ns != 0 && (c.first_time_ns < 0 || c.last_time_ns < c.first_time_ns ||
                                  c.first_time_ns < previous_time))) {
      return Status::Corrupt(fmt::format(
          "{} gives the chunk the times {}..{}, not a range that follows the previous chunk's",
          which, c.first_time_ns, c.last_time_ns));
    }
    if (c.last_time_ns != 0) previous_time = c.last_time_ns;
    if (c.file_offset < min_offset || c.record_size < kRecordHeaderSize + kChunkFixedSize ||
        c.record_size > footer_offset || c.file_offset > footer_offset - c.record_size) {
      return Status::Corrupt(
          fmt::format("{} places chunk at byte {} ({} bytes), outside the chunk area", which,
                      c.file_offset, c.record_size));
    }
    skip_gap();
    if (c.first_seq != seq) {
      return Status::Corrupt(
          fmt::format("{} starts at seq {}, expected {}", which, c.first_seq, seq));
    }
    if (c.event_count == 0 || c.event_count > kMaxChunkEvents) {
      return Status::Corrupt(fmt::format("{} has an event count of {}", which, c.event_count));
    }
    seq += c.event_count;
    min_offset = c.file_offset + c.record_size;
  }
  skip_gap();
  if (next_gap != gaps.size()) {
    return Status::Corrupt(fmt::format("gap {} (seq {}) does not lie between the index's chunks",
                                       next_gap, gaps[next_gap].first));
  }
  if (seq != footer.event_count) {
    return Status::Corrupt(fmt::format("the footer counts {} but its index and gaps hold {}",
                                       Plural(footer.event_count, "event", "events"), seq));
  }
  missing_events_ = 0;
  for (const SeqRange& g : gaps) missing_events_ += g.count;
  gaps_ = std::move(gaps);
  event_count_ = footer.event_count;
  finished_unix_ns_ = footer.finished_unix_ns;
  outcome_ = std::move(footer.outcome);
  chunks_ = std::move(footer.chunks);
  sites_ = std::move(footer.sites);
  kind_names_ = std::move(footer.kind_names);
  program_steps_ = footer.program_steps;
  NoteTimes();
  return Status::Ok();
}

void TraceReader::NoteTimes() {
  first_time_ns_ = last_time_ns_ = 0;
  for (const ChunkIndexEntry& c : chunks_) {
    if (c.first_time_ns == 0) continue;
    if (first_time_ns_ == 0) first_time_ns_ = c.first_time_ns;
    last_time_ns_ = c.last_time_ns;
  }
}

void TraceReader::Scan(uint64_t from, const std::string& why) {
  finalized_ = false;
  chunks_.clear();
  sites_.clear();
  kind_names_ = {};
  gaps_.clear();
  missing_events_ = 0;
  event_count_ = 0;
  outcome_ = {OutcomeKind::kInterrupted, 0, ""};
  ChunkDecoder decoder;
  DecodedChunk chunk;
  uint64_t offset = from;
  uint64_t site_text = 0;  // §11: the site table's bytes of location text
  int64_t previous_time = 0;  // §9.4: the last event time of the chunks kept
  std::string stop;
  bool footer_seen = false;
  while (offset < file_.size()) {
    RecordView rec;
    Status s = ReadRecord(file_, offset, &rec);
    if (!s.ok()) {
      // A trailer after a valid footer is the normal end of a finalized file.
      if (footer_seen && file_.size() - offset == kTrailerSize) break;
      stop = s.message();
      break;
    }
    if (rec.tag == kTagChunk) {
      ChunkHeader h;
      s = ParseChunkHeader(rec.body, offset, &h);
      if (s.ok() && h.chunk_number != chunks_.size()) {
        s = Status::Corrupt(fmt::format("chunk at byte {} is numbered {}, expected {}", offset,
                                        h.chunk_number, chunks_.size()));
      }
      if (s.ok() && h.first_seq != event_count_) {
        s = Status::Corrupt(fmt::format("chunk {} at byte {} starts at seq {}, expected {}",
                                        h.chunk_number, offset, h.first_seq, event_count_));
      }
      if (s.ok()) s = decoder.Decode(rec.body, offset, kDecodeNewSites | kDecodeTimes, &chunk);
      if (s.ok() && chunk.has_times() && chunk.time(0) < previous_time) {
        s =
            Status::Corrupt(fmt::format("chunk {} at byte {}: its EVENT_TIMES start at {}, before "
                                        "the previous chunk's last time {} (§9.4)",
                                        h.chunk_number, offset, chunk.time(0), previous_time));
      }
      if (s.ok()) {
        // §11: the whole site table is bounded; a chunk that would take it
        // past the limits is damaged, like any other broken chunk.
        size_t added = 0;
        uint64_t text = site_text;
        for (const auto& [id, location] : chunk.new_sites()) {
          if (sites_.count(id)) continue;
          ++added;
          text += location.size();
        }
        if (sites_.size() + added > kMaxSites || text > kMaxSiteTableText) {
          s = Status::Corrupt(
              fmt::format("chunk {} at byte {}: its NEW_SITES take the site table past the limit "
                          "of {} sites and {} bytes of locations (§11)",
                          h.chunk_number, offset, kMaxSites, kMaxSiteTableText));
        } else {
          site_text = text;
          for (const auto& [id, location] : chunk.new_sites()) sites_.emplace(id, location);
        }
      }
      if (!s.ok()) {
        stop = s.message();
        break;
      }
      for (const auto& [kind, name] : chunk.new_kinds()) kind_names_[kind] = name;
      int64_t first = chunk.time(0), last = chunk.has_times() ? chunk.time(h.event_count - 1) : 0;
      if (last != 0) previous_time = last;
      chunks_.push_back(
          {offset, h.first_seq, h.event_count, uint32_t(rec.size()), 0, false, first, last});
      event_count_ += h.event_count;
    } else if (rec.tag == kTagFooter) {
      Footer footer;
      if (ParseFooterBody(rec.body, &footer).ok()) {
        outcome_ = footer.outcome;
        finished_unix_ns_ = footer.finished_unix_ns;
      }
      footer_seen = true;
    } else if (rec.tag != kTagBlob && !IsAncillaryTag(rec.tag)) {
      stop = fmt::format("record at byte {}: unexpected {} record", offset, TagName(rec.tag));
      break;
    }
    offset += rec.size();
  }
  valid_bytes_ = offset;
  NoteTimes();
  recovery_note_ = why + "; read " + Plural(event_count_, "event", "events") + " in " +
                   Plural(chunks_.size(), "chunk", "chunks");
  if (!stop.empty()) recovery_note_ += fmt::format("; scan stopped at byte {}: {}", offset, stop);
}

std::string TraceReader::SiteLocation(uint64_t site) const {
  auto it = sites_.find(site);
  return it == sites_.end() ? std::string() : it->second;
}

Status TraceReader::CheckUnchanged() const {
  if (!mapping_) return Status::Ok();
  struct stat st;
  if (::fstat(mapping_->file.get_mapping_handle().handle, &st) != 0) return Status::Ok();
  if (uint64_t(st.st_size) >= file_.size()) return Status::Ok();
  MappedTrace m;
  m.path = path_.c_str();
  m.mapped_size = file_.size();
  m.current_size = int64_t(st.st_size);
  char buf[kMaxMappedPath + 512];
  size_t n = FormatTraceChanged(nullptr, m, buf, sizeof buf);
  return Status::IoError(std::string(buf, n));
}

Status TraceReader::Explain(Status s) const {
  if (s.ok()) return s;
  Status changed = CheckUnchanged();
  return changed.ok() ? s : changed;
}

const SeqRange* TraceReader::GapAt(uint64_t seq) const {
  auto it = std::upper_bound(gaps_.begin(), gaps_.end(), seq,
                             [](uint64_t s, const SeqRange& g) { return s < g.first; });
  if (it == gaps_.begin()) return nullptr;
  --it;
  return seq < it->end() ? &*it : nullptr;
}

Status TraceReader::MissingEvent(uint64_t seq) const {
  if (const SeqRange* g = GapAt(seq)) {
    return Status::NotFound(fmt::format(
        "{} holds no events {}..{}: they were lost to damage before the trace was recovered", path_,
        g->first, g->end() - 1));
  }
  return Status::NotFound(
      fmt::format("{}: no chunk holds event {} (the trace has {})", path_, seq, event_count_));
}

size_t TraceReader::ChunkFor(uint64_t seq) const {
  auto it = std::upper_bound(chunks_.begin(), chunks_.end(), seq,
                             [](uint64_t s, const ChunkIndexEntry& c) { return s < c.first_seq; });
  if (it == chunks_.begin()) return 0;
  size_t c = size_t(it - chunks_.begin()) - 1;
  return seq - chunks_[c].first_seq < chunks_[c].event_count ? c : c + 1;
}

Status TraceReader::ChunkRecord(size_t i, RecordView* rec) const {
  const ChunkIndexEntry& entry = chunks_[i];
  Status s = ReadRecord(file_, entry.file_offset, rec);
  if (!s.ok()) return s.WithContext(fmt::format("{}: chunk {}", path_, i));
  auto fail = [&](const std::string& what) {
    return Status::Corrupt(
        fmt::format("{}: chunk {} at byte {}: {}", path_, i, entry.file_offset, what));
  };
  if (rec->tag != kTagChunk) return fail("the index points at a " + TagName(rec->tag) + " record");
  if (rec->size() != entry.record_size) return fail("record size differs from the index");
  ChunkHeader h;
  s = ParseChunkHeader(rec->body, entry.file_offset, &h);
  if (!s.ok()) return s.WithContext(path_);
  if (h.chunk_number != i || h.first_seq != entry.first_seq || h.event_count != entry.event_count) {
    return fail("number, first seq or event count differs from the index");
  }
  return Status::Ok();
}

Status TraceReader::CheckChunk(size_t i) const {
  RecordView rec;
  return Explain(ChunkRecord(i, &rec));
}

void TraceReader::ReleaseChunkPages(size_t i) const {
  if (!mapping_) return;  // bytes in memory belong to the caller
  static const uint64_t kPage = uint64_t(::sysconf(_SC_PAGESIZE));
  const ChunkIndexEntry& entry = chunks_[i];
  // Only pages the record covers whole: its neighbours may be in use.
  uint64_t begin = (entry.file_offset + kPage - 1) / kPage * kPage;
  uint64_t end = (entry.file_offset + entry.record_size) / kPage * kPage;
  if (end <= begin) return;
  // A shared read-only file mapping: dropped pages fault back in unchanged.
  (void)::madvise(const_cast<uint8_t*>(file_.data()) + begin, end - begin, MADV_DONTNEED);
}

Status TraceReader::ReadChunk(size_t i, unsigned parts, ChunkDecoder* decoder,
                              DecodedChunk* out) const {
  RecordView rec;
  TAPE_RETURN_IF_ERROR(Explain(ChunkRecord(i, &rec)));
  Status s = decoder->Decode(rec.body, chunks_[i].file_offset, parts, out);
  if (!s.ok()) return Explain(s.WithContext(path_));
  const ChunkIndexEntry& entry = chunks_[i];
  // first_time() is 0 exactly when the chunk has no EVENT_TIMES (§7.8).
  if ((parts & kDecodeTimes) && entry.first_time_ns != 0 &&
      (out->first_time() != entry.first_time_ns || out->last_time() != entry.last_time_ns)) {
    return Explain(Status::Corrupt(
        fmt::format("{}: chunk {} at byte {}: its event times {}, but the index says {} to {}",
                    path_, i, entry.file_offset,
                    out->first_time() != 0
                        ? fmt::format("run from {} to {}", out->first_time(), out->last_time())
                        : std::string("are missing"),
                    entry.first_time_ns, entry.last_time_ns)));
  }
  return Status::Ok();
}

Result<uint64_t> TraceReader::ChunkContentHash(size_t i, ChunkDecoder* decoder) const {
  const ChunkIndexEntry& entry = chunks_[i];
  if (entry.content_hash_known) return entry.content_hash;
  RecordView rec;
  TAPE_RETURN_IF_ERROR(Explain(ReadRecord(file_, entry.file_offset, &rec)));
  Result<uint64_t> hash = decoder->ContentHash(rec.body, entry.file_offset);
  if (!hash.has_value()) return Explain(hash.error());
  return hash;
}

Status TraceReader::ReadPayload(const PayloadView& payload, uint64_t max_bytes,
                                std::string* out) const {
  if (!payload.spilled()) {
    out->assign(reinterpret_cast<const char*>(payload.data),
                size_t(std::min<uint64_t>(payload.size, max_bytes)));
    return Status::Ok();
  }
  if (max_bytes >= payload.size) return ReadWholePayload(payload, out);
  Status s = ReadBlobPayload(file_, payload.blob_offset, payload.size, payload.spill_hash,
                             max_bytes, ThreadDCtx(), out);
  if (!s.ok()) return Explain(s.WithContext(path_));
  return Status::Ok();
}

Status TraceReader::ReadWholePayload(const PayloadView& payload, std::string* out) const {
  if (!payload.spilled()) return ReadPayload(payload, payload.size, out);
  if (payload.size > budget_.bytes) {
    out->clear();
    return Status::Unsupported(
        fmt::format("{}: a spilled payload of {} bytes ({}, BLOB at byte {}) is larger than the "
                    "memory budget of {} ({}); to read it, set TAPE_MAX_PAYLOAD (e.g. "
                    "TAPE_MAX_PAYLOAD={}G) on a machine with that much memory",
                    path_, payload.size, SizeText(payload.size), payload.blob_offset,
                    SizeText(budget_.bytes), budget_.source, (payload.size >> 30) + 1));
  }
  Status s = ReadBlobPayload(file_, payload.blob_offset, payload.size, payload.spill_hash,
                             payload.size, ThreadDCtx(), out);
  if (!s.ok()) return Explain(s.WithContext(path_));
  return Status::Ok();
}

Status EventCursor::Seek(uint64_t seq) {
  seq_ = seq;
  if (at_end()) return Status::Ok();
  size_t c = reader_->ChunkFor(seq);
  if (c == reader_->chunks().size()) {  // only a gap follows
    seq_ = reader_->event_count();
    return Status::Ok();
  }
  if (c != chunk_index_) {
    TAPE_RETURN_IF_ERROR(reader_->ReadChunk(c, parts_, &decoder_, &chunk_));
    chunk_index_ = c;
  }
  seq_ = std::max(seq, chunk_.first_seq());  // past a gap
  index_ = uint32_t(seq_ - chunk_.first_seq());
  return Status::Ok();
}

Status EventCursor::Next() {
  ++seq_;
  if (++index_ < chunk_.size() || at_end()) return Status::Ok();
  return Seek(seq_);
}

}  // namespace tape::format
