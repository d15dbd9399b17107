// tape inspect FILE [--filter KIND]... [--site HEX] [--lane N] [--since SEQ] [--from TIME] [--to TIME]
//                   [--grep TEXT | --grep-re REGEX] [--limit N | --last N]
//                   [--around SEQ [--context K]] [--json]
//
// Seeks: finds the chunks of the seq and time windows through the index and
// decodes only what the filters need (tools/event_select.h), so event
// 99,999,990 of a 100M-event trace, or its last minute, is as quick to show
// as event 0, and a --grep streams through the payload columns alone.

#include <fmt/core.h>

#include <cstdio>

#include "tools/cli.h"
#include "tools/event_select.h"
#include "tools/event_text.h"
#include "tools/time_arg.h"

namespace tape::cli {

namespace {

void PrintSummary(const format::TraceReader& r) {
  const format::TraceHeader& h = r.header();
  std::printf("%s: %s, recorded %s by %s\n", Shown(r.path()).c_str(),
              Shown(DescribeProgram(h)).c_str(), FormatTime(h.created_unix_ns).c_str(),
              Shown(h.recorder).c_str());
  std::printf("%s in %s; the program %s\n", EventsText(r).c_str(),
              Count(r.chunks().size(), "chunk", "chunks").c_str(),
              ShownIndented(OutcomeDescription(r), 4).c_str());
  if (r.has_times()) {
    std::printf("events from %s to %s (%s)\n", FormatInstant(r.first_time_ns()).c_str(),
                FormatInstant(r.last_time_ns()).c_str(),
                Duration(uint64_t(r.last_time_ns() - r.first_time_ns())).c_str());
  }
  if (!h.origin.empty()) std::printf("origin: %s\n", Shown(h.origin).c_str());
  if (!h.chaos.empty()) {
    std::printf("chaos: %s, seed %llu (perturbed results are marked [chaos])\n",
                Shown(h.chaos).c_str(), (unsigned long long)h.chaos_seed);
  }
  if (!h.redaction.empty()) std::printf("redacted: %s\n", Shown(RedactionText(h)).c_str());
  if (!r.finalized()) {
    std::printf("note: %s\n", Shown(r.recovery_note()).c_str());
    if (r.event_count() > 0 || !r.chunks().empty()) {
      std::printf("note: if its recording was interrupted, tape recover %s --out FIXED writes a "
                  "finished trace of every readable event\n",
                  Shown(r.path()).c_str());
    }
  }
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

// The flags that choose where to start are alternatives.
std::string Conflict(const InspectArgs& a) {
  const SelectArgs& s = a.select;
  if (a.around && (s.since || a.last || !s.from.empty() || !s.to.empty())) {
    return "--around shows the events around one seq: it cannot be combined with --since, "
           "--last, --from or --to";
  }
  if (a.context && !a.around) return "--context goes with --around SEQ";
  if (a.last && s.since) return "--last and --since both choose where to start: give one";
  if (a.last && a.limit) return "--last N already says how many events to show: drop --limit";
  return "";
}

}  // namespace

int RunInspect(const InspectArgs& args) {
  std::string conflict = Conflict(args);
  if (!conflict.empty()) return Fail("inspect", kExitUsage, conflict);
  OpenedTrace reader = OpenTrace("inspect", args.file);
  if (!reader) return kExitTrace;
  const format::TraceReader& r = *reader;
  EventSelection sel;
  std::string error;
  if (!ResolveSelection(r, args.select, &sel, &error)) return Fail("inspect", kExitUsage, error);
  uint64_t around = args.around.value_or(0);
  if (args.around) {
    uint64_t k = args.context.value_or(kDefaultContext);
    sel.first_seq = around > k ? around - k : 0;
    sel.end_seq = around + 1 + std::min<uint64_t>(k, UINT64_MAX - around - 1);
  }
  if (!args.json) PrintSummary(r);
  uint64_t start = args.around ? around : sel.first_seq;
  const char* flag = args.around ? "--around " : "--since ";
  if (start >= r.event_count() && (args.around || args.select.since)) {
    if (r.event_count() == 0) return kExitOk;
    return Fail("inspect", kExitUsage,
                fmt::format("{}{}: the trace has {} (seq 0..{})", flag, start,
                            Count(r.event_count(), "event", "events"), r.event_count() - 1));
  }

  bool with_time = r.has_times();
  uint64_t limit = args.limit.value_or(UINT64_MAX);
  uint64_t shown = 0;
  uint64_t expected = sel.first_seq;  // the next seq, were there no gaps
  std::string line;
  EventWalker walker(r, sel);
  auto on_chunk = [&](size_t c) {
    const format::ChunkIndexEntry& e = r.chunks()[c];
    if (!args.json && e.first_seq > expected) PrintGap(r, expected);
    expected = e.first_seq + e.event_count;
  };
  auto visit = [&](const format::DecodedChunk& chunk, uint32_t i) {
    format::EventView e = chunk.event(i);
    if (args.json) {
      line = JsonLine(EventJson(r, e));
    } else {
      line = EventLine(r, e, with_time);
      if (args.around) line = (e.seq == around ? "> " : "  ") + line;
    }
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
    return ++shown < limit;
  };
  Status s = args.last ? walker.Last(*args.last, visit, on_chunk) : walker.Forward(visit, on_chunk);
  if (!s.ok()) return Fail("inspect", kExitTrace, s.message());
  if (args.json) return kExitOk;
  if (shown < limit && !args.last && expected < std::min(sel.end_seq, r.event_count())) {
    PrintGap(r, expected);
  }
  bool searched = !sel.grep.empty() || sel.regex;
  if (shown == 0 && sel.timed) {
    std::printf("no events %sfrom %s to %s\n", searched ? "match " : "",
                sel.from_ns == INT64_MIN ? "the start" : FormatInstant(sel.from_ns).c_str(),
                sel.to_ns == INT64_MAX ? "the end" : FormatInstant(sel.to_ns).c_str());
  } else if (shown == 0 && searched) {
    std::printf("no events match\n");
  }
  return kExitOk;
}

}  // namespace tape::cli
