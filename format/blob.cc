#include "format/blob.h"

#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <vector>

#include "format/layout.h"
#include "format/records.h"

namespace tape::format {

bool EncodeBlobRecords(Bytes payload, uint64_t payload_hash, ZSTD_CCtx_s* cctx, int level,
                       uint32_t frame_bytes, const std::function<bool(Bytes record)>& sink) {
  std::vector<uint8_t> body, record, compressed;
  for (uint64_t at = 0; at < payload.size(); at += frame_bytes) {
    size_t n = size_t(std::min<uint64_t>(frame_bytes, payload.size() - at));
    Bytes piece = payload.subspan(size_t(at), n);
    compressed.resize(ZSTD_compressBound(n));
    size_t z = ZSTD_compressCCtx(cctx, compressed.data(), compressed.size(), piece.data(), n, level);
    bool use_zstd = !ZSTD_isError(z) && z < n;
    body.assign(kBlobFixedSize, 0);
    StoreU64(body.data(), payload_hash);
    StoreU64(body.data() + 8, payload.size());
    StoreU64(body.data() + 16, at);
    StoreU32(body.data() + 24, uint32_t(n));
    body[28] = uint8_t(use_zstd ? Codec::kZstd : Codec::kRaw);
    if (use_zstd) {
      body.insert(body.end(), compressed.data(), compressed.data() + z);
    } else {
      body.insert(body.end(), piece.begin(), piece.end());
    }
    record.clear();
    AppendRecord(kTagBlob, body, &record);
    if (!sink(record)) return false;
  }
  return true;
}

Status ReadBlobPayload(Bytes file, uint64_t first_offset, uint64_t size, uint64_t hash,
                       uint64_t max_bytes, ZSTD_DCtx_s* dctx, std::string* out) {
  out->clear();
  uint64_t want = std::min(size, max_bytes);
  uint64_t offset = first_offset;
  uint64_t got = 0;  // payload bytes covered by the records read so far
  std::vector<uint8_t> frame;
  while (got < want) {
    auto fail = [&](const std::string& what) {
      return Status::Corrupt("BLOB record at byte " + std::to_string(offset) + ": " + what);
    };
    RecordView rec;
    TAPE_RETURN_IF_ERROR(ReadRecord(file, offset, &rec));
    if (rec.tag != kTagBlob) return fail("expected a BLOB record, found " + TagName(rec.tag));
    if (rec.body.size() < kBlobFixedSize) return fail("body shorter than its fixed fields");
    const uint8_t* b = rec.body.data();
    uint32_t raw = LoadU32(b + 24);
    uint8_t codec = b[28];
    if (LoadU64(b) != hash || LoadU64(b + 8) != size) {
      return fail("belongs to another payload than the one the chunk refers to");
    }
    if (LoadU64(b + 16) != got) return fail("is out of sequence within its payload");
    if (b[29] || b[30] || b[31]) return fail("reserved bytes are not zero");
    if (raw == 0 || raw > kMaxBlobFrame || raw > size - got) return fail("bad frame size " + std::to_string(raw));
    Bytes data = rec.body.subspan(kBlobFixedSize);
    if (codec == uint8_t(Codec::kRaw)) {
      if (data.size() != raw) return fail("raw frame size does not match its data");
      frame.assign(data.begin(), data.end());
    } else if (codec == uint8_t(Codec::kZstd)) {
      if (ZSTD_getFrameContentSize(data.data(), data.size()) != raw) {
        return fail("zstd frame does not declare the frame's size");
      }
      frame.resize(raw);
      size_t n = ZSTD_decompressDCtx(dctx, frame.data(), raw, data.data(), data.size());
      if (ZSTD_isError(n) || n != raw) return fail("zstd data is damaged");
    } else {
      return fail("unknown codec " + std::to_string(codec));
    }
    size_t keep = size_t(std::min<uint64_t>(raw, want - got));
    out->append(reinterpret_cast<const char*>(frame.data()), keep);
    got += raw;
    offset += rec.size();
  }
  if (want == size && XXH3_64bits(out->data(), out->size()) != hash) {
    return Status::Corrupt("spilled payload at byte " + std::to_string(first_offset) +
                           " does not match its checksum");
  }
  return Status::Ok();
}

}  // namespace tape::format
