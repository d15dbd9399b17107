#include "tools/event_select.h"

#include <fmt/core.h>
#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>
#include <tuple>

#include "engine/effects/registry.h"
#include "tools/cli.h"
#include "tools/event_text.h"
#include "tools/time_arg.h"

namespace tape::cli {

using format::DecodedChunk;
using format::PayloadView;

std::shared_ptr<const re2::RE2> CompileRegex(const std::string& pattern, std::string* error) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<const re2::RE2>(pattern, options);
  if (!re->ok()) {
    *error = re->error();
    return nullptr;
  }
  return re;
}

bool RegexIsPositionFree(std::string_view pattern) {
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\') {
      if (i + 1 == pattern.size()) return false;
      char e = pattern[++i];
      if (e == 'A' || e == 'z' || e == 'b' || e == 'B' || e == 'Q') return false;  // \Q..\E: unsure
      continue;
    }
    if (in_class) {
      if (pattern.compare(i, 2, "[:") == 0) {  // [[:alpha:]]: its ']' does not end the class
        size_t close = pattern.find(":]", i + 2);
        if (close == std::string_view::npos) return false;
        i = close + 1;
      } else if (c == ']') {
        in_class = false;
      }
      continue;
    }
    if (c == '^' || c == '$') return false;
    if (c == '[') {
      in_class = true;
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') ++i;
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') ++i;  // "[]a]": a literal ']'
    }
  }
  return true;
}

int64_t RecordingStart(const format::TraceReader& reader) {
  int64_t created = int64_t(reader.header().created_unix_ns);
  int64_t first = reader.first_time_ns();
  if (created > 0 && (first == 0 || created <= first)) return created;
  return first;
}

std::string ResolveSite(const format::TraceReader& r, const std::string& text, uint64_t* site) {
  bool prefixed = text.starts_with("0x") || text.starts_with("0X");
  std::string digits = prefixed ? text.substr(2) : text;
  if (digits.empty() || digits.size() > 20 ||
      !std::all_of(digits.begin(), digits.end(),
                   [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); })) {
    return "--site " + Shown(text) +
           ": expected up to 16 hex digits (a site id or its prefix), or an id as the original "
           "tape wrote it (0x64168c21 or 1679199265)";
  }
  for (char& c : digits) c = char(std::tolower(static_cast<unsigned char>(c)));
  std::vector<uint64_t> found;
  bool by_number = false;  // a site found by its id as a number, not as a prefix
  auto add = [&](uint64_t id, bool number) {
    if (std::find(found.begin(), found.end(), id) != found.end()) return;
    found.push_back(id);
    by_number |= number;
  };
  // As tape prints ids: 16 hex digits, or a prefix that names one site.
  char hex[17];
  for (const auto& [id, location] : r.sites()) {
    std::snprintf(hex, sizeof hex, "%016llx", (unsigned long long)id);
    if (digits.size() <= 16 && std::string_view(hex).starts_with(digits)) add(id, false);
  }
  // The whole id as a number, as the original tape wrote them: in hex
  // (0x64168c21 is site 0000000064168c21) or in decimal (1679199265).
  uint64_t value = 0;
  const char* end = digits.data() + digits.size();
  if (auto [p, ec] = std::from_chars(digits.data(), end, value, 16); ec == std::errc() && p == end &&
      r.sites().count(value)) {
    add(value, true);
  }
  if (!prefixed && std::all_of(digits.begin(), digits.end(), [](char c) { return c <= '9'; })) {
    if (auto [p, ec] = std::from_chars(digits.data(), end, value, 10);
        ec == std::errc() && p == end && r.sites().count(value)) {
      add(value, true);
    }
  }
  if (found.size() == 1) {
    *site = found[0];
    return "";
  }
  if (found.empty()) {
    return "--site " + Shown(text) + ": no site of this trace has an id starting with " + digits +
           ", nor that id as a number (tape stats lists the hot sites; tape inspect shows each "
           "event's [site ...])";
  }
  std::sort(found.begin(), found.end());
  std::string why = fmt::format(
      "--site {}: {} sites of this trace have {}{} (", Shown(text), found.size(),
      by_number ? "that id as a number or ids starting with " : "ids starting with ", digits);
  for (size_t i = 0; i < found.size() && i < 5; ++i) {
    if (i > 0) why += ", ";
    why += SiteHex(found[i]) + " at " + Shown(r.sites().at(found[i]));
  }
  if (found.size() > 5) why += ", ...";
  return why + "); give more digits";
}

