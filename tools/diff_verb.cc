// tape diff A B [--json]: the first divergence between two traces.
// tape diff A B --all [--limit N]: every divergent region.
//
// Chunks that cover the same seqs in both traces are compared by the content
// hashes in their indexes; only where hashes differ (or chunk boundaries do
// not line up) are columns decoded, sites and kinds first, payloads last. A
// chunk compared by hash is still read and its record checksum verified
// (XXH3 at memory speed), so a damaged chunk is reported as damage, never as
// "identical". Two long recordings that differ near the end cost little more
// than reading them once.
//
// --all goes on after a divergence (tools/diff_regions.h has the rule):
// events on the same path with other payloads are a region and the traces
// stay aligned; where the paths differ, the nearest point within 4096
// events of each trace where 4 calls in a row agree again on lane, site and
// kind ends the region (fewer at the end of both traces); without one, the
// rest of both is the last region. Each region is printed with its seq
// ranges, its class and its first events, then a summary line; at most
// --limit regions (default 20), then where the next begins. Chunks are
// still skipped by hash wherever the two traces are aligned at the same
// seqs, so a few differences in a long recording cost about one read of it.
// --limit without --all is a usage error.
//
// Exit codes: 0 identical (or the same path, with --path-only), 1 different,
// 81 when a trace cannot be read (a damaged chunk, a gap in a recovered trace
// where the other has events), 2 for bad usage.

#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/effects/registry.h"
#include "tools/cli.h"
#include "tools/diff_regions.h"
#include "tools/event_text.h"

