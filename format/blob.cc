#include "format/blob.h"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <fmt/core.h>
#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
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

namespace {

// One BLOB record of a chain, checked against the chain's claim (§8).
struct Piece {
  RecordView record;
  uint32_t raw = 0;  // decoded bytes
  uint8_t codec = 0;
  Bytes data;        // the stored bytes
};

// Reads the piece at `offset` that must continue a payload of `size` bytes
// hashing to `hash` at payload offset `got`.
Status ReadPiece(Bytes file, uint64_t offset, uint64_t size, uint64_t hash, uint64_t got,
                 Piece* out) {
  auto fail = [&](const std::string& what) {
    return Status::Corrupt(fmt::format("BLOB record at byte {}: {}", offset, what));
  };
  RecordView& rec = out->record;
  // The body's length is checked before the body is hashed: a piece never
  // needs more than kMaxBlobRecordBody bytes.
  TAPE_RETURN_IF_ERROR(ReadRecord(file, offset, &rec, kMaxBlobRecordBody));
  if (rec.tag != kTagBlob) return fail("expected a BLOB record, found " + TagName(rec.tag));
  if (rec.body.size() < kBlobFixedSize) return fail("body shorter than its fixed fields");
  const uint8_t* b = rec.body.data();
  out->raw = LoadU32(b + 24);
  out->codec = b[28];
  if (LoadU64(b) != hash || LoadU64(b + 8) != size) {
    return fail("belongs to another payload than the one the chunk refers to");
  }
  if (LoadU64(b + 16) != got) return fail("is out of sequence within its payload");
  if (b[29] || b[30] || b[31]) return fail("reserved bytes are not zero");
  if (out->raw == 0 || out->raw > kMaxBlobFrame || out->raw > size - got) {
    return fail(fmt::format("bad frame size {}", out->raw));
  }
  out->data = rec.body.subspan(kBlobFixedSize);
  if (out->codec == uint8_t(Codec::kRaw)) {
    if (out->data.size() != out->raw) return fail("raw frame size does not match its data");
  } else if (out->codec == uint8_t(Codec::kZstd)) {
    if (ZSTD_getFrameContentSize(out->data.data(), out->data.size()) != out->raw) {
      return fail("zstd frame does not declare the frame's size");
    }
  } else {
    return fail(fmt::format("unknown codec {}", out->codec));
  }
  return Status::Ok();
}

// Decodes the first `n` bytes of `piece` into `dst`. A zstd piece is
// decompressed only as far as needed.
Status DecodePiece(const Piece& piece, ZSTD_DCtx_s* dctx, uint8_t* dst, size_t n) {
  auto damaged = [&] {
    return Status::Corrupt(
        fmt::format("BLOB record at byte {}: zstd data is damaged", piece.record.offset));
  };
  if (piece.codec == uint8_t(Codec::kRaw)) {
    std::memcpy(dst, piece.data.data(), n);
    return Status::Ok();
  }
  if (n == piece.raw) {
    size_t got = ZSTD_decompressDCtx(dctx, dst, n, piece.data.data(), piece.data.size());
    if (ZSTD_isError(got) || got != n) return damaged();
    return Status::Ok();
  }
  ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
  ZSTD_inBuffer in{piece.data.data(), piece.data.size(), 0};
  ZSTD_outBuffer out{dst, n, 0};
  while (out.pos < n) {
    size_t in_before = in.pos, out_before = out.pos;
    size_t r = ZSTD_decompressStream(dctx, &out, &in);
    if (ZSTD_isError(r)) return damaged();
    if (r == 0 || (in.pos == in_before && out.pos == out_before)) break;
  }
  if (out.pos != n) return damaged();
  return Status::Ok();
}

}  // namespace

