// tape stats FILE [--json]: events by kind, hot sites, sizes, duration, outcome.
//
// Reads the kinds, sites and payload-length columns only: payload heaps stay
// compressed, so a 100M-event trace is summarized without touching its data.

#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "engine/internal/effect_text.h"
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

// One chunk's events added up from its columns (kDecodeNoArrays): into the
// kind totals, and per entry of the chunk's site dictionary. Events are taken
// in runs that share a kind and a site (a chunk is mostly a few long runs),
// so the totals are updated once per run, and a run's lengths are summed by a
// loop the compiler vectorizes when every length is one byte.
struct ChunkTally {
  std::vector<uint64_t> per_dict;   // events per dictionary entry
  std::vector<uint8_t> dict_kind;   // the kind of the entry's last event
  std::vector<uint8_t> dict_mixed;  // 1: the entry's events have several kinds

  void Add(const format::DecodedChunk& chunk, KindTotals kinds[256]) {
    const format::DecodedChunk::Columns& c = chunk.columns();
    size_t distinct = chunk.site_dict().size();
    per_dict.assign(distinct, 0);
    dict_kind.assign(distinct, 0);
    dict_mixed.assign(distinct, 0);
    Lengths args(c.arg_lens, c.one_byte_arg_lens), results(c.result_lens, c.one_byte_result_lens);
    const uint8_t* kind = chunk.kinds();
    const uint8_t* ix = c.site_index.data();
    const uint8_t width = c.site_width;
    const uint32_t n = chunk.size();
    auto site = [&](uint32_t i) -> uint32_t {
      return width == 1 ? ix[i] : width == 2 ? format::LoadU16(ix + 2 * i)
                                             : format::LoadU32(ix + 4 * i);
    };
    for (uint32_t i = 0, j; i < n; i = j) {
      uint8_t k = kind[i];
      uint32_t s = site(i);
      if (i == 0 && Uniform(kind, n) && Uniform(ix, size_t(n) * width)) {
        j = n;  // the whole chunk: one kind at one site (a single-byte site index: site 0)
      } else if (width == 1) {
        for (j = i + 1; j < n && kind[j] == k && ix[j] == s;) ++j;
      } else {
        for (j = i + 1; j < n && kind[j] == k && site(j) == s;) ++j;
      }
      KindTotals& t = kinds[k];
      t.events += j - i;
      t.args_bytes += args.Sum(i, j);
      t.result_bytes += results.Sum(i, j);
      if (per_dict[s] > 0 && dict_kind[s] != k) dict_mixed[s] = 1;
      per_dict[s] += j - i;
      dict_kind[s] = k;
    }
    if (chunk.has_marks()) {  // results chaos mode changed (rare): event by event
      for (uint32_t i = 0; i < n; ++i) kinds[kind[i]].perturbed += chunk.marks(i) & format::kMarkPerturbed;
    }
  }

 private:
  // Whether all `n` bytes equal the first (a uniform site index of any width
  // repeats its one entry's bytes only if they are all equal: a conservative
  // test, never a wrong one, since a run is re-checked by kind and site).
  static bool Uniform(const uint8_t* p, size_t n) {
    uint8_t diff = 0;
    for (size_t i = 0; i < n; ++i) diff |= p[i] ^ p[0];
    return diff == 0;
  }

  // A validated length column (§7.4): event i's payload length is its varint
  // >> 1, whether the payload is inline, integer-coded or spilled. Summed in
  // event order: Sum(i, j) follows Sum(h, i).
  class Lengths {
   public:
    Lengths(format::Bytes lens, bool one_byte)
        : p_(lens.data()), end_(lens.data() + lens.size()), one_byte_(one_byte) {}
    uint64_t Sum(uint32_t from, uint32_t to) {
      uint64_t sum = 0;
      if (one_byte_) {
        if (to - from == 1) return p_[from] >> 1;  // a run of one: events that alternate
        // No spilled bit: the sum of the bytes is twice the sum of the lengths.
        for (uint32_t i = from; i < to; ++i) sum += p_[i];
        return sum >> 1;
      }
      for (uint32_t i = from; i < to; ++i) {
        uint64_t v = 0;
        if (*p_ < 0x80) {
          v = *p_++;
        } else {
          (void)format::ParseVarint(&p_, end_, &v);  // the decoder checked every one
        }
        sum += v >> 1;
      }
      return sum;
    }

