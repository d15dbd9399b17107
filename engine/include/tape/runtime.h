// Runtime: the only door between a tape program and the world.
//
// A program is a function `int(tape::Runtime&)`. Recording runs it against a
// runtime that performs each effect for real and stores (seq, site, kind,
// args, result); replay runs it against one that returns the stored results.
//
//   int Main(tape::Runtime& rt) {
//     int64_t now = rt.ClockNow();
//     std::string bytes = rt.RandomBits(8);
//     rt.IoWrite("hello\n");
//     std::string rows = rt.Effect("db.query", sql, [&] { return db.Query(sql); });
//     return 0;
//   }
//
// C++ callers use the methods without a site: the call's source location is
// its site. Interpreters call the *At() methods with sites of their own.
//
// When a replay drifts, the effect call throws tape::DriftError (see
// drift.h). The runtime stays failed: later calls throw again, so a program
// that swallows the exception cannot hide the drift.
//
// Threads: a runtime serves the thread that runs the program (lane 0) and the
// threads it starts with tape::Thread (tape/thread.h), each in a lane of its
// own. An effect called from any other thread is misuse: tape finishes the
// trace with that error and ends the process with exit code 83 (see README,
// "Threads").

#ifndef TAPE_RUNTIME_H_
#define TAPE_RUNTIME_H_

#include <atomic>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tape/codec.h"
#include "tape/drift.h"
#include "tape/effects.h"
#include "tape/services.h"
#include "tape/site.h"

