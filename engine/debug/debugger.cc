#include "engine/debug/debugger.h"

#include <fmt/core.h>
#include <signal.h>

#include <algorithm>
#include <set>

#include "engine/internal/replay_end.h"
#include "engine/internal/signals.h"
#include "engine/src/replayer.h"

namespace tape::debug {

using Clock = std::chrono::steady_clock;
using lang::Machine;

const char* StopReasonName(StopReason reason) {
  switch (reason) {
    case StopReason::kEntry: return "entry";
    case StopReason::kStep: return "step";
    case StopReason::kBreakpoint: return "breakpoint";
    case StopReason::kGoto: return "goto";
    case StopReason::kStart: return "start";
    case StopReason::kExited: return "exited";
    case StopReason::kError: return "error";
    case StopReason::kDrift: return "drift";
    case StopReason::kTraceError: return "trace-error";
    case StopReason::kInterrupted: return "interrupted";
  }
  return "?";
}

namespace {

// A slice of a run takes about this long: often enough to take snapshots
// and notice an interrupt, rarely enough to cost nothing.
constexpr auto kSliceTime = std::chrono::milliseconds(10);
constexpr uint64_t kMinSlice = uint64_t{1} << 12, kMaxSlice = uint64_t{1} << 28;

// The instructions a line search back records first (Debugger::SearchBack).
constexpr uint64_t kFirstWindow = uint64_t{1} << 12;

Stop MakeStop(StopReason reason, std::string message = "") {
  Stop s;
  s.reason = reason;
  s.message = std::move(message);
  return s;
}

}  // namespace

// --- traps ---------------------------------------------------------------------

// The instructions trapped for the run in progress, and what each
// instruction is (a statement's start, an effect call).
class Debugger::Traps {
 public:
  explicit Traps(Machine* m) : m_(m) {
    const lang::Module& mod = m->module();
    flags_.resize(mod.functions.size());
    for (size_t f = 0; f < mod.functions.size(); ++f) {
      flags_[f].assign(mod.functions[f].code.size(), 0);
      for (const lang::StatementStart& s : mod.functions[f].statements) {
        flags_[f][s.pc] |= kStatement;
        statements_.emplace_back(static_cast<int>(f), s.pc);
      }
    }
    for (const CodePoint& p : EffectCalls(mod)) {
      flags_[static_cast<size_t>(p.first)][p.second] |= kEffect;
      effects_.push_back(p);
    }
  }

  // Traps exactly `want`.
  void Apply(std::vector<CodePoint> want) {
    std::sort(want.begin(), want.end());
    want.erase(std::unique(want.begin(), want.end()), want.end());
    for (const CodePoint& p : set_) {
      if (!std::binary_search(want.begin(), want.end(), p)) m_->ClearTrap(p.first, p.second);
    }
    for (const CodePoint& p : want) {
      if (!std::binary_search(set_.begin(), set_.end(), p)) m_->SetTrap(p.first, p.second);
    }
    set_ = std::move(want);
  }

  bool IsStatement(const Machine::Frame& f) const { return Flag(f, kStatement); }
  bool IsEffect(const Machine::Frame& f) const { return Flag(f, kEffect); }
  const std::vector<CodePoint>& statements() const { return statements_; }
  const std::vector<CodePoint>& effects() const { return effects_; }

