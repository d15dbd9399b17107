// libFuzzer target: any bytes as a .tape script, compiled and run against a
// deterministic in-memory runtime with tight step and memory limits. Must
// never crash, hang or allocate without bound; errors are fine.
//
//   build/fuzz/tests/fuzz/script_fuzz tests/fuzz/corpus/script -max_total_time=600

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "engine/lang/script.h"
#include "engine/effects/registry.h"
#include "format/bytes.h"
#include "tape/program.h"

namespace {

// Answers every effect through Runtime::Perform with a result of its layout
// (specs/trace-format.md §13), keeping nothing of what the script writes:
// only counts, so a script that writes in a loop cannot exhaust memory here.
class FakeRuntime final : public tape::Runtime {
 public:
  std::string_view Perform(const tape::Site&, tape::EffectKind kind, std::string_view in,
                           const tape::LiveCall& live) override {
    ++calls_;
    result_.clear();
    using K = tape::EffectKind;
    switch (kind) {
      case K::kClockNow: PutU64(calls_ * 1000); break;
      case K::kRandomBits: result_.assign(GetU32(in), char(calls_)); break;
      case K::kIoWrite:
      case K::kIoError:
      case K::kFsWrite:
      case K::kFsAppend:
        written_ += in.size();
        PutU32(calls_ % 7 == 0 ? 28 : 0);  // ENOSPC now and then
        break;
      case K::kFsRead:
        PutU32(in == "data.txt" ? 0 : 2);
        if (in == "data.txt") result_ += "one two\nthree\n";
        break;
      case K::kFsExists:
        PutU32(in == "data.txt" || in == "dir" ? 0 : 2);
        result_.push_back(in == "dir" ? 1 : 0);
        break;
      case K::kFsList:
        PutU32(in == "dir" ? 0 : 2);
        PutU32(in == "dir" ? 2 : 0);
        if (in == "dir") {
          for (std::string_view name : {"a", "b.txt"}) {
            PutU32(uint32_t(name.size()));
            result_ += name;
          }
        }
        break;
      case K::kEnvGet:
        if (in == "NAME") {
          result_ = std::string("\x01") + "fuzz";
        } else {
          result_.push_back(0);
        }
        break;
      case K::kArgsGet:
        PutU32(2);
        for (std::string_view a : {"a", "b"}) {
          PutU32(1);
          result_ += a;
        }
        break;
      case K::kTimeSleep: break;
      case K::kHttpRequest: {
        tape::HttpRequest request;
        tape::engine::DecodeFor(tape::engine::kHttpRequest.args, tape::format::AsBytes(in), &request);
        tape::HttpResponse response;
        if (calls_ % 3 == 0) {
          response.error = "refused";
        } else {
          response.status = 200 + int(calls_ % 4) * 100;
          response.headers = {{"Content-Type", "text/plain"}, {"set-cookie", "a"},
                              {"Set-Cookie", "b"}};
          response.body = request.url.substr(0, 64);
        }
        tape::engine::EncodeFor(tape::engine::kHttpRequest.result, response, &result_);
        break;
      }
      case K::kProcRun: {
        tape::ProcRequest request;
        tape::engine::DecodeFor(tape::engine::kProcRun.args, tape::format::AsBytes(in), &request);
        tape::ProcResult r;
        if (request.argv.empty() || request.argv[0] != "echo") {
          r.start_error = 2;
        } else {
          r.exit_code = int(calls_ % 3);
          r.stdout_data = request.stdin_data.substr(0, 64);
          r.stderr_data = "e";
        }
        tape::engine::EncodeFor(tape::engine::kProcRun.result, r, &result_);
        break;
      }
      default:
        if (live.fn) live.fn(live.context, nullptr, in, &result_);
        break;
    }
    return result_;
  }
  uint64_t seq() const override { return calls_; }

 protected:
  void OnUserKind(tape::EffectKind, std::string_view) override {}

 private:
  void PutU32(uint32_t v) { tape::format::AppendU32(&result_, v); }
  void PutU64(uint64_t v) { tape::format::AppendU64(&result_, v); }
  static uint32_t GetU32(std::string_view b) {
    uint8_t bytes[4] = {};
    std::memcpy(bytes, b.data(), std::min<size_t>(4, b.size()));
    return tape::format::LoadU32(bytes);
  }
  uint64_t calls_ = 0;
  uint64_t written_ = 0;
  std::string result_;
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