bool ResolveSelection(const format::TraceReader& reader, const SelectArgs& args,
                      EventSelection* out, std::string* error) {
  *out = EventSelection();
  if (!args.site.empty()) {
    *error = ResolveSite(reader, args.site, &out->site);
    if (!error->empty()) return false;
    out->by_site = true;
  }
  if (!args.filter.empty()) {
    out->all_kinds = false;
    for (const std::string& name : args.filter) {
      uint8_t kind;
      if (!ParseKind(reader, name, &kind)) {
        *error = "--filter " + name + ": not an effect (" + engine::EffectNameList() +
                 ", or the name of a user-defined effect in this trace)";
        return false;
      }
      out->kinds[kind] = true;
    }
  }
  if (args.lane) {
    out->by_lane = true;
    out->lane = *args.lane;
  }
  if (args.since) out->first_seq = *args.since;
  if (args.grep && args.grep_re) {
    *error = "--grep and --grep-re: give one of them";
    return false;
  }
  if (args.grep) {
    if (args.grep->empty()) {
      *error = "--grep: the text is empty (it would match every event)";
      return false;
    }
    out->grep = *args.grep;
  }
  if (args.grep_re) {
    if (args.grep_re->empty()) {
      *error = "--grep-re: the pattern is empty (it would match every event)";
      return false;
    }
    std::string why;
    out->regex = CompileRegex(*args.grep_re, &why);
    if (!out->regex) {
      *error = "--grep-re " + *args.grep_re + ": not a regular expression (RE2 syntax): " + why;
      return false;
    }
    // A pattern that matches the empty text matches every payload, the empty
    // ones too, which the heap has no place for: searched payload by payload.
    out->regex_position_free =
        RegexIsPositionFree(*args.grep_re) && !re2::RE2::PartialMatch("", *out->regex);
  }
  if (args.from.empty() && args.to.empty()) return true;
  TimeArg from, to;
  for (auto [text, arg, flag] : {std::tuple{&args.from, &from, "--from"},
                                 std::tuple{&args.to, &to, "--to"}}) {
    std::string why;
    if (!text->empty() && !ParseTimeArg(*text, arg, &why)) {
      *error = std::string(flag) + " " + *text + ": " + why;
      return false;
    }
  }
  if (!reader.has_times()) {
    *error = "--from/--to: " + reader.path() +
             " has no event times (it was recorded before tape stored them, or imported); "
             "choose events by seq with --since instead";
    return false;
  }
  int64_t start = RecordingStart(reader), end = reader.last_time_ns();
  out->timed = true;
  if (!args.from.empty()) out->from_ns = ResolveTime(from, start, end);
  if (!args.to.empty()) out->to_ns = ResolveTime(to, start, end);
  if (!args.from.empty() && !args.to.empty() && out->from_ns >= out->to_ns) {
    *error = "--from " + args.from + " (" + FormatInstant(out->from_ns) + ") is not before --to " +
             args.to + " (" + FormatInstant(out->to_ns) + "): the window holds no time";
    return false;
  }
  return true;
}

EventWalker::EventWalker(const format::TraceReader& reader, EventSelection selection)
    : reader_(reader), sel_(std::move(selection)) {
  FindChunks();
}

EventWalker::~EventWalker() = default;