   private:
    const uint8_t* p_;
    const uint8_t* end_;
    bool one_byte_;
  };
};

}  // namespace

int RunStats(const StatsArgs& args) {
  OpenedTrace reader = OpenTrace("stats", args.file);
  if (!reader) return kExitTrace;
  const format::TraceReader& r = *reader;

  KindTotals kinds[256];
  std::map<uint32_t, uint64_t> lanes;  // events per lane (threads), when any is not 0
  std::unordered_map<uint64_t, SiteTotals> sites;
  uint64_t untallied = 0;  // events at sites beyond the first kMaxSites
  uint64_t untallied_lane0 = 0;  // lane-0 events of chunks before the first with lanes
  format::ChunkDecoder decoder;
  format::DecodedChunk chunk;
  ChunkTally tally;
  Progress progress("stats " + args.file, r.event_count());
  for (size_t c = 0; c < r.chunks().size(); ++c) {
    Status s = r.ReadChunk(
        c, format::kDecodeSites | format::kDecodeSizes | format::kDecodeNoArrays, &decoder, &chunk);
    if (!s.ok()) return Fail("stats", kExitTrace, s.message());
    tally.Add(chunk, kinds);
    const std::vector<uint64_t>& per_dict = tally.per_dict;
    const std::vector<uint8_t>& dict_kind = tally.dict_kind;
    const std::vector<uint8_t>& dict_mixed = tally.dict_mixed;
    if (chunk.has_lanes()) {
      // By runs of one lane: one map update per run.
      const uint32_t* lane = chunk.lanes();
      for (uint32_t i = 0, j; i < chunk.size(); i = j) {
        for (j = i + 1; j < chunk.size() && lane[j] == lane[i];) ++j;
        lanes[lane[i]] += j - i;
      }
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
    j["file_bytes"] = reader.file_size();
    j["bytes_per_event"] = held ? double(reader.file_size()) / double(held) : 0.0;
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
  std::printf("outcome:   the program %s\n", ShownIndented(OutcomeDescription(r), 11).c_str());
  if (!r.finalized()) std::printf("note:      %s\n", Shown(r.recovery_note()).c_str());
  if (duration_ns > 0) std::printf("duration:  %s\n", Duration(duration_ns).c_str());
  std::string events = std::to_string(n);
  if (r.missing_events() > 0) {
    events = fmt::format("{} of {} ({} missing)", held, events, r.missing_events());
  }
  std::printf("events:    %s in %s\n", events.c_str(),
              Count(r.chunks().size(), "chunk", "chunks").c_str());
  if (!r.gaps().empty()) {
    std::printf("missing:   %s (lost to damage before the trace was recovered)\n",
                GapsText(r).c_str());
  }
  std::printf("size:      %s (%.2f bytes/event)\n", Bytes(reader.file_size()).c_str(),
              held ? double(reader.file_size()) / double(held) : 0.0);
  // The kind column is as wide as the longest name shown (libc.clock_gettime).
  int width = 12;
  for (int k = 0; k < 256; ++k) {
    if (kinds[k].events) width = std::max(width, int(engine::KindName(uint8_t(k), &r.kind_names()).size()));
  }
  std::printf("\n%-*s %12s %7s %12s %12s%s\n", width, "kind", "events", "share", "args", "results",
              chaotic ? "    perturbed" : "");
  for (int k = 0; k < 256; ++k) {
    if (!kinds[k].events) continue;
    std::printf("%-*s %12llu %6.1f%% %12s %12s", width, engine::KindName(uint8_t(k), &r.kind_names()).c_str(),
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
