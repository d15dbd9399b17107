#include "format/records.h"

#include <fmt/core.h>
#include <xxhash.h>

#include <cstdio>

#include "format/layout.h"

namespace tape::format {

uint64_t RecordChecksum(uint32_t tag, Bytes body) {
  uint64_t seed = uint64_t(tag) << 32 | uint64_t(uint32_t(body.size()));
  return XXH3_64bits_withSeed(body.data(), body.size(), seed);
}

void EncodeRecordHeader(uint32_t tag, Bytes body, uint8_t out[16]) {
  StoreU32(out, tag);
  StoreU32(out + 4, uint32_t(body.size()));
  StoreU64(out + 8, RecordChecksum(tag, body));
}

void AppendRecord(uint32_t tag, Bytes body, std::vector<uint8_t>* out) {
  uint8_t header[kRecordHeaderSize];
  EncodeRecordHeader(tag, body, header);
  out->insert(out->end(), header, header + kRecordHeaderSize);
  out->insert(out->end(), body.begin(), body.end());
}

std::string TagName(uint32_t tag) {
  std::string name;
  for (int i = 0; i < 4; ++i) {
    unsigned char c = uint8_t(tag >> (8 * i));
    if (c >= 0x20 && c < 0x7f) {
      name.push_back(char(c));
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      name += buf;
    }
  }
  return name;
}

Status ReadRecord(Bytes file, uint64_t offset, RecordView* out, uint32_t max_body) {
  auto at = [&](const std::string& what) {
    return Status::Corrupt(fmt::format("record at byte {}: {}", offset, what));
  };
  if (offset > file.size() || file.size() - offset < kRecordHeaderSize) {
    return at(fmt::format("truncated header ({} of 16 bytes present)",
                          file.size() - std::min<uint64_t>(offset, file.size())));
  }
  const uint8_t* p = file.data() + offset;
  uint32_t tag = LoadU32(p);
  uint32_t len = LoadU32(p + 4);
  uint64_t stored = LoadU64(p + 8);
  if (len > kMaxRecordBody) {
    return at(fmt::format("body length {} exceeds the 1 GiB limit", len));
  }
  if (len > max_body) {
    return at(fmt::format("{} body length {} exceeds the {} bytes such a record can hold",
                          TagName(tag), len, max_body));
  }
  uint64_t available = file.size() - offset - kRecordHeaderSize;
  if (len > available) {
    return at(fmt::format("{} body of {} bytes is truncated ({} bytes remain in the file)",
                          TagName(tag), len, available));
  }
  Bytes body{p + kRecordHeaderSize, len};
  uint64_t computed = RecordChecksum(tag, body);
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  // Fuzz builds accept any checksum, so that mutated bytes reach the
  // decoders behind it instead of stopping here.
  computed = stored;
#endif
  if (computed != stored) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "checksum mismatch (stored %016llx, computed %016llx)",
                  (unsigned long long)stored, (unsigned long long)computed);
    return at(TagName(tag) + " " + buf);
  }
  *out = {tag, offset, body};
  return Status::Ok();
}

void AppendPrelude(std::vector<uint8_t>* out, uint16_t minor) {
  uint8_t prelude[kPreludeSize];
  std::memcpy(prelude, kFileMagic, 8);
  StoreU16(prelude + 8, kFormatMajor);
  StoreU16(prelude + 10, minor);
  StoreU32(prelude + 12, 0);  // reserved flags
  out->insert(out->end(), prelude, prelude + kPreludeSize);
}

Status CheckPrelude(Bytes file, uint16_t* major, uint16_t* minor) {
  if (file.size() < kPreludeSize || std::memcmp(file.data(), kFileMagic, 8) != 0) {
    if (file.size() >= kPreludeSize && std::memcmp(file.data() + 1, "TAPE", 4) == 0) {
      return Status::Corrupt(
          "the file magic at byte 0 is damaged (was the file transferred in text mode?)");
    }
    return Status::Corrupt(
        fmt::format("not a tape trace (no trace magic at byte 0; {} bytes)", file.size()));
  }
  *major = LoadU16(file.data() + 8);
  *minor = LoadU16(file.data() + 10);
  if (*major != kFormatMajor) {
    return Status::Unsupported(
        fmt::format("trace format version {}.{} is not supported: this tape reads {}.x; use a tape "
                    "release that reads {}.x",
                    *major, *minor, kFormatMajor, *major));
  }
  uint32_t flags = LoadU32(file.data() + 12);
  if (flags != 0) {
    return Status::Corrupt(
        fmt::format("reserved prelude flags at byte 12 are {}, must be 0", flags));
  }
  return Status::Ok();
}

std::vector<uint8_t> EncodeHeaderBody(const TraceHeader& h) {
  ByteWriter w;
  w.PutU64(h.created_unix_ns);
  w.PutString(h.recorder);
  w.PutU8(uint8_t(h.program_kind));
  w.PutString(h.program_name);
  w.PutString(h.code_hash);
  w.PutString(h.script_source);
  w.PutU32(h.chunk_max_events);
  w.PutU32(h.chunk_max_payload);
  w.PutU32(h.flush_ms);
  w.PutString(h.origin);  // 1.1
  w.PutString(h.redaction.substr(0, kMaxShortString));  // 1.1
  w.PutString(h.chaos.substr(0, kMaxShortString));      // 1.1
  w.PutU64(h.chaos_seed);                               // 1.1
  return std::move(w.buffer());
}

