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

  // Answers each effect from the fields above, with the effect's encoded
  // result (specs/trace-format.md §13), as a recorder would.
  std::string_view Perform(const Site& site, EffectKind kind, std::string_view in,
                           const LiveCall& live) override {
    events.push_back(Event{kind, site.id, std::string(site.location)});
    result_.clear();
    switch (kind) {
      case EffectKind::kClockNow:
        PutU64(uint64_t(now));
        now += kClockStep;
        break;
      case EffectKind::kRandomBits:
        for (uint32_t i = 0, n = GetU32(in); i < n; ++i) {
          result_.push_back(static_cast<char>(NextRandomByte()));
        }
        break;
      case EffectKind::kIoWrite:
        if (io_error == 0) out.append(in);
        PutU32(uint32_t(io_error));
        break;
      case EffectKind::kFsRead: {
        auto it = files.find(std::string(in));
        if (it == files.end()) {
          PutU32(ENOENT);
        } else {
          PutU32(0);
          result_.append(it->second);
        }
        break;
      }
      case EffectKind::kFsWrite: {
        uint32_t n = GetU32(in);
        std::string path(in.substr(4, n));
        if (path.substr(0, kDeniedPrefix.size()) == kDeniedPrefix) {
          PutU32(EACCES);
        } else {
          files[path] = std::string(in.substr(4 + n));
          PutU32(0);
        }
        break;
      }
      case EffectKind::kEnvGet: {
        auto it = env.find(std::string(in));
        if (it == env.end()) {
          result_.push_back(0);
        } else {
          result_.push_back(1);
          result_.append(it->second);
        }
        break;
      }
      case EffectKind::kArgsGet:
        PutU32(uint32_t(args.size()));
        for (const std::string& a : args) {
          PutU32(uint32_t(a.size()));
          result_.append(a);
        }
        break;
      case EffectKind::kTimeSleep: {
        uint64_t ms = 0;
        for (int i = 0; i < 8; ++i) ms |= uint64_t(uint8_t(in[i])) << (8 * i);
        sleeps_ms.push_back(ms);
        now += static_cast<int64_t>(ms) * 1'000'000;
        break;
      }
      default:
        if (live.fn) live.fn(live.context, nullptr, in, &result_);  // user effects run live
        break;
    }
    return result_;
  }
  uint64_t seq() const override { return events.size(); }

 protected:
  void OnUserKind(EffectKind, std::string_view) override {}

 private:
  void PutU32(uint32_t v) {
    for (int i = 0; i < 4; ++i) result_.push_back(char(v >> (8 * i)));
  }
  void PutU64(uint64_t v) {
    for (int i = 0; i < 8; ++i) result_.push_back(char(v >> (8 * i)));
  }
  static uint32_t GetU32(std::string_view b) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t(uint8_t(b[i])) << (8 * i);
    return v;
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
  std::string result_;
};

}  // namespace tape::lang::testing

#endif  // TAPE_TESTS_LANG_FAKE_RUNTIME_H_