namespace tape {

// fs.read's answer: the file's bytes, or the errno that prevented reading.
struct FsReadResult {
  int error = 0;  // 0, or an errno value such as ENOENT
  std::string data;
  bool ok() const { return error == 0; }
};

// fs.read reads at most this many bytes; a larger file (or an endless one,
// such as /dev/zero) reads as EFBIG.
inline constexpr uint64_t kMaxFsReadBytes = uint64_t(1) << 30;

// io.read_line's answer: the next line of standard input without its '\n'
// (a last line without one is a line too), nullopt at the end of input, or
// the errno that stopped the read: EFBIG for a line longer than
// kMaxStdinLineBytes (the rest of it is skipped: the next call returns the
// line after it).
struct IoLine {
  int error = 0;
  std::optional<std::string> line;
  bool ok() const { return error == 0; }
};
inline constexpr uint64_t kMaxStdinLineBytes = uint64_t(64) << 20;

// The exit code of a process that misused tape in a way that would corrupt the
// run, e.g. called an effect from a thread tape does not know.
inline constexpr int kMisuseExitCode = 83;

// Lanes are numbered 0..kMaxThreads-1 (lane 0: the program's own thread), so
// a run starts at most kMaxThreads - 1 tape::Threads.
inline constexpr uint32_t kMaxThreads = uint32_t(1) << 16;

struct LiveEnv;  // what live effects need from their runtime (engine-internal)
namespace engine {
struct EffectCall;  // the typed effect calls (engine-internal)
}  // namespace engine

// How an effect is performed for real, when the runtime performs it: `fn`
// appends the encoded result for the encoded `args` to `result`. Built-in
// effects pass a null `fn` (the effect table's implementation is used).
struct LiveCall {
  void (*fn)(void* context, LiveEnv* env, std::string_view args, std::string* result) = nullptr;
  void* context = nullptr;
};

class Runtime {
 public:
  Runtime();
  virtual ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Wall-clock time, nanoseconds since the Unix epoch.
  int64_t ClockNow(SourceLocation loc = SourceLocation::current()) {
    // A replay's hot loop: the call's site is cached and an integer run of
    // clock readings at it is open. Checked before the site is copied out
    // of the cache, so that this path touches the cache entry's id alone.
    const CachedSite* e = OwnCachedSite(loc);
    if (e != nullptr && RunServes(e->site.id, EffectKind::kClockNow)) [[likely]] {
      return NextOfIntRun();
    }
    // A recording's: the site is cached (the recorder's own path).
    if (e != nullptr) [[likely]] return OwnClockNow(e->site);
    return ClockNowAt(SiteOf(loc));
  }
  // `n` bytes from the operating system's random source.
  std::string RandomBits(uint32_t n, SourceLocation loc = SourceLocation::current()) {
    // A replay's loop of draws: served from the open payload run (below).
    if (const CachedSite* e = OwnCachedSite(loc); e != nullptr) [[likely]] {
      if (PayloadRunServesDraw(e->site.id, n)) [[likely]] {
        std::string bytes(reinterpret_cast<const char*>(payload_run_.result), n);
        NextOfPayloadRun();
        return bytes;
      }
      return OwnRandomBits(e->site, n);
    }
    return RandomBitsAt(SiteOf(loc), n);
  }
  // Writes to standard output; returns 0 or the errno of the failed write.
  int IoWrite(std::string_view bytes, SourceLocation loc = SourceLocation::current()) {
    // A replay's loop writing one line: served from the open payload run,
    // and the recorded bytes (the same as `bytes`) shown again.
    if (const CachedSite* e = OwnCachedSite(loc);
        e != nullptr && PayloadRunServesWrite(e->site.id, bytes)) [[likely]] {
      const uint8_t* r = payload_run_.result;  // §13: the errno, u32 little-endian
      int error = int32_t(uint32_t(r[0]) | uint32_t(r[1]) << 8 | uint32_t(r[2]) << 16 |
                          uint32_t(r[3]) << 24);
      NextOfPayloadRun();
      ShowReplayedOutput(payload_run_.write_fd, bytes);
      return error;
    }
    return IoWriteAt(SiteOf(loc), bytes);
  }
  // Reads standard input: the next line (io.read_line), or all of it that
  // is left (io.read_all: at most kMaxFsReadBytes, else EFBIG). Both share
  // one buffer, which reads ahead of the line returned: do not mix them with
  // reads of /dev/stdin. Replay returns the recorded input, whatever
  // standard input is then.
  IoLine IoReadLine(SourceLocation loc = SourceLocation::current()) {
    return IoReadLineAt(SiteOf(loc));
  }
  FsReadResult IoReadAll(SourceLocation loc = SourceLocation::current()) {
    return IoReadAllAt(SiteOf(loc));
  }
  // Reads a whole file (at most kMaxFsReadBytes: a larger file reads as EFBIG).
  FsReadResult FsRead(std::string_view path, SourceLocation loc = SourceLocation::current()) {
    return FsReadAt(SiteOf(loc), path);
  }
  // Creates or replaces a file; returns 0 or an errno. Replay does not touch
  // the disk: it returns what the recording got.
  int FsWrite(std::string_view path, std::string_view data,
              SourceLocation loc = SourceLocation::current()) {
    return FsWriteAt(SiteOf(loc), path, data);
  }
  // An environment variable, or nullopt when unset.
  std::optional<std::string> EnvGet(std::string_view name,
                                    SourceLocation loc = SourceLocation::current()) {
    return EnvGetAt(SiteOf(loc), name);
  }
  // The program's arguments (not including the program name).
  std::vector<std::string> ArgsGet(SourceLocation loc = SourceLocation::current()) {
    return ArgsGetAt(SiteOf(loc));
  }
  // Sleeps; replay returns at once.
  void TimeSleep(uint64_t ms, SourceLocation loc = SourceLocation::current()) {
    TimeSleepAt(SiteOf(loc), ms);
  }
  // Writes to standard error; returns 0 or the errno of the failed write.
  int IoError(std::string_view bytes, SourceLocation loc = SourceLocation::current()) {
    return IoErrorAt(SiteOf(loc), bytes);
  }
  // Whether a path exists (stat), and is a directory.
  tape::FsStat FsExists(std::string_view path, SourceLocation loc = SourceLocation::current()) {
    return FsExistsAt(SiteOf(loc), path);
  }
  // The names in a directory, sorted.
  FsList FsListDir(std::string_view path, SourceLocation loc = SourceLocation::current()) {
    return FsListAt(SiteOf(loc), path);
  }
  // Appends to a file (creating it); returns 0 or an errno. Replay does not
  // touch the disk.
  int FsAppend(std::string_view path, std::string_view data,
               SourceLocation loc = SourceLocation::current()) {
    return FsAppendAt(SiteOf(loc), path, data);
  }
  // An HTTP exchange (see services.h). A response of any status, and a
  // failure to connect, resolve or finish in time, are results; a malformed
  // request (unknown method, bad URL, a header with a line break, a timeout
  // out of range) throws std::invalid_argument before anything is recorded.
  HttpResponse Http(const HttpRequest& request, SourceLocation loc = SourceLocation::current()) {
    return HttpAt(SiteOf(loc), request);
  }
  HttpResponse HttpGet(std::string_view url, SourceLocation loc = SourceLocation::current()) {
    HttpRequest request;
    request.url = std::string(url);
    return HttpAt(SiteOf(loc), request);
  }
  // What `path` names (lstat: a symbolic link is a link): kind, size,
  // permission bits and modification time, or the errno (see services.h).
  FsStatResult FsStat(std::string_view path, SourceLocation loc = SourceLocation::current()) {
    return FsStatAt(SiteOf(loc), path);
  }
  // The addresses a host name resolves to; a name that does not resolve is
  // a result (see services.h). An empty name, or one with a NUL byte,
  // throws std::invalid_argument before anything is recorded.
  DnsResult DnsResolve(std::string_view host, SourceLocation loc = SourceLocation::current()) {
    return DnsResolveAt(SiteOf(loc), host);
  }
  // Runs a command (no shell) and captures its output (see services.h). A
  // command that cannot be started is a result (start_error); an empty argv
  // or one with a NUL byte throws std::invalid_argument.
  ProcResult ProcRun(const ProcRequest& request, SourceLocation loc = SourceLocation::current()) {
    return ProcRunAt(SiteOf(loc), request);
  }

