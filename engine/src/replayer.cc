#include "engine/src/replayer.h"

#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>

#include "engine/src/effect_codec.h"

namespace tape::engine {

using format::AsBytes;
using format::Bytes;

Replayer::Replayer(const format::TraceReader* reader, int stdout_fd)
    : reader_(reader), stdout_fd_(stdout_fd) {}

void Replayer::Drift(DriftInfo info) {
  if (!drift_) drift_ = std::move(info);
  throw DriftError(*drift_);
}

void Replayer::LoadNextChunk() {
  Status s = reader_->ReadChunk(next_chunk_, format::kDecodePayloads | format::kDecodeSites,
                                &decoder_, &chunk_);
  if (!s.ok()) throw TraceReadFailed{s};
  ++next_chunk_;
  index_ = 0;
}

std::string Replayer::RecordedCall(uint32_t i) const {
  format::PayloadView args = chunk_.args(i);
  std::string call = args.spilled()
                         ? KindName(chunk_.kind(i)) + "(" + std::to_string(args.size) + " bytes)"
                         : DescribeCall(chunk_.kind(i), args.bytes());
  std::string where = reader_->SiteLocation(chunk_.site(i));
  return call + " at " + (where.empty() ? "site " + std::to_string(chunk_.site(i)) : where);
}

format::EventView Replayer::MatchSlow(const Site& site, EffectKind kind, Bytes args) {
  if (drift_) throw DriftError(*drift_);
  std::string got = DescribeCall(uint8_t(kind), args) + " at " + std::string(site.location);
  if (index_ >= chunk_.size()) {
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
  uint32_t i = index_;
  if (chunk_.site(i) != site.id) {
    Drift({DriftKind::kSiteMismatch, seq_, RecordedCall(i), got,
           "the program took a different path than the recording"});
  }
  if (chunk_.kind(i) != uint8_t(kind)) {
    Drift({DriftKind::kKindMismatch, seq_, RecordedCall(i), got,
           "the same place in the program now calls a different effect"});
  }
  format::PayloadView recorded = chunk_.args(i);
  bool same = recorded.size == args.size();
  if (same && recorded.spilled()) {
    same = XXH3_64bits(args.data(), args.size()) == recorded.spill_hash;
  } else if (same && !args.empty()) {
    same = std::memcmp(recorded.data, args.data(), args.size()) == 0;
  }
  if (!same) {
    Drift({DriftKind::kArgsMismatch, seq_, RecordedCall(i), got,
           "the program passed different arguments than when recorded"});
  }
  ++index_;
  format::EventView e;
  e.seq = seq_++;
  e.result = chunk_.result(i);
  return e;
}

Bytes Replayer::ResultBytes(const format::PayloadView& result) {
  if (!result.spilled()) return result.bytes();
  Status s = reader_->ReadPayload(result, UINT64_MAX, &spilled_);
  if (!s.ok()) throw TraceReadFailed{s};
  return AsBytes(spilled_);
}

void Replayer::BadResult(EffectKind kind) {
  throw TraceReadFailed{Status::Corrupt(
      reader_->path() + ": the recorded result of " + std::string(EffectName(kind)) + " at seq " +
      std::to_string(seq_ - 1) + " does not have that effect's layout")};
}

int64_t Replayer::ClockNowAt(const Site& site) {
  format::EventView e = Match(site, EffectKind::kClockNow, {});
  int64_t ns;
  if (!DecodeI64(ResultBytes(e.result), &ns)) BadResult(EffectKind::kClockNow);
  return ns;
}

std::string Replayer::RandomBitsAt(const Site& site, uint32_t n) {
  uint8_t args[4];
  format::StoreU32(args, n);
  format::EventView e = Match(site, EffectKind::kRandomBits, {args, 4});
  Bytes r = ResultBytes(e.result);
  if (r.size() != n) BadResult(EffectKind::kRandomBits);
  return std::string(format::AsChars(r));
}

int Replayer::IoWriteAt(const Site& site, std::string_view bytes) {
  format::EventView e = Match(site, EffectKind::kIoWrite, AsBytes(bytes));
  int32_t err;
  if (!DecodeI32(ResultBytes(e.result), &err)) BadResult(EffectKind::kIoWrite);
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
  format::EventView e = Match(site, EffectKind::kFsRead, AsBytes(path));
  FsReadResult r;
  std::string_view data;
  if (!DecodeFsReadResult(ResultBytes(e.result), &r.error, &data)) BadResult(EffectKind::kFsRead);
  r.data.assign(data);
  return r;
}

int Replayer::FsWriteAt(const Site& site, std::string_view path, std::string_view data) {
  scratch_.clear();
  EncodeFsWriteArgs(&scratch_, path, data);
  format::EventView e = Match(site, EffectKind::kFsWrite, AsBytes(scratch_));
  int32_t err;
  if (!DecodeI32(ResultBytes(e.result), &err)) BadResult(EffectKind::kFsWrite);
  return err;  // the disk is not touched
}

std::optional<std::string> Replayer::EnvGetAt(const Site& site, std::string_view name) {
  format::EventView e = Match(site, EffectKind::kEnvGet, AsBytes(name));
  std::optional<std::string> value;
  if (!DecodeEnvResult(ResultBytes(e.result), &value)) BadResult(EffectKind::kEnvGet);
  return value;
}

std::vector<std::string> Replayer::ArgsGetAt(const Site& site) {
  format::EventView e = Match(site, EffectKind::kArgsGet, {});
  std::vector<std::string> args;
  if (!DecodeArgsResult(ResultBytes(e.result), &args)) BadResult(EffectKind::kArgsGet);
  return args;
}

void Replayer::TimeSleepAt(const Site& site, uint64_t ms) {
  uint8_t args[8];
  format::StoreU64(args, ms);
  format::EventView e = Match(site, EffectKind::kTimeSleep, {args, 8});
  if (!ResultBytes(e.result).empty()) BadResult(EffectKind::kTimeSleep);
}

}  // namespace tape::engine