void EventWalker::FindChunks() {
  const auto& chunks = reader_.chunks();
  first_chunk_ = reader_.ChunkFor(sel_.first_seq);
  end_chunk_ = first_chunk_;
  while (end_chunk_ < chunks.size() && chunks[end_chunk_].first_seq < sel_.end_seq) ++end_chunk_;
  if (!sel_.timed) return;
  // Times never decrease from chunk to chunk (§9.4), so the chunks of a time
  // window are consecutive; chunks of unknown time (0) hold nothing in it.
  while (first_chunk_ < end_chunk_ && (chunks[first_chunk_].last_time_ns < sel_.from_ns ||
                                       chunks[first_chunk_].first_time_ns == 0)) {
    ++first_chunk_;
  }
  while (end_chunk_ > first_chunk_ && (chunks[end_chunk_ - 1].first_time_ns >= sel_.to_ns ||
                                       chunks[end_chunk_ - 1].first_time_ns == 0)) {
    --end_chunk_;
  }
}

bool EventWalker::GrepPayload(const PayloadView& p) {
  std::string_view bytes;
  if (p.spilled()) {
    if (!reader_.ReadPayload(p, kGrepSpilledBytes, &spilled_).ok()) return false;
    bytes = spilled_;
  } else {
    bytes = {reinterpret_cast<const char*>(p.data), size_t(p.size)};
  }
  if (sel_.regex) return re2::RE2::PartialMatch(bytes, *sel_.regex);
  return std::string_view(bytes).find(sel_.grep) != std::string_view::npos;
}

// Literal text: one memmem over each payload heap, then each hit is mapped to
// the event whose payload holds it whole. Payloads follow each other in event
// order in the heap (§7.4), so the mapping walks forward with the hits.
// A position-free regex is searched the same way: the heap's leftmost match
// is a candidate; no payload before the one it starts in can match on its own
// (its match would be further left in the heap), and that payload is then
// checked alone, since the heap's match may run into the next payload.
void EventWalker::Grep(const DecodedChunk& chunk, uint32_t begin, uint32_t end) {
  hit_.assign(chunk.size(), 0);
  if (sel_.regex && !sel_.regex_position_free) {
    for (uint32_t i = begin; i < end; ++i) {
      hit_[i] = GrepPayload(chunk.args(i)) || GrepPayload(chunk.result(i));
    }
    return;
  }
  const std::string& needle = sel_.grep;
  const re2::RE2* regex = sel_.regex.get();
  // The first candidate at or after `from`, or nullptr.
  auto next = [&](const uint8_t* from, const uint8_t* heap_end) -> const uint8_t* {
    if (regex == nullptr) {
      return static_cast<const uint8_t*>(
          memmem(from, size_t(heap_end - from), needle.data(), needle.size()));
    }
    re2::StringPiece text(reinterpret_cast<const char*>(from), size_t(heap_end - from));
    re2::StringPiece match;
    if (!regex->Match(text, 0, text.size(), re2::RE2::UNANCHORED, &match, 1)) return nullptr;
    return reinterpret_cast<const uint8_t*>(match.data());
  };
  const DecodedChunk::Columns& columns = chunk.columns();
  for (bool args : {true, false}) {
    format::Bytes heap = args ? columns.arg_heap : columns.result_heap;
    auto payload = [&](uint32_t i) { return args ? chunk.args(i) : chunk.result(i); };
    // Spilled payloads are not in the heap (it holds their hashes).
    for (uint32_t i = begin; i < end; ++i) {
      if (payload(i).spilled() && !hit_[i]) hit_[i] = GrepPayload(payload(i));
    }
    if (heap.empty() || heap.size() < needle.size()) continue;
    const uint8_t* base = heap.data();
    const uint8_t* heap_end = base + heap.size();
    auto in_heap = [&](const PayloadView& p) {
      return !p.spilled() && p.data >= base && p.data < heap_end;
    };
    // Start at the first payload of the window: hits before it do not count.
    uint32_t i = begin;
    while (i < end && !in_heap(payload(i))) ++i;
    if (i == end) continue;
    const uint8_t* from = payload(i).data;
    while (i < end) {
      const uint8_t* at = next(from, heap_end);
      if (at == nullptr) break;
      // The first event whose payload in the heap ends past the hit.
      PayloadView p;
      for (; i < end; ++i) {
        p = payload(i);
        if (in_heap(p) && p.data + p.size > at) break;
      }
      if (i == end) break;
      if (regex != nullptr) {
        // A match starting before this payload lies in a spilled payload's
        // hash or crosses into this one: this payload is the next candidate.
        if (at >= p.data) {
          hit_[i] = hit_[i] || GrepPayload(p);
          ++i;
        }
        from = at >= p.data ? p.data + p.size : p.data;
      } else if (p.data <= at && at + needle.size() <= p.data + p.size) {
        hit_[i] = 1;
        from = p.data + p.size;  // the rest of this payload cannot add anything
        ++i;
      } else {
        from = at + 1;  // the hit crosses a payload boundary, or lies in a hash
      }
    }
  }
}

