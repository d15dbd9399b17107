// make_trace: writes a large synthetic trace for the tool benchmarks (the
// `tape inspect / stats / diff` rows of the README's performance table).
//   make_trace OUT EVENTS [last|three]
// EVENTS clock readings from one site, deterministic (so two traces written
// with the same EVENTS are identical); with `last`, the final reading differs;
// with `three`, the trace differs in three places (for `tape diff --all`):
// the reading at EVENTS/4 differs, an io.write from another site comes
// before the reading at EVENTS/2, and the reading at 3*EVENTS/4 is left out
// (so the trace still holds EVENTS events, aligned again after the third).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "format/trace_writer.h"

using namespace tape::format;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: make_trace OUT EVENTS [last|three]\n");
    return 2;
  }
  uint64_t n = std::strtoull(argv[2], nullptr, 10);
  std::string mode = argc > 3 ? argv[3] : "";
  bool change_last = mode == "last", three = mode == "three";
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
  (*w)->DefineSite(0x3717e, "bench/make_trace.cc:50:1");
  uint64_t t = 1764000000000000000ull, x = 88172645463325252ull;
  for (uint64_t i = 0; i < n; ++i) {
    x ^= x << 13;  // xorshift: deterministic jitter like a real clock's
    x ^= x >> 7;
    x ^= x << 17;
    t += 25 + x % 16;
    uint8_t r[8];
    bool changed = (change_last && i + 1 == n) || (three && i == n / 4);
    StoreU64(r, changed ? t + 1 : t);
    if (three && i == n / 2) {
      static const uint8_t kText[] = {'e', 'x', 't', 'r', 'a', '\n'}, kOk[] = {0, 0, 0, 0};
      (*w)->Append(0x3717e, 3, {kText, sizeof kText}, {kOk, sizeof kOk});
    }
    if (three && i == 3 * n / 4) continue;
    (*w)->Append(0xc10c, 1, {}, {r, 8});
  }
  tape::Status s = (*w)->Finish(Outcome::Exited(0));
  if (!s.ok()) {
    std::fprintf(stderr, "make_trace: %s\n", s.message().c_str());
    return 1;
  }
  return 0;
}
