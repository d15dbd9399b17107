// make_trace: writes a large synthetic trace for the tool benchmarks (the
// `tape inspect / stats / diff` rows of the README's performance table).
//   make_trace OUT EVENTS [last]
// EVENTS clock readings from one site, deterministic (so two traces written
// with the same EVENTS are identical); with `last`, the final reading differs.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "format/trace_writer.h"

using namespace tape::format;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: make_trace OUT EVENTS [last]\n");
    return 2;
  }
  uint64_t n = std::strtoull(argv[2], nullptr, 10);
  bool change_last = argc > 3 && std::string(argv[3]) == "last";
  TraceHeader h;
  h.recorder = "make_trace";
  h.program_kind = ProgramKind::kEmbedded;
  h.program_name = "tape-bench-clock";
  auto w = TraceWriter::Create(argv[1], h, WriterOptions());
  if (!w.has_value()) {
    std::fprintf(stderr, "make_trace: %s\n", w.error().message().c_str());
    return 1;
  }
  (*w)->DefineSite(0xc10c, "bench/make_trace.cc:40:1");
  uint64_t t = 1764000000000000000ull, x = 88172645463325252ull;
  for (uint64_t i = 0; i < n; ++i) {
    x ^= x << 13;  // xorshift: deterministic jitter like a real clock's
    x ^= x >> 7;
    x ^= x << 17;
    t += 25 + x % 16;
    uint8_t r[8];
    StoreU64(r, (change_last && i + 1 == n) ? t + 1 : t);
    (*w)->Append(0xc10c, 1, {}, {r, 8});
  }
  tape::Status s = (*w)->Finish(Outcome::Exited(0));
  if (!s.ok()) {
    std::fprintf(stderr, "make_trace: %s\n", s.message().c_str());
    return 1;
  }
  return 0;
}
