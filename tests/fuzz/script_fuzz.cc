// libFuzzer target: any bytes as a .tape script, compiled and run against a
// deterministic in-memory runtime with tight step and memory limits. Must
// never crash, hang or allocate without bound; errors are fine.
//
//   build/fuzz/tests/fuzz/script_fuzz tests/fuzz/corpus/script -max_total_time=600

#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/lang/script.h"
#include "tape/program.h"

namespace {

class FakeRuntime final : public tape::Runtime {
 public:
  int64_t ClockNowAt(const tape::Site&) override { return ++calls_ * 1000; }
  std::string RandomBitsAt(const tape::Site&, uint32_t n) override {
    ++calls_;
    return std::string(n, char(calls_));
  }
  int IoWriteAt(const tape::Site&, std::string_view bytes) override {
    ++calls_;
    written_ += bytes.size();
    return 0;
  }
  tape::FsReadResult FsReadAt(const tape::Site&, std::string_view path) override {
    ++calls_;
    if (path == "data.txt") return {0, "one two\nthree\n"};
    return {2, ""};
  }
  int FsWriteAt(const tape::Site&, std::string_view, std::string_view) override {
    ++calls_;
    return 0;
  }
  std::optional<std::string> EnvGetAt(const tape::Site&, std::string_view name) override {
    ++calls_;
    if (name == "NAME") return "fuzz";
    return std::nullopt;
  }
  std::vector<std::string> ArgsGetAt(const tape::Site&) override {
    ++calls_;
    return {"a", "b"};
  }
  void TimeSleepAt(const tape::Site&, uint64_t) override { ++calls_; }
  uint64_t seq() const override { return calls_; }

 private:
  uint64_t calls_ = 0;
  uint64_t written_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string source(reinterpret_cast<const char*>(data), size);
  auto script = tape::lang::Script::Compile("fuzz.tape", source);
  if (!script.has_value()) return 0;
  FakeRuntime rt;
  tape::lang::RunLimits limits;
  limits.max_steps = 20000;
  limits.max_memory = 64 << 20;
  try {
    (void)(*script)->Run(rt, limits);
  } catch (const tape::ProgramError&) {
  }
  (void)tape::lang::DescribeFirstChange(source, "let x = 1;\nprint(x);\n");
  return 0;
}
