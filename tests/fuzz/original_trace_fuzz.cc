// libFuzzer target: any bytes, read as a trace of the original tape the way
// the tools read one (specs/original-trace.md: parse, convert every payload,
// build a tape trace in memory), with and without --recover. Must never
// crash, hang or allocate without bound; and whatever converts must be a
// finalized tape trace that reads back whole (the importer never writes a
// trace tape cannot read), so a failure of that is reported as a crash.
//
//   make fuzz-smoke                       (a short run, part of `make test`)
//   build/fuzz/tests/fuzz/original_trace_fuzz tests/fuzz/corpus/original_trace -max_total_time=600

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "format/trace_reader.h"
#include "tools/original_import.h"

using namespace tape;

namespace {

[[noreturn]] void Broken(const std::string& what) {
  std::fprintf(stderr, "original_trace_fuzz: %s\n", what.c_str());
  std::abort();
}

void CheckReadsBack(const cli::ImportResult& imported) {
  auto reader = format::TraceReader::OpenBytes(
      format::Bytes(imported.trace.data(), imported.trace.size()), "imported");
  if (!reader.has_value()) Broken("the imported trace does not open: " + reader.error().message());
  const format::TraceReader& r = **reader;
  if (!r.finalized()) Broken("the imported trace is not finalized");
  if (r.event_count() != imported.events) Broken("the imported trace lost events");
  format::EventCursor cursor(&r, format::kDecodeAll);
  Status s = cursor.Seek(0);
  std::string payload;
  while (s.ok() && !cursor.at_end()) {
    s = r.ReadPayload(cursor.event().args, UINT64_MAX, &payload);
    if (s.ok()) s = r.ReadPayload(cursor.event().result, UINT64_MAX, &payload);
    if (s.ok()) s = cursor.Next();
  }
  if (!s.ok()) Broken("an imported event does not read back: " + s.message());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  format::Bytes file(data, size);
  for (bool recover : {false, true}) {
    auto imported = cli::ImportOriginalTrace(file, "fuzz", cli::ImportOptions{"", recover});
    if (!imported.has_value()) {
      if (imported.error().message().empty()) Broken("an error without a message");
      continue;
    }
    CheckReadsBack(*imported);
  }
  return 0;
}
