#include "engine/src/replayer.h"

#include <signal.h>
#include <xxhash.h>

#include <cstring>

#include "engine/src/effect_text.h"
#include "format/layout.h"

namespace tape::engine {

using format::AsBytes;
using format::Bytes;

namespace {
const format::DecodedChunk kNoChunk;
}  // namespace

Replayer::Replayer(const format::TraceReader* reader, int stdout_fd)
    : reader_(reader),
      stream_(reader, format::kDecodePayloads | format::kDecodeSites),
      chunk_(&kNoChunk) {
  env_.stdout_fd = stdout_fd;
  cursor_.Reset(chunk_);
  const format::KindNames& names = reader->kind_names();
  for (int k = kFirstUserKind; k < 256; ++k) {
    if (!names[k].empty()) SetUserKind(EffectKind(k), names[k]);
  }
}

std::string_view Replayer::Perform(const Site& site, EffectKind kind, std::string_view args,
                                   const LiveCall&) {
  CheckThread(site);
  format::PayloadView e = Match(site, kind, AsBytes(args));
  const EffectSpec* spec = FindEffect(uint8_t(kind));
  if (spec != nullptr && spec->reenact != nullptr) [[unlikely]] spec->reenact(env_, AsBytes(args));
  return format::AsChars(ResultBytes(e));
}

void Replayer::Drift(DriftInfo info) {
  if (!drift_) drift_ = std::move(info);
  throw DriftError(*drift_);
}

void Replayer::LoadNextChunk() {
  Result<const format::DecodedChunk*> next = stream_.Next();
  if (!next.has_value()) throw TraceReadFailed{next.error()};
  // No chunk holds seq_: a gap in a recovered trace (§9.3), or the end.
  if (*next == nullptr || (*next)->first_seq() != seq_) {
    throw TraceReadFailed{
        reader_->MissingEvent(seq_).WithContext("replay stops at seq " + std::to_string(seq_))};
  }
  chunk_ = *next;
  cursor_.Reset(chunk_);
}

std::string Replayer::RecordedCall(uint32_t i) const {
  uint8_t kind = chunk_->kind(i);
  std::string name = KindName(kind, &reader_->kind_names());
  format::PayloadView args = chunk_->args(i);
  std::string call = args.spilled() ? name + "(" + std::to_string(args.size) + " bytes)"
                                    : DescribeCall(name, kind, args.bytes());
  std::string where = reader_->SiteLocation(chunk_->site(i));
  return call + " at " + (where.empty() ? "site " + std::to_string(chunk_->site(i)) : where);
}

std::string Replayer::CallNow(const Site& site, EffectKind kind, Bytes args) const {
  return DescribeCall(KindLabel(kind), uint8_t(kind), args) + " at " + std::string(site.location);
}

format::PayloadView Replayer::MatchSlow(const Site& site, EffectKind kind, Bytes args) {
  if (drift_) throw DriftError(*drift_);
  if (cursor_.at_end()) {
    if (seq_ >= reader_->event_count()) {
      const format::Outcome& ended = reader_->outcome();
      if (kind == EffectKind::kIoWrite && ended.kind == format::OutcomeKind::kSignal &&
          ended.code == SIGPIPE) {
        throw ReachedRecordedSignal{
            SIGPIPE, "at seq " + std::to_string(seq_) +
                         " the recorded program wrote to a closed pipe and was killed by "
                         "SIGPIPE; replay ends the same way here"};
      }
      DriftInfo d{DriftKind::kEndOfTrace, seq_, "no more calls (the recording has " +
                  std::to_string(reader_->event_count()) + ")", CallNow(site, kind, args), ""};
      if (!reader_->finalized() || reader_->outcome().kind == format::OutcomeKind::kInterrupted) {
        d.hint = "trace ends at seq " + std::to_string(seq_) +
                 ": the recording was interrupted, so replay stops where it stopped";
      } else {
        d.hint = "the program makes more effect calls than it did when recorded";
      }
      Drift(std::move(d));
    }
    LoadNextChunk();
  }
  uint32_t i = cursor_.index();
  if (cursor_.site() != site.id) {
    Drift({DriftKind::kSiteMismatch, seq_, RecordedCall(i), CallNow(site, kind, args),
           "the program took a different path than the recording"});
  }
  if (cursor_.kind() != uint8_t(kind)) {
    Drift({DriftKind::kKindMismatch, seq_, RecordedCall(i), CallNow(site, kind, args),
           "the same place in the program now calls a different effect"});
  }
  format::PayloadView recorded, result;
  cursor_.Take(&recorded, &result);
  bool same = recorded.size == args.size() &&
              (recorded.spilled() ? XXH3_64bits(args.data(), args.size()) == recorded.spill_hash
                                  : args.empty() ||
                                        std::memcmp(recorded.data, args.data(), args.size()) == 0);
  if (!same) ArgsDrift(i, site, kind, args);
  ++seq_;
  return result;
}

void Replayer::ArgsDrift(uint32_t i, const Site& site, EffectKind kind, Bytes args) {
  // Redacted args (§13.5) hold markers where the program's args had secrets:
  // there is nothing to compare them with, so the site and kind must do.
  if (chunk_->marks(i) & format::kMarkArgsRedacted) return;
  format::PayloadView recorded = chunk_->args(i);
  if (recorded.spilled() && recorded.size == args.size() &&
      XXH3_64bits(args.data(), args.size()) == recorded.spill_hash) {
    return;  // the same large argument, stored outside the chunk
  }
  std::string hint = "the program passed different arguments than when recorded";
  if (!recorded.spilled()) hint += "; " + FirstDifference(recorded.bytes(), args);
  Drift({DriftKind::kArgsMismatch, seq_, RecordedCall(i), CallNow(site, kind, args), hint});
}

Bytes Replayer::SpilledBytes(const format::PayloadView& result) {
  // Bounded by the reader's memory budget; a larger payload is a clear error.
  Status s = reader_->ReadWholePayload(result, &spilled_);
  if (!s.ok()) {
    throw TraceReadFailed{s.WithContext("replay stops at seq " + std::to_string(seq_ - 1))};
  }
  return AsBytes(spilled_);
}

void Replayer::BadResult(EffectKind kind) {
  throw TraceReadFailed{Status::Corrupt(
      reader_->path() + ": the recorded result of " + KindName(uint8_t(kind), &reader_->kind_names()) +
      " at seq " + std::to_string(seq_ - 1) + " does not have that effect's layout")};
}

}  // namespace tape::engine
