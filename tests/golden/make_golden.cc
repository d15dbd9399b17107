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

// 40 events in chunks of 5: clock readings (integer-coded), writes, env,
// random bytes, and one 3000-byte fs.read result spilled to BLOB records.
void SmallChunks() {
  WriterOptions o;
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
  WriterOptions o;
  auto w = TraceWriter::Create(Path("spec-example.trace"), Header("example"), o);
  uint8_t r[8];
  StoreU64(r, 1700000000000000123ull);
  // No DefineSite: the example's chunk has exactly the six sections of §14.
  (*w)->Append(0x1111111111111111ull, 1, {}, {r, 8});
  (void)(*w)->Finish(Outcome::Exited(0));
}

void Empty() {
  auto w = TraceWriter::Create(Path("empty.trace"), Header("empty"), WriterOptions());
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
  Damaged();
  std::printf("golden traces written to %s\n", dir.c_str());
  return 0;
}
