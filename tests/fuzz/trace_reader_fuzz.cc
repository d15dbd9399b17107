// libFuzzer target: any bytes, opened as a trace and read every way a tool
// does (open, iterate, seek across gaps, decode all parts, the replay cursor
// over both decodes, its lanes and its integer and payload runs, each within one lane;
// spilled payloads read, prefixed and verified by chain, content hashes,
// record checks). Must never crash, hang or allocate without bound.
//
//   make fuzz-smoke                       (a short run, part of `make test`)
//   build/fuzz/tests/fuzz/trace_reader_fuzz tests/fuzz/corpus/trace_reader -max_total_time=600

#include <cstddef>
#include <cstdint>
#include <string>

#include "format/blob.h"
#include "format/chunk_cursor.h"
#include "format/trace_reader.h"

using namespace tape::format;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto reader = TraceReader::OpenBytes(Bytes(data, size), "fuzz");
  if (!reader.has_value()) return 0;
  TraceReader& r = **reader;
  r.set_payload_budget({1 << 20, "the fuzzer's budget"});
  BlobVerifier blobs(r.file());
  ChunkDecoder decoder;
  DecodedChunk chunk;
  ChunkCursor cursor;
  std::string payload;
  for (size_t c = 0; c < r.chunks().size(); ++c) {
    for (unsigned parts : {unsigned(kDecodeKinds), unsigned(kDecodeSites | kDecodeSizes),
                           unsigned(kDecodeNewSites)}) {
      (void)r.ReadChunk(c, parts, &decoder, &chunk);
    }
    (void)r.ChunkContentHash(c, &decoder);
    (void)r.CheckChunk(c);
    // Replay's decode and walk: the cursor-only columns and integer runs.
    if (r.ReadChunk(c, kDecodeCursor, &decoder, &chunk).ok()) {
      (void)decoder.DecodedContentHash();
      cursor.Reset(&chunk);
      while (!cursor.at_end()) {
        (void)cursor.site();
        (void)cursor.lane();
        if (uint32_t left = cursor.IntRunLeft(); left > 0) {
          // A run stays in one lane (LANES, §7.7): replay serves it whole.
          for (uint32_t t = 1; t < left; ++t) {
            if (chunk.lane(cursor.index() + t) != cursor.lane()) __builtin_trap();
          }
          // Its values were decoded with the chunk: all of them readable.
          const int64_t* values = cursor.int_values();
          uint64_t sum = 0;
          for (uint32_t t = 0; t < left; ++t) sum += uint64_t(values[t]);
          if (sum == 42) __asm__ volatile("");
          cursor.SkipIntRun(left);
          continue;
        }
        if (uint32_t left = cursor.PayloadRunLeft(); left > 0) {
          // A payload run's args and results follow each other in their heaps.
          for (uint32_t t = 1; t < left; ++t) {
            if (chunk.lane(cursor.index() + t) != cursor.lane()) __builtin_trap();
          }
          uint64_t args = uint64_t(left) * cursor.args_size();
          uint64_t results = uint64_t(left) * cursor.result_size();
          uint8_t any = 0;
          for (uint64_t b = 0; b < args; ++b) any |= cursor.args()[b];
          for (uint64_t b = 0; b < results; ++b) any |= cursor.result()[b];
          if (any == 42) __asm__ volatile("");
          cursor.SkipPayloadRun(left);
          continue;
        }
        PayloadView a, res;
        cursor.Take(&a, &res);
      }
    }
    if (!r.ReadChunk(c, kDecodeAll, &decoder, &chunk).ok()) continue;
    cursor.Reset(&chunk);
    for (uint32_t i = 0; i < chunk.size(); ++i) {
      EventView e = chunk.event(i);
      (void)r.ReadPayload(e.args, 1 << 16, &payload);
      (void)r.ReadPayload(e.result, 1 << 16, &payload);
      (void)r.ReadWholePayload(e.result, &payload);
      if (e.result.spilled()) {
        (void)blobs.Check(e.result.blob_offset, e.result.size, e.result.spill_hash);
      }
      (void)r.SiteLocation(e.site);
      PayloadView a, res;
      (void)cursor.site();
      cursor.Take(&a, &res);
    }
  }
  if (r.event_count() > 0) {
    EventCursor seek(&r, kDecodeAll);
    (void)seek.Seek(r.event_count() / 2);
    (void)seek.Seek(r.event_count() - 1);
    for (const SeqRange& g : r.gaps()) {
      (void)r.ChunkFor(g.first);
      (void)r.MissingEvent(g.first);
      (void)seek.Seek(g.first);
    }
  }
  return 0;
}
