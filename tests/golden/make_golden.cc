// Writes the golden traces of tests/golden/. Run by hand, and only when the
// format changes on purpose (then bump the format version and say so in
// specs/trace-format.md):
//   build/release/tests/make_golden tests/golden
// golden_test.cc checks what each file must read as.

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "format/records.h"
#include "format/trace_reader.h"
#include "format/trace_writer.h"

using namespace tape::format;

namespace {

std::string dir;

TraceHeader Header(const std::string& name) {
  TraceHeader h;
  h.created_unix_ns = 1764000000000000000;  // fixed, so files are reproducible
  h.recorder = "tape golden";
  h.program_kind = ProgramKind::kBuiltin;
  h.program_name = name;
  h.code_hash = std::string("\x01\x23\x45\x67\x89\xab\xcd\xef", 8);
  return h;
}

std::string Path(const std::string& name) { return dir + "/" + name; }

std::string Read(const std::string& name) {
  std::ifstream in(Path(name), std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void Write(const std::string& name, const std::string& bytes) {
  std::ofstream(Path(name), std::ios::binary | std::ios::trunc) << bytes;
}

// The traces of format 1.0 and 1.1 keep the varint columns (INT_RESULTS):
// written so again, they still cover the older coding.
WriterOptions Older() {
  WriterOptions o;
  o.packed_columns = false;
  return o;
}

// 40 events in chunks of 5: clock readings (integer-coded), writes, env,
// random bytes, and one 3000-byte fs.read result spilled to BLOB records.
void SmallChunks() {
  WriterOptions o = Older();
  o.chunk_max_events = 5;
  o.chunk_max_payload = 4096;
  o.spill_threshold = 1024;
  auto w = TraceWriter::Create(Path("small-chunks.trace"), Header("golden"), o);
  int64_t t = 1764000000000000000;
  for (int i = 0; i < 40; ++i) {
    uint64_t site = 0x1000 + i % 4;
    (*w)->DefineSite(site, "golden.cc:" + std::to_string(10 + i % 4) + ":5");
    uint8_t buf[8];
    switch (i % 4) {
      case 0:
        t += 1000 + i;
        StoreU64(buf, uint64_t(t));
        (*w)->Append(site, 1, {}, {buf, 8});
        break;
      case 1: {
        std::string line = "line " + std::to_string(i) + "\n";
        StoreU32(buf, 0);
        (*w)->Append(site, 3, AsBytes(line), {buf, 4});
        break;
      }
      case 2: {
        std::string value = std::string("\x01", 1) + "golden";
        (*w)->Append(site, 6, AsBytes(std::string("NAME")), AsBytes(value));
        break;
      }
      case 3: {
        StoreU32(buf, 8);
        uint8_t random[8] = {uint8_t(i), 0x9e, 0x37, 0x79, 0xb9, 0x7f, 0x4a, 0x7c};
        (*w)->Append(site, 2, {buf, 4}, {random, 8});
        break;
      }
    }
    if (i == 21) {
      std::string contents(4, '\0');
      for (int k = 0; k < 3000; ++k) contents.push_back(char('a' + k % 26));
      (*w)->DefineSite(0x2000, "golden.cc:30:9");
      (*w)->Append(0x2000, 4, AsBytes(std::string("big.txt")), AsBytes(contents));
    }
  }
  (void)(*w)->Finish(Outcome::Exited(3));
}

// The worked example of specs/trace-format.md §14.
void SpecExample() {
  WriterOptions o = Older();
  auto w = TraceWriter::Create(Path("spec-example.trace"), Header("example"), o);
  uint8_t r[8];
  StoreU64(r, 1700000000000000123ull);
  // No DefineSite: the example's chunk has exactly the six sections of §14.
  (*w)->Append(0x1111111111111111ull, 1, {}, {r, 8});
  (void)(*w)->Finish(Outcome::Exited(0));
}

void Empty() {
  auto w = TraceWriter::Create(Path("empty.trace"), Header("empty"), Older());
  (void)(*w)->Finish(Outcome::Exited(0));
}

// Format 1.2: 300 events in chunks of 130 (a full block, a partial one),
// their integer-coded results and times as packed integers (§7.9): clock
// readings 30 to 45 ns apart at one site, with a jump of 1 ms every 50;
// a countdown of user kind 129 (two integer-coded kinds, each with its
// anchor; its deltas are negative);
// an io.write every 10th event; times 1 us apart with a 2 ms step every 64,
// and a duration of 5000 ns on every 7th event.
void PackedColumns() {
  WriterOptions o;
  o.chunk_max_events = 130;
  auto w = TraceWriter::Create(Path("packed-columns.trace"), Header("packed"), o);
  (*w)->DefineKind(129, "countdown");
  (*w)->DefineSite(0x3000, "packed.cc:10:5");
  (*w)->DefineSite(0x3001, "packed.cc:11:5");
  (*w)->DefineSite(0x3002, "packed.cc:12:5");
  int64_t reading = 1764000000000000000, countdown = 1000, time = 1764000000000000000;
  for (int i = 0; i < 300; ++i) {
    uint8_t buf[8];
    time += 1000 + (i % 64 == 63 ? 2000000 : 0);
    uint64_t duration = i % 7 == 0 ? 5000 : 0;
    if (i % 10 == 9) {
      StoreU32(buf, 0);
      (*w)->AppendTimed(0x3002, 3, AsBytes(std::string("tick\n")), {buf, 4}, time, duration);
    } else if (i % 10 == 8) {
      // A user effect's result is a tag byte 0 and the value (§13.4): as an
      // integer, the count shifted up a byte.
      countdown -= i % 3;
      StoreU64(buf, uint64_t(countdown) << 8);
      (*w)->AppendTimed(0x3001, 129, {}, {buf, 8}, time, duration);
    } else {
      reading += 30 + (i * 7) % 16 + (i % 50 == 49 ? 1000000 : 0);
      StoreU64(buf, uint64_t(reading));
      (*w)->AppendTimed(0x3000, 1, {}, {buf, 8}, time, duration);
    }
  }
  (void)(*w)->Finish(Outcome::Exited(0));
}

void Damaged() {
  std::string good = Read("small-chunks.trace");
  auto reader = TraceReader::OpenBytes(AsBytes(good));
  const auto& chunks = (*reader)->chunks();
  // Interrupted: everything after chunk 3 is gone (no footer).
  Write("interrupted.trace", good.substr(0, chunks[3].file_offset + chunks[3].record_size));
  // Torn tail: cut in the middle of chunk 5.
  Write("torn-tail.trace", good.substr(0, chunks[5].file_offset + chunks[5].record_size / 2));
  // One flipped byte inside chunk 2 of a finalized trace.
  std::string flipped = good;
  flipped[chunks[2].file_offset + 30] ^= 0x10;
  Write("bad-chunk.trace", flipped);
  // One flipped byte in the footer: the reader scans instead.
  std::string footer = good;
  footer[good.size() - 16 - 20] ^= 0x01;
  Write("bad-footer.trace", footer);
  // A future major version.
  std::string future = good;
  future[8] = 2;
  Write("future-version.trace", future);
  Write("not-a-trace.txt", "# notes\nthis file is not a trace\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_golden DIR\n");
    return 2;
  }
  dir = argv[1];
  SmallChunks();
  SpecExample();
  Empty();
  PackedColumns();
  Damaged();
  std::printf("golden traces written to %s\n", dir.c_str());
  return 0;
}