 private:
  static constexpr uint8_t kStatement = 1, kEffect = 2;
  bool Flag(const Machine::Frame& f, uint8_t flag) const {
    return (flags_[static_cast<size_t>(f.function)][f.pc] & flag) != 0;
  }
  Machine* m_;
  std::vector<std::vector<uint8_t>> flags_;
  std::vector<CodePoint> statements_, effects_;
  std::vector<CodePoint> set_;  // sorted
};

// What a run forward stops for (besides breakpoints, when `breakpoints`).
struct Debugger::Goal {
  enum class Kind { kNone, kStep, kNext, kUntil, kFinish, kSeq };
  Kind kind = Kind::kNone;
  bool breakpoints = true;
  size_t depth = 0;      // of the frame the move started in
  int line = 0;          // the line it started on, or `until LINE`'s line
  bool to_line = false;  // until LINE
  CodePoint ret{-1, 0};  // finish: where the frame returns to
  std::string function;  // finish: the function left
  uint64_t seq = 0;      // goto seq
};

// What a search back looks for, and what it found in the segment (the
// replay from one snapshot to the next) it ran last.
struct Debugger::Search {
  enum class Kind { kStep, kNext, kBreakpoint, kCall };
  Kind kind = Kind::kStep;
  size_t depth = 0;  // of the position searched back from
  int line = 0;
  CodePoint call{-1, 0};  // kCall: the call that made the current frame

  // kStep, kNext: statements on one line and frame depth, one after another,
  // make a run; a reverse step goes to the start of the last run that is
  // not the current line's. The segment's last runs, and whether the
  // segment had any statement.
  struct Run {
    uint64_t start = 0;
    size_t depth = 0;
    int line = 0;
    bool first = false;  // began with the segment's first statement
    bool Same(size_t d, int l) const { return depth == d && line == l; }
  };
  std::vector<Run> tail;
  bool any = false;
  // kBreakpoint, kCall: the segment's last hit.
  std::optional<uint64_t> hit;
  std::vector<int> hit_breakpoints;

  // Across segments, from the latest back.
  bool extending = false;  // found a run; it may have begun in an earlier segment
  Run found;

