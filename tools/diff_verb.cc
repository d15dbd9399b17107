// tape diff A B [--json]: the first divergence between two traces.
//
// Chunks that cover the same seqs in both traces are compared by the content
// hashes in their indexes; only where hashes differ (or chunk boundaries do
// not line up) are columns decoded, sites and kinds first, payloads last. A
// chunk compared by hash is still read and its record checksum verified
// (XXH3 at memory speed), so a damaged chunk is reported as damage, never as
// "identical". Two long recordings that differ near the end cost little more
// than reading them once.
//
// A trace that cannot be read (a damaged chunk, a gap in a recovered trace
// where the other has events) ends the comparison with exit 81.

#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "engine/src/effect_table.h"
#include "tools/cli.h"
#include "tools/event_text.h"

namespace tape::cli {

namespace {

enum class Divergence { kNone, kLane, kSite, kKind, kArgs, kResult, kLength, kOutcome };

const char* ClassName(Divergence d) {
  switch (d) {
    case Divergence::kLane: return "lane";
    case Divergence::kSite: return "site";
    case Divergence::kKind: return "kind";
    case Divergence::kArgs: return "args";
    case Divergence::kResult: return "result";
    case Divergence::kLength: return "length";
    case Divergence::kOutcome: return "outcome";
    case Divergence::kNone: break;
  }
  return "none";
}

const char* Explain(Divergence d) {
  switch (d) {
    case Divergence::kLane:
      return "another thread made the call here: the threads' calls interleaved differently";
    case Divergence::kSite:
      return "the call came from another place: the program took a different path";
    case Divergence::kKind:
      return "same place, different effect: the program took a different path";
    case Divergence::kArgs:
      return "same site and effect, different args: the program passed other inputs";
    case Divergence::kResult:
      return "same site, effect and args, different result: the outside world answered "
             "differently";
    case Divergence::kLength: return "one trace is a prefix of the other";
    case Divergence::kOutcome: return "the same effect calls, but the programs ended differently";
    case Divergence::kNone: break;
  }
  return "identical";
}

bool SamePayload(const format::PayloadView& a, const format::PayloadView& b) {
  if (a.size != b.size) return false;
  if (a.spilled() && b.spilled()) return a.spill_hash == b.spill_hash;
  if (a.spilled() != b.spilled()) {
    const format::PayloadView& in = a.spilled() ? b : a;
    const format::PayloadView& out = a.spilled() ? a : b;
    return XXH3_64bits(in.data, size_t(in.size)) == out.spill_hash;
  }
  return a.size == 0 || std::memcmp(a.data, b.data, size_t(a.size)) == 0;
}

// One side of the comparison: a trace and the chunk decoded from it.
struct Side {
  explicit Side(const format::TraceReader* r) : reader(r) {}
  const format::TraceReader* reader;
  format::ChunkDecoder decoder;
  format::DecodedChunk chunk;
  size_t decoded = SIZE_MAX;
  unsigned parts = 0;

