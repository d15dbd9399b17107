// perf_workloads: the fixed workloads `make perf-check` counts instructions
// of (bench/perf_check.py runs each under callgrind and divides the
// inclusive cost of the functions named below by the number of events).
//
//   perf_workloads record  clock|random|write|script N OUT
//   perf_workloads copy    IN OUT
//   perf_workloads replay  clock|random|write|script N TRACE
//
// record    records N calls; the recording thread's work is RecordedLoop
//           (or the script's tape::lang::Script::Run).
// copy      rewrites a recorded trace with deterministic results and event
//           times (clock readings and random bytes from a fixed generator),
//           so that what is encoded and decoded does not depend on the
//           machine or on how slowly callgrind ran the recording; the
//           encoder thread's work is TraceWriter::EncoderLoop.
// replay    replays such a copy; the replaying thread's work is
//           ReplayedLoop (or Script::Run), the read-ahead thread's
//           ChunkStream::DecodeLoop.
//
// Chunks are sealed when full only (flush_ms is an hour), so that chunk
// boundaries, and what each chunk costs, do not depend on timing either;
// the recording's event clock is frozen, so that no event finds its ticker
// asleep.

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "format/chunk_decoder.h"
#include "format/trace_reader.h"
#include "format/trace_writer.h"
#include "tape/session.h"
#include "tools/program_loader.h"

