// tape redact FILE --out CLEAN [--kind K] [--name GLOB] [--site S] [--match RE]...:
// writes a copy of a trace whose secrets are replaced by markers, so that it
// can be shared (specs/trace-format.md §13.6).
//
// Two passes over the events. The first learns the values of the fields the
// rules select and the text the --match patterns match, to find them again
// wherever the program copied them (a token from env.get that was printed,
// or written to a file; a token a pattern matched in a request, where it came
// in), and the numbers of the markers the trace already holds. The second writes every event through
// RecoveryWriter, chunk for chunk: the fields the rules select replaced whole,
// and in every field the text that a --match pattern matches or that equals a
// learnt value. Everything else is kept: seqs, sites, kinds, kind names,
// gaps, the code hash, the writer's settings, chunk boundaries and times, the
// outcome (but for matched text in its message) and the script's source (the
// same).
//
// A trace that is not finished, or that turns out damaged, is refused: a
// redacted copy must hold every event it claims, so it is recovered first.

#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "engine/effects/registry.h"
#include "engine/internal/effect_text.h"
#include "engine/internal/redaction.h"
#include "engine/internal/secret_finder.h"
#include "format/layout.h"
#include "format/recovery_writer.h"
#include "tools/cli.h"
#include "tools/event_select.h"
#include "tools/event_text.h"

namespace tape::cli {

namespace {

using format::AsBytes;
using format::AsChars;
using format::PayloadView;
using engine::ByteRange;
using engine::SecretFinder;

// A redacted field must still fit its layout's u32 length (§13).
constexpr uint64_t kMaxFieldBytes = UINT32_MAX;

class Redactor {
 public:
  Redactor(const format::TraceReader& r, SecretFinder* finder) : r_(r), finder_(finder) {}

  // Resolves the rules against the trace; errors are usage errors.
  Status Resolve(const RedactArgs& args);
  bool selects_events() const { return !kinds_.empty() || !sites_.empty() || !names_.empty(); }
  bool learns() const { return selects_events() || finder_->pattern_count() != 0; }

  // Pass 1: learns the selected fields' values, what the patterns match, and
  // the markers the trace holds.
  Status Learn(Progress* progress);
  // Text outside the events (script source, outcome message): replaces what
  // the finder finds, and where the text quotes a learnt value or shows it
  // cut short (engine::MessageValueFinder). True when something was replaced.
  bool RewriteText(const std::string& text, std::string* out);
  // Pass 2: writes every event to `w`.
  Status Copy(format::RecoveryWriter* w, Progress* progress);

  // The HEAD `redaction` lines of these rules.
  std::vector<std::string> RuleLines() const;
  // Notes about rules that selected or matched nothing.
  std::vector<std::string> UnusedRules() const;
  uint64_t events_changed() const { return events_changed_; }
  uint64_t args_changed() const { return args_changed_; }
  uint64_t results_changed() const { return results_changed_; }
  size_t markers() const { return markers_.distinct(); }

 private:
  struct KindRule {
    uint8_t kind;
    std::string name;
    uint64_t hits = 0;
  };
  struct SiteRule {
    std::vector<uint64_t> ids;
    std::string text;
    uint64_t hits = 0;
  };
  struct NameRule {
    std::string glob;
    uint64_t hits = 0;
  };

  // The payload's bytes, reading a spilled one whole into `storage`.
  Status Read(const PayloadView& p, uint64_t seq, std::string* storage, format::Bytes* out);
  // True if a rule selects event `e`; `count` adds it to the rules' hits.
  Status Selects(const format::EventView& e, bool count, bool* selected);
  // Rewrites one payload; sets *changed and the new bytes in `out`.
  Status Rewrite(const format::EventView& e, bool args, bool selected, std::string* out,
                 bool* changed);

