// Writes hostile and damaged traces for the tests: the small ones committed
// in tests/golden/ (see README.md there), and bombs too large to commit,
// which the CLI tests generate when they run.
//
//   make_hostile goldens DIR               from DIR/small-chunks.trace: bad-chunk-0,
//                                          two-chunks, gaps and escapes .trace
//   make_hostile blob-bomb SOURCE OUT GIB  SOURCE's events, the first fs.read's result
//                                          replaced by GIB GiB of zeros: 16 MiB zstd
//                                          pieces of about 600 bytes each
//   make_hostile chain-bomb OUT EVENTS MIB EVENTS fs.read events whose results are all
//                                          the same MIB MiB BLOB chain
//   make_hostile site-bomb OUT CHUNKS [tiny]
//                                          a trace without a footer whose CHUNKS
//                                          chunks each define 16 MiB of new sites
//                                          (4 KB locations; `tiny`: empty ones)
//   make_hostile damage IN OUT CHUNK       IN with one byte flipped inside chunk CHUNK
//   make_hostile bad-kinds OUT             events of reserved kinds (0, 100, 127), an
//                                          unnamed user kind (200), and payloads without
//                                          their kind's layout (clock.now of 3 bytes,
//                                          random.bits(4) returning 2 bytes, env.get
//                                          marked unset with a value)
//   make_hostile bad-lanes OUT             threads' events breaking the lane rules: a
//                                          lane before its start, an event after a lane's
//                                          end, lanes started out of order, lane 0 ending
//
// Every record's checksum is valid: the damage is in what the records say.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "format/layout.h"
#include "format/records.h"
#include "format/recovery_writer.h"
#include "format/trace_reader.h"
#include "format/trace_writer.h"
#include "tests/format/raw_trace.h"

using namespace tape::format;
using tape::Status;
using tape::format::testing::RawTrace;

namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "make_hostile: %s\n", what.c_str());
  std::exit(1);
}

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void Write(const std::string& path, const void* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(data), std::streamsize(size));
  if (!out) Die("cannot write " + path);
}

std::unique_ptr<TraceReader> Open(const std::string& path) {
  auto r = TraceReader::Open(path);
  if (!r.has_value()) Die(r.error().message());
  return std::move(r).value();
}

TraceHeader BombHeader(const std::string& name) {
  TraceHeader h;
  h.created_unix_ns = 1764000000000000000;
  h.recorder = "make_hostile";
  h.program_kind = ProgramKind::kBuiltin;
  h.program_name = name;
  return h;
}

int BlobBomb(const std::string& source, const std::string& out, uint64_t gib) {
  auto r = Open(source);
  RawTrace t(r->header());
  EventCursor cursor(r.get(), kDecodeAll);
  bool replaced = false;
  Status s = cursor.Seek(0);
  for (; s.ok() && !cursor.at_end(); s = cursor.Next()) {
    EventView e = cursor.event();
    std::string args, result;
    if (!r->ReadWholePayload(e.args, &args).ok() || !r->ReadWholePayload(e.result, &result).ok()) {
      Die("cannot read " + source);
    }
    if (!r->SiteLocation(e.site).empty()) t.Define(e.site, r->SiteLocation(e.site));
    if (e.kind == 4 && !replaced) {  // fs.read
      uint8_t entry[kBuilderSpillEntry];
      t.AppendZeroChain(gib * 64, entry);
      t.Append(e.site, e.kind, AsBytes(args), {entry, kBuilderSpillEntry}, kResultSpilled);
      replaced = true;
    } else {
      t.Append(e.site, e.kind, AsBytes(args), AsBytes(result));
    }
  }
  if (!s.ok()) Die(s.message());
  if (!replaced) Die(source + " has no fs.read event");
  t.Finish(r->outcome(), r->finished_unix_ns());
  Write(out, t.bytes().data(), t.bytes().size());
  return 0;
}

int ChainBomb(const std::string& out, uint64_t events, uint64_t mib) {
  if (mib == 0 || mib % 16 != 0) Die("MIB must be a multiple of 16");
  RawTrace t(BombHeader("chain-bomb"));
  uint8_t entry[kBuilderSpillEntry];
  t.AppendZeroChain(mib / 16, entry);
  t.Define(0x5e5e, "bomb.cc:1:1");
  const std::string path = "big.bin";
  for (uint64_t i = 0; i < events; ++i) {
    t.Append(0x5e5e, 4, AsBytes(path), {entry, kBuilderSpillEntry}, kResultSpilled);
  }
  t.Finish(Outcome::Exited(0), 1764000001000000000);
  Write(out, t.bytes().data(), t.bytes().size());
  return 0;
}

