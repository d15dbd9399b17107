// Helpers for format tests: a temporary directory, random event streams with
// fixed seeds, and writing/reading them through the real writer and reader.

#ifndef TAPE_TESTS_FORMAT_TRACE_FIXTURE_H_
#define TAPE_TESTS_FORMAT_TRACE_FIXTURE_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "format/trace_reader.h"
#include "format/trace_writer.h"

namespace tape::format::testing {

struct TestEvent {
  uint64_t site = 0;
  uint8_t kind = 0;
  std::string args;
  std::string result;
  bool operator==(const TestEvent&) const = default;
};

inline std::string SiteText(uint64_t site) { return "test.cc:" + std::to_string(site % 1000) + ":7"; }

// A deterministic mix of effect-like events: clock readings (8-byte
// monotonic), random bytes, writes, and occasional larger payloads.
inline std::vector<TestEvent> RandomEvents(uint32_t seed, size_t n, size_t max_payload = 300) {
  std::mt19937_64 rng(seed);
  std::vector<TestEvent> events;
  events.reserve(n);
  int64_t clock = 1700000000000000000;
  for (size_t i = 0; i < n; ++i) {
    TestEvent e;
    e.site = 0x1000 + rng() % 23;
    e.kind = uint8_t(1 + rng() % 8);
    auto bytes = [&](size_t len) {
      std::string s(len, '\0');
      for (auto& c : s) c = char(rng());
      return s;
    };
    if (e.kind == 1) {
      clock += int64_t(rng() % 5000);
      e.result.resize(8);
      for (int k = 0; k < 8; ++k) e.result[k] = char(uint64_t(clock) >> (8 * k));
    } else {
      e.args = bytes(rng() % (max_payload / 4 + 1));
      e.result = bytes(rng() % (max_payload + 1));
    }
    events.push_back(std::move(e));
  }
  return events;
}

inline TraceHeader TestHeader() {
  TraceHeader h;
  h.created_unix_ns = 1700000000000000000;
  h.recorder = "tape-test";
  h.program_kind = ProgramKind::kBuiltin;
  h.program_name = "test";
  h.code_hash = std::string("\x01\x02\x03\x04", 4);
  return h;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tape-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void WriteTrace(const std::string& path, const std::vector<TestEvent>& events,
                       const WriterOptions& options, const Outcome& outcome = Outcome::Exited(0)) {
  auto writer = TraceWriter::Create(path, TestHeader(), options);
  ASSERT_TRUE(writer.has_value()) << writer.error().message();
  for (const TestEvent& e : events) {
    (*writer)->DefineSite(e.site, SiteText(e.site));
    (*writer)->Append(e.site, e.kind, AsBytes(e.args), AsBytes(e.result));
  }
  Status s = (*writer)->Finish(outcome);
  ASSERT_TRUE(s.ok()) << s.message();
}

// Reads every event of the trace; returns the error that stopped it, if any.
inline Status ReadAll(const TraceReader& reader, std::vector<TestEvent>* out) {
  EventCursor cursor(&reader, kDecodeAll);
  TAPE_RETURN_IF_ERROR(cursor.Seek(0));
  while (!cursor.at_end()) {
    EventView e = cursor.event();
    TestEvent t;
    t.site = e.site;
    t.kind = e.kind;
    TAPE_RETURN_IF_ERROR(reader.ReadPayload(e.args, UINT64_MAX, &t.args));
    TAPE_RETURN_IF_ERROR(reader.ReadPayload(e.result, UINT64_MAX, &t.result));
    out->push_back(std::move(t));
    TAPE_RETURN_IF_ERROR(cursor.Next());
  }
  return Status::Ok();
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

}  // namespace tape::format::testing

#endif  // TAPE_TESTS_FORMAT_TRACE_FIXTURE_H_