  const format::TraceReader& r_;
  SecretFinder* finder_;
  std::vector<KindRule> kinds_;
  std::vector<SiteRule> sites_;
  std::vector<NameRule> names_;
  engine::MarkerTable markers_;
  engine::MessageValueFinder message_values_;  // the values learnt, as messages show them
  std::vector<ByteRange> ranges_;
  std::string read_[2], scratch_;
  uint64_t events_changed_ = 0, args_changed_ = 0, results_changed_ = 0;
};

Status Redactor::Resolve(const RedactArgs& args) {
  for (const std::string& k : args.kinds) {
    uint8_t kind;
    if (!ParseKind(r_, k, &kind)) {
      return Status::InvalidArgument("--kind " + k + ": not an effect (" +
                                     engine::EffectNameList() +
                                     ", or the name of a user-defined effect in this trace)");
    }
    kinds_.push_back({kind, engine::KindName(kind, &r_.kind_names())});
  }
  for (const std::string& s : args.sites) {
    SiteRule rule{{}, s};
    for (const auto& [id, location] : r_.sites()) {
      if (location == s) rule.ids.push_back(id);
    }
    std::sort(rule.ids.begin(), rule.ids.end());  // the header's lines in a stable order
    uint64_t id;
    if (rule.ids.empty()) {
      std::string why = ResolveSite(r_, s, &id);
      if (!why.empty()) {
        return Status::InvalidArgument("--site " + s +
                                       ": neither a site id of this trace nor the location of one "
                                       "(tape inspect lists them): " + why.substr(why.find(": ") + 2));
      }
      rule.ids.push_back(id);
    }
    sites_.push_back(std::move(rule));
  }
  for (const std::string& n : args.names) {
    Status ok = engine::CheckRule(n);
    if (!ok.ok()) return Status::InvalidArgument("--name '" + n + "' " + ok.message());
    names_.push_back({n});
  }
  return Status::Ok();
}

Status Redactor::Read(const PayloadView& p, uint64_t seq, std::string* storage,
                      format::Bytes* out) {
  if (!p.spilled()) {
    *out = p.bytes();
    return Status::Ok();
  }
  Status s = r_.ReadWholePayload(p, storage);
  if (!s.ok()) return s.WithContext(fmt::format("seq {}", seq));
  *out = AsBytes(*storage);
  return Status::Ok();
}

Status Redactor::Selects(const format::EventView& e, bool count, bool* selected) {
  *selected = false;
  for (KindRule& k : kinds_) {
    if (k.kind != e.kind) continue;
    *selected = true;
    k.hits += count;
  }
  for (SiteRule& s : sites_) {
    for (uint64_t id : s.ids) {
      if (id != e.site) continue;
      *selected = true;
      s.hits += count;
    }
  }
  if (names_.empty()) return Status::Ok();
  // A user effect's name, or the texts that identify a built-in call (its
  // rerun key: env.get's variable, the fs effects' path, ...).
  std::vector<std::string> texts;
  if (e.kind >= kFirstUserKind) {
    texts.push_back(r_.kind_names()[e.kind]);
  } else if (const engine::EffectSpec* spec = engine::FindEffect(e.kind);
             spec != nullptr && spec->args.keys != 0) {
    format::Bytes args;
    TAPE_RETURN_IF_ERROR(Read(e.args, e.seq, &read_[0], &args));
    engine::RewritePayload(
        e.kind, true, args,
        [&](format::Bytes field, bool key, std::string*) {
          if (key) texts.emplace_back(AsChars(field));
          return false;
        },
        &scratch_);
  }
  for (NameRule& n : names_) {
    for (const std::string& text : texts) {
      if (!engine::MatchesGlob(n.glob, text)) continue;
      *selected = true;
      n.hits += count;
      break;
    }
  }
  return Status::Ok();
}

Status Redactor::Learn(Progress* progress) {
  format::ChunkDecoder decoder;
  format::DecodedChunk chunk;
  markers_.StartAfter(engine::FindMarkers(AsBytes(r_.header().script_source)));
  markers_.StartAfter(engine::FindMarkers(AsBytes(r_.outcome().message)));
  finder_->LearnMatches(AsBytes(r_.header().script_source), &message_values_);
  finder_->LearnMatches(AsBytes(r_.outcome().message), &message_values_);
  // The values of the fields a selected event gives up whole.
  auto learn = [&](format::Bytes field, bool key, std::string*) {
    engine::ByteRange core = engine::SecretCore(field);
    format::Bytes value = field.subspan(core.begin, core.end - core.begin);
    if (!key && !engine::IsMarker(value)) {
      finder_->AddValue(value);
      message_values_.Add(value);
    }
    return false;
  };
  // What the patterns match, in any field.
  auto matches = [&](format::Bytes field, bool, std::string*) {
    finder_->LearnMatches(field, &message_values_);
    return false;
  };
  bool patterns = finder_->pattern_count() != 0;
  for (size_t c = 0; c < r_.chunks().size(); ++c) {
    TAPE_RETURN_IF_ERROR(r_.ReadChunk(c, format::kDecodeAll, &decoder, &chunk));
    for (uint32_t i = 0; i < chunk.size(); ++i) {
      format::EventView e = chunk.event(i);
      bool selected = false;
      TAPE_RETURN_IF_ERROR(Selects(e, false, &selected));
      for (int part = 0; part < 2; ++part) {
        uint8_t mark = part == 0 ? format::kMarkArgsRedacted : format::kMarkResultRedacted;
        if (!selected && !patterns && !(e.marks & mark)) continue;
        format::Bytes bytes;
        TAPE_RETURN_IF_ERROR(Read(part == 0 ? e.args : e.result, e.seq, &read_[part], &bytes));
        if (e.marks & mark) markers_.StartAfter(engine::FindMarkers(bytes));
        if (selected) engine::RewritePayload(e.kind, part == 0, bytes, learn, &scratch_);
        if (patterns) engine::RewritePayload(e.kind, part == 0, bytes, matches, &scratch_);
      }
    }
    r_.ReleaseChunkPages(c);
    progress->Update(r_.chunks()[c].first_seq + r_.chunks()[c].event_count);
  }
  return Status::Ok();
}

bool Redactor::RewriteText(const std::string& text, std::string* out) {
  out->clear();
  finder_->Find(AsBytes(text), &ranges_);
  std::string found;
  if (!ranges_.empty()) engine::ReplaceRanges(AsBytes(text), ranges_, &markers_, &found);
  std::string_view now = ranges_.empty() ? std::string_view(text) : std::string_view(found);
  if (message_values_.Redact(now, &markers_, out)) return true;
  out->assign(now);
  return !ranges_.empty();
}

Status Redactor::Rewrite(const format::EventView& e, bool args, bool selected, std::string* out,
                         bool* changed) {
  *changed = false;
  format::Bytes bytes;
  TAPE_RETURN_IF_ERROR(Read(args ? e.args : e.result, e.seq, &read_[args ? 0 : 1], &bytes));
  auto rewrite = [&](format::Bytes field, bool key, std::string* o) {
    if (selected && !key) {
      engine::ByteRange core = engine::SecretCore(field);
      if (engine::IsMarker(field.subspan(core.begin, core.end - core.begin))) return false;
      engine::MarkValue(field, &markers_, o);
      return true;
    }
    finder_->Find(field, &ranges_);
    if (ranges_.empty()) return false;
    if (field.size() + ranges_.size() * engine::kMaxMarkerBytes > kMaxFieldBytes) {
      // The markers would take the field past its u32 length: it becomes one marker.
      o->append(markers_.MarkerFor(field));
      return true;
    }
    engine::ReplaceRanges(field, ranges_, &markers_, o);
    return true;
  };
  *changed = engine::RewritePayload(e.kind, args, bytes, rewrite, out);
  if (*changed && out->size() > r_.payload_budget().bytes) {
    return Status::InvalidArgument(
        fmt::format("seq {}: the redacted payload would be {} bytes, more than the memory budget "
                    "of {} bytes ({}; TAPE_MAX_PAYLOAD raises it)",
                    e.seq, out->size(), r_.payload_budget().bytes, r_.payload_budget().source));
  }
  return Status::Ok();
}

Status Redactor::Copy(format::RecoveryWriter* w, Progress* progress) {
  format::ChunkDecoder decoder;
  format::DecodedChunk chunk;
  std::string rewritten[2];
  for (size_t c = 0; c < r_.chunks().size(); ++c) {
    const format::ChunkIndexEntry& entry = r_.chunks()[c];
    TAPE_RETURN_IF_ERROR(r_.ReadChunk(c, format::kDecodeAll, &decoder, &chunk));
    for (uint32_t i = 0; i < chunk.size(); ++i) {
      format::EventView e = chunk.event(i);
      std::string where = r_.SiteLocation(e.site);
      if (!where.empty()) w->DefineSite(e.site, where);
      bool selected = false;
      TAPE_RETURN_IF_ERROR(Selects(e, true, &selected));
      uint8_t added = 0;
      if (selected || !finder_->empty()) {
        for (int part = 0; part < 2; ++part) {
          bool changed = false;
          TAPE_RETURN_IF_ERROR(Rewrite(e, part == 0, selected, &rewritten[part], &changed));
          if (!changed) continue;
          PayloadView& p = part == 0 ? e.args : e.result;
          p = PayloadView{};
          p.data = reinterpret_cast<const uint8_t*>(rewritten[part].data());
          p.size = rewritten[part].size();
          added |= part == 0 ? format::kMarkArgsRedacted : format::kMarkResultRedacted;
        }
      }
      if (added) {
        ++events_changed_;
        args_changed_ += (added & format::kMarkArgsRedacted) != 0;
        results_changed_ += (added & format::kMarkResultRedacted) != 0;
      }
      e.marks |= added;
      Status s = w->Append(e);
      if (!s.ok()) return s.WithContext(fmt::format("seq {}", e.seq));
    }
    TAPE_RETURN_IF_ERROR(w->EndChunk(entry.first_time_ns, entry.last_time_ns));
    r_.ReleaseChunkPages(c);
    progress->Update(r_.event_count() + entry.first_seq + entry.event_count);
  }
  return Status::Ok();
}

std::vector<std::string> Redactor::RuleLines() const {
  std::vector<std::string> lines;
  for (const KindRule& k : kinds_) lines.push_back("redact --kind " + k.name);
  for (const NameRule& n : names_) lines.push_back("redact --name " + n.glob);
  for (const SiteRule& s : sites_) {
    for (uint64_t id : s.ids) lines.push_back("redact --site " + SiteHex(id));
  }
  if (size_t n = finder_->pattern_count()) {
    // A pattern may spell out the secret it is meant to hide.
    lines.push_back("redact --match: " + Count(n, "pattern", "patterns") + ", not recorded");
  }
  return lines;
}

std::vector<std::string> Redactor::UnusedRules() const {
  std::vector<std::string> notes;
  for (const KindRule& k : kinds_) {
    if (k.hits == 0) notes.push_back("--kind " + k.name + " selected no event");
  }
  for (const NameRule& n : names_) {
    if (n.hits == 0) notes.push_back("--name " + n.glob + " selected no event");
  }
  for (const SiteRule& s : sites_) {
    if (s.hits == 0) notes.push_back("--site " + s.text + " selected no event");
  }
  for (size_t k = 0; k < finder_->pattern_hits().size(); ++k) {
    if (finder_->pattern_hits()[k] == 0) {
      notes.push_back(fmt::format("--match pattern {} matched nothing", k + 1));
    }
  }
  if (finder_->learned_too_many()) {
    notes.push_back(
        fmt::format("the patterns matched more than {} distinct values: copies of the later ones "
                    "are replaced only where a pattern matches them",
                    engine::SecretFinder::kMaxLearnedValues));
  }
  return notes;
}

}  // namespace

int RunRedact(const RedactArgs& args) {
  if (args.kinds.empty() && args.names.empty() && args.sites.empty() && args.matches.empty()) {
    return Fail("redact", kExitUsage,
                "no rule given: say what to redact with --kind, --name, --site or --match");
  }
  std::error_code ec;
  if (args.file == args.out || std::filesystem::equivalent(args.file, args.out, ec)) {
    return Fail("redact", kExitUsage,
                "--out must name a new file: the trace itself is kept as it is");
  }
  Status out_ok = CheckOutputPath(args.out, args.force);
  if (!out_ok.ok()) return Fail("redact", kExitUsage, out_ok.message());
  SecretFinder finder;
  for (const std::string& p : args.matches) {
    Status s = finder.AddPattern(p);
    if (!s.ok()) return Fail("redact", kExitUsage, "--match '" + p + "': " + s.message());
  }

  OpenedTrace reader = OpenTrace("redact", args.file);
  if (!reader) return kExitTrace;
  const format::TraceReader& r = *reader;
  out_ok = CheckOutputPath(args.out, args.force, &r.header());
  if (!out_ok.ok()) return Fail("redact", kExitUsage, out_ok.message());
  if (!r.finalized()) {
    return Fail("redact", kExitTrace,
                r.path() + " is not a finished trace (" + r.recovery_note() +
                    "); a redacted copy must hold every event it claims. Make a finished copy "
                    "first (tape recover " +
                    r.path() + " --out FIXED), then redact that");
  }
  Redactor redactor(r, &finder);
  Status s = redactor.Resolve(args);
  if (!s.ok()) return Fail("redact", kExitUsage, s.message());

  Progress progress("redact", 2 * r.event_count());
  auto damaged = [&](const Status& why) {
    return Fail("redact", kExitTrace,
                why.message() + "; the trace is damaged: recover it first (tape recover " +
                    r.path() + " --out FIXED), then redact the recovered trace");
  };
  if (redactor.learns() || !r.header().redaction.empty()) {
    s = redactor.Learn(&progress);
    if (!s.ok()) {
      return s.code() == StatusCode::kCorrupt ? damaged(s)
                                              : Fail("redact", kExitTrace, s.message());
    }
  }

  format::TraceHeader header = r.header();
  format::Outcome outcome = r.outcome();
  std::vector<std::string> lines = redactor.RuleLines();
  std::string text;
  if (redactor.RewriteText(header.script_source, &text)) {
    if (text.size() > format::kMaxScriptSource) {
      return Fail("redact", kExitUsage,
                  "with its matches replaced by markers, the script's source would be larger "
                  "than a trace holds (64 MiB); use patterns that match longer runs of text");
    }
    header.script_source = std::move(text);
    lines.emplace_back(kRedactedSourceLine);
  }
  if (redactor.RewriteText(outcome.message, &text)) {
    outcome.message = std::move(text);
    lines.emplace_back("redact: the outcome message");
  }
  for (const std::string& line : lines) {
    if (!engine::AddRedactionLine(&header.redaction, line)) {
      return Fail("redact", kExitUsage,
                  "the redaction rules do not fit in the trace's header (4096 bytes, with the "
                  "rules it already lists); use fewer, broader rules");
    }
  }

  format::CopyOptions options;
  options.header = &header;
  options.source_chunking = true;
  options.force = args.force;
  auto writer = format::RecoveryWriter::Create(args.out, r, options);
  if (!writer.has_value()) {
    return Fail("redact",
                writer.error().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitTrace,
                writer.error().message());
  }
  format::RecoveryWriter& w = **writer;
  s = redactor.Copy(&w, &progress);
  if (s.ok()) s = w.Finish(outcome, r.event_count(), r.finished_unix_ns(), r.program_steps());
  progress.Finish();
  if (!s.ok()) {
    if (s.code() == StatusCode::kCorrupt) return damaged(s);
    return Fail("redact", s.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitTrace,
                s.message());
  }

  uint64_t held = r.event_count() - r.missing_events();
  std::printf("wrote %s: %llu of %s redacted (the args of %llu, the results of %llu; %s)\n",
              Shown(args.out).c_str(), (unsigned long long)redactor.events_changed(),
              Count(held, "event", "events").c_str(), (unsigned long long)redactor.args_changed(),
              (unsigned long long)redactor.results_changed(),
              Count(redactor.markers(), "distinct marker", "distinct markers").c_str());
  if (header.script_source != r.header().script_source) {
    std::printf(
        "  also:    the script's source (replay it with the script: tape replay SCRIPT "
        "--trace %s)\n",
        Shown(args.out).c_str());
  }
  if (outcome.message != r.outcome().message) std::printf("  also:    the outcome message\n");
  for (const std::string& note : redactor.UnusedRules()) {
    std::printf("  note:    %s\n", Shown(note).c_str());
  }
  return kExitOk;
}

}  // namespace tape::cli