Status EventWalker::Select(size_t c, bool full) {
  const format::ChunkIndexEntry& e = reader_.chunks()[c];
  matches_.clear();
  uint64_t lo = std::max(sel_.first_seq, e.first_seq);
  uint64_t hi = std::min<uint64_t>(sel_.end_seq, e.first_seq + e.event_count);
  if (lo >= hi) return Status::Ok();
  uint32_t begin = uint32_t(lo - e.first_seq), end = uint32_t(hi - e.first_seq);
  bool time_whole = !sel_.timed || (e.first_time_ns != 0 && e.first_time_ns >= sel_.from_ns &&
                                    e.last_time_ns < sel_.to_ns);
  unsigned probe = 0;
  if (!sel_.all_kinds || sel_.by_lane) probe |= format::kDecodeKinds;  // lanes come with kinds
  if (sel_.by_site) probe |= format::kDecodeSites;
  if (!time_whole) probe |= format::kDecodeTimes;
  bool grepping = !sel_.grep.empty() || sel_.regex;
  if (grepping) probe |= format::kDecodePayloads;
  ++probed_;
  if (probe == 0) {
    for (uint32_t i = begin; i < end; ++i) matches_.push_back(i);
  } else {
    TAPE_RETURN_IF_ERROR(reader_.ReadChunk(c, probe, &decoder_, &probe_));
    if (grepping) Grep(probe_, begin, end);
    for (uint32_t i = begin; i < end; ++i) {
      if (!sel_.all_kinds && !sel_.kinds[probe_.kind(i)]) continue;
      if (sel_.by_site && probe_.site(i) != sel_.site) continue;
      if (sel_.by_lane && probe_.lane(i) != sel_.lane) continue;
      if (!time_whole) {
        int64_t t = probe_.time(i);
        if (t == 0 || t < sel_.from_ns || t >= sel_.to_ns) continue;
      }
      if (grepping && !hit_[i]) continue;
      matches_.push_back(i);
    }
  }
  if (full && !matches_.empty()) {
    ++decoded_;
    TAPE_RETURN_IF_ERROR(reader_.ReadChunk(c, format::kDecodeAll, &decoder_, &full_));
  }
  return Status::Ok();
}

Status EventWalker::Walk(size_t from_chunk, uint64_t skip, const Visitor& visit,
                         const ChunkHook& on_chunk) {
  for (size_t c = from_chunk; c < end_chunk_; ++c) {
    if (on_chunk) on_chunk(c);
    Status s = Select(c, /*full=*/true);
    reader_.ReleaseChunkPages(c);
    if (!s.ok()) return s;
    for (uint32_t i : matches_) {
      if (skip > 0) {
        --skip;
        continue;
      }
      if (!visit(full_, i)) return Status::Ok();
    }
  }
  return Status::Ok();
}

Status EventWalker::Forward(const Visitor& visit, const ChunkHook& on_chunk) {
  return Walk(first_chunk_, 0, visit, on_chunk);
}

Status EventWalker::Last(uint64_t n, const Visitor& visit, const ChunkHook& on_chunk) {
  if (n == 0) return Status::Ok();
  uint64_t total = 0;
  size_t c = end_chunk_;
  while (c > first_chunk_ && total < n) {
    --c;
    Status s = Select(c, /*full=*/false);
    reader_.ReleaseChunkPages(c);
    if (!s.ok()) return s;
    total += matches_.size();
  }
  return Walk(c, total > n ? total - n : 0, visit, on_chunk);
}

}  // namespace tape::cli