int SiteBomb(const std::string& out, uint64_t chunks, bool tiny) {
  RawTrace t(BombHeader("site-bomb"));
  std::string location = tiny ? "" : std::string(4000, 'x');
  size_t entry_bytes = 8 + VarintSize(location.size()) + location.size();
  size_t per_chunk = kMaxNewSitesBytes / entry_bytes;
  uint8_t clock[8] = {};
  uint64_t id = 1;
  for (uint64_t c = 0; c < chunks; ++c) {
    for (size_t k = 0; k < per_chunk; ++k) t.Define(id++, location);
    t.Append(1, 1, {}, {clock, 8});
    t.Seal();
  }
  // No footer: readers must scan, and build the site table from NEW_SITES.
  Write(out, t.bytes().data(), t.bytes().size());
  return 0;
}

int Damage(const std::string& in, const std::string& out, size_t chunk) {
  auto r = Open(in);
  if (chunk >= r->chunks().size()) Die(in + " has no chunk " + std::to_string(chunk));
  std::string bytes = Read(in);
  bytes[r->chunks()[chunk].file_offset + 30] ^= 0x10;
  Write(out, bytes.data(), bytes.size());
  return 0;
}

int Goldens(const std::string& dir) {
  std::string small = dir + "/small-chunks.trace";
  auto r = Open(small);
  std::string good = Read(small);
  const auto& chunks = r->chunks();

  // One flipped byte in chunk 0 of a finalized trace.
  Damage(small, dir + "/bad-chunk-0.trace", 0);
  // Chunks 0 and 1 only, no footer: what diff compares bad-chunk.trace with.
  Write(dir + "/two-chunks.trace", good.data(), chunks[1].file_offset + chunks[1].record_size);

  // A recovered trace with a leading, a middle and a trailing gap.
  {
    auto w = RecoveryWriter::Create(dir + "/gaps.trace", *r);
    if (!w.has_value()) Die(w.error().message());
    ChunkDecoder decoder;
    DecodedChunk chunk;
    for (size_t c = 0; c < chunks.size(); ++c) {
      if (c == 0 || c == 5 || c == chunks.size() - 1) continue;
      if (!r->ReadChunk(c, kDecodeAll, &decoder, &chunk).ok()) Die("cannot read " + small);
      for (uint32_t i = 0; i < chunk.size(); ++i) {
        EventView e = chunk.event(i);
        (*w)->DefineSite(e.site, r->SiteLocation(e.site));
        Status s = (*w)->Append(e);
        if (!s.ok()) Die(s.message());
      }
    }
    Status s = (*w)->Finish(r->outcome(), r->event_count(), r->finished_unix_ns());
    if (!s.ok()) Die(s.message());
  }

  // Text meant for a terminal: escape sequences, a carriage return, C1
  // controls (raw and UTF-8), bytes that are not UTF-8, a bidi override.
  {
    TraceHeader h = BombHeader("evil\x1b]0;pwned\x07name");
    h.recorder = "tape \x1b[31mred\x1b[0m";
    WriterOptions o;
    auto w = TraceWriter::Create(dir + "/escapes.trace", h, o);
    if (!w.has_value()) Die(w.error().message());
    (*w)->DefineSite(0xe5c, "src/\r\x1b[2Kfake.cc:1:1\xc2\x9b\xff\xe2\x80\xae");
    std::string text =
        "hi \x9b"
        "31m \xc2\x9b"
        "2J \xe2\x80\xae"
        "txt";
    uint8_t ok[4] = {};
    (*w)->Append(0xe5c, 3, AsBytes(text), {ok, 4});
    Status s = (*w)->Finish({OutcomeKind::kException, 0, "boom\x1b[2J\r\x1b[1Aall good"});
    if (!s.ok()) Die(s.message());
  }
  std::printf("hostile goldens written to %s\n", dir.c_str());
  return 0;
}

