// make_trace: writes a large synthetic trace for the tool benchmarks (the
// `tape inspect / stats / diff / export` rows of the README's performance
// table).
//   make_trace OUT EVENTS [last|three|text]
// Deterministic (two traces written with the same arguments are identical),
// with event times spread evenly over one hour from 2025-11-24T16:00:00Z.
//   (default) EVENTS clock readings from one site; with `last`, the final
//             reading differs.
//   three     differs from the default in three places (for `tape diff
//             --all`): the reading at EVENTS/4 differs, an io.write from
//             another site comes before the reading at EVENTS/2, and the
//             reading at 3*EVENTS/4 is left out (so the trace still holds
//             EVENTS events, aligned again after the third).
//   text      a service's log: per request a clock reading and an io.write of
//             a log line (about 60 bytes of text); one line in the middle says
//             "ERROR: upstream timed out" (what --grep benchmarks look for).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "format/trace_writer.h"

using namespace tape::format;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: make_trace OUT EVENTS [last|three|text]\n");
    return 2;
  }
  uint64_t n = std::strtoull(argv[2], nullptr, 10);
  std::string mode = argc > 3 ? argv[3] : "";
  bool change_last = mode == "last", three = mode == "three";
  bool text = mode == "text";
  TraceHeader h;
  h.recorder = "make_trace";
  h.program_kind = ProgramKind::kEmbedded;
  h.program_name = text ? "tape-bench-service" : "tape-bench-clock";
  const int64_t start = 1764000000000000000;  // 2025-11-24T16:00:00Z
  const int64_t hour = 3600000000000;
  h.created_unix_ns = uint64_t(start);
  auto w = TraceWriter::Create(argv[1], h, WriterOptions());
  if (!w.has_value()) {
    std::fprintf(stderr, "make_trace: %s\n", w.error().message().c_str());
    return 1;
  }
  (*w)->DefineSite(0xc10c, "bench/make_trace.cc:40:1");
  (*w)->DefineSite(0x1062, "bench/make_trace.cc:50:1");
  uint64_t t = 1764000000000000000ull, x = 88172645463325252ull;
  std::string line;
  uint8_t ok[4] = {0, 0, 0, 0};
  for (uint64_t i = 0; i < n; ++i) {
    x ^= x << 13;  // xorshift: deterministic jitter like a real clock's
    x ^= x >> 7;
    x ^= x << 17;
    t += 25 + x % 16;
    int64_t when = start + int64_t((__int128(hour) * i) / (n ? n : 1));
    if (text && i % 2 == 1) {
      uint64_t request = i / 2;
      if (request == n / 4) {
        line = "ERROR: upstream timed out after 30000 ms (request " + std::to_string(request) + ")\n";
      } else {
        line = "GET /api/items/" + std::to_string(x % 100000) + " 200 " +
               std::to_string(x % 997) + "us user=" + std::to_string(x % 5000) + " req=" +
               std::to_string(request) + "\n";
      }
      (*w)->AppendTimed(0x1062, 3, AsBytes(line), {ok, 4}, when, 0);
      continue;
    }
    uint8_t r[8];
    bool changed = (change_last && i + 1 == n) || (three && i == n / 4);
    StoreU64(r, changed ? t + 1 : t);
    if (three && i == n / 2) {
      static const uint8_t kText[] = {'e', 'x', 't', 'r', 'a', '\n'};
      (*w)->AppendTimed(0x1062, 3, {kText, sizeof kText}, {ok, 4}, when, 0);
    }
    if (three && i == 3 * n / 4) continue;
    (*w)->AppendTimed(0xc10c, 1, {}, {r, 8}, when, 0);
  }
  tape::Status s = (*w)->Finish(Outcome::Exited(0));
  if (!s.ok()) {
    std::fprintf(stderr, "make_trace: %s\n", s.message().c_str());
    return 1;
  }
  return 0;
}
