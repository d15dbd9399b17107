// A deterministic in-memory tape::Runtime for the language tests: the clock
// starts at a fixed instant and advances a fixed step per reading (and by the
// time slept), random bytes come from a queue and then a fixed generator,
// files and the environment are maps. Every effect is logged with its site.

#ifndef TAPE_TESTS_LANG_FAKE_RUNTIME_H_
#define TAPE_TESTS_LANG_FAKE_RUNTIME_H_

#include <cerrno>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tape/effects.h"
#include "tape/runtime.h"

namespace tape::lang::testing {

class FakeRuntime : public Runtime {
 public:
  static constexpr int64_t kClockStart = 1'700'000'000'000'000'000;
  static constexpr int64_t kClockStep = 1'000'000;  // 1 ms per clock.now()
  // fs.write under this prefix fails with EACCES.
  static constexpr std::string_view kDeniedPrefix = "/denied/";

  struct Event {
    EffectKind kind;
    uint64_t site_id;
    std::string location;
  };

  std::string out;                            // what io.write wrote
  std::map<std::string, std::string> files;   // fs.read / fs.write
  std::map<std::string, std::string> env;
  std::vector<std::string> args;
  std::deque<uint8_t> random_queue;  // served before the generator
  std::vector<Event> events;
  std::vector<uint64_t> sleeps_ms;
  int io_error = 0;  // when set, io.write fails with this errno
  int64_t now = kClockStart;

  int64_t ClockNowAt(const Site& site) override {
    Log(EffectKind::kClockNow, site);
    now += kClockStep;
    return now - kClockStep;
  }
  std::string RandomBitsAt(const Site& site, uint32_t n) override {
    Log(EffectKind::kRandomBits, site);
    std::string bytes;
    for (uint32_t i = 0; i < n; ++i) bytes.push_back(static_cast<char>(NextRandomByte()));
    return bytes;
  }
  int IoWriteAt(const Site& site, std::string_view bytes) override {
    Log(EffectKind::kIoWrite, site);
    if (io_error != 0) return io_error;
    out.append(bytes);
    return 0;
  }
  FsReadResult FsReadAt(const Site& site, std::string_view path) override {
    Log(EffectKind::kFsRead, site);
    auto it = files.find(std::string(path));
    if (it == files.end()) return FsReadResult{ENOENT, ""};
    return FsReadResult{0, it->second};
  }
  int FsWriteAt(const Site& site, std::string_view path, std::string_view data) override {
    Log(EffectKind::kFsWrite, site);
    if (path.substr(0, kDeniedPrefix.size()) == kDeniedPrefix) return EACCES;
    files[std::string(path)] = std::string(data);
    return 0;
  }
  std::optional<std::string> EnvGetAt(const Site& site, std::string_view name) override {
    Log(EffectKind::kEnvGet, site);
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::string> ArgsGetAt(const Site& site) override {
    Log(EffectKind::kArgsGet, site);
    return args;
  }
  void TimeSleepAt(const Site& site, uint64_t ms) override {
    Log(EffectKind::kTimeSleep, site);
    sleeps_ms.push_back(ms);
    now += static_cast<int64_t>(ms) * 1'000'000;
  }
  uint64_t seq() const override { return events.size(); }

 private:
  void Log(EffectKind kind, const Site& site) {
    events.push_back(Event{kind, site.id, std::string(site.location)});
  }
  uint8_t NextRandomByte() {
    if (!random_queue.empty()) {
      uint8_t b = random_queue.front();
      random_queue.pop_front();
      return b;
    }
    // splitmix64 from a fixed seed: the same bytes on every machine.
    rng_ += 0x9e3779b97f4a7c15ull;
    uint64_t z = rng_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return static_cast<uint8_t>((z ^ (z >> 31)) >> 56);
  }
  uint64_t rng_ = 42;
};

}  // namespace tape::lang::testing

#endif  // TAPE_TESTS_LANG_FAKE_RUNTIME_H_
