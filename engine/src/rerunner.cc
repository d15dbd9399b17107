#include "engine/src/rerunner.h"

#include <algorithm>
#include <stdexcept>

#include "engine/internal/effect_text.h"
#include "engine/src/replayer.h"

namespace tape::engine {

using format::AsBytes;
using format::AsChars;
using format::Bytes;

namespace {

constexpr size_t kMaxNotes = 5;

// The bytes of the key fields of `args` (EffectSpec::args.keys), or
// all of `args` for a user-defined effect. Empty for effects without a key.
std::string KeyOf(uint8_t kind, Bytes args) {
  const EffectSpec* spec = FindEffect(kind);
  if (spec == nullptr) return std::string(AsChars(args));
  if (spec->args.keys == 0) return "";
  ParsedPayload parsed;
  if (!ParsePayload(spec->args.layout, args, &parsed).ok()) return std::string(AsChars(args));
  std::string key;
  for (uint8_t i = 0; i < parsed.count; ++i) {
    if (!(spec->args.keys & (1u << i))) continue;
    const FieldValue& v = parsed.fields[i];
    key.append(AsChars(v.bytes)).push_back('\0');
    if (v.type == FieldType::kTextList) {
      for (Bytes item : v.list) key.append(AsChars(item)).push_back('\0');
    }
  }
  return key;
}

}  // namespace

Rerunner::Rerunner(const format::TraceReader* reader, const RerunOptions& options,
                   RerunSummary* summary)
    : reader_(reader),
      options_(options),
      summary_(summary),
      cursor_(reader, format::kDecodeAll) {
  env_.stdout_fd = options.stdout_fd;
  env_.stderr_fd = options.stderr_fd;
  const format::KindNames& names = reader->kind_names();
  for (int k = kFirstUserKind; k < 256; ++k) {
    if (!names[k].empty()) SetUserKind(EffectKind(k), names[k]);
  }
  Status s = cursor_.Seek(0);
  if (!s.ok()) throw TraceReadFailed{s};
}

void Rerunner::BadResult(EffectKind kind) {
  throw TraceReadFailed{Status::Corrupt(
      reader_->path() + ": a recorded result of " + KindName(uint8_t(kind), &reader_->kind_names()) +
      " does not have that effect's layout")};
}

void Rerunner::Note(std::string note) {
  if (summary_->notes.size() < kMaxNotes) summary_->notes.push_back(std::move(note));
}

std::string Rerunner::Describe(uint8_t kind, Bytes args, uint64_t site) const {
  std::string where = reader_->SiteLocation(site);
  return DescribeCall(KindName(kind, &reader_->kind_names()), kind, args) + " at " +
         (where.empty() ? "site " + std::to_string(site) : where);
}

void Rerunner::Load(uint64_t upto) {
  while (!cursor_.at_end() && cursor_.seq() <= upto) {
    format::EventView e = cursor_.event();
    Recorded r{e.seq, e.site, e.kind, false, {}, {}};
    Status s = reader_->ReadPayload(e.args, UINT64_MAX, &r.args);
    if (s.ok()) s = reader_->ReadPayload(e.result, UINT64_MAX, &r.result);
    if (s.ok()) s = cursor_.Next();
    if (!s.ok()) throw TraceReadFailed{s};
    window_.push_back(std::move(r));
  }
}

void Rerunner::Drop(const Recorded& e) {
  const EffectSpec* spec = FindEffect(e.kind);
  if (spec != nullptr && spec->direction == Direction::kControl) return;
  if (spec != nullptr && spec->direction == Direction::kOutput) {
    Segment& g = segment_[e.kind];
    if (g.removed++ == 0) {
      g.first_removed = Describe(e.kind, AsBytes(e.args), e.site) + " (seq " +
                        std::to_string(e.seq) + ")";
      g.removed_bytes = e.args;
    }
  } else {
    ++summary_->inputs_unused;
  }
}

void Rerunner::CloseSegment() {
  for (auto& [kind, g] : segment_) CloseSegment(&g);
  segment_.clear();
}

void Rerunner::CloseSegment(Segment* segment) {
  Segment& g = *segment;
  uint64_t changed = std::min(g.added, g.removed);
  summary_->outputs_changed += changed;
  summary_->outputs_added += g.added - changed;
  summary_->outputs_removed += g.removed - changed;
  if (summary_->first_output_change.empty()) {
    if (changed > 0) {
      summary_->first_output_change = "changed: recorded " + g.first_removed + ", now " +
                                      g.first_added + "; " +
                                      FirstDifference(AsBytes(g.removed_bytes), AsBytes(g.added_bytes));
    } else if (g.added > 0) {
      summary_->first_output_change = "added: " + g.first_added + " was not made when recorded";
    } else if (g.removed > 0) {
      summary_->first_output_change = "removed: " + g.first_removed + " is not made any more";
    }
  }
}

void Rerunner::Consume(size_t i) {
  window_[i].consumed = true;
  frontier_ = std::max(frontier_, window_[i].seq + 1);
  // Events that fell kWindow behind the frontier unconsumed were not asked for.
  while (!window_.empty() && (window_.front().consumed || window_.front().seq + kWindow < frontier_)) {
    if (!window_.front().consumed) Drop(window_.front());
    window_.pop_front();
  }
}

size_t Rerunner::Find(const Site& site, EffectKind kind, Bytes args, How* how) {
  Load(frontier_ + kWindow);
  uint8_t k = uint8_t(kind);
  const EffectSpec* spec = FindEffect(k);
  bool keyed = spec == nullptr || spec->args.keys != 0;
  std::string key = keyed ? KeyOf(k, args) : std::string();
  for (size_t i = 0; i < window_.size(); ++i) {
    const Recorded& e = window_[i];
    if (!e.consumed && e.site == site.id && e.kind == k &&
        (!keyed || KeyOf(k, AsBytes(e.args)) == key)) {
      *how = How::kSite;
      return i;
    }
  }
  if (keyed) {
    for (size_t i = 0; i < window_.size(); ++i) {
      const Recorded& e = window_[i];
      if (!e.consumed && e.kind == k && KeyOf(k, AsBytes(e.args)) == key) {
        *how = How::kKey;
        return i;
      }
    }
  }
  if (!keyed) {  // a keyed input with another key asks another question
    for (size_t i = 0; i < window_.size(); ++i) {
      if (!window_[i].consumed && window_[i].kind == k) {
        *how = How::kKind;
        return i;
      }
    }
  }
  *how = How::kNone;
  return 0;
}

void Rerunner::OnThreadsStart() {
  throw std::logic_error(
      "tape rerun does not run programs that start threads (tape::Thread) yet: its inputs are "
      "matched in one sequence; use tape replay for the unchanged program");
}

std::string_view Rerunner::Perform(const Site& site, EffectKind kind, std::string_view args,
                                   const LiveCall& live) {
  CheckThread(site);
  ++calls_;
  const EffectSpec* spec = FindEffect(uint8_t(kind));
  if (spec != nullptr && spec->direction == Direction::kOutput) {
    return Output(site, kind, args, live);
  }
  if (spec != nullptr && spec->direction == Direction::kControl) {
    // Scheduling, neither input nor output (a tape::Mutex in a one-thread
    // program): its action runs; recorded control events are not compared.
    result_.clear();
    if (live.fn != nullptr) live.fn(live.context, &env_, args, &result_);
    return result_;
  }
  return Input(site, kind, args, live);
}

std::string_view Rerunner::Input(const Site& site, EffectKind kind, std::string_view args,
                                 const LiveCall& live) {
  const EffectSpec* spec = FindEffect(uint8_t(kind));
  How how;
  size_t i = Find(site, kind, AsBytes(args), &how);
  if (how == How::kNone) {
    const Layout* layout = ResultLayout(uint8_t(kind));
    if (layout != nullptr && layout->count == 0) return {};  // time.sleep: nothing to serve
    if (!options_.live) {
      throw DriftError({DriftKind::kUnrecordedInput, calls_ - 1,
                        "no unconsumed recorded event of this effect within " +
                            std::to_string(kWindow) + " events of seq " + std::to_string(frontier_),
                        DescribeCall(KindLabel(kind), uint8_t(kind), AsBytes(args)) + " at " +
                            std::string(site.location),
                        "the changed program asks for an input the recording does not have; "
                        "to perform such inputs for real: --live"});
    }
    ++summary_->live;
    result_.clear();
    if (live.fn != nullptr) {
      live.fn(live.context, &env_, args, &result_);
      return result_;
    }
    return spec->live(env_, AsBytes(args), &result_);
  }
  Recorded& e = window_[i];
  switch (how) {
    case How::kSite: ++summary_->by_site; break;
    case How::kKey: ++summary_->by_key; break;
    default: ++summary_->by_kind; break;
  }
  result_ = std::move(e.result);
  if (e.args != args) {
    ++summary_->adjusted;
    std::string served = "the recorded result of " + Describe(e.kind, AsBytes(e.args), e.site) +
                         " (seq " + std::to_string(e.seq) + ")";
    // The recorded result made to fit the call (random.bits(n): n bytes).
    if (spec != nullptr && spec->rerun_fit != nullptr) {
      spec->rerun_fit(AsBytes(args), &result_, &served);
    }
    Note(DescribeCall(KindLabel(kind), uint8_t(kind), AsBytes(args)) + " at " +
         std::string(site.location) + " was served " + served);
  }
  Consume(i);
  return result_;
}

std::string_view Rerunner::Output(const Site& site, EffectKind kind, std::string_view args,
                                  const LiveCall& live) {
  const EffectSpec* spec = FindEffect(uint8_t(kind));
  // Performed as the new program asks: stdout and stderr always, files only
  // with --live.
  std::string_view live_result;
  if (spec->reenact != nullptr) {
    spec->reenact(env_, AsBytes(args));
  } else if (options_.live) {
    result_.clear();
    live_result = live.fn ? (live.fn(live.context, &env_, args, &result_), std::string_view(result_))
                          : spec->live(env_, AsBytes(args), &result_);
  }
  Load(frontier_ + kWindow);
  uint8_t k = uint8_t(kind);
  size_t match = window_.size();
  for (size_t i = 0; i < window_.size(); ++i) {
    if (!window_[i].consumed && window_[i].kind == k && window_[i].args == args) {
      match = i;
      break;
    }
  }
  if (match == window_.size()) {
    Segment& g = segment_[k];
    if (g.added++ == 0) {
      g.first_added = DescribeCall(KindLabel(kind), k, AsBytes(args)) + " at " +
                      std::string(site.location) + " (call " + std::to_string(calls_ - 1) + ")";
      g.added_bytes = args;
    }
    if (!live_result.empty()) return live_result;
    result_ = ZeroPayload(spec->result.layout);
    return result_;
  }
  // Recorded outputs before the equal one that were not made again: removed.
  for (size_t i = 0; i < match; ++i) {
    Recorded& e = window_[i];
    const EffectSpec* es = FindEffect(e.kind);
    if (!e.consumed && es != nullptr && es->direction == Direction::kOutput) {
      Drop(e);
      e.consumed = true;
    }
  }
  CloseSegment();
  ++summary_->outputs_same;
  if (live_result.empty()) {
    result_ = std::move(window_[match].result);
    live_result = result_;
  }
  Consume(match);
  return live_result;
}

void Rerunner::Finish() {
  Load(UINT64_MAX);
  for (const Recorded& e : window_) {
    if (!e.consumed) Drop(e);
  }
  window_.clear();
  CloseSegment();
}

}  // namespace tape::engine
