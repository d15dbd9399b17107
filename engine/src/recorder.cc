#include "engine/src/recorder.h"

#include <sys/stat.h>

#include <stdexcept>

#include "format/layout.h"

namespace tape::engine {

using format::AsBytes;

Recorder::Recorder(format::TraceWriter* writer, std::vector<std::string> args, int stdout_fd)
    : writer_(writer), args_(std::move(args)) {
  env_.stdout_fd = stdout_fd;
  env_.args = &args_;
  env_.trace = writer;
  // Slot 0 of the cache is "no site" only for id 0; make id 0 miss as well.
  known_sites_[0] = 1;
  result_.reserve(64);
}

void Recorder::DefineSite(const Site& site) {
  if (defined_.insert(site.id).second) writer_->DefineSite(site.id, site.location);
  known_sites_[site.id & (kKnownSlots - 1)] = site.id;
}

void Recorder::OnUserKind(EffectKind kind, std::string_view name) {
  writer_->DefineKind(uint8_t(kind), name);
}

void Recorder::NestedEffect(EffectKind kind) {
  // Replay returns the user effect's stored result without running its
  // function, so effects inside it would be missing from the replay.
  throw std::logic_error(KindLabel(kind) + " was called inside the function of user effect " +
                         KindLabel(in_user_fn_) +
                         "; a user effect's function must not perform effects (replay does "
                         "not run it)");
}

void Recorder::Misuse(const std::string& message) {
  // Finish the trace from here: the encoder thread seals what the program's
  // thread published, so the trace stays valid, with the misuse as outcome.
  writer_->FinishFromSignal(format::OutcomeKind::kError, 0,
                            "an effect was called from a thread tape does not know", 3000);
  Runtime::Misuse(message);
}

std::string_view Recorder::Perform(const Site& site, EffectKind kind, std::string_view args,
                                   const LiveCall& live) {
  CheckThread(site);
  if (in_user_fn_ != EffectKind{} || live.fn != nullptr) [[unlikely]] {
    return PerformUser(site, kind, args, live);
  }
  std::string_view result = FindEffect(uint8_t(kind))->live(env_, AsBytes(args), &result_);
  if (env_.redact_env != nullptr) [[unlikely]] {
    AppendRedacted(site, kind, args, result);
    return result;
  }
  Append(site, kind, AsBytes(args), AsBytes(result));
  return result;
}

void Recorder::RedactEnv(std::vector<std::string> globs) {
  redact_env_ = std::move(globs);
  env_.redact_env = redact_env_.empty() ? nullptr : &redact_env_;
  env_.markers = &markers_;
  env_.values = &redacted_values_;
}

void Recorder::AppendRedacted(const Site& site, EffectKind kind, std::string_view args,
                              std::string_view result) {
  // The program gets `result` either way; the trace gets the markers.
  uint8_t marks = env_.recorded_marks;
  env_.recorded_marks = 0;
  Bytes stored[2] = {AsBytes(args), marks ? AsBytes(env_.recorded) : AsBytes(result)};
  if (!redacted_values_.empty()) {
    for (int part = 0; part < 2; ++part) {
      uint8_t mark = part == 0 ? format::kMarkArgsRedacted : format::kMarkResultRedacted;
      if ((marks & mark) || !RedactCopies(uint8_t(kind), part == 0, stored[part], redacted_values_,
                                          &markers_, &redacted_[part])) {
        continue;
      }
      stored[part] = AsBytes(redacted_[part]);
      marks |= mark;
    }
  }
  Append(site, kind, stored[0], stored[1], marks);
}

std::string_view Recorder::PerformUser(const Site& site, EffectKind kind, std::string_view args,
                                       const LiveCall& live) {
  if (in_user_fn_ != EffectKind{}) NestedEffect(kind);
  result_.clear();
  in_user_fn_ = kind;
  live.fn(live.context, &env_, args, &result_);
  in_user_fn_ = EffectKind{};
  if (env_.redact_env != nullptr) [[unlikely]] {
    AppendRedacted(site, kind, args, result_);
    return result_;
  }
  Append(site, kind, AsBytes(args), AsBytes(result_));
  return result_;
}

}  // namespace tape::engine