uint64_t Number(const char* text) {
  char* end;
  uint64_t v = std::strtoull(text, &end, 10);
  if (*end) Die(std::string("not a number: ") + text);
  return v;
}

}  // namespace

int BadKinds(const std::string& out) {
  auto w = TraceWriter::Create(out, TraceHeader{}, WriterOptions());
  if (!w.has_value()) Die(w.error().message());
  TraceWriter& t = **w;
  t.DefineSite(7, "bad.cc:1:1");
  auto bytes = [](const std::string& s) { return AsBytes(s); };
  std::string four("\x04\0\0\0", 4), two("ab"), three("abc"), unset_with_value("\0x", 2);
  t.Append(7, 0, {}, {});                                  // seq 0: reserved kind 0
  t.Append(7, 100, {}, {});                                // seq 1: reserved kind 100
  t.Append(7, 127, {}, {});                                // seq 2: reserved kind 127
  t.Append(7, 200, {}, bytes(std::string(1, '\0')));      // seq 3: user kind without a name
  t.Append(7, 1, {}, bytes(three));                        // seq 4: clock.now of 3 bytes
  t.Append(7, 2, bytes(four), bytes(two));                 // seq 5: random.bits(4) -> 2 bytes
  t.Append(7, 6, bytes("NAME"), bytes(unset_with_value));  // seq 6: unset env.get with a value
  t.Append(7, 1, {}, bytes(std::string(8, '\1')));        // seq 7: a sound clock.now
  Status s = t.Finish(Outcome::Exited(0));
  if (!s.ok()) Die(s.message());
  return 0;
}

int BadLanes(const std::string& out) {
  auto w = TraceWriter::Create(out, TraceHeader{}, WriterOptions());
  if (!w.has_value()) Die(w.error().message());
  TraceWriter& t = **w;
  t.DefineSite(7, "lanes.cc:1:1");
  t.EnableLanes();
  LaneQueue* q = t.AcquireLaneQueue();
  auto u32 = [](uint32_t v) {
    std::string s(4, '\0');
    StoreU32(reinterpret_cast<uint8_t*>(s.data()), v);
    return s;
  };
  std::string one = u32(1), five = u32(5), clock(8, '\1');
  t.AppendFromLane(q, 0, 7, 15, {}, AsBytes(one));    // seq 0: thread.start -> lane 1
  t.AppendFromLane(q, 2, 7, 1, {}, AsBytes(clock));   // seq 1: lane 2 before its start
  t.AppendFromLane(q, 1, 7, 16, {}, {});              // seq 2: lane 1 ends
  t.AppendFromLane(q, 1, 7, 1, {}, AsBytes(clock));   // seq 3: lane 1 after its end
  t.AppendFromLane(q, 0, 7, 15, {}, AsBytes(five));   // seq 4: lane 5 started, 2 expected
  t.AppendFromLane(q, 0, 7, 16, {}, {});              // seq 5: lane 0 ends
  t.AppendFromLane(q, 5, 7, 1, {}, AsBytes(clock));   // seq 6: a sound event of lane 5
  Status s = t.Finish(Outcome::Exited(0));
  if (!s.ok()) Die(s.message());
  return 0;
}

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() == 2 && a[0] == "goldens") return Goldens(a[1]);
  if (a.size() == 4 && a[0] == "blob-bomb") return BlobBomb(a[1], a[2], Number(argv[4]));
  if (a.size() == 4 && a[0] == "chain-bomb")
    return ChainBomb(a[1], Number(argv[3]), Number(argv[4]));
  if ((a.size() == 3 || a.size() == 4) && a[0] == "site-bomb") {
    return SiteBomb(a[1], Number(argv[3]), a.size() == 4 && a[3] == "tiny");
  }
  if (a.size() == 4 && a[0] == "damage") return Damage(a[1], a[2], Number(argv[4]));
  if (a.size() == 2 && a[0] == "bad-kinds") return BadKinds(a[1]);
  if (a.size() == 2 && a[0] == "bad-lanes") return BadLanes(a[1]);
  std::fprintf(
      stderr,
      "usage: make_hostile goldens DIR | blob-bomb SOURCE OUT GIB | chain-bomb OUT EVENTS MIB"
      " | site-bomb OUT CHUNKS [tiny] | damage IN OUT CHUNK | bad-kinds OUT | bad-lanes OUT\n");
  return 2;
}