  // A version marker (specs/trace-format.md §13.7), for changing what a
  // program does without breaking the traces recorded before the change:
  //
  //     if (rt.Version("rounding-fix", 1, 2) >= 2) { /* the new path */ }
  //
  // Recording returns `max` and stores it in the trace. Replay and rerun of
  // a trace that stored a marker for `change_id` here return the stored
  // version; of a trace recorded before the marker existed, `min` (the old
  // path). A stored version outside [min, max] is drift
  // (VersionUnsupported). `change_id`: 1 to kMaxEffectNameBytes printable
  // ASCII bytes; min <= max, else std::invalid_argument.
  int32_t Version(std::string_view change_id, int32_t min, int32_t max,
                  SourceLocation loc = SourceLocation::current()) {
    return VersionAt(SiteOf(loc), change_id, min, max);
  }

  // A user-defined effect: on record, calls `fn` and stores its result; on
  // replay, checks `name` and `args` like any effect and returns the stored
  // result without calling `fn`. `R` (the result) and `A` (the args) cross
  // the trace through tape::Codec (codec.h): strings, byte vectors, integers,
  // floating point, optionals, vectors, and your own types.
  //
  // If `fn` throws, the exception's type and message are stored and
  // tape::EffectError is thrown, on record and again on replay at the same
  // call. `fn` must not call effects itself (replay does not run it).
  // `name`: 1 to kMaxEffectNameBytes printable ASCII bytes, not a built-in
  // effect's name; at most kMaxUserEffectNames distinct names per recording.
  template <typename R = void, typename A, typename F>
  auto Effect(std::string_view name, const A& args, F&& fn,
              SourceLocation loc = SourceLocation::current());

