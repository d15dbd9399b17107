#include "format/trace_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <boost/interprocess/file_mapping.hpp>
#include <boost/interprocess/mapped_region.hpp>
#include <cerrno>

#include "format/blob.h"
#include "format/layout.h"
#include "format/records.h"

namespace tape::format {

namespace bip = boost::interprocess;

struct TraceReader::Mapping {
  bip::file_mapping file;
  bip::mapped_region region;
};

TraceReader::~TraceReader() = default;

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
  Status s = reader->Parse();
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
  if (!s.ok()) return Status::Corrupt("the header is damaged: " + s.message());
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
    Scan(data_start_, "no footer (the recording did not finish)");
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
    return Status::Corrupt("the trailer points at byte " + std::to_string(footer_offset) +
                           ", outside the file's records");
  }
  RecordView rec;
  TAPE_RETURN_IF_ERROR(ReadRecord(file_.first(size_t(footer_end_limit)), footer_offset, &rec));
  if (rec.tag != kTagFooter) return Status::Corrupt("the trailer points at a " + TagName(rec.tag) + " record");
  if (footer_offset + rec.size() != footer_end_limit) {
    return Status::Corrupt("bytes between the footer and the trailer");
  }
  Footer footer;
  TAPE_RETURN_IF_ERROR(ParseFooterBody(rec.body, &footer));
  // Validate the index once, here, before any offset arithmetic uses it.
  uint64_t seq = 0;
  uint64_t min_offset = data_start_;
  for (size_t i = 0; i < footer.chunks.size(); ++i) {
    const ChunkIndexEntry& c = footer.chunks[i];
    std::string which = "index entry " + std::to_string(i);
    if (c.file_offset < min_offset || c.record_size < kRecordHeaderSize + kChunkFixedSize ||
        c.record_size > footer_offset || c.file_offset > footer_offset - c.record_size) {
      return Status::Corrupt(which + " places chunk at byte " + std::to_string(c.file_offset) +
                             " (" + std::to_string(c.record_size) + " bytes), outside the chunk area");
    }
    if (c.first_seq != seq) {
      return Status::Corrupt(which + " starts at seq " + std::to_string(c.first_seq) +
                             ", expected " + std::to_string(seq));
    }
    if (c.event_count == 0 || c.event_count > kMaxChunkEvents) {
      return Status::Corrupt(which + " has an event count of " + std::to_string(c.event_count));
    }
    seq += c.event_count;
    min_offset = c.file_offset + c.record_size;
  }
  if (seq != footer.event_count) {
    return Status::Corrupt("the footer counts " + std::to_string(footer.event_count) +
                           " events but its index holds " + std::to_string(seq));
  }
  event_count_ = footer.event_count;
  finished_unix_ns_ = footer.finished_unix_ns;
  outcome_ = std::move(footer.outcome);
  chunks_ = std::move(footer.chunks);
  sites_ = std::move(footer.sites);
  kind_names_ = std::move(footer.kind_names);
  return Status::Ok();
}

void TraceReader::Scan(uint64_t from, const std::string& why) {
  finalized_ = false;
  chunks_.clear();
  sites_.clear();
  kind_names_ = {};
  event_count_ = 0;
  outcome_ = {OutcomeKind::kInterrupted, 0, ""};
  ChunkDecoder decoder;
  DecodedChunk chunk;
  uint64_t offset = from;
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
        s = Status::Corrupt("chunk at byte " + std::to_string(offset) + " is numbered " +
                            std::to_string(h.chunk_number) + ", expected " +
                            std::to_string(chunks_.size()));
      }
      if (s.ok() && h.first_seq != event_count_) {
        s = Status::Corrupt("chunk " + std::to_string(h.chunk_number) + " at byte " +
                            std::to_string(offset) + " starts at seq " + std::to_string(h.first_seq) +
                            ", expected " + std::to_string(event_count_));
      }
      if (s.ok()) s = decoder.Decode(rec.body, offset, kDecodeNewSites, &chunk);
      if (!s.ok()) {
        stop = s.message();
        break;
      }
      for (const auto& [id, text] : chunk.new_sites()) sites_.emplace(id, text);
      for (const auto& [kind, name] : chunk.new_kinds()) kind_names_[kind] = name;
      chunks_.push_back({offset, h.first_seq, h.event_count, uint32_t(rec.size()), 0, false});
      event_count_ += h.event_count;
    } else if (rec.tag == kTagFooter) {
      Footer footer;
      if (ParseFooterBody(rec.body, &footer).ok()) {
        outcome_ = footer.outcome;
        finished_unix_ns_ = footer.finished_unix_ns;
      }
      footer_seen = true;
    } else if (rec.tag != kTagBlob && !IsAncillaryTag(rec.tag)) {
      stop = "record at byte " + std::to_string(offset) + ": unexpected " + TagName(rec.tag) + " record";
      break;
    }
    offset += rec.size();
  }
  valid_bytes_ = offset;
  recovery_note_ = why + "; recovered " + std::to_string(event_count_) + " events in " +
                   std::to_string(chunks_.size()) + " chunks";
  if (!stop.empty()) recovery_note_ += "; scan stopped at byte " + std::to_string(offset) + ": " + stop;
}