namespace tape::cli {

namespace {

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

// True when the traces' programs ended differently (two interrupted
// recordings ended the same way, whatever their notes say).
bool OutcomesDiffer(const format::TraceReader& ra, const format::TraceReader& rb) {
  const format::Outcome& oa = ra.outcome();
  const format::Outcome& ob = rb.outcome();
  bool both_interrupted =
      oa.kind == format::OutcomeKind::kInterrupted && ob.kind == format::OutcomeKind::kInterrupted;
  return !both_interrupted && !(oa == ob);
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
  if (OutcomesDiffer(*a.reader, *b.reader)) same.what = Divergence::kOutcome;
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

// The notes both forms of diff print before their findings.
void PrintNotes(const DiffArgs& args, const format::TraceReader& ra, const format::TraceReader& rb,
                const std::vector<format::SeqRange>& both_missing) {
  std::string name_a = Shown(args.a), name_b = Shown(args.b);
  if (ra.header().program_name != rb.header().program_name) {
    std::printf("note: %s records '%s', %s records '%s'\n", name_a.c_str(),
                Shown(ra.header().program_name).c_str(), name_b.c_str(),
                Shown(rb.header().program_name).c_str());
  } else if (ra.header().code_hash != rb.header().code_hash) {
    // The same program at two versions: differences may come from the change.
    std::printf("note: the program's code differs: %s has code hash %s, %s has %s\n",
                name_a.c_str(), format::ToHex(ra.header().code_hash).c_str(), name_b.c_str(),
                format::ToHex(rb.header().code_hash).c_str());
  }
  for (const auto& [name, r] : {std::pair{&name_a, &ra}, std::pair{&name_b, &rb}}) {
    if (!r->finalized()) {
      std::printf("note: %s: %s\n", name->c_str(), Shown(r->recovery_note()).c_str());
    }
  }
  for (const format::SeqRange& g : both_missing) {
    std::printf("note: both traces lack events %llu..%llu (lost before they were recovered)\n",
                (unsigned long long)g.first, (unsigned long long)(g.end() - 1));
  }
  if (args.path_only) std::printf("note: payloads are not compared (--path-only)\n");
  for (const std::string& name : args.ignore) {
    std::printf("note: results of %s are not compared (--ignore)\n", Shown(name).c_str());
  }
}

// The options both forms of diff put in their JSON object.
void JsonHeader(const DiffArgs& args, const format::TraceReader& ra, const format::TraceReader& rb,
                bool identical, const std::vector<format::SeqRange>& both_missing,
                nlohmann::ordered_json& j) {
  j["a"] = args.a;
  j["b"] = args.b;
  j["events_a"] = ra.event_count();
  j["events_b"] = rb.event_count();
  j["program_a"] = ra.header().program_name;
  j["program_b"] = rb.header().program_name;
  j["code_hash_a"] = format::ToHex(ra.header().code_hash);
  j["code_hash_b"] = format::ToHex(rb.header().code_hash);
  j["identical"] = identical;
  if (args.path_only) j["path_only"] = true;
  if (!args.ignore.empty()) j["ignored_results"] = args.ignore;
  if (!both_missing.empty()) {
    nlohmann::ordered_json jg = nlohmann::ordered_json::array();
    for (const format::SeqRange& g : both_missing) {
      jg.push_back({{"first", g.first}, {"count", g.count}});
    }
    j["missing_in_both"] = jg;
  }
}

// --- diff --all -------------------------------------------------------------

constexpr uint64_t kShownEvents = 3;  // of each side of a region

// "seqs 4..6", "seq 4", or "nothing (at seq 4)", followed by " in NAME".
std::string RangeText(uint64_t first, uint64_t count, const std::string& name) {
  if (count == 0) return fmt::format("nothing in {} (at seq {})", name, first);
  if (count == 1) return fmt::format("seq {} in {}", first, name);
  return fmt::format("seqs {}..{} in {}", first, first + count - 1, name);
}

// What a region means, with the traces' names where the class needs them.
std::string RegionExplain(const Region& r, const std::string& a, const std::string& b) {
  std::string text;
  switch (r.what) {
    case Divergence::kAdded:
      text = "calls only " + b + " made: the program took a different path";
      break;
    case Divergence::kRemoved:
      text = "calls only " + a + " made: the program took a different path";
      break;
    case Divergence::kLength:
      text = r.a_count == 0 ? a + " ended here; " + b + " goes on with " +
                                  Count(r.b_count, "more call", "more calls")
                            : b + " ended here; " + a + " goes on with " +
                                  Count(r.a_count, "more call", "more calls");
      break;
    default:
      text = Explain(r.what);
  }
  if (!r.resynced) {
    text += fmt::format(
        "; no {} calls in a row agree again within the next {} of each trace, so the rest of both "
        "is one region",
        kResyncRun, kResyncWindow);
  }
  return text;
}

// The first events of [first, first + count) that `reader` holds, as
// `show(event)` renders them; how many the range holds beyond those.
template <typename Show>
Result<uint64_t> ShowEvents(Side& side, uint64_t first, uint64_t count, Show show) {
  uint64_t shown = 0, seq = first, end = first + count;
  while (seq < end && shown < kShownEvents) {
    if (const format::SeqRange* g = side.reader->GapAt(seq)) {
      seq = g->end();
      continue;
    }
    TAPE_ASSIGN_OR_RETURN(std::optional<format::EventView> e, EventAt(side, seq));
    if (!e) break;
    show(*e);
    ++shown;
    ++seq;
  }
  return count - std::min(count, shown);
}

int DiffAll(const DiffArgs& args, const format::TraceReader& ra, const format::TraceReader& rb,
            const Compared& compared) {
  uint64_t limit = args.limit.value_or(kDefaultDiffLimit);
  Progress progress("diff", std::max(ra.event_count(), rb.event_count()));
  Result<RegionScan> found = FindRegions(ra, rb, compared, limit, &progress);
  progress.Finish();
  if (!found.has_value()) return Fail("diff", kExitTrace, found.error().message());
  const RegionScan& scan = *found;
  bool outcomes_differ = scan.complete && OutcomesDiffer(ra, rb);
  bool same = scan.regions.empty() && scan.complete && !outcomes_differ;
  uint64_t differ_a = 0, differ_b = 0;
  for (const Region& r : scan.regions) {
    differ_a += r.a_count;
    differ_b += r.b_count;
  }
  Side a(&ra), b(&rb);

  if (args.json) {
    nlohmann::ordered_json j;
    JsonHeader(args, ra, rb, same, scan.both_missing, j);
    nlohmann::ordered_json regions = nlohmann::ordered_json::array();
    for (const Region& r : scan.regions) {
      nlohmann::ordered_json ja = nlohmann::ordered_json::array(), jb = ja;
      Result<uint64_t> more_a =
          ShowEvents(a, r.a_first, r.a_count,
                     [&](const format::EventView& e) { ja.push_back(EventJson(ra, e)); });
      if (!more_a.has_value()) return Fail("diff", kExitTrace, more_a.error().message());
      Result<uint64_t> more_b =
          ShowEvents(b, r.b_first, r.b_count,
                     [&](const format::EventView& e) { jb.push_back(EventJson(rb, e)); });
      if (!more_b.has_value()) return Fail("diff", kExitTrace, more_b.error().message());
      regions.push_back({{"a", {{"first", r.a_first}, {"count", r.a_count}}},
                         {"b", {{"first", r.b_first}, {"count", r.b_count}}},
                         {"class", ClassName(r.what)},
                         {"explanation", RegionExplain(r, args.a, args.b)},
                         {"resynced", r.resynced},
                         {"events_a", ja},
                         {"events_b", jb}});
    }
    j["regions"] = regions;
    j["divergent_regions"] = scan.regions.size();
    j["events_differ_a"] = differ_a;
    j["events_differ_b"] = differ_b;
    j["complete"] = scan.complete;
    if (!scan.complete) {
      j["limit"] = limit;
      j["next_a"] = scan.next_a;
      j["next_b"] = scan.next_b;
    }
    j["outcome_a"] = OutcomeDescription(ra);
    j["outcome_b"] = OutcomeDescription(rb);
    if (scan.complete) j["outcomes_differ"] = outcomes_differ;
    std::printf("%s\n", JsonLine(j).c_str());
    return same ? kExitOk : kExitDifferent;
  }

  PrintNotes(args, ra, rb, scan.both_missing);
  std::string name_a = Shown(args.a), name_b = Shown(args.b);
  if (same) {
    std::printf("%s: %s; the program %s\n", args.path_only ? "the same path" : "identical",
                Count(ra.event_count(), "event", "events").c_str(), OutcomeText(ra).c_str());
    return kExitOk;
  }
  size_t width = std::max(name_a.size(), name_b.size());
  for (const Region& r : scan.regions) {
    std::printf("%s, %s: %s: %s\n", RangeText(r.a_first, r.a_count, name_a).c_str(),
                RangeText(r.b_first, r.b_count, name_b).c_str(), ClassName(r.what),
                RegionExplain(r, name_a, name_b).c_str());
    // (Plain variables, not structured bindings: clang 14, which builds
    // the fuzz targets, cannot capture those in a lambda.)
    for (int k = 0; k < 2; ++k) {
      Side& side = k == 0 ? a : b;
      const format::TraceReader& reader = k == 0 ? ra : rb;
      const std::string& name = k == 0 ? name_a : name_b;
      uint64_t first = k == 0 ? r.a_first : r.b_first, count = k == 0 ? r.a_count : r.b_count;
      Result<uint64_t> more = ShowEvents(side, first, count, [&](const format::EventView& e) {
        std::printf("  %-*s %s\n", int(width), name.c_str(), EventLine(reader, e).c_str());
      });
      if (!more.has_value()) return Fail("diff", kExitTrace, more.error().message());
      if (*more > 0) {
        std::printf("  %-*s          ... and %s\n", int(width), name.c_str(),
                    Count(*more, "more event", "more events").c_str());
      }
    }
  }
  if (outcomes_differ) {
    std::printf("the programs ended differently:\n");
    std::printf("  %-*s  %s\n  %-*s  %s\n", int(width), name_a.c_str(),
                ShownIndented(OutcomeDescription(ra), width + 4).c_str(), int(width),
                name_b.c_str(), ShownIndented(OutcomeDescription(rb), width + 4).c_str());
  }
  std::string counts =
      fmt::format("({} in {}, {} in {})", Count(differ_a, "event differs", "events differ"), name_a,
                  differ_b, name_b);
  if (!scan.complete) {
    std::printf(
        "%s shown %s; more were left out (--limit %llu): the next begins at seq %llu in "
        "%s, seq %llu in %s\n",
        Count(scan.regions.size(), "divergent region", "divergent regions").c_str(), counts.c_str(),
        (unsigned long long)limit, (unsigned long long)scan.next_a, name_a.c_str(),
        (unsigned long long)scan.next_b, name_b.c_str());
  } else {
    std::printf("%s %s; the rest is the same\n",
                Count(scan.regions.size(), "divergent region", "divergent regions").c_str(),
                counts.c_str());
  }
  return kExitDifferent;
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
  if (args.all) return DiffAll(args, *ra, *rb, compared);
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
    return e.lane == 0 ? std::string() : fmt::format("[lane {}] ", e.lane);
  };
  std::string line_a =
      *ea ? lane(**ea) + EventCall(*ra, **ea) + "  at " + Where(*ra, **ea) : "(end of trace)";
  std::string line_b =
      *eb ? lane(**eb) + EventCall(*rb, **eb) + "  at " + Where(*rb, **eb) : "(end of trace)";

  if (args.json) {
    nlohmann::ordered_json j;
    JsonHeader(args, *ra, *rb, f.what == Divergence::kNone, f.both_missing, j);
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

  PrintNotes(args, *ra, *rb, f.both_missing);
  std::string name_a = Shown(args.a), name_b = Shown(args.b);
  size_t width = std::max(name_a.size(), name_b.size());
  switch (f.what) {
    case Divergence::kNone:
      std::printf("%s: %s; the program %s\n", args.path_only ? "the same path" : "identical",
                  Count(ra->event_count(), "event", "events").c_str(), OutcomeText(*ra).c_str());
      return kExitOk;
    case Divergence::kOutcome:
      std::printf("the same %s, but the programs ended differently:\n",
                  Count(ra->event_count(), "event", "events").c_str());
      std::printf("  %-*s  %s\n  %-*s  %s\n", int(width), name_a.c_str(),
                  ShownIndented(OutcomeDescription(*ra), width + 4).c_str(), int(width),
                  name_b.c_str(), ShownIndented(OutcomeDescription(*rb), width + 4).c_str());
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