  // The same effects at an explicit site (for interpreters).
  int64_t ClockNowAt(const Site& site) {
    if (ThreadToken() == owner_) [[likely]] {
      if (RunServes(site.id, EffectKind::kClockNow)) [[likely]] return NextOfIntRun();
      return OwnClockNow(site);
    }
    return PerformClockNow(site);
  }
  std::string RandomBitsAt(const Site& site, uint32_t n);
  int IoWriteAt(const Site& site, std::string_view bytes);
  FsReadResult FsReadAt(const Site& site, std::string_view path);
  int FsWriteAt(const Site& site, std::string_view path, std::string_view data);
  std::optional<std::string> EnvGetAt(const Site& site, std::string_view name);
  // The same without a copy (for interpreters): the value is valid until the
  // next effect call.
  std::optional<std::string_view> EnvGetViewAt(const Site& site, std::string_view name) {
    // §13: one set/unset byte, then the value when set.
    std::string_view r = Perform(site, EffectKind::kEnvGet, name, {});
    if (r.empty() || uint8_t(r[0]) > 1 || (r[0] == 0 && r.size() != 1)) [[unlikely]] {
      BadResult(EffectKind::kEnvGet);
    }
    if (r[0] == 0) return std::nullopt;
    return r.substr(1);
  }
  std::vector<std::string> ArgsGetAt(const Site& site);
  void TimeSleepAt(const Site& site, uint64_t ms);
  int IoErrorAt(const Site& site, std::string_view bytes);
  tape::FsStat FsExistsAt(const Site& site, std::string_view path);
  FsList FsListAt(const Site& site, std::string_view path);
  int FsAppendAt(const Site& site, std::string_view path, std::string_view data);
  HttpResponse HttpAt(const Site& site, const HttpRequest& request);
  ProcResult ProcRunAt(const Site& site, const ProcRequest& request);
  int32_t VersionAt(const Site& site, std::string_view change_id, int32_t min, int32_t max);
  FsStatResult FsStatAt(const Site& site, std::string_view path);
  DnsResult DnsResolveAt(const Site& site, std::string_view host);
  IoLine IoReadLineAt(const Site& site);
  FsReadResult IoReadAllAt(const Site& site);
  // A user-defined effect with encoded args and result (see Effect). Throws
  // tape::EffectError when the recorded call threw.
  std::string_view EffectAt(const Site& site, std::string_view name, std::string_view args,
                            const LiveCall& live);

  // The generic core every effect goes through: performs effect `kind` at
  // `site` with `args` encoded per the effect's layout (specs/trace-format.md
  // §13), and returns the encoded result, valid until the next effect call.
  // A recorder calls `live` (or the effect table's implementation) and stores
  // the event; a replayer checks the call against the trace and returns the
  // recorded result.
  virtual std::string_view Perform(const Site& site, EffectKind kind, std::string_view args,
                                   const LiveCall& live) = 0;

  // The number of effect calls made so far (the next call's seq).
  virtual uint64_t seq() const = 0;

 protected:
  // clock.now and random.bits(n) on the runtime's own thread (REQUIRES:
  // called there) when no run of a replay serves them. `site` may be the
  // entry of the runtime's site cache: implementations must not look up
  // sites (SiteOf) before they are done with it. These are the
  // hottest calls a recording makes: a recorder overrides them with a path
  // that skips Perform's generality (the effect table, the result buffer).
  // By default, Perform.
  virtual int64_t OwnClockNow(const Site& site) { return PerformClockNow(site); }
  virtual std::string OwnRandomBits(const Site& site, uint32_t n) {
    return PerformRandomBits(site, n);
  }
  // clock.now and random.bits(n) through Perform, the result checked and
  // decoded.
  int64_t PerformClockNow(const Site& site) {
    std::string_view r = Perform(site, EffectKind::kClockNow, {}, {});
    if (r.size() != 8) [[unlikely]] BadResult(EffectKind::kClockNow);
    uint64_t v = 0;  // §13: i64, little-endian
    for (int i = 0; i < 8; ++i) v |= uint64_t(uint8_t(r[i])) << (8 * i);
    return int64_t(v);
  }
  std::string PerformRandomBits(const Site& site, uint32_t n);

