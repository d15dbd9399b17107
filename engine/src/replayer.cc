#include "engine/src/replayer.h"

#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>

#include "engine/src/effect_codec.h"

namespace tape::engine {

using format::AsBytes;
using format::Bytes;

namespace {
const format::DecodedChunk kNoChunk;
}  // namespace

Replayer::Replayer(const format::TraceReader* reader, int stdout_fd)
    : reader_(reader),
      stdout_fd_(stdout_fd),
      stream_(reader, format::kDecodePayloads | format::kDecodeSites),
      chunk_(&kNoChunk) {
  cursor_.Reset(chunk_);
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
  format::PayloadView args = chunk_->args(i);
  std::string call = args.spilled()
                         ? KindName(chunk_->kind(i)) + "(" + std::to_string(args.size) + " bytes)"
                         : DescribeCall(chunk_->kind(i), args.bytes());
  std::string where = reader_->SiteLocation(chunk_->site(i));
  return call + " at " + (where.empty() ? "site " + std::to_string(chunk_->site(i)) : where);
}

format::PayloadView Replayer::MatchSlow(const Site& site, EffectKind kind, Bytes args) {
  if (drift_) throw DriftError(*drift_);
  std::string got = DescribeCall(uint8_t(kind), args) + " at " + std::string(site.location);
  if (cursor_.at_end()) {
    if (seq_ >= reader_->event_count()) {
      DriftInfo d{DriftKind::kEndOfTrace, seq_, "no more calls (the recording has " +
                  std::to_string(reader_->event_count()) + ")", got, ""};
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
    Drift({DriftKind::kSiteMismatch, seq_, RecordedCall(i), got,
           "the program took a different path than the recording"});
  }
  if (cursor_.kind() != uint8_t(kind)) {
    Drift({DriftKind::kKindMismatch, seq_, RecordedCall(i), got,
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
  format::PayloadView recorded = chunk_->args(i);
  if (recorded.spilled() && recorded.size == args.size() &&
      XXH3_64bits(args.data(), args.size()) == recorded.spill_hash) {
    return;  // the same large argument, stored outside the chunk
  }
  Drift({DriftKind::kArgsMismatch, seq_, RecordedCall(i),
         DescribeCall(uint8_t(kind), args) + " at " + std::string(site.location),
         "the program passed different arguments than when recorded"});
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
      reader_->path() + ": the recorded result of " + std::string(EffectName(kind)) + " at seq " +
      std::to_string(seq_ - 1) + " does not have that effect's layout")};
}

int64_t Replayer::ClockNowAt(const Site& site) {
  format::PayloadView e = Match(site, EffectKind::kClockNow, {});
  int64_t ns;
  if (!DecodeI64(ResultBytes(e), &ns)) BadResult(EffectKind::kClockNow);
  return ns;
}

std::string Replayer::RandomBitsAt(const Site& site, uint32_t n) {
  uint8_t args[4];
  format::StoreU32(args, n);
  format::PayloadView e = Match(site, EffectKind::kRandomBits, {args, 4});
  Bytes r = ResultBytes(e);
  if (r.size() != n) BadResult(EffectKind::kRandomBits);
  return std::string(format::AsChars(r));
}

int Replayer::IoWriteAt(const Site& site, std::string_view bytes) {
  format::PayloadView e = Match(site, EffectKind::kIoWrite, AsBytes(bytes));
  int32_t err;
  if (!DecodeI32(ResultBytes(e), &err)) BadResult(EffectKind::kIoWrite);
  // Re-emit the same bytes; the program sees the recorded result either way.
  while (!bytes.empty()) {
    ssize_t n = ::write(stdout_fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    bytes.remove_prefix(size_t(n));
  }
  return err;
}

FsReadResult Replayer::FsReadAt(const Site& site, std::string_view path) {
  format::PayloadView e = Match(site, EffectKind::kFsRead, AsBytes(path));
  FsReadResult r;
  std::string_view data;
  if (!DecodeFsReadResult(ResultBytes(e), &r.error, &data)) BadResult(EffectKind::kFsRead);
  r.data.assign(data);
  return r;
}

int Replayer::FsWriteAt(const Site& site, std::string_view path, std::string_view data) {
  scratch_.clear();
  EncodeFsWriteArgs(&scratch_, path, data);
  format::PayloadView e = Match(site, EffectKind::kFsWrite, AsBytes(scratch_));
  int32_t err;
  if (!DecodeI32(ResultBytes(e), &err)) BadResult(EffectKind::kFsWrite);
  return err;  // the disk is not touched
}

std::optional<std::string> Replayer::EnvGetAt(const Site& site, std::string_view name) {
  format::PayloadView e = Match(site, EffectKind::kEnvGet, AsBytes(name));
  std::optional<std::string> value;
  if (!DecodeEnvResult(ResultBytes(e), &value)) BadResult(EffectKind::kEnvGet);
  return value;
}

std::vector<std::string> Replayer::ArgsGetAt(const Site& site) {
  format::PayloadView e = Match(site, EffectKind::kArgsGet, {});
  std::vector<std::string> args;
  if (!DecodeArgsResult(ResultBytes(e), &args)) BadResult(EffectKind::kArgsGet);
  return args;
}

void Replayer::TimeSleepAt(const Site& site, uint64_t ms) {
  uint8_t args[8];
  format::StoreU64(args, ms);
  format::PayloadView e = Match(site, EffectKind::kTimeSleep, {args, 8});
  if (!ResultBytes(e).empty()) BadResult(EffectKind::kTimeSleep);
}

}  // namespace tape::engine