Status ParseHeaderBody(Bytes body, TraceHeader* h) {
  ByteReader r(body);
  uint8_t kind;
  auto bad = [](const char* field) {
    return Status::Corrupt(std::string("HEAD record at byte 16: bad or truncated field '") +
                           field + "'");
  };
  if (!r.GetU64(&h->created_unix_ns)) return bad("created");
  if (!r.GetString(kMaxShortString, &h->recorder)) return bad("recorder");
  if (!r.GetU8(&kind) || kind > uint8_t(ProgramKind::kExecutable)) return bad("program kind");
  h->program_kind = ProgramKind(kind);
  if (!r.GetString(kMaxShortString, &h->program_name)) return bad("program name");
  if (!r.GetString(kMaxCodeHash, &h->code_hash)) return bad("code hash");
  if (!r.GetString(kMaxScriptSource, &h->script_source)) return bad("script source");
  if (!r.GetU32(&h->chunk_max_events)) return bad("chunk max events");
  if (!r.GetU32(&h->chunk_max_payload)) return bad("chunk max payload");
  if (!r.GetU32(&h->flush_ms)) return bad("flush ms");
  // 1.1: a 1.0 header ends here (origin stays empty); a later one goes on.
  h->origin.clear();
  h->redaction.clear();
  h->chaos.clear();
  h->chaos_seed = 0;
  if (r.remaining() > 0 && !r.GetString(kMaxShortString, &h->origin)) return bad("origin");
  if (r.remaining() > 0) {
    if (!r.GetString(kMaxShortString, &h->redaction)) return bad("redaction");
    if (!r.GetString(kMaxShortString, &h->chaos)) return bad("chaos");
    if (!r.GetU64(&h->chaos_seed)) return bad("chaos seed");
  }
  // Bytes after the known fields belong to a later minor version: ignored.
  return Status::Ok();
}

std::vector<uint8_t> EncodeFooterBody(const Footer& f, const std::vector<SeqRange>& gaps) {
  ByteWriter w;
  w.PutU64(f.event_count);
  w.PutU64(f.finished_unix_ns);
  w.PutU8(uint8_t(f.outcome.kind));
  w.PutU32(uint32_t(f.outcome.code));
  w.PutString(f.outcome.message.substr(0, kMaxShortString));
  w.PutU32(uint32_t(f.chunks.size()));
  for (const ChunkIndexEntry& c : f.chunks) {
    w.PutU64(c.file_offset);
    w.PutU64(c.first_seq);
    w.PutU32(c.event_count);
    w.PutU32(c.record_size);
    w.PutU64(c.content_hash);
  }
  w.PutU32(uint32_t(f.sites.size()));
  for (const auto& [id, text] : f.sites) {
    w.PutU64(id);
    w.PutString(text);
  }
  // Format 1.1: the gap list (§9.3), then the kind-name table (§7.3).
  w.PutU32(uint32_t(gaps.size()));
  for (const SeqRange& g : gaps) {
    w.PutU64(g.first);
    w.PutU64(g.count);
  }
  uint32_t named = 0;
  for (const std::string& name : f.kind_names) named += !name.empty();
  w.PutU32(named);
  for (int k = 0; k < 256; ++k) {
    if (f.kind_names[k].empty()) continue;
    w.PutU8(uint8_t(k));
    w.PutString(f.kind_names[k]);
  }
  // Format 1.1: the script's step count, then each chunk's time range (§9.4).
  w.PutU8(f.program_steps ? 1 : 0);
  w.PutU64(f.program_steps.value_or(0));
  bool timed = false;
  for (const ChunkIndexEntry& c : f.chunks) timed = timed || c.first_time_ns || c.last_time_ns;
  w.PutU32(timed ? uint32_t(f.chunks.size()) : 0);
  if (timed) {
    for (const ChunkIndexEntry& c : f.chunks) {
      w.PutU64(uint64_t(c.first_time_ns));
      w.PutU64(uint64_t(c.last_time_ns));
    }
  }
  return std::move(w.buffer());
}