 public:

  // For interpreters, whose programs can loop without effects: a replay
  // bounds how many steps (the interpreter's unit of work) the program may
  // run, 0 for no bound; a recording stores how many it ran.
  uint64_t step_budget() const { return step_budget_; }
  void set_step_budget(uint64_t steps) { step_budget_ = steps; }
  void ReportSteps(uint64_t steps) { steps_ = steps; }
  std::optional<uint64_t> reported_steps() const { return steps_; }

  // The kind byte standing for user effect `name` in this run's trace;
  // throws std::invalid_argument for a bad or one-too-many name.
  EffectKind UserKind(std::string_view name);
  // The name of user kind `kind` ("" if none).
  std::string_view UserKindName(EffectKind kind) const;
  // The name of any kind: a built-in effect's, or a user effect's.
  std::string KindLabel(EffectKind kind) const;

  // The site of a C++ source location: id = XXH3-64 of "file:line:col".
  // Cached, so repeated calls from one place cost one compare.
  Site SiteOf(const SourceLocation& loc) {
    if (ThreadToken() != owner_) [[unlikely]] return SiteOfOtherThread(loc);
    uintptr_t key = SiteKey(loc);
    CachedSite& e = site_slots_[(key >> 4) & (kSiteSlots - 1)];
    if (e.key == key && SameLocation(e, loc)) [[likely]] return e.site;
    return SiteOfSlow(loc, key, &e);
  }

  // The lane of the calling thread: 0 for the thread that created the
  // runtime, the lane of a tape::Thread, or -1 for a thread tape does not know.
  int64_t CurrentLane() const;

 protected:
  friend class Thread;
  friend class Mutex;
  friend struct engine::EffectCall;

  // Per-thread state of a runtime: one per lane while its thread runs.
  // Implementations extend it (NewLaneContext) with what a lane needs of its
  // own (result buffers, a queue of events).
  struct LaneContext {
    virtual ~LaneContext() = default;
    uint32_t lane = 0;
  };