Status ReadBlobPayload(Bytes file, uint64_t first_offset, uint64_t size, uint64_t hash,
                       uint64_t max_bytes, ZSTD_DCtx_s* dctx, std::string* out) {
  out->clear();
  uint64_t want = std::min(size, max_bytes);
  out->reserve(size_t(want));  // bounded by the caller (see the header)
  uint64_t offset = first_offset;
  uint64_t got = 0;  // payload bytes covered by the records read so far
  Piece piece;
  while (got < want) {
    TAPE_RETURN_IF_ERROR(ReadPiece(file, offset, size, hash, got, &piece));
    size_t keep = size_t(std::min<uint64_t>(piece.raw, want - got));
    size_t at = out->size();
    out->resize(at + keep);
    auto* dst = reinterpret_cast<uint8_t*>(out->data() + at);
    TAPE_RETURN_IF_ERROR(DecodePiece(piece, dctx, dst, keep));
    got += piece.raw;
    offset += piece.record.size();
  }
  if (want == size && XXH3_64bits(out->data(), out->size()) != hash) {
    return Status::Corrupt(
        fmt::format("spilled payload at byte {} does not match its checksum", first_offset));
  }
  return Status::Ok();
}

Status WalkBlobChain(Bytes file, uint64_t first_offset, uint64_t size, uint64_t hash,
                     ZSTD_DCtx_s* dctx, const std::function<Status(const RecordView&)>& on_piece) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  std::vector<uint8_t> frame;
  uint64_t offset = first_offset;
  uint64_t got = 0;
  Piece piece;
  while (got < size) {
    TAPE_RETURN_IF_ERROR(ReadPiece(file, offset, size, hash, got, &piece));
    if (piece.codec == uint8_t(Codec::kRaw)) {
      XXH3_64bits_update(&state, piece.data.data(), piece.data.size());
    } else {
      frame.resize(piece.raw);
      TAPE_RETURN_IF_ERROR(DecodePiece(piece, dctx, frame.data(), piece.raw));
      XXH3_64bits_update(&state, frame.data(), frame.size());
    }
    if (on_piece) TAPE_RETURN_IF_ERROR(on_piece(piece.record));
    got += piece.raw;
    offset += piece.record.size();
  }
  if (XXH3_64bits_digest(&state) != hash) {
    return Status::Corrupt(
        fmt::format("spilled payload at byte {} does not match its checksum", first_offset));
  }
  return Status::Ok();
}

BlobVerifier::BlobVerifier(Bytes file) : file_(file), dctx_(ZSTD_createDCtx()) {}
BlobVerifier::~BlobVerifier() { ZSTD_freeDCtx(dctx_); }

Status BlobVerifier::Check(uint64_t first_offset, uint64_t size, uint64_t hash,
                           const std::function<Status(const RecordView&)>& on_piece,
                           bool* walked) {
  if (walked) *walked = false;
  auto [it, inserted] = chains_.try_emplace(first_offset);
  Chain& chain = it->second;
  if (inserted) {
    // The chain's own claim, from its first piece: a later reference with
    // another size or hash fails without reading the chain again.
    RecordView rec;
    chain.head = ReadRecord(file_, first_offset, &rec, kMaxBlobRecordBody);
    if (chain.head.ok() && rec.tag == kTagBlob && rec.body.size() >= kBlobFixedSize) {
      chain.hash = LoadU64(rec.body.data());
      chain.size = LoadU64(rec.body.data() + 8);
    } else if (chain.head.ok()) {
      Piece unused;  // not a BLOB record: ReadPiece names what it is
      chain.head = ReadPiece(file_, first_offset, size, hash, 0, &unused);
    }
  }
  if (!chain.head.ok()) return chain.head;
  if (chain.size != size || chain.hash != hash) {
    return Status::Corrupt(fmt::format(
        "BLOB record at byte {}: belongs to another payload than the one the chunk refers to",
        first_offset));
  }
  if (!chain.walked) {
    chain.status = WalkBlobChain(file_, first_offset, size, hash, dctx_, on_piece);
    chain.walked = true;
    if (walked) *walked = true;
  }
  return chain.status;
}

}  // namespace tape::format