std::string TraceReader::SiteLocation(uint64_t site) const {
  auto it = sites_.find(site);
  return it == sites_.end() ? std::string() : it->second;
}

size_t TraceReader::ChunkFor(uint64_t seq) const {
  auto it = std::upper_bound(chunks_.begin(), chunks_.end(), seq,
                             [](uint64_t s, const ChunkIndexEntry& c) { return s < c.first_seq; });
  return size_t(it - chunks_.begin()) - 1;
}

Status TraceReader::ReadChunk(size_t i, unsigned parts, ChunkDecoder* decoder,
                              DecodedChunk* out) const {
  const ChunkIndexEntry& entry = chunks_[i];
  RecordView rec;
  Status s = ReadRecord(file_, entry.file_offset, &rec);
  if (!s.ok()) return s.WithContext(path_ + ": chunk " + std::to_string(i));
  auto fail = [&](const std::string& what) {
    return Status::Corrupt(path_ + ": chunk " + std::to_string(i) + " at byte " +
                           std::to_string(entry.file_offset) + ": " + what);
  };
  if (rec.tag != kTagChunk) return fail("the index points at a " + TagName(rec.tag) + " record");
  if (rec.size() != entry.record_size) return fail("record size differs from the index");
  ChunkHeader h;
  TAPE_RETURN_IF_ERROR(ParseChunkHeader(rec.body, entry.file_offset, &h));
  if (h.chunk_number != i || h.first_seq != entry.first_seq || h.event_count != entry.event_count) {
    return fail("number, first seq or event count differs from the index");
  }
  s = decoder->Decode(rec.body, entry.file_offset, parts, out);
  if (!s.ok()) return s.WithContext(path_);
  return Status::Ok();
}

Result<uint64_t> TraceReader::ChunkContentHash(size_t i, ChunkDecoder* decoder) const {
  const ChunkIndexEntry& entry = chunks_[i];
  if (entry.content_hash_known) return entry.content_hash;
  RecordView rec;
  TAPE_RETURN_IF_ERROR(ReadRecord(file_, entry.file_offset, &rec));
  return decoder->ContentHash(rec.body, entry.file_offset);
}

Status TraceReader::ReadPayload(const PayloadView& payload, uint64_t max_bytes,
                                std::string* out) const {
  if (!payload.spilled()) {
    out->assign(reinterpret_cast<const char*>(payload.data),
                size_t(std::min<uint64_t>(payload.size, max_bytes)));
    return Status::Ok();
  }
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  Status s = ReadBlobPayload(file_, payload.blob_offset, payload.size, payload.spill_hash,
                             max_bytes, dctx, out);
  ZSTD_freeDCtx(dctx);
  if (!s.ok()) return s.WithContext(path_);
  return Status::Ok();
}

Status EventCursor::Seek(uint64_t seq) {
  seq_ = seq;
  if (at_end()) return Status::Ok();
  size_t c = reader_->ChunkFor(seq);
  if (c != chunk_index_) {
    TAPE_RETURN_IF_ERROR(reader_->ReadChunk(c, parts_, &decoder_, &chunk_));
    chunk_index_ = c;
  }
  index_ = uint32_t(seq - chunk_.first_seq());
  return Status::Ok();
}

Status EventCursor::Next() {
  ++seq_;
  if (++index_ < chunk_.size() || at_end()) return Status::Ok();
  return Seek(seq_);
}

}  // namespace tape::format