  // Effects may only come from the thread that created the runtime (the one
  // that runs the program), or from a tape::Thread of this runtime once
  // threads started. Anything else is misuse (see Misuse).
  void CheckThread(const Site& site) {
    if (ThreadToken() != owner_) [[unlikely]] CheckLaneThread(site);
  }
  // A run of recorded events that a replay serves without Perform (the
  // hot loop of a replay: one site calling clock.now over and over). While
  // `next` is not `end`, the next recorded events are calls at `site` of
  // `kind` with no args and 8-byte results, whose values are next[0], next[1],
  // ... up to `end` (decoded with their chunk: trace format §7.5). The typed
  // methods take such a call's result here (NextOfIntRun); any other call
  // goes to Perform, which settles the run first. Only a replaying runtime
  // opens a run, and only before threads start.
  struct IntRun {
    uint64_t site = 0;
    const int64_t* next = nullptr;
    const int64_t* end = nullptr;
    EffectKind kind{};
  };
  IntRun int_run_;
  // The next result of the open run. REQUIRES: int_run_.next != int_run_.end.
  int64_t NextOfIntRun() { return *int_run_.next++; }
  // Whether the open run's next event is a call at `site` of `kind`.
  bool RunServes(uint64_t site, EffectKind kind) const {
    return int_run_.next != int_run_.end && int_run_.site == site && int_run_.kind == kind;
  }
  // A run of recorded events whose args and results have one size each (a
  // loop drawing random bytes, or writing one line): while `left` is not 0,
  // the next `left` events are calls at `site` of `kind`, the next one's
  // args `args_size` bytes at `args` and its result `result_size` bytes at
  // `result`, and each following event's right after. A call whose args are
  // those bytes gets that result (NextOfPayloadRun moves on); RandomBits
  // serves it inline, the replaying runtime's Perform the others. Opened
  // and settled like the integer run, by the replaying runtime only.
  struct PayloadRun {
    uint64_t site = 0;
    const uint8_t* args = nullptr;
    const uint8_t* result = nullptr;
    uint32_t args_size = 0, result_size = 0;
    uint32_t left = 0, count = 0;  // events left, and in the run when it opened
    EffectKind kind{};
    // A run of io.write that IoWrite serves inline: the descriptor its
    // output is shown again on. -1: Perform serves the run's writes (a
    // debugger's replay, which shows output through its own hook).
    int write_fd = -1;
  };
  PayloadRun payload_run_;
  void NextOfPayloadRun() {
    payload_run_.args += payload_run_.args_size;
    payload_run_.result += payload_run_.result_size;
    --payload_run_.left;
  }
  // Whether the open payload run's next event is random.bits(n) at `site`
  // (§13: its args are n as a u32, its result n bytes).
  bool PayloadRunServesDraw(uint64_t site, uint32_t n) const {
    const PayloadRun& r = payload_run_;
    if (r.left == 0 || r.site != site || r.kind != EffectKind::kRandomBits || r.args_size != 4 ||
        r.result_size != n) {
      return false;
    }
    uint32_t recorded = uint32_t(r.args[0]) | uint32_t(r.args[1]) << 8 |
                        uint32_t(r.args[2]) << 16 | uint32_t(r.args[3]) << 24;
    return recorded == n;
  }
  // Whether the open payload run's next event is io.write(bytes) at `site`,
  // served inline (write_fd; §13: its args are the bytes, its result an errno).
  bool PayloadRunServesWrite(uint64_t site, std::string_view bytes) const {
    const PayloadRun& r = payload_run_;
    return r.left != 0 && r.write_fd >= 0 && r.site == site && r.kind == EffectKind::kIoWrite &&
           r.args_size == bytes.size() && r.result_size == 4 &&
           (bytes.empty() || std::memcmp(r.args, bytes.data(), bytes.size()) == 0);
  }
  // Writes `bytes` to `fd` whole, as replay shows recorded output again
  // (errors ignored: the program gets the recorded result).
  static void ShowReplayedOutput(int fd, std::string_view bytes);

  // True once the program started its first tape::Thread: from then on
  // effects come from several threads (lanes) and implementations serve
  // each through CurrentLaneContext().
  bool threads_started() const { return threads_started_; }
  // The calling thread's lane context; ends the process (Misuse) for a
  // thread tape does not know. REQUIRES: threads_started().
  LaneContext* CurrentLaneContext(const Site& site);
  // Lane 0's context: the implementation's own (set before threads start),
  // or one made by NewLaneContext(0).
  void SetMainLaneContext(LaneContext* context) { main_lane_ = context; }

  // Called on the first tape::Thread, on the thread creating it, before its
  // thread.start event: the runtime switches to serving several lanes.
  virtual void OnThreadsStart() {}
  // The context of a lane whose thread starts (called on that thread), and
  // its end (called on that thread after its last effect).
  virtual std::unique_ptr<LaneContext> NewLaneContext(uint32_t lane);
  virtual void OnLaneEnd(LaneContext*) {}
  // Replay only: the calling lane blocks outside tape (joining a thread)
  // until `done` is set; replay uses it to tell a stuck program from a slow
  // one. The default just waits.
  virtual void WaitOutside(const std::atomic<bool>& done);
  // A tape::Mutex is being unlocked (once threads started; called just
  // before): a runtime that schedules threads itself (rerun) learns that
  // it is free.
  virtual void OnMutexUnlock(const std::mutex*) {}
  // Whether the trace has a version marker for `change_id` as the calling
  // thread's next event (replay), or among the events a call may be served
  // from (rerun); if so, VersionAt performs the marker and gets the stored
  // version. The default (recording) is always true: the marker's action
  // returns the newest version.
  virtual bool HasVersionMarker(const Site&, std::string_view /*change_id*/) { return true; }
  // A version marker the trace lacks: the run takes `min`. A runtime that
  // writes a trace (rerun --out) stores the marker with it.
  virtual void OnVersionNotRecorded(const Site&, std::string_view /*change_id*/, int32_t /*min*/) {}
  // Reports drift found outside Perform (a stored version out of range) the
  // way this runtime reports its own: replay and rerun stop there.
  [[noreturn]] virtual void RaiseDrift(DriftInfo info);
  // Ends the process after misuse that would corrupt the run (an effect from
  // a thread tape does not know): prints `message` and exits with code 83. A
  // recorder first finishes its trace with the misuse as the outcome.
  [[noreturn]] virtual void Misuse(const std::string& message);

