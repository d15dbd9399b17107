// tape stats FILE [--json]: events by kind, hot sites, sizes, duration, outcome.
//
// Reads the kinds, sites and payload-length columns only: payload heaps stay
// compressed, so a 100M-event trace is summarized without touching its data.

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "engine/src/effect_text.h"
#include "format/layout.h"
#include "tools/cli.h"
#include "tools/event_text.h"

namespace tape::cli {

namespace {

struct KindTotals {
  uint64_t events = 0, args_bytes = 0, result_bytes = 0;
  uint64_t perturbed = 0;  // results chaos mode changed (EVENT_MARKS bit 0)
};
struct SiteTotals {
  uint64_t events = 0;
  uint8_t kind = 0;
  bool mixed = false;  // the site made calls of several kinds (thread.start and thread.end)
};

std::string Bytes(uint64_t n) {
  char buf[32];
  if (n < 10 * 1024) {
    std::snprintf(buf, sizeof buf, "%llu B", (unsigned long long)n);
  } else if (n < 10ull * 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", double(n) / 1024);
  } else if (n < 10ull * 1024 * 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", double(n) / (1024 * 1024));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f GiB", double(n) / (1024.0 * 1024 * 1024));
  }
  return buf;
}

}  // namespace

int RunStats(const StatsArgs& args) {
  OpenedTrace reader = OpenTrace("stats", args.file);
  if (!reader) return kExitTrace;
  const format::TraceReader& r = *reader;

  KindTotals kinds[256];
  std::map<uint32_t, uint64_t> lanes;  // events per lane (threads), when any is not 0
  std::unordered_map<uint64_t, SiteTotals> sites;
  std::vector<uint64_t> per_dict;
  uint64_t untallied = 0;  // events at sites beyond the first kMaxSites
  uint64_t untallied_lane0 = 0;  // lane-0 events of chunks before the first with lanes
  format::ChunkDecoder decoder;
  format::DecodedChunk chunk;
  Progress progress("stats " + args.file, r.event_count());
  for (size_t c = 0; c < r.chunks().size(); ++c) {
    Status s = r.ReadChunk(c, format::kDecodeSites | format::kDecodeSizes, &decoder, &chunk);
    if (!s.ok()) return Fail("stats", kExitTrace, s.message());
    // Count per dictionary entry first: one map update per distinct site, not per event.
    per_dict.assign(chunk.site_dict().size(), 0);
    const uint32_t* index = chunk.site_index();
    std::vector<uint8_t> dict_kind(chunk.site_dict().size());
    std::vector<uint8_t> dict_mixed(chunk.site_dict().size());
    for (uint32_t i = 0; i < chunk.size(); ++i) {
      uint8_t k = chunk.kind(i);
      KindTotals& t = kinds[k];
      ++t.events;
      t.args_bytes += chunk.args_size(i);
      t.result_bytes += chunk.result_size(i);
      t.perturbed += chunk.marks(i) & format::kMarkPerturbed;
      if (per_dict[index[i]]++ > 0 && dict_kind[index[i]] != k) dict_mixed[index[i]] = 1;
      dict_kind[index[i]] = k;
    }
    if (chunk.has_lanes()) {
      for (uint32_t i = 0; i < chunk.size(); ++i) ++lanes[chunk.lane(i)];
    } else if (!lanes.empty()) {
      lanes[0] += chunk.size();
    } else {
      untallied_lane0 += chunk.size();
    }
    for (size_t d = 0; d < per_dict.size(); ++d) {
      // A trace names at most kMaxSites sites (§11); a damaged or hostile one
      // may use more ids, which are not tallied (bounded memory).
      auto it = sites.find(chunk.site_dict()[d]);
      if (it == sites.end()) {
        if (sites.size() >= format::kMaxSites) {
          untallied += per_dict[d];
          continue;
        }
        it = sites.emplace(chunk.site_dict()[d], SiteTotals{}).first;
      }
      if ((it->second.events > 0 && it->second.kind != dict_kind[d]) || dict_mixed[d]) {
        it->second.mixed = true;
      }
      it->second.events += per_dict[d];
      it->second.kind = dict_kind[d];
    }
    progress.Update(chunk.first_seq() + chunk.size());
  }
  progress.Finish();
  if (!lanes.empty()) lanes[0] += untallied_lane0;

  std::vector<std::pair<uint64_t, SiteTotals>> hot(sites.begin(), sites.end());
  std::sort(hot.begin(), hot.end(), [](const auto& a, const auto& b) {
    return a.second.events != b.second.events ? a.second.events > b.second.events
                                              : a.first < b.first;
  });
  if (hot.size() > args.top) hot.resize(args.top);

  const format::TraceHeader& h = r.header();
  uint64_t n = r.event_count();
  uint64_t held = n - r.missing_events();  // events the trace holds
  uint64_t duration_ns =
      r.finished_unix_ns() > h.created_unix_ns ? r.finished_unix_ns() - h.created_unix_ns : 0;
  uint64_t perturbed = 0;
  for (const KindTotals& t : kinds) perturbed += t.perturbed;
  bool chaotic = !h.chaos.empty() || perturbed > 0;
  if (args.json) {
    nlohmann::ordered_json j;
    j["file"] = r.path();
    j["program"] = {{"kind", format::ProgramKindName(h.program_kind)},
                    {"name", h.program_name},
                    {"code_hash", format::ToHex(h.code_hash)}};
    j["recorder"] = h.recorder;
    if (!h.origin.empty()) j["origin"] = h.origin;
    if (chaotic) j["chaos"] = {{"spec", h.chaos}, {"seed", h.chaos_seed}, {"perturbed", perturbed}};
    j["created_unix_ns"] = h.created_unix_ns;
    j["finished_unix_ns"] = r.finished_unix_ns();
    j["events"] = n;
    j["missing_events"] = r.missing_events();
    nlohmann::ordered_json jg = nlohmann::ordered_json::array();
    for (const format::SeqRange& g : r.gaps()) jg.push_back({{"first", g.first}, {"count", g.count}});
    j["gaps"] = jg;
    j["chunks"] = r.chunks().size();
    j["file_bytes"] = r.file_size();
    j["bytes_per_event"] = held ? double(r.file_size()) / double(held) : 0.0;
    j["finalized"] = r.finalized();
    if (!r.finalized()) j["recovery"] = r.recovery_note();
    j["outcome"] = {{"kind", format::OutcomeKindName(r.outcome().kind)},
                    {"code", r.outcome().code},
                    {"message", r.outcome().message},
                    {"text", OutcomeDescription(r)}};
    if (!lanes.empty()) {
      nlohmann::ordered_json jl = nlohmann::ordered_json::array();
      for (const auto& [lane, events] : lanes) jl.push_back({{"lane", lane}, {"events", events}});
      j["lanes"] = jl;
    }
    nlohmann::ordered_json jk = nlohmann::ordered_json::object();
    for (int k = 0; k < 256; ++k) {
      if (!kinds[k].events) continue;
      nlohmann::ordered_json& jkind = jk[engine::KindName(uint8_t(k), &r.kind_names())];
      jkind = {{"events", kinds[k].events},
               {"args_bytes", kinds[k].args_bytes},
               {"result_bytes", kinds[k].result_bytes}};
      if (chaotic) jkind["perturbed"] = kinds[k].perturbed;
    }
    j["kinds"] = jk;
    nlohmann::ordered_json js = nlohmann::ordered_json::array();
    for (const auto& [id, st] : hot) {
      js.push_back({{"site", SiteHex(id)},
                    {"location", r.SiteLocation(id)},
                    {"kind", st.mixed ? std::string("(several)") : engine::KindName(st.kind, &r.kind_names())},
                    {"events", st.events}});
    }
    j["hot_sites"] = js;
    std::printf("%s\n", JsonLine(j).c_str());
    return kExitOk;
  }

  std::printf("%s: %s, recorded %s by %s\n", Shown(r.path()).c_str(),
              Shown(DescribeProgram(h)).c_str(), FormatTime(h.created_unix_ns).c_str(),
              Shown(h.recorder).c_str());
  if (!h.origin.empty()) std::printf("origin:    %s\n", Shown(h.origin).c_str());
  if (chaotic) {
    std::printf("chaos:     %s, seed %llu: %s perturbed\n", Shown(h.chaos).c_str(),
                (unsigned long long)h.chaos_seed, Count(perturbed, "event", "events").c_str());
  }
  std::printf("outcome:   the program %s\n", OutcomeText(r).c_str());
  if (!r.finalized()) std::printf("note:      %s\n", Shown(r.recovery_note()).c_str());
  if (duration_ns > 0) std::printf("duration:  %s\n", Duration(duration_ns).c_str());
  std::string events = std::to_string(n);
  if (r.missing_events() > 0) {
    events = std::to_string(held) + " of " + events + " (" + std::to_string(r.missing_events()) +
             " missing)";
  }
  std::printf("events:    %s in %s\n", events.c_str(),
              Count(r.chunks().size(), "chunk", "chunks").c_str());
  if (!r.gaps().empty()) {
    std::printf("missing:   %s (lost to damage before the trace was recovered)\n",
                GapsText(r).c_str());
  }
  std::printf("size:      %s (%.2f bytes/event)\n", Bytes(r.file_size()).c_str(),
              held ? double(r.file_size()) / double(held) : 0.0);
  std::printf("\n%-12s %12s %7s %12s %12s%s\n", "kind", "events", "share", "args", "results",
              chaotic ? "    perturbed" : "");
  for (int k = 0; k < 256; ++k) {
    if (!kinds[k].events) continue;
    std::printf("%-12s %12llu %6.1f%% %12s %12s", engine::KindName(uint8_t(k), &r.kind_names()).c_str(),
                (unsigned long long)kinds[k].events, 100.0 * double(kinds[k].events) / double(held),
                Bytes(kinds[k].args_bytes).c_str(), Bytes(kinds[k].result_bytes).c_str());
    if (chaotic) std::printf(" %12llu", (unsigned long long)kinds[k].perturbed);
    std::printf("\n");
  }
  if (!lanes.empty()) {
    // Threads: events per lane (lane 0 is the program's own thread).
    constexpr size_t kShownLanes = 16;
    std::printf("\n%-12s %12s %7s\n", "lane", "events", "share");
    size_t shown = 0;
    for (const auto& [lane, lane_events] : lanes) {
      if (shown++ == kShownLanes) {
        std::printf("... and %zu more lanes (--json lists them all)\n", lanes.size() - kShownLanes);
        break;
      }
      std::printf("%-12u %12llu %6.1f%%\n", lane, (unsigned long long)lane_events,
                  100.0 * double(lane_events) / double(held));
    }
  }
  if (untallied > 0) {
    std::printf("\nnote: more than %u distinct sites; %s at later ones are not in the hot sites\n",
                unsigned(format::kMaxSites), Count(untallied, "event", "events").c_str());
  }
  if (!hot.empty()) {
    std::printf("\nhot sites:\n");
    for (const auto& [id, st] : hot) {
      std::string where = r.SiteLocation(id);
      std::string kind = st.mixed ? "(several)" : engine::KindName(st.kind, &r.kind_names());
      std::printf("%12llu  %-12s %s [site %s]\n", (unsigned long long)st.events, kind.c_str(),
                  where.empty() ? "?" : Shown(where).c_str(),
                  SiteHex(id).c_str());
    }
  }
  return kExitOk;
}

}  // namespace tape::cli
