#include "engine/src/recorder.h"

#include <sys/stat.h>

#include <array>
#include <stdexcept>

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

namespace {

// The built-in effects that wait for the outside world (a sleep, the disk,
// the network, another process): the trace records how long each took
// (specs/trace-format.md §7.7), for two more clock readings per call, which
// the effect's own system calls dwarf. User effects are measured too.
// clock.now, random.bits, io.write, env.get and args.get are instantaneous
// at the event clock's resolution; measuring them would cost as much as
// recording them.
constexpr std::array<bool, 256> MeasuredKinds() {
  std::array<bool, 256> measured{};
  for (EffectKind k : {EffectKind::kFsRead, EffectKind::kFsWrite, EffectKind::kTimeSleep,
                       EffectKind::kFsExists, EffectKind::kFsList, EffectKind::kFsAppend,
                       EffectKind::kHttpRequest, EffectKind::kProcRun}) {
    measured[uint8_t(k)] = true;
  }
  return measured;
}
constexpr std::array<bool, 256> kMeasured = MeasuredKinds();

}  // namespace

std::string_view Recorder::PerformMeasured(const Site& site, EffectKind kind,
                                           std::string_view args) {
  int64_t begin = writer_->PreciseTime();
  std::string_view result = FindEffect(uint8_t(kind))->live(env_, AsBytes(args), &result_);
  AppendMeasured(site, kind, AsBytes(args), AsBytes(result), begin);
  return result;
}

std::string_view Recorder::Perform(const Site& site, EffectKind kind, std::string_view args,
                                   const LiveCall& live) {
  CheckThread(site);
  if (in_user_fn_ != EffectKind{} || live.fn != nullptr) [[unlikely]] {
    return PerformUser(site, kind, args, live);
  }
  if (kMeasured[uint8_t(kind)]) [[unlikely]] return PerformMeasured(site, kind, args);
  std::string_view result = FindEffect(uint8_t(kind))->live(env_, AsBytes(args), &result_);
  Append(site, kind, AsBytes(args), AsBytes(result));
  return result;
}

std::string_view Recorder::PerformUser(const Site& site, EffectKind kind, std::string_view args,
                                       const LiveCall& live) {
  if (in_user_fn_ != EffectKind{}) NestedEffect(kind);
  result_.clear();
  in_user_fn_ = kind;
  int64_t begin = writer_->PreciseTime();
  live.fn(live.context, &env_, args, &result_);
  in_user_fn_ = EffectKind{};
  AppendMeasured(site, kind, AsBytes(args), AsBytes(result_), begin);
  return result_;
}

}  // namespace tape::engine