  // Called when a recorded result does not have its effect's layout (a
  // damaged trace). Replayers report it as a trace error.
  [[noreturn]] virtual void BadResult(EffectKind kind);

  // Called when UserKind gives `name` its kind byte (record: declare it in
  // the trace). The base class keeps the name table.
  virtual void OnUserKind(EffectKind kind, std::string_view name) = 0;
  // Installs a name table read from a trace (replay).
  void SetUserKind(EffectKind kind, std::string_view name);

 private:
  // A direct-mapped cache of sites in front of a stable store of location
  // strings (SiteStore). With libstdc++, std::source_location is a pointer to
  // a per-call-site record, so that pointer is the key; the clang shim mixes
  // file pointer, line and column. File names are string literals, so equal
  // pointers mean equal files.
  struct CachedSite {
    uintptr_t key = 0;
    const char* file = nullptr;
    unsigned line = 0, column = 0;
    Site site;
  };
  static constexpr size_t kSiteSlots = 256;
  static uintptr_t SiteKey(const SourceLocation& loc) {
#if defined(__GLIBCXX__) && defined(__cpp_lib_source_location)
    static_assert(sizeof(SourceLocation) == sizeof(uintptr_t));
    uintptr_t key;
    __builtin_memcpy(&key, &loc, sizeof key);
    return key;
#else
    return reinterpret_cast<uintptr_t>(loc.file_name()) ^ (uintptr_t(loc.line()) << 8) ^
           (uintptr_t(loc.column()) << 20);
#endif
  }
  static bool SameLocation(const CachedSite& e, const SourceLocation& loc) {
#if defined(__GLIBCXX__) && defined(__cpp_lib_source_location)
    (void)loc;  // the key alone identifies the call site
    return e.key != 0;
#else
    return e.file == loc.file_name() && e.line == loc.line() && e.column == loc.column();
#endif
  }
  Site SiteOfSlow(const SourceLocation& loc, uintptr_t key, CachedSite* entry);
  // The cache entry of `loc` when the calling thread is the runtime's own
  // and the site is cached; nullptr otherwise (SiteOf then finds it).
  const CachedSite* OwnCachedSite(const SourceLocation& loc) const {
    if (ThreadToken() != owner_) return nullptr;
    uintptr_t key = SiteKey(loc);
    const CachedSite& e = site_slots_[(key >> 4) & (kSiteSlots - 1)];
    return e.key == key && SameLocation(e, loc) ? &e : nullptr;
  }
  // A per-thread address: equal tokens mean the same thread.
  static const void* ThreadToken() {
    // initial-exec: one %fs-relative address, no call (tape is linked into
    // the program, never loaded later with dlopen).
    static thread_local char token __attribute__((tls_model("initial-exec")));
    return &token;
  }
  [[noreturn]] void ForeignThread(const SourceLocation& loc);
  [[noreturn]] void ForeignThread(const Site& site);
  // SiteOf and CheckThread off the runtime's own thread: a tape::Thread's
  // lane, or misuse.
  Site SiteOfOtherThread(const SourceLocation& loc);
  void CheckLaneThread(const Site& site);