namespace {

using tape::Runtime;

constexpr const char* kScriptVariable = "TAPE_PERF_VALUE";
constexpr uint64_t kWarmUpEvents = 4096;

// The measured loops: out of line and named, so that callgrind's inclusive
// cost of each is exactly the program thread's work for the N calls.
[[gnu::noinline]] int64_t RecordedLoop(Runtime& rt, const std::string& effect, int64_t n) {
  int64_t sink = 0;
  if (effect == "clock") {
    for (int64_t i = 0; i < n; ++i) sink ^= rt.ClockNow();
  } else if (effect == "random") {
    for (int64_t i = 0; i < n; ++i) sink += int64_t(rt.RandomBits(8)[3]);
  } else {
    for (int64_t i = 0; i < n; ++i) sink += rt.IoWrite("tick\n");
  }
  return sink;
}

// The same loop (the same sites: one source line each) under another name.
[[gnu::noinline]] int64_t ReplayedLoop(Runtime& rt, const std::string& effect, int64_t n) {
  return RecordedLoop(rt, effect, n);
}

// Calls before the measured ones, not counted: the event clock's ticker,
// asleep while the recording started, is awake by the time the measured
// loop runs (until it is, each event reads the clock itself).
[[gnu::noinline]] int64_t WarmUp(Runtime& rt, const std::string& effect) {
  int64_t sink = 0;
  for (uint64_t i = 0; i < kWarmUpEvents; ++i) sink += effect == "clock" ? rt.ClockNow() : rt.IoWrite("warm\n");
  return sink;
}

// Beside the trace: the recording and the replay must use the same name.
std::string ScriptPath(const std::string& trace_path) {
  size_t slash = trace_path.rfind('/');
  return (slash == std::string::npos ? "" : trace_path.substr(0, slash + 1)) + "perf_loop.tape";
}

tape::Result<tape::Program> MakeProgram(const std::string& effect, int64_t n, bool replay,
                                        const std::string& trace_path) {
  if (effect == "script") {
    // env.get in a loop: the interpreter's cost per recorded effect call.
    // (No warm-up: at over a thousand instructions per call, the calls that
    // find the event clock's ticker asleep add well under 1 %.)
    std::string path = ScriptPath(trace_path);
    std::ofstream(path) << "for i in 0.." << n << " { env.get(\"" << kScriptVariable << "\"); }\n";
    setenv(kScriptVariable, "a value of some length", 1);
    tape::Result<tape::Program> p = tape::cli::LoadScript(path);
    std::remove(path.c_str());
    return p;
  }
  if (effect != "clock" && effect != "random" && effect != "write") {
    return tape::Status::InvalidArgument("unknown effect " + effect);
  }
  tape::Program p;
  p.kind = tape::ProgramKind::kEmbedded;
  p.name = "perf-" + effect;
  p.main = [effect, n, replay](Runtime& rt) {
    int64_t sink = WarmUp(rt, effect);
    sink += replay ? ReplayedLoop(rt, effect, n) : RecordedLoop(rt, effect, n);
    return sink == 42 ? 1 : 0;
  };
  return p;
}

int DevNull() { return ::open("/dev/null", O_WRONLY | O_CLOEXEC); }

int Record(const std::string& effect, int64_t n, const std::string& out) {
  tape::Result<tape::Program> p = MakeProgram(effect, n, false, out);
  if (!p.has_value()) {
    std::fprintf(stderr, "perf_workloads: %s\n", p.error().message().c_str());
    return 2;
  }
  tape::RecordOptions o;
  o.trace_path = out;
  o.stdout_fd = DevNull();
  o.flush_ms = 3600 * 1000;
  // A frozen event clock has no ticker: every event takes the recorder's
  // common path. With a ticker, how many events find it asleep and read the
  // clock themselves depends on when callgrind lets it run (5-10 % of the
  // count from run to run).
  o.frozen_time_ns = 1764000000000000000;
  tape::RunReport r = tape::Record(*p, o);
  if (r.status != tape::RunReport::Status::kOk) {
    std::fprintf(stderr, "perf_workloads: record: %s\n", r.error.c_str());
    return 1;
  }
  return 0;
}

int Replay(const std::string& effect, int64_t n, const std::string& trace) {
  tape::Result<tape::Program> p = MakeProgram(effect, n, true, trace);
  if (!p.has_value()) {
    std::fprintf(stderr, "perf_workloads: %s\n", p.error().message().c_str());
    return 2;
  }
  tape::ReplayOptions o;
  o.trace_path = trace;
  o.stdout_fd = DevNull();
  tape::RunReport r = tape::Replay(*p, o);
  uint64_t events = uint64_t(n) + (effect == "script" ? 0 : kWarmUpEvents);
  if (r.status != tape::RunReport::Status::kOk || r.events != events) {
    std::fprintf(stderr, "perf_workloads: replay: %s%s (%llu events)\n", r.error.c_str(),
                 r.drift ? r.drift->Describe().c_str() : "", (unsigned long long)r.events);
    return 1;
  }
  return 0;
}

// A clock reading and the event times of a program that reads the clock
// every 30-45 ns, with the event clock's ticks every 100 us.
int Copy(const std::string& in, const std::string& out) {
  using namespace tape::format;
  auto reader = TraceReader::Open(in);
  if (!reader.has_value()) {
    std::fprintf(stderr, "perf_workloads: %s\n", reader.error().message().c_str());
    return 1;
  }
  const TraceReader& r = **reader;
  WriterOptions wo;
  wo.flush_ms = 3600 * 1000;
  auto writer = TraceWriter::Create(out, r.header(), wo);
  if (!writer.has_value()) {
    std::fprintf(stderr, "perf_workloads: %s\n", writer.error().message().c_str());
    return 1;
  }
  TraceWriter& w = **writer;
  for (const auto& [id, text] : r.sites()) w.DefineSite(id, text);
  uint64_t x = 88172645463325252ull;  // xorshift64
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  const int64_t start = 1764000000000000000;
  int64_t reading = start, time = start;
  ChunkDecoder decoder;
  DecodedChunk chunk;
  std::string result;
  for (size_t c = 0; c < r.chunks().size(); ++c) {
    tape::Status s = r.ReadChunk(c, kDecodeAll, &decoder, &chunk);
    if (!s.ok()) {
      std::fprintf(stderr, "perf_workloads: %s\n", s.message().c_str());
      return 1;
    }
    for (uint32_t i = 0; i < chunk.size(); ++i) {
      PayloadView a = chunk.args(i), res = chunk.result(i);
      result.assign(reinterpret_cast<const char*>(res.data), res.size);
      uint64_t v = next();
      if (chunk.kind(i) == 1 && result.size() == 8) {  // clock.now
        reading += 30 + int64_t(v % 16);
        StoreU64(reinterpret_cast<uint8_t*>(result.data()), uint64_t(reading));
      } else if (chunk.kind(i) == 2) {  // random.bits
        for (char& b : result) b = char(next() >> 56);
      }
      time = start + int64_t(chunk.first_seq() + i) / 2048 * 100000;
      w.AppendTimed(chunk.site(i), chunk.kind(i), a.bytes(), AsBytes(result), time, 0);
    }
  }
  tape::Status s = w.Finish(r.outcome(), r.program_steps());
  if (!s.ok()) {
    std::fprintf(stderr, "perf_workloads: %s\n", s.message().c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string verb = argc > 1 ? argv[1] : "";
  if (verb == "record" && argc == 5) return Record(argv[2], std::atoll(argv[3]), argv[4]);
  if (verb == "replay" && argc == 5) return Replay(argv[2], std::atoll(argv[3]), argv[4]);
  if (verb == "copy" && argc == 4) return Copy(argv[2], argv[3]);
  std::fprintf(stderr,
               "usage: perf_workloads record clock|random|write|script N OUT\n"
               "       perf_workloads copy IN OUT\n"
               "       perf_workloads replay clock|random|write|script N TRACE\n");
  return 2;
}
