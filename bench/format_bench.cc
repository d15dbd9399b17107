// Benchmarks of the trace format: the recorder's append, chunk encode and
// decode, and seeking to a random event of a large trace.
//
//   build/release/bench/format_bench --benchmark_min_time=0.2

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "format/chunk_builder.h"
#include "format/chunk_decoder.h"
#include "format/chunk_encoder.h"
#include "format/trace_reader.h"
#include "format/trace_writer.h"

namespace tape::format {
namespace {

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("tape-bench-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

TraceHeader BenchHeader() {
  TraceHeader h;
  h.recorder = "format_bench";
  h.program_name = "bench";
  return h;
}

// A clock-like stream: one site, 8-byte monotonic results.
void FillClock(ChunkBuilder* b, uint32_t n) {
  ChunkBuilder::Cursor c = b->Reset(0);
  int64_t t = 1700000000000000000;
  for (uint32_t i = 0; i < n; ++i) {
    t += 25 + (i * 7919) % 20;
    uint8_t r[8];
    StoreU64(r, uint64_t(t));
    c.Append(0x1234, 1, {}, {r, 8});
  }
}

// A payload-heavy stream: 64-byte writes and 8 random bytes, two sites.
void FillPayloads(ChunkBuilder* b, uint32_t n) {
  ChunkBuilder::Cursor c = b->Reset(0);
  std::mt19937_64 rng(1);
  std::string line(64, 'x');
  for (uint32_t i = 0; i < n && c.HasRoom(64, 8); ++i) {
    uint64_t r = rng();
    uint8_t rb[8];
    StoreU64(rb, r);
    if (i % 2) {
      c.Append(0x1, 3, AsBytes(line), {rb, 4});
    } else {
      uint8_t a[4] = {8, 0, 0, 0};
      c.Append(0x2, 2, {a, 4}, {rb, 8});
    }
  }
}

// range(0) == 0: the clock-like stream; otherwise the payload-heavy one.
void FillFor(int64_t payloads, ChunkBuilder* b) {
  if (payloads == 0) {
    FillClock(b, 65536);
  } else {
    FillPayloads(b, 65536);
  }
}

void BM_AppendClock(benchmark::State& state) {
  std::string path = TempPath("append-clock");
  auto writer = TraceWriter::Create(path, BenchHeader(), WriterOptions());
  int64_t t = 1700000000000000000;
  for (auto _ : state) {
    uint8_t r[8];
    StoreU64(r, uint64_t(t += 31));
    (*writer)->Append(0x1234, 1, {}, {r, 8});
  }
  (void)(*writer)->Finish(Outcome::Exited(0));
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes_per_event"] =
      double(std::filesystem::file_size(path)) / double(state.iterations());
  std::filesystem::remove(path);
}
BENCHMARK(BM_AppendClock);

void BM_AppendPayload(benchmark::State& state) {
  std::string path = TempPath("append-payload");
  auto writer = TraceWriter::Create(path, BenchHeader(), WriterOptions());
  std::string line(state.range(0), 'y');
  uint8_t ok[4] = {};
  for (auto _ : state) (*writer)->Append(0x99, 3, AsBytes(line), {ok, 4});
  (void)(*writer)->Finish(Outcome::Exited(0));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
  state.counters["bytes_per_event"] =
      double(std::filesystem::file_size(path)) / double(state.iterations());
  std::filesystem::remove(path);
}
BENCHMARK(BM_AppendPayload)->Arg(16)->Arg(256)->Arg(4096);

void BM_EncodeChunk(benchmark::State& state) {
  ChunkBuilder b(65536, 8u << 20);
  FillFor(state.range(0), &b);
  ChunkEncoder encoder(1);
  std::vector<uint8_t> record;
  uint64_t hash;
  for (auto _ : state) {
    encoder.Encode(b, 0, b.published(), 0, {}, &record, &hash);
    benchmark::DoNotOptimize(record.data());
  }
  state.SetItemsProcessed(state.iterations() * b.published());
  state.counters["record_bytes"] = double(record.size());
}
BENCHMARK(BM_EncodeChunk)->Arg(0)->ArgName("payloads");
BENCHMARK(BM_EncodeChunk)->Arg(1)->ArgName("payloads");

void BM_DecodeChunk(benchmark::State& state) {
  ChunkBuilder b(65536, 8u << 20);
  FillFor(state.range(0), &b);
  ChunkEncoder encoder(1);
  std::vector<uint8_t> record;
  uint64_t hash;
  encoder.Encode(b, 0, b.published(), 0, {}, &record, &hash);
  ChunkDecoder decoder;
  DecodedChunk chunk;
  unsigned parts = unsigned(state.range(1));
  Bytes body(record.data() + 16, record.size() - 16);
  for (auto _ : state) {
    Status s = decoder.Decode(body, 1000, parts, &chunk);
    if (!s.ok()) state.SkipWithError(s.message().c_str());
  }
  state.SetItemsProcessed(state.iterations() * b.published());
}
BENCHMARK(BM_DecodeChunk)->ArgsProduct({{0, 1}, {kDecodeAll, kDecodeKinds, kDecodeKinds | kDecodeSites}})
    ->ArgNames({"payloads", "parts"});

// Seek latency: open a trace of range(0) clock events and read one random
// event, decoding only its chunk, as `tape inspect --since N --limit 1` does.
void BM_SeekRandomEvent(benchmark::State& state) {
  std::string path = TempPath("seek-" + std::to_string(state.range(0)));
  {
    auto writer = TraceWriter::Create(path, BenchHeader(), WriterOptions());
    int64_t t = 1700000000000000000;
    for (int64_t i = 0; i < state.range(0); ++i) {
      uint8_t r[8];
      StoreU64(r, uint64_t(t += 31));
      (*writer)->Append(0x1234, 1, {}, {r, 8});
    }
    (void)(*writer)->Finish(Outcome::Exited(0));
  }
  std::mt19937_64 rng(7);
  ChunkDecoder decoder;
  DecodedChunk chunk;
  for (auto _ : state) {
    auto reader = TraceReader::Open(path);
    uint64_t seq = rng() % (*reader)->event_count();
    Status s = (*reader)->ReadChunk((*reader)->ChunkFor(seq), kDecodeAll, &decoder, &chunk);
    benchmark::DoNotOptimize(chunk.result(uint32_t(seq - chunk.first_seq())).data);
    if (!s.ok()) state.SkipWithError(s.message().c_str());
  }
  std::filesystem::remove(path);
}
BENCHMARK(BM_SeekRandomEvent)->Arg(1000000)->Arg(10000000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tape::format