  // For tape::Thread and tape::Mutex (tape/thread.h).
  // On the parent: the thread.start event; returns the new thread's lane.
  uint32_t StartThread(const Site& site);
  // On the new thread, first: binds it to `lane`.
  void EnterThread(uint32_t lane);
  // On the thread, last: the thread.end event (if `record_end`), then sets
  // `*done` and unbinds.
  void ExitThread(const Site& site, bool record_end, std::atomic<bool>* done);
  // Acquires `m` as the mutex.lock event `name` at `site`: on record, in the
  // order the lanes got it; on replay, in the recorded order.
  void LockMutex(const Site& site, std::string_view name, std::mutex& m);
  void UnlockMutex(std::mutex& m);
  struct ThreadBinding;
  static ThreadBinding*& CurrentBinding();

  // For Effect(): runs the user's function on record and encodes what it
  // returned or threw (u8 0 + value, or u8 1 + type + message).
  template <typename F>
  static void RunUserFn(void* context, LiveEnv*, std::string_view, std::string* result);
  static void StoreThrown(std::exception_ptr e, std::string* result);

  const void* owner_;  // ThreadToken() of the thread that created the runtime
  bool threads_started_ = false;  // set by the owner before the first thread exists
  LaneContext* main_lane_ = nullptr;
  std::unique_ptr<LaneContext> own_main_lane_;
  std::atomic<uint32_t> next_lane_{1};
  std::mutex shared_mu_;  // the site store and user kinds, once threads started
  uint64_t step_budget_ = 0;
  std::optional<uint64_t> steps_;
  CachedSite site_slots_[kSiteSlots];
  struct SiteStore;
  std::unique_ptr<SiteStore> site_store_;
  struct UserKinds;
  std::unique_ptr<UserKinds> user_kinds_;
};

// Hashes a site's location text the way SiteOf does (§13.1 of the format).
uint64_t SiteIdOf(std::string_view location);

// --- implementation of the template members ---------------------------------

template <typename F>
void Runtime::RunUserFn(void* context, LiveEnv*, std::string_view, std::string* result) {
  F& fn = *static_cast<F*>(context);
  using R = std::decay_t<decltype(fn())>;
  try {
    if constexpr (std::is_void_v<R>) {
      fn();
      result->push_back('\0');
    } else if constexpr (std::is_same_v<R, std::string>) {
      R value = fn();
      result->push_back('\0');
      result->append(value);  // strings are stored as their bytes, whole
    } else {
      R value = fn();
      result->push_back('\0');
      Codec<R>::Encode(value, result);
    }
  } catch (...) {
    result->clear();
    StoreThrown(std::current_exception(), result);
  }
}

template <typename R, typename A, typename F>
auto Runtime::Effect(std::string_view name, const A& args, F&& fn, SourceLocation loc) {
  using Returned = std::decay_t<decltype(fn())>;
  using Result = std::conditional_t<std::is_void_v<R>, Returned, R>;
  static_assert(std::is_void_v<R> || std::is_convertible_v<Returned, R>,
                "the effect's function must return R");
  Site site = SiteOf(loc);
  std::string encoded;
  if constexpr (std::is_convertible_v<const A&, std::string_view>) {
    encoded.assign(std::string_view(args));  // bytes pass through as they are
  } else {
    Codec<std::decay_t<A>>::Encode(args, &encoded);
  }
  auto call = [&fn]() -> Result {
    if constexpr (std::is_void_v<Result>) {
      fn();
    } else {
      return Result(fn());
    }
  };
  LiveCall live{&RunUserFn<decltype(call)>, &call};
  std::string_view value = EffectAt(site, name, encoded, live);
  if constexpr (std::is_void_v<Result>) {
    return;
  } else if constexpr (std::is_same_v<Result, std::string>) {
    // Strings are stored as their bytes (no length prefix): the whole value.
    return std::string(value);
  } else {
    Result out{};
    std::string_view rest = value;
    if (!Codec<Result>::Decode(&rest, &out) || !rest.empty()) {
      throw EffectError(std::string(name), "tape::BadResult",
                        "the recorded result does not decode as the type the program asks for");
    }
    return out;
  }
}

}  // namespace tape

#endif  // TAPE_RUNTIME_H_