  Status Load(size_t c, unsigned want) {
    if (decoded == c && (parts & want) == want) return Status::Ok();
    TAPE_RETURN_IF_ERROR(reader->ReadChunk(c, want, &decoder, &chunk));
    decoded = c;
    parts = want;
    return Status::Ok();
  }
};

struct Found {
  Divergence what = Divergence::kNone;
  uint64_t seq = 0;
  std::vector<format::SeqRange> both_missing;  // gaps the two traces share
};

// What is compared: by default everything; --ignore KIND leaves that kind's
// results out, --path-only every payload.
struct Compared {
  bool results[256];
  bool payloads = true;
  Compared() { std::fill(std::begin(results), std::end(results), true); }
};

// Compares events [from, to) of chunk ca of `a` and chunk cb of `b`.
Result<Found> CompareRange(Side& a, size_t ca, Side& b, size_t cb, uint64_t from, uint64_t to,
                           const Compared& compared) {
  const unsigned kColumns = format::kDecodeKinds | format::kDecodeSites;
  TAPE_RETURN_IF_ERROR(a.Load(ca, kColumns));
  TAPE_RETURN_IF_ERROR(b.Load(cb, kColumns));
  uint64_t first_path = to;
  Divergence path_kind = Divergence::kNone;
  for (uint64_t s = from; s < to; ++s) {
    uint32_t i = uint32_t(s - a.chunk.first_seq()), j = uint32_t(s - b.chunk.first_seq());
    if (a.chunk.lane(i) != b.chunk.lane(j)) {
      first_path = s;
      path_kind = Divergence::kLane;
      break;
    }
    if (a.chunk.site(i) != b.chunk.site(j)) {
      first_path = s;
      path_kind = Divergence::kSite;
      break;
    }
    if (a.chunk.kind(i) != b.chunk.kind(j)) {
      first_path = s;
      path_kind = Divergence::kKind;
      break;
    }
  }
  if (first_path > from && compared.payloads) {
    // Payloads can only differ before the first path divergence matters.
    TAPE_RETURN_IF_ERROR(a.Load(ca, format::kDecodeAll));
    TAPE_RETURN_IF_ERROR(b.Load(cb, format::kDecodeAll));
    for (uint64_t s = from; s < first_path; ++s) {
      uint32_t i = uint32_t(s - a.chunk.first_seq()), j = uint32_t(s - b.chunk.first_seq());
      if (!SamePayload(a.chunk.args(i), b.chunk.args(j))) return Found{Divergence::kArgs, s, {}};
      if (compared.results[a.chunk.kind(i)] &&
          !SamePayload(a.chunk.result(i), b.chunk.result(j))) {
        return Found{Divergence::kResult, s, {}};
      }
    }
  }
  return Found{path_kind, first_path, {}};
}

// Why event `seq` of `side` cannot be compared: it lies in a gap.
Status Missing(const Side& side, uint64_t seq) {
  return side.reader->MissingEvent(seq).WithContext(
      seq == 0 ? std::string("the traces cannot be compared")
               : "the traces agree on their first " + Count(seq, "event", "events") +
                     "; they cannot be compared past that");
}

Result<Found> FirstDivergence(Side& a, Side& b, const Compared& compared, Progress& progress) {
  const auto& ia = a.reader->chunks();
  const auto& ib = b.reader->chunks();
  uint64_t end = std::min(a.reader->event_count(), b.reader->event_count());
  size_t ca = 0, cb = 0;
  uint64_t seq = 0;
  std::vector<format::SeqRange> both_missing;
  while (seq < end) {
    // Gaps (§9.3): a seq one trace lacks cannot be compared, unless both lack
    // exactly the same events.
    const format::SeqRange* ga = a.reader->GapAt(seq);
    const format::SeqRange* gb = b.reader->GapAt(seq);
    if (ga && gb && *ga == *gb) {
      both_missing.push_back(*ga);
      seq = ga->end();
      continue;
    }
    if (ga) return Missing(a, seq);
    if (gb) return Missing(b, seq);
    if (ca == ia.size() || cb == ib.size()) {  // cannot happen for a valid index
      return (ca == ia.size() ? Missing(a, seq) : Missing(b, seq));
    }
    const format::ChunkIndexEntry& x = ia[ca];
    const format::ChunkIndexEntry& y = ib[cb];
    uint64_t x_end = x.first_seq + x.event_count, y_end = y.first_seq + y.event_count;
    bool aligned = x.first_seq == seq && y.first_seq == seq && x.event_count == y.event_count;
    bool equal = false;
    if (aligned) {
      TAPE_ASSIGN_OR_RETURN(uint64_t hx, a.reader->ChunkContentHash(ca, &a.decoder));
      TAPE_ASSIGN_OR_RETURN(uint64_t hy, b.reader->ChunkContentHash(cb, &b.decoder));
      a.decoded = b.decoded = SIZE_MAX;  // the decoders were used for hashing
      equal = hx == hy;
      if (equal) {
        // The index vouches for the events only if the chunk is intact.
        TAPE_RETURN_IF_ERROR(a.reader->CheckChunk(ca));
        TAPE_RETURN_IF_ERROR(b.reader->CheckChunk(cb));
        a.reader->ReleaseChunkPages(ca);  // memory stays flat however long the traces
        b.reader->ReleaseChunkPages(cb);
      }
    }
    uint64_t upto = std::min({x_end, y_end, end});
    if (!equal) {
      TAPE_ASSIGN_OR_RETURN(Found f, CompareRange(a, ca, b, cb, seq, upto, compared));
      if (f.what != Divergence::kNone) return f;
    }
    seq = upto;
    if (seq == x_end) ++ca;
    if (seq == y_end) ++cb;
    progress.Update(seq);
  }
  Found same{Divergence::kNone, end, both_missing};
  if (a.reader->event_count() != b.reader->event_count()) {
    same.what = Divergence::kLength;
    return same;
  }
  // Two interrupted recordings ended the same way, whatever their notes say.
  const format::Outcome& oa = a.reader->outcome();
  const format::Outcome& ob = b.reader->outcome();
  bool both_interrupted =
      oa.kind == format::OutcomeKind::kInterrupted && ob.kind == format::OutcomeKind::kInterrupted;
  if (!both_interrupted && !(oa == ob)) same.what = Divergence::kOutcome;
  return same;
}

// The event at `seq` of a side, decoded whole; nothing past its end.
Result<std::optional<format::EventView>> EventAt(Side& s, uint64_t seq) {
  if (seq >= s.reader->event_count()) return std::optional<format::EventView>();
  size_t c = s.reader->ChunkFor(seq);
  if (c == s.reader->chunks().size() || s.reader->chunks()[c].first_seq > seq) {
    return s.reader->MissingEvent(seq);
  }
  TAPE_RETURN_IF_ERROR(s.Load(c, format::kDecodeAll));
  return std::optional<format::EventView>(s.chunk.event(uint32_t(seq - s.chunk.first_seq())));
}

// "dice.cc:10:5 [site …]" for a shown event.
std::string Where(const format::TraceReader& r, const format::EventView& e) {
  std::string where = r.SiteLocation(e.site);
  return where.empty() ? "site " + SiteHex(e.site) : Shown(where);
}

}  // namespace

int RunDiff(const DiffArgs& args) {
  OpenedTrace ra = OpenTrace("diff", args.a);
  if (!ra) return kExitTrace;
  OpenedTrace rb = OpenTrace("diff", args.b);
  if (!rb) return kExitTrace;
  Compared compared;
  compared.payloads = !args.path_only;
  for (const std::string& name : args.ignore) {
    uint8_t kind;
    if (!ParseKind(*ra, name, &kind) && !ParseKind(*rb, name, &kind)) {
      return Fail("diff", kExitUsage,
                  "--ignore " + name + ": not an effect (" + engine::EffectNameList() +
                      ", or the name of a user-defined effect in these traces)");
    }
    compared.results[kind] = false;
  }
  Side a(ra.get()), b(rb.get());
  Progress progress("diff", std::min(ra->event_count(), rb->event_count()));
  Result<Found> found = FirstDivergence(a, b, compared, progress);
  progress.Finish();
  if (!found.has_value()) return Fail("diff", kExitTrace, found.error().message());
  const Found& f = *found;

  Result<std::optional<format::EventView>> ea = EventAt(a, f.seq);
  if (!ea.has_value()) return Fail("diff", kExitTrace, ea.error().message());
  Result<std::optional<format::EventView>> eb = EventAt(b, f.seq);
  if (!eb.has_value()) return Fail("diff", kExitTrace, eb.error().message());
  // An event of a thread other than the program's own names its lane.
  auto lane = [](const format::EventView& e) {
    return e.lane == 0 ? std::string() : "[lane " + std::to_string(e.lane) + "] ";
  };
  std::string line_a =
      *ea ? lane(**ea) + EventCall(*ra, **ea) + "  at " + Where(*ra, **ea) : "(end of trace)";
  std::string line_b =
      *eb ? lane(**eb) + EventCall(*rb, **eb) + "  at " + Where(*rb, **eb) : "(end of trace)";

  if (args.json) {
    nlohmann::ordered_json j;
    j["a"] = args.a;
    j["b"] = args.b;
    j["events_a"] = ra->event_count();
    j["events_b"] = rb->event_count();
    j["identical"] = f.what == Divergence::kNone;
    if (args.path_only) j["path_only"] = true;
    if (!args.ignore.empty()) j["ignored_results"] = args.ignore;
    if (!f.both_missing.empty()) {
      nlohmann::ordered_json jg = nlohmann::ordered_json::array();
      for (const format::SeqRange& g : f.both_missing) {
        jg.push_back({{"first", g.first}, {"count", g.count}});
      }
      j["missing_in_both"] = jg;
    }
    if (f.what != Divergence::kNone) {
      j["divergence"] = {{"seq", f.seq},
                         {"class", ClassName(f.what)},
                         {"explanation", Explain(f.what)},
                         {"outcome_a", OutcomeDescription(*ra)},
                         {"outcome_b", OutcomeDescription(*rb)},
                         {"event_a", *ea ? EventJson(*ra, **ea) : nlohmann::ordered_json(nullptr)},
                         {"event_b", *eb ? EventJson(*rb, **eb) : nlohmann::ordered_json(nullptr)}};
    }
    std::printf("%s\n", JsonLine(j).c_str());
    return f.what == Divergence::kNone ? kExitOk : kExitDifferent;
  }

  std::string name_a = Shown(args.a), name_b = Shown(args.b);
  if (ra->header().program_name != rb->header().program_name) {
    std::printf("note: %s records '%s', %s records '%s'\n", name_a.c_str(),
                Shown(ra->header().program_name).c_str(), name_b.c_str(),
                Shown(rb->header().program_name).c_str());
  }
  for (const auto& [name, r] : {std::pair{&name_a, ra.get()}, std::pair{&name_b, rb.get()}}) {
    if (!r->finalized()) std::printf("note: %s: %s\n", name->c_str(), Shown(r->recovery_note()).c_str());
  }
  for (const format::SeqRange& g : f.both_missing) {
    std::printf("note: both traces lack events %llu..%llu (lost before they were recovered)\n",
                (unsigned long long)g.first, (unsigned long long)(g.end() - 1));
  }
  if (args.path_only) std::printf("note: payloads are not compared (--path-only)\n");
  for (const std::string& name : args.ignore) {
    std::printf("note: results of %s are not compared (--ignore)\n", Shown(name).c_str());
  }
  size_t width = std::max(name_a.size(), name_b.size());
  switch (f.what) {
    case Divergence::kNone:
      std::printf("%s: %s; the program %s\n", args.path_only ? "the same path" : "identical",
                  Count(ra->event_count(), "event", "events").c_str(), OutcomeText(*ra).c_str());
      return kExitOk;
    case Divergence::kOutcome:
      std::printf("the same %s, but the programs ended differently:\n",
                  Count(ra->event_count(), "event", "events").c_str());
      std::printf("  %-*s  %s\n  %-*s  %s\n", int(width), name_a.c_str(), OutcomeText(*ra).c_str(),
                  int(width), name_b.c_str(), OutcomeText(*rb).c_str());
      return kExitDifferent;
    case Divergence::kLength: {
      bool a_shorter = ra->event_count() < rb->event_count();
      const std::string& shorter = a_shorter ? name_a : name_b;
      const std::string& longer = a_shorter ? name_b : name_a;
      uint64_t more = a_shorter ? rb->event_count() - ra->event_count()
                                : ra->event_count() - rb->event_count();
      std::printf("%s is a prefix of %s: they agree on the first %s, then %s has %llu more\n",
                  shorter.c_str(), longer.c_str(), Count(f.seq, "event", "events").c_str(),
                  longer.c_str(), (unsigned long long)more);
      std::printf("  next in %s: %s\n", longer.c_str(), (a_shorter ? line_b : line_a).c_str());
      std::printf("  %s: the program %s\n", shorter.c_str(),
                  OutcomeText(a_shorter ? *ra : *rb).c_str());
      return kExitDifferent;
    }
    default:
      break;
  }
  std::printf("first divergence at seq %llu:\n", (unsigned long long)f.seq);
  std::printf("  %-*s  %s\n", int(width), name_a.c_str(), line_a.c_str());
  std::printf("  %-*s  %s\n", int(width), name_b.c_str(), line_b.c_str());
  std::printf("  (%s)\n", Explain(f.what));
  return kExitDifferent;
}

}  // namespace tape::cli
