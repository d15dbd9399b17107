// Helpers for tests of traces of the original tape: a bincode writer with the
// original's configuration (specs/original-trace.md §2), whole traces built
// from events (§3), and the committed traces in tests/golden/original/.

#ifndef TAPE_TESTS_FORMAT_ORIGINAL_FIXTURE_H_
#define TAPE_TESTS_FORMAT_ORIGINAL_FIXTURE_H_

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#ifndef TAPE_GOLDEN_DIR
#error "TAPE_GOLDEN_DIR must name tests/golden"
#endif

namespace tape::testing::original {

// bincode 1.3, fixed-width little-endian integers, u64 lengths (§2).
class Bincode {
 public:
  Bincode& U8(uint8_t v) { return Int(v, 1); }
  Bincode& U32(uint32_t v) { return Int(v, 4); }
  Bincode& U64(uint64_t v) { return Int(v, 8); }
  Bincode& I32(int32_t v) { return Int(uint32_t(v), 4); }
  // Vec<u8> and String: u64 length, then the bytes.
  Bincode& Vec(std::string_view bytes) {
    U64(bytes.size());
    out_.append(bytes);
    return *this;
  }
  Bincode& Raw(std::string_view bytes) {
    out_.append(bytes);
    return *this;
  }
  const std::string& str() const { return out_; }
  operator std::string() const { return out_; }  // NOLINT: implicit by design

 private:
  Bincode& Int(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(char(uint8_t(v >> (8 * i))));
    return *this;
  }
  std::string out_;
};

struct Event {
  uint32_t site = 0x628b0bb4;  // flaky's random.bits
  uint32_t variant = 1;        // kind - 1
  std::string args;            // the payloads' bincode
  std::string result;
};

// A whole schema-2 trace (§3). `footer` is the outcome variant and its
// fields; last_seq is the number of events unless given.
inline std::string Trace(const std::vector<Event>& events,
                         const std::string& footer = Bincode().U32(0).I32(0), int64_t last_seq = -1,
                         int64_t started_at = 1778053549) {
  Bincode b;
  b.U32(2).U64(uint64_t(started_at)).Raw(std::string(32, '\xab')).U64(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    b.U64(i).U32(events[i].site).U32(events[i].variant).Vec(events[i].args).Vec(events[i].result);
  }
  b.Raw(footer).U64(last_seq < 0 ? events.size() : uint64_t(last_seq));
  return b;
}

inline std::string GoldenPath(const std::string& name) {
  return std::string(TAPE_GOLDEN_DIR) + "/original/" + name;
}

inline std::string ReadGolden(const std::string& name) {
  std::ifstream in(GoldenPath(name), std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Every committed trace of the original (tests/golden/original/*.tape).
inline std::vector<std::string> GoldenNames() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(GoldenPath(""))) {
    if (entry.path().extension() == ".tape") names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace tape::testing::original

#endif  // TAPE_TESTS_FORMAT_ORIGINAL_FIXTURE_H_