  void NewSegment() {
    tail.clear();
    any = false;
    hit.reset();
    hit_breakpoints.clear();
  }
  void AddStatement(uint64_t at, size_t d, int l) {
    if (tail.empty() || !tail.back().Same(d, l)) {
      tail.push_back(Run{at, d, l, !any});
      if (tail.size() > 3) tail.erase(tail.begin());
    }
    any = true;
  }
  // Looks at the segment's runs from the last back; returns the answer
  // when it is complete.
  std::optional<uint64_t> Settle() {
    for (auto r = tail.rbegin(); r != tail.rend(); ++r) {
      if (extending) {
        if (!r->Same(found.depth, found.line)) return found.start;
        found.start = r->start;
      } else {
        if (r->Same(depth, line)) continue;
        extending = true;
        found = *r;
      }
      if (!r->first) return found.start;
      break;  // the run began with the segment: it may go on in the one before
    }
    return std::nullopt;
  }
};

// --- set-up ----------------------------------------------------------------------

Debugger::Debugger(const format::TraceReader* reader, std::shared_ptr<const lang::Script> script,
                   const DebuggerOptions& options)
    : reader_(reader),
      script_(std::move(script)),
      options_(options),
      snapshots_(options.snapshot_memory),
      goal_(std::make_unique<Goal>()),
      interval_ms_(options.snapshot_interval_ms) {
  lang::RunLimits limits;
  limits.max_steps = options.max_steps;
  machine_ = std::make_unique<Machine>(script_, limits);
  machine_->set_trap_handler(this);
  traps_ = std::make_unique<Traps>(machine_.get());
  try {
    NewReplayer(0);
  } catch (const engine::TraceReadFailed& e) {
    last_ = Ended(MakeStop(StopReason::kTraceError, e.status.message()));
    return;
  }
  TakeSnapshot();
  last_ = MakeStop(StopReason::kEntry);
}

Debugger::~Debugger() = default;

void Debugger::NewReplayer(uint64_t first_seq) {
  replayer_.reset();  // its read-ahead thread stops first
  replayer_ = std::make_unique<engine::Replayer>(reader_, -1, /*read_ahead=*/true, first_seq);
  replayer_->set_output_hook([this](uint64_t seq, EffectKind kind, std::string_view bytes) {
    if (seq < output_done_) return;  // shown the first time through
    output_done_ = seq + 1;
    if (output_) output_(seq, kind == EffectKind::kIoError, bytes);
  });
  machine_->set_runtime(replayer_.get());
}

uint64_t Debugger::seq() const { return replayer_ ? replayer_->seq() : 0; }

int Debugger::Line(size_t frame) const {
  Machine::Frame f = machine_->frame(frame);
  return StatementLine(machine_->module(), f.function, f.pc);
}

// --- snapshots ---------------------------------------------------------------------

void Debugger::TakeSnapshot() {
  Clock::time_point t0 = Clock::now();
  if (snapshots_.Add(snapshots_.Take(*machine_, seq()))) {
    interval_ms_ *= 2;  // thinned: half as many from now on
  }
  since_snapshot_ = {};
  // A large state takes long to copy: snapshots then come at most once per
  // ten copies' time, so that copying costs the replay at most a tenth more.
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  snapshot_cost_ms_ = static_cast<uint32_t>(took.count());
}

void Debugger::MaybeSnapshot(Clock::duration ran, uint64_t from) {
  since_snapshot_ += ran;
  // Re-running a stretch that has snapshots: time counts from the last one passed.
  if (const Snapshots::Entry* e = snapshots_.AtOrAfter(from + 1);
      e != nullptr && e->icount <= machine_->icount()) {
    since_snapshot_ = {};
  }
  uint32_t interval = std::max(interval_ms_, 10 * snapshot_cost_ms_);
  if (since_snapshot_ >= std::chrono::milliseconds(interval)) TakeSnapshot();
}

void Debugger::Restore(const Snapshots::Entry& e) {
  machine_->Restore(*e.state);
  NewReplayer(e.seq);
  ended_ = machine_->ended();
  since_snapshot_ = {};
}

// --- running forward ----------------------------------------------------------------

Stop Debugger::Ended(Stop stop) {
  ended_ = true;
  return stop;
}

Stop Debugger::Finished(const format::Outcome& outcome, std::string message) {
  Stop s;
  s.reason = outcome.kind == format::OutcomeKind::kExited ? StopReason::kExited
                                                          : StopReason::kError;
  s.message = message.empty() ? "the script " + outcome.Describe() : std::move(message);
  if (std::optional<DriftInfo> d = engine::CheckReplayEnd(*reader_, seq(), outcome)) {
    s.reason = StopReason::kDrift;
    s.drift = std::move(d);
  }
  return Ended(std::move(s));
}

Stop Debugger::RunUntil(const Goal& goal, uint64_t until) {
  *goal_ = goal;
  std::vector<CodePoint> want;
  if (search_ != nullptr) {
    switch (search_->kind) {
      case Search::Kind::kStep:
      case Search::Kind::kNext: want = traps_->statements(); break;
      case Search::Kind::kCall: want.push_back(search_->call); break;
      case Search::Kind::kBreakpoint:
        for (const Breakpoint& bp : breakpoints_) want.insert(want.end(), bp.traps.begin(), bp.traps.end());
        break;
    }
  } else {
    if (goal.breakpoints) {
      for (const Breakpoint& bp : breakpoints_) want.insert(want.end(), bp.traps.begin(), bp.traps.end());
    }
    switch (goal.kind) {
      case Goal::Kind::kStep:
      case Goal::Kind::kNext:
      case Goal::Kind::kUntil:
        want.insert(want.end(), traps_->statements().begin(), traps_->statements().end());
        break;
      case Goal::Kind::kFinish: want.push_back(goal.ret); break;
      case Goal::Kind::kSeq:
      case Goal::Kind::kNone: break;
    }
  }
  traps_->Apply(std::move(want));
  machine_->set_seq_watch(NextSeqWatch(seq()));
  trap_stop_.reset();
  bool skip = at_stop_;
  at_stop_ = false;
  for (;;) {
    uint64_t from = machine_->icount();
    uint64_t end = until - from > slice_ ? from + slice_ : until;
    Clock::time_point t0 = Clock::now();
    Machine::Stopped r;
    try {
      r = machine_->Run(end, skip);
    } catch (const lang::StepLimitError& e) {
      if (options_.max_steps == 0) return Finished({format::OutcomeKind::kError, 0, e.what()}, e.what());
      Stop s = MakeStop(StopReason::kDrift, e.what());
      s.drift = DriftInfo{DriftKind::kRanPastRecording, seq(),
                          fmt::format("the recorded run ended after {} steps", options_.max_steps),
                          "the replay went on past that without an effect call",
                          "the script computed past where the recording ended"};
      return Ended(std::move(s));
    } catch (const ProgramError& e) {
      return Finished({format::OutcomeKind::kError, 0, e.what()}, e.what());
    } catch (const DriftError& e) {
      Stop s = MakeStop(StopReason::kDrift);
      s.drift = e.info();
      return Ended(std::move(s));
    } catch (const engine::TraceReadFailed& e) {
      return Ended(MakeStop(StopReason::kTraceError, e.status.message()));
    } catch (const engine::ReachedRecordedSignal& e) {
      return Finished({format::OutcomeKind::kSignal, e.signal, engine::SignalName(e.signal)},
                      e.note);
    }
    skip = false;
    Clock::duration ran = Clock::now() - t0;
    if (r == Machine::Stopped::kExited) {
      return Finished(format::Outcome::Exited(machine_->exit_code()), "");
    }
    if (trap_stop_) return *trap_stop_;
    if (machine_->icount() >= until) return MakeStop(StopReason::kGoto);
    MaybeSnapshot(ran, from);
    // Slices of about kSliceTime, whatever an instruction costs here.
    if (ran < kSliceTime / 2 && slice_ < kMaxSlice) slice_ *= 2;
    if (ran > kSliceTime * 2 && slice_ > kMinSlice) slice_ /= 2;
    if (interrupt_ && interrupt_()) return MakeStop(StopReason::kInterrupted);
  }
}

Stop Debugger::Move(const std::function<Stop()>& move) {
  try {
    last_ = move();
  } catch (const engine::TraceReadFailed& e) {  // a trace changed or damaged under the replay
    last_ = Ended(MakeStop(StopReason::kTraceError, e.status.message()));
  }
  at_stop_ = true;
  return last_;
}

Result<Stop> Debugger::Forward(const Goal& goal) {
  if (ended_) {
    return Status::InvalidArgument(
        "the run has ended (" + std::string(StopReasonName(last_.reason)) +
        "): `run` starts it again, and the reverse commands go back");
  }
  return Move([&] { return RunUntil(goal, UINT64_MAX); });
}

Result<Stop> Debugger::Continue() { return Forward(Goal{}); }

Result<Stop> Debugger::Run() {
  const Snapshots::Entry* start = snapshots_.AtOrAfter(0);
  if (start == nullptr || start->icount != 0) {
    return Status::InvalidArgument("the run's start was not kept");
  }
  return Move([&] {
    Restore(*start);
    return RunUntil(Goal{}, UINT64_MAX);
  });
}

Result<Stop> Debugger::Step() {
  Goal g;
  g.kind = Goal::Kind::kStep;
  g.depth = machine_->depth();
  g.line = Line();
  return Forward(g);
}

Result<Stop> Debugger::Next() {
  Goal g;
  g.kind = Goal::Kind::kNext;
  g.depth = machine_->depth();
  g.line = Line();
  return Forward(g);
}

Result<Stop> Debugger::Until(int line) {
  Goal g;
  g.kind = Goal::Kind::kUntil;
  g.depth = machine_->depth();
  g.line = line > 0 ? line : Line();
  g.to_line = line > 0;
  if (g.to_line && LineStarts(machine_->module(), line).empty()) {
    return Status::InvalidArgument(fmt::format("line {} has no code", line));
  }
  return Forward(g);
}

Result<Stop> Debugger::Finish() {
  if (machine_->depth() < 2) {
    return Status::InvalidArgument(
        "finish: the top-level code was not called by anything (`continue` runs on)");
  }
  Goal g;
  g.kind = Goal::Kind::kFinish;
  g.depth = machine_->depth();
  Machine::Frame caller = machine_->frame(1);
  g.ret = {caller.function, caller.pc + 1};
  g.function = machine_->module().functions[static_cast<size_t>(machine_->frame(0).function)].name;
  return Forward(g);
}

// --- traps -------------------------------------------------------------------------

std::vector<int> Debugger::BreakpointHits(const Machine::Frame& f, bool at_effect,
                                          std::string* message) {
  std::vector<int> hits;
  for (Breakpoint& bp : breakpoints_) {
    bool at = bp.spec.kind == BreakSpec::Kind::kSeq
                  ? at_effect && seq() == bp.spec.seq
                  : std::find(bp.traps.begin(), bp.traps.end(), CodePoint{f.function, f.pc}) !=
                        bp.traps.end();
    if (!at) continue;
    if (bp.condition) {
      Result<bool> truth = bp.condition->IsTrue(Scope{machine_.get(), 0});
      if (!truth.has_value()) {
        // Stopped, as gdb does: the user sees why and can fix or delete it.
        *message = fmt::format("breakpoint {}: its condition `{}` could not be evaluated: {}",
                               bp.id, bp.spec.condition, truth.error().message());
      } else if (!*truth) {
        continue;
      }
    }
    if (search_ == nullptr) ++bp.hits;
    hits.push_back(bp.id);
  }
  return hits;
}

bool Debugger::GoalMet(const Machine::Frame& f, bool stmt, bool at_effect) {
  const Goal& g = *goal_;
  size_t depth = machine_->depth();
  int line = stmt ? StatementLine(machine_->module(), f.function, f.pc) : 0;
  switch (g.kind) {
    case Goal::Kind::kNone: return false;
    case Goal::Kind::kStep: return stmt && (depth != g.depth || line != g.line);
    case Goal::Kind::kNext: return stmt && (depth < g.depth || (depth == g.depth && line != g.line));
    case Goal::Kind::kUntil:
      if (!stmt) return false;
      if (depth < g.depth) return true;
      return depth == g.depth && (g.to_line ? line == g.line : line > g.line);
    case Goal::Kind::kFinish:
      return CodePoint{f.function, f.pc} == g.ret && depth + 1 == g.depth;
    case Goal::Kind::kSeq: return at_effect && seq() >= g.seq;
  }
  return false;
}

void Debugger::Record(const Machine::Frame& f, bool stmt, bool at_effect) {
  Search& s = *search_;
  size_t depth = machine_->depth();
  switch (s.kind) {
    case Search::Kind::kStep:
    case Search::Kind::kNext:
      if (stmt && (s.kind == Search::Kind::kStep || depth <= s.depth)) {
        s.AddStatement(machine_->icount(), depth,
                       StatementLine(machine_->module(), f.function, f.pc));
      }
      return;
    case Search::Kind::kCall:
      if (CodePoint{f.function, f.pc} == s.call && depth + 1 == s.depth) s.hit = machine_->icount();
      return;
    case Search::Kind::kBreakpoint: {
      std::string ignored;
      std::vector<int> hits = BreakpointHits(f, at_effect, &ignored);
      if (!hits.empty()) {
        s.hit = machine_->icount();
        s.hit_breakpoints = std::move(hits);
      }
      return;
    }
  }
}

uint64_t Debugger::NextSeqWatch(uint64_t from) const {
  uint64_t watch = UINT64_MAX;
  bool breakpoints = search_ != nullptr ? search_->kind == Search::Kind::kBreakpoint
                                        : goal_->breakpoints;
  if (breakpoints) {
    for (const Breakpoint& bp : breakpoints_) {
      if (bp.spec.kind == BreakSpec::Kind::kSeq && bp.spec.seq >= from) {
        watch = std::min(watch, bp.spec.seq);
      }
    }
  }
  if (search_ == nullptr && goal_->kind == Goal::Kind::kSeq) watch = std::min(watch, goal_->seq);
  return watch;
}

bool Debugger::OnTrap() {
  Machine::Frame f = machine_->frame(0);
  bool stmt = traps_->IsStatement(f);
  bool at_effect = traps_->IsEffect(f);
  // The seq watch's next target: past the call about to run.
  if (at_effect) machine_->set_seq_watch(NextSeqWatch(seq() + 1));
  if (search_ != nullptr) {
    Record(f, stmt, at_effect);
    return false;
  }
  Stop s;
  std::vector<int> hits;
  if (goal_->breakpoints) hits = BreakpointHits(f, at_effect, &s.message);
  bool met = GoalMet(f, stmt, at_effect);
  if (hits.empty() && !met) return false;
  s.reason = !hits.empty() ? StopReason::kBreakpoint
             : goal_->kind == Goal::Kind::kSeq ? StopReason::kGoto
                                                : StopReason::kStep;
  s.breakpoints = std::move(hits);
  if (met && goal_->kind == Goal::Kind::kFinish) {
    s.finished = goal_->function;
    if (const lang::Value* top = machine_->stack_top()) s.returned = Render(*top);
  }
  trap_stop_ = std::move(s);
  return true;
}

// --- going back -------------------------------------------------------------------

Stop Debugger::GoTo(uint64_t target, StopReason reason) {
  const Snapshots::Entry* e = snapshots_.Before(target + 1);
  bool from_here = !ended_ && position() <= target && (e == nullptr || e->icount <= position());
  if (!from_here) Restore(*e);
  Goal none;
  none.breakpoints = false;
  Stop s = RunUntil(none, target);
  if (s.reason == StopReason::kGoto) s.reason = reason;
  return s;
}

std::optional<uint64_t> Debugger::SearchBack(Search& search, uint64_t before) {
  uint64_t hi = before;
  struct Searching {
    Debugger* d;
    ~Searching() { d->search_ = nullptr; }
  } searching{this};
  Goal none;
  none.breakpoints = false;
  bool lines = search.kind == Search::Kind::kStep || search.kind == Search::Kind::kNext;
  while (const Snapshots::Entry* e = snapshots_.Before(hi)) {
    uint64_t lo = e->icount;
    // A line search records the segment's last `window` instructions first
    // (a reverse step's target is usually a few instructions back, and
    // recording costs a handler call per statement), then wider ones; the
    // replay up to the window leaves a snapshot there, for the move to the
    // target and the next steps back.
    uint64_t window = lines ? kFirstWindow : UINT64_MAX;
    Search before_segment = search;
    for (;;) {
      uint64_t from = hi - lo > window ? hi - window : lo;
      Restore(*e);
      if (from > lo) {
        if (RunUntil(none, from).reason != StopReason::kGoto) return std::nullopt;
        snapshots_.SetRecent(snapshots_.Take(*machine_, seq()));
      }
      search = before_segment;
      search.NewSegment();
      search_ = &search;
      Stop s = RunUntil(none, hi);
      search_ = nullptr;
      if (s.reason != StopReason::kGoto) return std::nullopt;  // not in a faithful replay
      if (!lines) {
        if (search.hit) return search.hit;
        break;
      }
      if (std::optional<uint64_t> at = search.Settle()) return at;
      if (from == lo) break;  // the whole segment: on to the one before
      window *= 16;
    }
    hi = lo;
  }
  if (search.extending) return search.found.start;  // the run began at the start
  return std::nullopt;
}

Result<Stop> Debugger::Reverse(Search search, StopReason reason) {
  return Move([&] {
    if (position() == 0) return MakeStop(StopReason::kStart);
    if (std::optional<uint64_t> at = SearchBack(search, position())) {
      Stop s = GoTo(*at, reason);
      if (search.kind == Search::Kind::kBreakpoint) s.breakpoints = search.hit_breakpoints;
      return s;
    }
    return GoTo(0, StopReason::kStart);
  });
}

Result<Stop> Debugger::ReverseLine(bool into_calls) {
  Search s;
  s.kind = into_calls ? Search::Kind::kStep : Search::Kind::kNext;
  s.depth = machine_->depth();
  s.line = Line();
  return Reverse(std::move(s), StopReason::kStep);
}

Result<Stop> Debugger::ReverseStep() { return ReverseLine(/*into_calls=*/true); }
Result<Stop> Debugger::ReverseNext() { return ReverseLine(/*into_calls=*/false); }

Result<Stop> Debugger::ReverseContinue() {
  if (breakpoints_.empty()) {  // nothing to stop at on the way: the start
    return Move([&] { return GoTo(0, StopReason::kStart); });
  }
  Search s;
  s.kind = Search::Kind::kBreakpoint;
  return Reverse(std::move(s), StopReason::kBreakpoint);
}

Result<Stop> Debugger::ReverseFinish() {
  if (machine_->depth() < 2) {
    return Status::InvalidArgument("reverse-finish: the top-level code was not called by anything");
  }
  Search s;
  s.kind = Search::Kind::kCall;
  s.depth = machine_->depth();
  Machine::Frame caller = machine_->frame(1);
  s.call = {caller.function, caller.pc};
  return Reverse(std::move(s), StopReason::kStep);
}

Result<Stop> Debugger::GotoSeq(uint64_t target) {
  uint64_t count = reader_->event_count();
  if (target >= count) {
    return Status::InvalidArgument(fmt::format(
        "seq {} is past the end of the recording, which has {} {}{}", target, count,
        count == 1 ? "event" : "events", count == 0 ? "" : fmt::format(" (seq 0..{})", count - 1)));
  }
  return Move([&] {
    if (!ended_ && seq() == target && traps_->IsEffect(machine_->frame(0))) {
      return MakeStop(StopReason::kGoto);  // there already
    }
    const Snapshots::Entry* e = snapshots_.AtOrBeforeSeq(target);
    bool from_here = !ended_ && seq() <= target && (e == nullptr || e->icount <= position());
    if (!from_here) Restore(*e);
    Goal g;
    g.kind = Goal::Kind::kSeq;
    g.seq = target;
    g.breakpoints = false;
    return RunUntil(g, UINT64_MAX);
  });
}

// --- breakpoints ------------------------------------------------------------------

Result<int> Debugger::AddBreakpoint(const BreakSpec& spec) {
  Breakpoint bp;
  bp.spec = spec;
  if (spec.kind == BreakSpec::Kind::kSeq && spec.seq >= reader_->event_count()) {
    return Status::InvalidArgument(
        fmt::format("seq {} is past the end of the recording, which has {} events", spec.seq,
                    reader_->event_count()));
  }
  if (Status s = Resolve(machine_->module(), &bp); !s.ok()) return s;
  bp.id = next_breakpoint_++;
  breakpoints_.push_back(std::move(bp));
  return breakpoints_.back().id;
}

Status Debugger::DeleteBreakpoint(int id) {
  auto it = std::find_if(breakpoints_.begin(), breakpoints_.end(),
                         [id](const Breakpoint& bp) { return bp.id == id; });
  if (it == breakpoints_.end()) {
    return Status::InvalidArgument(
        fmt::format("no breakpoint {} (`info breakpoints` lists them)", id));
  }
  breakpoints_.erase(it);
  return Status::Ok();
}

void Debugger::DeleteAllBreakpoints() { breakpoints_.clear(); }

}  // namespace tape::debug