Status ParseFooterBody(Bytes body, Footer* f, std::vector<SeqRange>* gaps) {
  ByteReader r(body);
  auto bad = [](const std::string& what) {
    return Status::Corrupt("FOOT record: " + what);
  };
  uint8_t kind;
  uint32_t code, chunk_count, site_count;
  if (!r.GetU64(&f->event_count) || !r.GetU64(&f->finished_unix_ns)) return bad("truncated totals");
  if (!r.GetU8(&kind) || kind > uint8_t(OutcomeKind::kError)) return bad("bad outcome kind");
  if (!r.GetU32(&code) || !r.GetString(kMaxShortString, &f->outcome.message)) {
    return bad("truncated outcome");
  }
  f->outcome.kind = OutcomeKind(kind);
  f->outcome.code = int32_t(code);
  if (!r.GetU32(&chunk_count)) return bad("truncated chunk count");
  // Bound the allocation by what the body can actually hold.
  if (uint64_t(chunk_count) * kIndexEntrySize > r.remaining()) {
    return bad(fmt::format("chunk count {} does not fit in the record", chunk_count));
  }
  f->chunks.resize(chunk_count);
  for (ChunkIndexEntry& c : f->chunks) {
    r.GetU64(&c.file_offset);
    r.GetU64(&c.first_seq);
    r.GetU32(&c.event_count);
    r.GetU32(&c.record_size);
    r.GetU64(&c.content_hash);
  }
  if (!r.GetU32(&site_count)) return bad("truncated site count");
  if (uint64_t(site_count) * 9 > r.remaining()) {
    return bad(fmt::format("site count {} does not fit in the record", site_count));
  }
  if (site_count > kMaxSites) {
    return bad(fmt::format("site count {} exceeds the limit of {} (§11)", site_count, kMaxSites));
  }
  f->sites.reserve(site_count);
  uint64_t text_bytes = 0;
  for (uint32_t i = 0; i < site_count; ++i) {
    uint64_t id;
    std::string text;
    if (!r.GetU64(&id) || !r.GetString(kMaxSiteText, &text)) {
      return bad(fmt::format("site {} is truncated", i));
    }
    text_bytes += text.size();
    if (text_bytes > kMaxSiteTableText) {
      return bad(fmt::format("the site table's locations exceed the limit of {} bytes (§11)",
                             kMaxSiteTableText));
    }
    f->sites.emplace(id, std::move(text));
  }
  // §9.3 (format 1.1): the gap list, when the body goes on after the sites.
  std::vector<SeqRange> no_gaps;
  if (gaps == nullptr) gaps = &no_gaps;
  gaps->clear();
  if (r.remaining() == 0) return Status::Ok();  // a 1.0 footer ends here
  uint32_t gap_count;
  if (!r.GetU32(&gap_count)) return bad("truncated gap count");
  if (uint64_t(gap_count) * kGapEntrySize > r.remaining()) {
    return bad(fmt::format("gap count {} does not fit in the record", gap_count));
  }
  if (gap_count > kMaxGaps) {
    return bad(fmt::format("gap count {} exceeds the limit of {} (§11)", gap_count, kMaxGaps));
  }
  gaps->resize(gap_count);
  for (SeqRange& g : *gaps) {
    r.GetU64(&g.first);
    r.GetU64(&g.count);
  }
  // Format 1.1: the kind-name table.
  if (r.remaining() == 0) return Status::Ok();
  uint32_t named;
  if (!r.GetU32(&named) || named > 256) return bad("bad kind-name count");
  for (uint32_t i = 0; i < named; ++i) {
    uint8_t named_kind;
    std::string name;
    if (!r.GetU8(&named_kind) || !r.GetString(kMaxKindName, &name) || name.empty()) {
      return bad(fmt::format("kind name {} is truncated or empty", i));
    }
    f->kind_names[named_kind] = std::move(name);
  }
  // Format 1.1: the step count and the chunks' time ranges (§9.4).
  if (r.remaining() == 0) return Status::Ok();
  uint8_t steps_known;
  uint64_t steps;
  if (!r.GetU8(&steps_known) || steps_known > 1 || !r.GetU64(&steps)) {
    return bad("bad or truncated step count");
  }
  if (steps_known) f->program_steps = steps;
  uint32_t timed;
  if (!r.GetU32(&timed)) return bad("truncated time range count");
  if (timed != 0 && timed != f->chunks.size()) {
    return bad(
        fmt::format("time ranges for {} chunks, but the index has {}", timed, f->chunks.size()));
  }
  if (uint64_t(timed) * 16 > r.remaining()) return bad("time ranges do not fit in the record");
  for (uint32_t i = 0; i < timed; ++i) {
    uint64_t first = 0, last = 0;
    r.GetU64(&first);
    r.GetU64(&last);
    f->chunks[i].first_time_ns = int64_t(first);
    f->chunks[i].last_time_ns = int64_t(last);
  }
  // Bytes after the known fields belong to a later minor version: ignored.
  return Status::Ok();
}

void AppendTrailer(uint64_t footer_offset, std::vector<uint8_t>* out) {
  uint8_t t[kTrailerSize];
  StoreU64(t, footer_offset);
  std::memcpy(t + 8, kEndMagic, 8);
  out->insert(out->end(), t, t + kTrailerSize);
}

bool ReadTrailer(Bytes file, uint64_t* footer_offset) {
  if (file.size() < kPreludeSize + kTrailerSize) return false;
  const uint8_t* t = file.data() + file.size() - kTrailerSize;
  if (std::memcmp(t + 8, kEndMagic, 8) != 0) return false;
  *footer_offset = LoadU64(t);
  return true;
}

}  // namespace tape::format
