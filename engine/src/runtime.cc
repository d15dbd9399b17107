// tape::Runtime's core: sites, threads and lanes, user effect kinds, and
// misuse. The typed effect methods (ClockNowAt, FsReadAt, ...) are defined
// with their effects, in engine/effects/.

#include "tape/runtime.h"

#include <fmt/format.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <unordered_map>

#include "engine/effects/registry.h"
#include "engine/src/mutex_action.h"
#include "format/bytes.h"

namespace tape {

using format::AsBytes;
using format::LoadU32;
using format::LoadU64;

uint64_t SiteIdOf(std::string_view location) {
  return XXH3_64bits(location.data(), location.size());
}

// Location strings live here for the runtime's lifetime; a deque never moves
// its elements, so the Sites handed out stay valid.
// Each location is stored once (found again by its cache key on a cache
// miss), so call sites that evict each other from the cache cost no memory.
struct Runtime::SiteStore {
  std::deque<std::string> locations;
  struct Known {
    const char* file;
    unsigned line, column;
    Site site;
  };
  std::unordered_map<uintptr_t, Known> by_key;
};

// The lane a tape::Thread's thread runs in, with a cache of its sites: the
// runtime's own cache belongs to its thread.
struct Runtime::ThreadBinding {
  Runtime* rt = nullptr;
  std::unique_ptr<LaneContext> context;
  static constexpr size_t kSlots = 64;
  CachedSite sites[kSlots];
};

Runtime::ThreadBinding*& Runtime::CurrentBinding() {
  static thread_local ThreadBinding* binding = nullptr;
  return binding;
}

// User effect names and their kind bytes (kFirstUserKind..255).
struct Runtime::UserKinds {
  std::unordered_map<std::string, EffectKind> by_name;
  std::string names[kMaxUserEffectNames];
  int next = 0;  // the next kind to hand out is kFirstUserKind + next
  // A small cache in front of by_name, keyed by the name's bytes' address:
  // names are usually string literals. Entries are verified by content.
  struct Cached {
    const char* data = nullptr;
    size_t size = 0;
    EffectKind kind{};
  };
  Cached cache[16];
};

Runtime::Runtime()
    : owner_(ThreadToken()),
      site_store_(std::make_unique<SiteStore>()),
      user_kinds_(std::make_unique<UserKinds>()) {}
Runtime::~Runtime() = default;

Site Runtime::SiteOfSlow(const SourceLocation& loc, uintptr_t key, CachedSite* entry) {
  std::unique_lock lock(shared_mu_, std::defer_lock);
  if (threads_started_) lock.lock();
  SiteStore& store = *site_store_;
  auto it = store.by_key.find(key);
  if (it != store.by_key.end() && it->second.file == loc.file_name() &&
      it->second.line == loc.line() && it->second.column == loc.column()) {
    *entry = {key, loc.file_name(), loc.line(), loc.column(), it->second.site};
    return entry->site;
  }
  std::string& text = store.locations.emplace_back(
      fmt::format("{}:{}:{}", loc.file_name(), loc.line(), loc.column()));
  Site site{SiteIdOf(text), text};
  store.by_key[key] = {loc.file_name(), loc.line(), loc.column(), site};
  *entry = {key, loc.file_name(), loc.line(), loc.column(), site};
  return site;
}

Site Runtime::SiteOfOtherThread(const SourceLocation& loc) {
  ThreadBinding* b = CurrentBinding();
  if (b == nullptr || b->rt != this) [[unlikely]] ForeignThread(loc);
  uintptr_t key = SiteKey(loc);
  CachedSite& e = b->sites[(key >> 4) & (ThreadBinding::kSlots - 1)];
  if (e.key == key && SameLocation(e, loc)) [[likely]] return e.site;
  return SiteOfSlow(loc, key, &e);
}

void Runtime::CheckLaneThread(const Site& site) {
  ThreadBinding* b = CurrentBinding();
  if (b == nullptr || b->rt != this) [[unlikely]] ForeignThread(site);
}

int64_t Runtime::CurrentLane() const {
  if (ThreadToken() == owner_) return 0;
  ThreadBinding* b = CurrentBinding();
  return b != nullptr && b->rt == this ? int64_t(b->context->lane) : -1;
}

Runtime::LaneContext* Runtime::CurrentLaneContext(const Site& site) {
  if (ThreadToken() == owner_) return main_lane_;
  ThreadBinding* b = CurrentBinding();
  if (b == nullptr || b->rt != this) [[unlikely]] ForeignThread(site);
  return b->context.get();
}

std::unique_ptr<Runtime::LaneContext> Runtime::NewLaneContext(uint32_t) {
  return std::make_unique<LaneContext>();
}

void Runtime::WaitOutside(const std::atomic<bool>&) {}

// --- threads (tape/thread.h) -------------------------------------------------

namespace {

// thread.start's action: the next lane number, in the order threads start
// (the recorded order, on replay).
void AllocateLane(void* context, LiveEnv*, std::string_view, std::string* result) {
  auto* next = static_cast<std::atomic<uint32_t>*>(context);
  uint32_t lane = next->fetch_add(1, std::memory_order_relaxed);
  char bytes[4];
  format::StoreU32(reinterpret_cast<uint8_t*>(bytes), lane);
  result->append(bytes, 4);
}

void NoAction(void*, LiveEnv*, std::string_view, std::string*) {}

void LockAction(void* context, LiveEnv*, std::string_view, std::string*) {
  auto* a = static_cast<engine::MutexAction*>(context);
  a->m->lock();
  a->locked = true;
}

}  // namespace

uint32_t Runtime::StartThread(const Site& site) {
  CheckThread(site);
  if (!threads_started_) {
    if (main_lane_ == nullptr) {
      own_main_lane_ = NewLaneContext(0);
      main_lane_ = own_main_lane_.get();
    }
    OnThreadsStart();
    threads_started_ = true;
  }
  if (next_lane_.load(std::memory_order_relaxed) >= kMaxThreads) {
    throw std::length_error(fmt::format("tape::Thread at {}: a run has at most {} threads",
                                        site.location, kMaxThreads - 1));
  }
  std::string_view r = Perform(site, EffectKind::kThreadStart, {}, {&AllocateLane, &next_lane_});
  if (r.size() != 4) [[unlikely]] BadResult(EffectKind::kThreadStart);
  return LoadU32(AsBytes(r).data());
}

void Runtime::EnterThread(uint32_t lane) {
  auto* b = new ThreadBinding;
  b->rt = this;
  b->context = NewLaneContext(lane);
  b->context->lane = lane;
  CurrentBinding() = b;
}

void Runtime::ExitThread(const Site& site, bool record_end, std::atomic<bool>* done) {
  ThreadBinding* b = CurrentBinding();
  struct Unbind {
    Runtime* rt;
    ThreadBinding* b;
    std::atomic<bool>* done;
    ~Unbind() {
      done->store(true);
      rt->OnLaneEnd(b->context.get());
      CurrentBinding() = nullptr;
      delete b;
    }
  } unbind{this, b, done};
  if (record_end) Perform(site, EffectKind::kThreadEnd, {}, {&NoAction, nullptr});
}

void Runtime::LockMutex(const Site& site, std::string_view name, std::mutex& m) {
  engine::MutexAction action{&m};
  try {
    Perform(site, EffectKind::kMutexLock, name, {&LockAction, &action});
  } catch (...) {
    if (action.locked) m.unlock();
    throw;
  }
}

namespace {

// The action of a version.marker being recorded: the newest version.
void NewestVersion(void* context, LiveEnv*, std::string_view, std::string* result) {
  uint8_t bytes[4];
  format::StoreU32(bytes, uint32_t(*static_cast<const int32_t*>(context)));  // §13: i32, LE
  result->assign(reinterpret_cast<const char*>(bytes), 4);
}

}  // namespace

void Runtime::RaiseDrift(DriftInfo info) { throw DriftError(std::move(info)); }

int32_t Runtime::VersionAt(const Site& site, std::string_view change_id, int32_t min,
                           int32_t max) {
  if (change_id.empty() || change_id.size() > kMaxEffectNameBytes ||
      std::any_of(change_id.begin(), change_id.end(),
                  [](char c) { return uint8_t(c) <= 0x20 || uint8_t(c) >= 0x7f; })) {
    throw std::invalid_argument(
        fmt::format("version(): the change id must be 1 to {} printable ASCII bytes without "
                    "spaces, such as \"rounding-fix\"",
                    kMaxEffectNameBytes));
  }
  if (min > max) {
    throw std::invalid_argument(
        fmt::format("version(\"{}\", {}, {}): min is above max", change_id, min, max));
  }
  if (!HasVersionMarker(site, change_id)) {
    OnVersionNotRecorded(site, change_id, min);
    return min;
  }
  std::string_view r =
      Perform(site, EffectKind::kVersionMarker, change_id, {&NewestVersion, &max});
  if (r.size() != 4) BadResult(EffectKind::kVersionMarker);
  int32_t v = int32_t(format::LoadU32(reinterpret_cast<const uint8_t*>(r.data())));
  if (v < min || v > max) {
    std::string id(change_id);
    RaiseDrift({DriftKind::kVersionUnsupported, seq() == 0 ? 0 : seq() - 1,
                fmt::format("version {} of '{}'", v, id),
                fmt::format("version(\"{}\", {}, {}) at {}", id, min, max, site.location),
                fmt::format("the trace needs version {} of '{}'; the program supports {}..{} "
                            "(specs/trace-format.md §13.7)",
                            v, id, min, max)});
  }
  return v;
}

void Runtime::UnlockMutex(std::mutex& m) {
  // Told before the mutex is free, so that the next holder's acquisition is
  // always heard of after it. threads_started_ is set before any other
  // thread exists.
  if (threads_started_) OnMutexUnlock(&m);
  m.unlock();
}

namespace {

// OK for a good user effect name, else InvalidArgument with what is wrong
// with it.
Status CheckEffectName(std::string_view name) {
  if (name.empty())
    return Status::InvalidArgument("a user effect needs a name (e.g. \"db.query\")");
  std::string shown(name.substr(0, 40));
  for (char& c : shown) {
    if (uint8_t(c) < 0x20 || uint8_t(c) >= 0x7f) c = '?';
  }
  if (name.size() > kMaxEffectNameBytes) {
    return Status::InvalidArgument(
        fmt::format("user effect name '{}...' is {} bytes; names are at most {}", shown,
                    name.size(), kMaxEffectNameBytes));
  }
  for (char c : name) {
    if (uint8_t(c) <= 0x20 || uint8_t(c) >= 0x7f) {
      return Status::InvalidArgument(
          fmt::format("user effect name '{}' has a space or control byte; use printable ASCII "
                      "such as \"db.query\"",
                      shown));
    }
  }
  if (const engine::EffectSpec* e = engine::FindEffectByName(name); e && e->name == name) {
    return Status::InvalidArgument(
        fmt::format("'{}' is a built-in effect; give the user effect another name", name));
  }
  return Status::Ok();
}

}  // namespace

void Runtime::BadResult(EffectKind kind) {
  throw std::logic_error("the result of " + KindLabel(kind) +
                         " does not have that effect's layout");
}

// --- misuse --------------------------------------------------------------

void Runtime::Misuse(const std::string& message) {
  std::string line = "tape: " + message + "\n";
  ssize_t ignored = ::write(2, line.data(), line.size());
  (void)ignored;
  ::_exit(kMisuseExitCode);
}

void Runtime::ForeignThread(const SourceLocation& loc) {
  ForeignThread(Site{0, fmt::format("{}:{}:{}", loc.file_name(), loc.line(), loc.column())});
}

void Runtime::ForeignThread(const Site& site) {
  // Nothing of this runtime is touched from here: its state belongs to the
  // program's thread, which may be using it right now.
  Misuse("an effect was called at " + std::string(site.location) +
         " from a thread tape does not know; effects may only be called from the thread that "
         "runs the program and from threads started with tape::Thread (tape/thread.h; see "
         "README, \"Threads\")");
  std::abort();  // Misuse does not return
}

// --- user effects ----------------------------------------------------------

EffectKind Runtime::UserKind(std::string_view name) {
  std::unique_lock lock(shared_mu_, std::defer_lock);
  if (threads_started_) lock.lock();
  UserKinds& u = *user_kinds_;
  UserKinds::Cached& c = u.cache[(reinterpret_cast<uintptr_t>(name.data()) >> 3) & 15];
  if (c.data == name.data() && c.size == name.size() && c.kind != EffectKind{} &&
      u.names[uint8_t(c.kind) - kFirstUserKind] == name) [[likely]] {
    return c.kind;
  }
  auto it = u.by_name.find(std::string(name));
  EffectKind kind;
  if (it != u.by_name.end()) {
    kind = it->second;
  } else {
    Status ok = CheckEffectName(name);
    if (!ok.ok()) throw std::invalid_argument(ok.message());
    if (u.next == kMaxUserEffectNames) {
      throw std::invalid_argument(
          fmt::format("user effect '{}': a recording holds at most {} distinct effect names; put "
                      "what varies in the effect's args",
                      name, kMaxUserEffectNames));
    }
    kind = EffectKind(kFirstUserKind + u.next++);
    SetUserKind(kind, name);
    OnUserKind(kind, name);
  }
  c = {name.data(), name.size(), kind};
  return kind;
}

void Runtime::SetUserKind(EffectKind kind, std::string_view name) {
  UserKinds& u = *user_kinds_;
  int i = uint8_t(kind) - kFirstUserKind;
  u.names[i] = std::string(name);
  u.by_name[u.names[i]] = kind;
  if (i >= u.next) u.next = i + 1;
}

std::string_view Runtime::UserKindName(EffectKind kind) const {
  if (uint8_t(kind) < kFirstUserKind) return "";
  return user_kinds_->names[uint8_t(kind) - kFirstUserKind];
}

std::string Runtime::KindLabel(EffectKind kind) const {
  if (uint8_t(kind) >= kFirstUserKind && !UserKindName(kind).empty()) {
    return std::string(UserKindName(kind));
  }
  return EffectName(kind);
}

}  // namespace tape
