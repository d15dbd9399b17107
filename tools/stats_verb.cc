// tape stats FILE [--json]: events by kind, hot sites, sizes, duration, outcome.
//
// Reads the kinds, sites and payload-length columns only: payload heaps stay
// compressed, so a 100M-event trace is summarized without touching its data.

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "engine/src/effect_text.h"
#include "tools/cli.h"

namespace tape::cli {

namespace {

struct KindTotals {
  uint64_t events = 0, args_bytes = 0, result_bytes = 0;
};
struct SiteTotals {
  uint64_t events = 0;
  uint8_t kind = 0;
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
  std::unordered_map<uint64_t, SiteTotals> sites;
  std::vector<uint64_t> per_dict;
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
    for (uint32_t i = 0; i < chunk.size(); ++i) {
      uint8_t k = chunk.kind(i);
      KindTotals& t = kinds[k];
      ++t.events;
      t.args_bytes += chunk.args_size(i);
      t.result_bytes += chunk.result_size(i);
      ++per_dict[index[i]];
      dict_kind[index[i]] = k;
    }
    for (size_t d = 0; d < per_dict.size(); ++d) {
      SiteTotals& st = sites[chunk.site_dict()[d]];
      st.events += per_dict[d];
      st.kind = dict_kind[d];
    }
    progress.Update(chunk.first_seq() + chunk.size());
  }
  progress.Finish();

  std::vector<std::pair<uint64_t, SiteTotals>> hot(sites.begin(), sites.end());
  std::sort(hot.begin(), hot.end(), [](const auto& a, const auto& b) {
    return a.second.events != b.second.events ? a.second.events > b.second.events
                                              : a.first < b.first;
  });
  if (hot.size() > args.top) hot.resize(args.top);

  const format::TraceHeader& h = r.header();
  uint64_t n = r.event_count();
  uint64_t duration_ns =
      r.finished_unix_ns() > h.created_unix_ns ? r.finished_unix_ns() - h.created_unix_ns : 0;
  if (args.json) {
    nlohmann::ordered_json j;
    j["file"] = r.path();
    j["program"] = {{"kind", format::ProgramKindName(h.program_kind)},
                    {"name", h.program_name},
                    {"code_hash", format::ToHex(h.code_hash)}};
    j["recorder"] = h.recorder;
    if (!h.origin.empty()) j["origin"] = h.origin;
    j["created_unix_ns"] = h.created_unix_ns;
    j["finished_unix_ns"] = r.finished_unix_ns();
    j["events"] = n;
    j["chunks"] = r.chunks().size();
    j["file_bytes"] = r.file_size();
    j["bytes_per_event"] = n ? double(r.file_size()) / double(n) : 0.0;
    j["finalized"] = r.finalized();
    if (!r.finalized()) j["recovery"] = r.recovery_note();
    j["outcome"] = {{"kind", format::OutcomeKindName(r.outcome().kind)},
                    {"code", r.outcome().code},
                    {"message", r.outcome().message},
                    {"text", r.outcome().Describe()}};
    nlohmann::ordered_json jk = nlohmann::ordered_json::object();
    for (int k = 0; k < 256; ++k) {
      if (!kinds[k].events) continue;
      jk[engine::KindName(uint8_t(k), &r.kind_names())] = {{"events", kinds[k].events},
                                          {"args_bytes", kinds[k].args_bytes},
                                          {"result_bytes", kinds[k].result_bytes}};
    }
    j["kinds"] = jk;
    nlohmann::ordered_json js = nlohmann::ordered_json::array();
    for (const auto& [id, st] : hot) {
      js.push_back({{"site", SiteHex(id)},
                    {"location", r.SiteLocation(id)},
                    {"kind", engine::KindName(st.kind, &r.kind_names())},
                    {"events", st.events}});
    }
    j["hot_sites"] = js;
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace).c_str());
    return kExitOk;
  }

  std::printf("%s: %s, recorded %s by %s\n", r.path().c_str(), DescribeProgram(h).c_str(),
              FormatTime(h.created_unix_ns).c_str(), h.recorder.c_str());
  if (!h.origin.empty()) std::printf("origin:    %s\n", h.origin.c_str());
  std::printf("outcome:   the program %s\n", r.outcome().Describe().c_str());
  if (!r.finalized()) std::printf("note:      %s\n", r.recovery_note().c_str());
  if (duration_ns > 0) std::printf("duration:  %s\n", Duration(duration_ns).c_str());
  std::printf("events:    %llu in %s\n", (unsigned long long)n,
              Count(r.chunks().size(), "chunk", "chunks").c_str());
  std::printf("size:      %s (%.2f bytes/event)\n", Bytes(r.file_size()).c_str(),
              n ? double(r.file_size()) / double(n) : 0.0);
  std::printf("\n%-12s %12s %7s %12s %12s\n", "kind", "events", "share", "args", "results");
  for (int k = 0; k < 256; ++k) {
    if (!kinds[k].events) continue;
    std::printf("%-12s %12llu %6.1f%% %12s %12s\n", engine::KindName(uint8_t(k), &r.kind_names()).c_str(),
                (unsigned long long)kinds[k].events, 100.0 * double(kinds[k].events) / double(n),
                Bytes(kinds[k].args_bytes).c_str(), Bytes(kinds[k].result_bytes).c_str());
  }
  if (!hot.empty()) {
    std::printf("\nhot sites:\n");
    for (const auto& [id, st] : hot) {
      std::string where = r.SiteLocation(id);
      std::printf("%12llu  %-12s %s [site %s]\n", (unsigned long long)st.events,
                  engine::KindName(st.kind, &r.kind_names()).c_str(), where.empty() ? "?" : where.c_str(),
                  SiteHex(id).c_str());
    }
  }
  return kExitOk;
}

}  // namespace tape::cli
