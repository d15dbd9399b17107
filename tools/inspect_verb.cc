// tape inspect FILE [--filter KIND] [--site HEX] [--lane N] [--since SEQ] [--limit N] [--json]
//
// Seeks: finds the chunk holding --since through the index and decodes only
// the chunks it shows, so event 99,999,990 of a 100M-event trace is as quick
// to show as event 0.

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iostream>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/src/effect_text.h"
#include "tape/effects.h"
#include "tools/cli.h"
#include "tools/event_text.h"

namespace tape::cli {

namespace {

void PrintSummary(const format::TraceReader& r) {
  const format::TraceHeader& h = r.header();
  std::printf("%s: %s, recorded %s by %s\n", Shown(r.path()).c_str(),
              Shown(DescribeProgram(h)).c_str(), FormatTime(h.created_unix_ns).c_str(),
              Shown(h.recorder).c_str());
  std::printf("%s in %s; the program %s\n", EventsText(r).c_str(),
              Count(r.chunks().size(), "chunk", "chunks").c_str(), OutcomeText(r).c_str());
  if (!h.origin.empty()) std::printf("origin: %s\n", Shown(h.origin).c_str());
  if (!h.chaos.empty()) {
    std::printf("chaos: %s, seed %llu (perturbed results are marked [chaos])\n",
                Shown(h.chaos).c_str(), (unsigned long long)h.chaos_seed);
  }
  if (!h.redaction.empty()) std::printf("redacted: %s\n", Shown(RedactionText(h)).c_str());
  if (!r.finalized()) std::printf("note: %s\n", Shown(r.recovery_note()).c_str());
  if (!r.gaps().empty()) {
    std::printf("missing: %s (lost to damage before the trace was recovered)\n",
                GapsText(r).c_str());
  }
}

// Marks the events a trace lacks between two that it shows.
void PrintGap(const format::TraceReader& r, uint64_t seq) {
  if (const format::SeqRange* g = r.GapAt(seq)) {
    if (g->count == 1) {
      std::printf("      -  event %llu is missing\n", (unsigned long long)g->first);
    } else {
      std::printf("      -  events %llu..%llu are missing\n", (unsigned long long)g->first,
                  (unsigned long long)(g->end() - 1));
    }
  }
}

bool ParseSite(const std::string& text, uint64_t* site) {
  std::string hex = text.starts_with("0x") ? text.substr(2) : text;
  if (hex.empty() || hex.size() > 16) return false;
  for (char c : hex) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  *site = std::stoull(hex, nullptr, 16);
  return true;
}

// --site names a site of the trace by its id or by a prefix of the id's 16
// hex digits that no other site of the trace shares. Empty when it does;
// else why not, naming the candidates.
std::string ResolveSite(const format::TraceReader& r, const std::string& text, uint64_t* site) {
  std::string prefix = text.starts_with("0x") ? text.substr(2) : text;
  for (char& c : prefix) c = char(std::tolower(static_cast<unsigned char>(c)));
  std::vector<std::pair<std::string, uint64_t>> found;  // (hex id, id)
  char hex[17];
  for (const auto& [id, location] : r.sites()) {
    std::snprintf(hex, sizeof hex, "%016llx", (unsigned long long)id);
    if (std::string_view(hex).starts_with(prefix)) found.emplace_back(hex, id);
  }
  if (found.size() == 1) {
    *site = found[0].second;
    return "";
  }
  if (found.empty()) {
    return "--site " + text + ": no site of this trace has an id starting with " + prefix +
           " (tape stats lists the hot sites; tape inspect shows each event's [site ...])";
  }
  std::sort(found.begin(), found.end());
  std::string why = "--site " + text + ": " + std::to_string(found.size()) +
                    " sites of this trace have ids starting with " + prefix + " (";
  for (size_t i = 0; i < found.size() && i < 5; ++i) {
    if (i > 0) why += ", ";
    why += found[i].first + " at " + Shown(r.sites().at(found[i].second));
  }
  if (found.size() > 5) why += ", ...";
  return why + "); give more digits";
}

}  // namespace

int RunInspect(const InspectArgs& args) {
  uint64_t site = 0;
  if (!args.site.empty() && !ParseSite(args.site, &site)) {
    return Fail("inspect", kExitUsage, "--site " + args.site + ": expected up to 16 hex digits");
  }
  OpenedTrace reader = OpenTrace("inspect", args.file);
  if (!reader) return kExitTrace;
  const format::TraceReader& r = *reader;
  uint8_t kind = 0;
  if (!args.filter.empty() && !ParseKind(r, args.filter, &kind)) {
    return Fail("inspect", kExitUsage,
                "--filter " + args.filter + ": not an effect (" + engine::EffectNameList() +
                    ", or the name of a user-defined effect in this trace)");
  }
  if (!args.site.empty()) {
    std::string why = ResolveSite(r, args.site, &site);
    if (!why.empty()) return Fail("inspect", kExitUsage, why);
  }
  if (!args.json) PrintSummary(r);
  if (args.since >= r.event_count()) {
    if (r.event_count() == 0) return kExitOk;
    return Fail("inspect", kExitUsage,
                "--since " + std::to_string(args.since) + ": the trace has " +
                    Count(r.event_count(), "event", "events") + " (seq 0.." +
                    std::to_string(r.event_count() - 1) + ")");
  }

  bool filtering = !args.filter.empty() || !args.site.empty() || args.lane.has_value();
  uint64_t limit = args.limit.value_or(UINT64_MAX);
  uint64_t shown = 0;
  format::ChunkDecoder decoder;
  format::DecodedChunk columns, full;
  std::string line;
  size_t first = r.ChunkFor(args.since);
  uint64_t expected = args.since;  // the next seq, were there no gaps
  for (size_t c = first; c < r.chunks().size() && shown < limit; ++c) {
    if (!args.json && r.chunks()[c].first_seq > expected) PrintGap(r, expected);
    expected = r.chunks()[c].first_seq + r.chunks()[c].event_count;
    // With a filter, look at kinds and sites first; payloads only if something matches.
    const format::DecodedChunk* chunk = &full;
    Status s = r.ReadChunk(c, filtering ? format::kDecodeKinds | format::kDecodeSites
                                        : format::kDecodeAll,
                           &decoder, filtering ? &columns : &full);
    if (!s.ok()) return Fail("inspect", kExitTrace, s.message());
    const format::DecodedChunk& probe = filtering ? columns : full;
    uint32_t begin =
        c == first && args.since > probe.first_seq() ? uint32_t(args.since - probe.first_seq()) : 0;
    auto matches = [&](uint32_t i) {
      return (args.filter.empty() || probe.kind(i) == kind) &&
             (args.site.empty() || probe.site(i) == site) &&
             (!args.lane || probe.lane(i) == *args.lane);
    };
    if (filtering) {
      bool any = false;
      for (uint32_t i = begin; i < probe.size() && !any; ++i) any = matches(i);
      if (!any) continue;
      s = r.ReadChunk(c, format::kDecodeAll, &decoder, &full);
      if (!s.ok()) return Fail("inspect", kExitTrace, s.message());
    }
    for (uint32_t i = begin; i < chunk->size() && shown < limit; ++i) {
      if (!matches(i)) continue;
      format::EventView e = chunk->event(i);
      line = args.json ? JsonLine(EventJson(r, e)) : EventLine(r, e);
      line += '\n';
      std::fwrite(line.data(), 1, line.size(), stdout);
      ++shown;
    }
  }
  if (!args.json && shown < limit && expected < r.event_count()) PrintGap(r, expected);
  return kExitOk;
}

}  // namespace tape::cli
