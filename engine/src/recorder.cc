#include "engine/src/recorder.h"

#include <sys/stat.h>

#include <array>
#include <stdexcept>

#include "format/layout.h"

namespace tape::engine {

using format::AsBytes;
using format::AsChars;

namespace {

constexpr std::array<bool, 256> kNoPlainKinds{};  // every call takes the general path

}  // namespace

Recorder::Recorder(format::TraceWriter* writer, std::vector<std::string> args, int stdout_fd,
                   int stderr_fd)
    : writer_(writer), args_(std::move(args)) {
  writer_->AttachCursor(&cursor_);
  main_.env.stdout_fd = stdout_fd;
  main_.env.stderr_fd = stderr_fd;
  main_.env.args = &args_;
  main_.env.trace = writer;
  // Slot 0 of the cache is "no site" only for id 0; make id 0 miss as well.
  main_.known_sites[0] = 1;
  main_.result.reserve(64);
  base_env_ = main_.env;
  SetMainLaneContext(&main_);
  for (int k = 0; k < 256; ++k) {
    const EffectSpec* spec = FindEffect(uint8_t(k));
    plain_table_[k] = spec != nullptr && spec->live != nullptr && !spec->measured;
  }
  ChoosePath();
}

void Recorder::DefineSite(Lane& lane, const Site& site) {
  std::unique_lock lock(defined_mu_, std::defer_lock);
  if (threads_started()) lock.lock();
  if (defined_.insert(site.id).second) writer_->DefineSite(site.id, site.location);
  lane.known_sites[site.id & (kKnownSlots - 1)] = site.id;
}

Recorder::~Recorder() { writer_->DetachCursor(); }

int64_t Recorder::PerformClockNowCold(const Site& site) { return PerformClockNow(site); }

void Recorder::AppendClockSlow(const Site& site, int64_t ns) {
  uint8_t bytes[8];
  format::StoreU64(bytes, uint64_t(ns));
  AppendPlainSlow(site, EffectKind::kClockNow, {}, bytes);
}

void Recorder::AppendPlainSlow(const Site& site, EffectKind kind, Bytes args, Bytes result) {
  if (main_.known_sites[site.id & (kKnownSlots - 1)] != site.id) DefineSite(main_, site);
  writer_->AppendPlain(site.id, uint8_t(kind), args, result);
}

void Recorder::OnThreadsStart() {
  // For good (threads_started() is set right after this): every lane takes
  // the general path.
  SetPlain(false);
  writer_->EnableLanes();
  main_.queue = writer_->AcquireLaneQueue();
}

std::unique_ptr<Runtime::LaneContext> Recorder::NewLaneContext(uint32_t) {
  auto lane = std::make_unique<Lane>();
  // The same fds, args and trace, and buffers of its own: copied from
  // base_env_, not from main_.env, whose buffers lane 0 is writing.
  lane->env = base_env_;
  lane->known_sites[0] = 1;
  lane->queue = writer_->AcquireLaneQueue();
  return lane;
}

void Recorder::OnLaneEnd(LaneContext* context) {
  writer_->ReleaseLaneQueue(static_cast<Lane*>(context)->queue);
}

void Recorder::OnUserKind(EffectKind kind, std::string_view name) {
  writer_->DefineKind(uint8_t(kind), name);
}

void Recorder::NestedEffect(Lane& lane, EffectKind kind) {
  // Replay returns the user effect's stored result without running its
  // function, so effects inside it would be missing from the replay.
  throw std::logic_error(KindLabel(kind) + " was called inside the function of user effect " +
                         KindLabel(lane.in_user_fn) +
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


void Recorder::ChoosePath() {
  bool plain = chaos_ == nullptr && !redacting_ && !threads_started() &&
               main_.in_user_fn == EffectKind{};
  SetPlain(plain);
}

void Recorder::SetPlain(bool plain) {
  plain_kinds_ = plain ? plain_table_.data() : kNoPlainKinds.data();
  plain_ = plain;
}

std::string_view Recorder::PerformGeneral(const Site& site, EffectKind kind,
                                          std::string_view args, const LiveCall& live) {
  Lane* lane = &main_;
  if (!threads_started()) [[likely]] {
    CheckThread(site);
  } else {
    lane = static_cast<Lane*>(CurrentLaneContext(site));
  }
  if (chaos_ != nullptr && lane->in_user_fn == EffectKind{}) [[unlikely]] {
    std::unique_lock lock(chaos_mu_, std::defer_lock);
    if (threads_started()) lock.lock();
    const Perturbation* p = chaos_->Draw(kind);
    if (p != nullptr) return PerformPerturbed(*lane, site, kind, args, *p);
    if (kind == EffectKind::kClockNow && faked_wait_ns_ != 0) {
      return PerformLateClock(*lane, site, args);
    }
  }
  if (lane->in_user_fn != EffectKind{} || live.fn != nullptr) [[unlikely]] {
    return PerformWithAction(*lane, site, kind, args, live);
  }
  const EffectSpec* spec = FindEffect(uint8_t(kind));
  if (spec->measured) [[unlikely]] return PerformMeasured(*lane, site, *spec, args);
  std::string_view result = spec->live(lane->env, AsBytes(args), &lane->result);
  if (redacting_) [[unlikely]] {
    AppendRedacted(*lane, site, kind, args, result);
    return result;
  }
  Append(*lane, site, kind, AsBytes(args), AsBytes(result));
  return result;
}

std::string_view Recorder::PerformMeasured(Lane& lane, const Site& site, const EffectSpec& spec,
                                           std::string_view args) {
  EffectKind kind = spec.kind;
  Measured m = Start();
  std::string_view result = spec.live(lane.env, AsBytes(args), &lane.result);
  End(&m);
  if (redacting_) [[unlikely]] {
    AppendRedacted(lane, site, kind, args, result, m.begin, m.duration);
  } else {
    Append(lane, site, kind, AsBytes(args), AsBytes(result), 0, m.begin, m.duration);
  }
  return result;
}

void Recorder::Redact(std::vector<std::string> env_globs, std::vector<std::string> header_globs,
                      SecretFinder patterns) {
  redact_env_ = std::move(env_globs);
  redact_headers_ = std::move(header_globs);
  finder_ = std::move(patterns);
  redacting_ = !redact_env_.empty() || !redact_headers_.empty() || finder_.pattern_count() != 0;
  main_.env.redact_env = redact_env_.empty() ? nullptr : &redact_env_;
  base_env_.redact_env = main_.env.redact_env;  // the lanes started later redact too
  ChoosePath();
}

void Recorder::FixEnvironment() {
  main_.env.fixed_environment = true;
  base_env_.fixed_environment = true;  // and the lanes started later
}

bool Recorder::RedactText(std::string_view text, std::string* out) {
  std::lock_guard lock(redact_mu_);
  finder_.LearnMatches(AsBytes(text), &message_values_);
  finder_.Find(AsBytes(text), &ranges_);
  std::string copies;
  if (!ranges_.empty()) {
    ReplaceRanges(AsBytes(text), ranges_, &markers_, &copies);
    text = copies;
  }
  // Then what a message shows of a value: quoted, or cut short.
  std::string shown;
  if (message_values_.Redact(text, &markers_, &shown)) {
    *out = std::move(shown);
    return true;
  }
  if (ranges_.empty()) return false;
  *out = std::move(copies);
  return true;
}

bool Recorder::RedactPart(EffectKind kind, bool args, bool whole, Bytes payload,
                          std::string* out) {
  named_values_.clear();
  if (!redact_headers_.empty()) {
    HeaderValuesNamed(uint8_t(kind), args, payload, redact_headers_, &named_values_);
  }
  if (!redact_env_.empty()) EnvValuesNamed(uint8_t(kind), args, payload, redact_env_, &named_values_);
  if (!whole && named_values_.empty() && finder_.empty()) return false;
  // A value given up whole (an env.get result, a named header's or
  // variable's value) becomes its marker and is looked for in later fields
  // and events; appends to `to`.
  auto learn = [&](Bytes value) {
    ByteRange core = SecretCore(value);
    finder_.AddValue(value.subspan(core.begin, core.end - core.begin));
    message_values_.Add(value.subspan(core.begin, core.end - core.begin));
  };
  auto give_up = [&](Bytes field, std::string* to) {
    MarkValue(field, &markers_, to);
    learn(field);
    return true;
  };
  // The named values first: a copy in a field before them (a variable's
  // value in the argv before the environment) is found too.
  for (const NamedValue& v : named_values_) learn(v.value_bytes());
  return RewritePayload(
      uint8_t(kind), args, payload,
      [&](Bytes field, bool, std::string* to) {
        if (whole) return give_up(field, to);
        // RewritePayload passes the same spans of `payload` that
        // HeaderValuesNamed and EnvValuesNamed found: the name stays, the
        // value goes.
        for (const NamedValue& v : named_values_) {
          if (v.line != field.data()) continue;
          to->append(AsChars(field.first(v.value)));
          return give_up(field.subspan(v.value), to);
        }
        finder_.LearnMatches(field, &message_values_);
        finder_.Find(field, &ranges_);
        if (ranges_.empty()) return false;
        ReplaceRanges(field, ranges_, &markers_, to);
        return true;
      },
      out);
}

void Recorder::AppendRedacted(Lane& lane, const Site& site, EffectKind kind, std::string_view args,
                              std::string_view result, int64_t time_ns, uint64_t duration_ns,
                              uint8_t marks) {
  // The program gets `args` and `result` as they are; the trace gets markers.
  uint8_t asked = lane.env.redact_marks;
  lane.env.redact_marks = 0;
  Bytes stored[2] = {AsBytes(args), AsBytes(result)};
  {
    // One lock for the numbering and the values, so that lanes agree on
    // them; the live call itself ran outside it.
    std::lock_guard lock(redact_mu_);
    for (int part = 0; part < 2; ++part) {
      uint8_t mark = part == 0 ? format::kMarkArgsRedacted : format::kMarkResultRedacted;
      std::string& out = lane.redacted[part];
      out.clear();
      if (!RedactPart(kind, part == 0, (asked & mark) != 0, stored[part], &out)) continue;
      stored[part] = AsBytes(out);
      marks |= mark;
    }
  }
  const EffectSpec* spec = FindEffect(uint8_t(kind));
  if ((marks & format::kMarkArgsRedacted) && spec != nullptr && spec->redacted_fit != nullptr) {
    std::string& fitted = lane.redacted[2];
    fitted.assign(AsChars(stored[1]));
    spec->redacted_fit(AsBytes(args), stored[0], &fitted);
    stored[1] = AsBytes(fitted);
  }
  Append(lane, site, kind, stored[0], stored[1], marks, time_ns, duration_ns);
}

std::string_view Recorder::PerformWithAction(Lane& lane, const Site& site, EffectKind kind,
                                             std::string_view args, const LiveCall& live) {
  if (lane.in_user_fn != EffectKind{}) NestedEffect(lane, kind);
  lane.result.clear();
  lane.in_user_fn = kind;
  // An effect called from the function must reach NestedEffect. (With
  // threads, every call already takes the general path.)
  bool main_only = &lane == &main_ && !threads_started();
  if (main_only) ChoosePath();
  // A user effect's function, or a control effect's (a thread starting or
  // ending, a mutex acquired): how long it took is recorded (§7.8).
  Measured m = Start();
  live.fn(live.context, &lane.env, args, &lane.result);
  End(&m);
  lane.in_user_fn = EffectKind{};
  if (main_only) ChoosePath();
  if (redacting_) [[unlikely]] {
    AppendRedacted(lane, site, kind, args, lane.result, m.begin, m.duration);
    return lane.result;
  }
  Append(lane, site, kind, AsBytes(args), AsBytes(lane.result), 0, m.begin, m.duration);
  return lane.result;
}

std::string_view Recorder::PerformPerturbed(Lane& lane, const Site& site, EffectKind kind,
                                           std::string_view args, const Perturbation& p) {
  bool perturbed = false;
  uint64_t waited_ns = 0;
  Measured m;
  const EffectSpec* spec = FindEffect(uint8_t(kind));  // nullptr: a user effect, not run
  if (spec != nullptr && spec->measured) m = Start();
  std::string_view result =
      chaos_->Apply(p, kind, lane.env, args, &lane.result, &perturbed, &waited_ns);
  if (m.begin != 0) End(&m);
  if (waited_ns != 0) {
    // A faked timeout took the time it stands for, as far as the program
    // can tell: its duration, and the clock readings after it.
    m.duration = waited_ns;
    faked_wait_ns_ += waited_ns;
  }
  if (kind == EffectKind::kClockNow && faked_wait_ns_ != 0 && result.size() == 8) {
    ShiftClock(&result, &lane.result);
  }
  uint8_t marks = perturbed ? format::kMarkPerturbed : 0;
  if (redacting_) [[unlikely]] {
    // A perturbed call still carries the program's secrets: its args (the
    // data of an fs.write, a request's headers, a command's argv), and its
    // result when the call was performed.
    AppendRedacted(lane, site, kind, args, result, m.begin, m.duration, marks);
    return result;
  }
  Append(lane, site, kind, AsBytes(args), AsBytes(result), marks, m.begin, m.duration);
  return result;
}

std::string_view Recorder::PerformLateClock(Lane& lane, const Site& site, std::string_view args) {
  std::string_view result = FindEffect(uint8_t(EffectKind::kClockNow))->live(lane.env, AsBytes(args),
                                                                           &lane.result);
  ShiftClock(&result, &lane.result);
  if (redacting_) [[unlikely]] {
    AppendRedacted(lane, site, EffectKind::kClockNow, args, result);
    return result;
  }
  Append(lane, site, EffectKind::kClockNow, AsBytes(args), AsBytes(result));
  return result;
}

void Recorder::ShiftClock(std::string_view* reading, std::string* scratch) const {
  uint8_t later[8];
  format::StoreU64(later, format::LoadU64(AsBytes(*reading).data()) + faked_wait_ns_);
  scratch->assign(reinterpret_cast<const char*>(later), 8);
  *reading = *scratch;
}

}  // namespace tape::engine
