// Traces of the original tape, read as tape traces (specs/original-trace.md):
// each event's payloads converted to tape's layouts (§4), sites mapped and
// named (§5), the program named (§6), the whole written as a finalized tape
// trace in memory (§7). `tape import` writes that trace to a file; inspect,
// stats and diff read it through OpenTrace, so they need no second code path.

#ifndef TAPE_TOOLS_ORIGINAL_IMPORT_H_
#define TAPE_TOOLS_ORIGINAL_IMPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "format/bytes.h"
#include "format/original_trace.h"
#include "format/status.h"

namespace tape::cli {

// §7: the HEAD origin of a trace converted from the original's.
inline constexpr char kOriginalOrigin[] = "imported from the original tape (schema 2)";

struct ImportOptions {
  std::string program;   // the program's name; empty: inferred from the sites (§6)
  bool recover = false;  // damaged input: keep the events before the damage (§8)
};

struct ImportResult {
  std::vector<uint8_t> trace;  // a finalized tape trace
  uint64_t events = 0;
  std::string program;         // as written to the HEAD; empty when unknown
  std::string program_source;  // how it was named: "given", "inferred from its sites", "unknown"
  std::vector<std::string> notes;  // what the user should know (a disagreement, a recovery)
};

// True when the file at `path` starts like a trace of the original (§6).
bool LooksLikeOriginalTrace(const std::string& path);

// Converts the trace of the original held in `file`; `name` (the file's
// path) prefixes errors. Errors are Corrupt and name the byte and the field.
Result<ImportResult> ImportOriginalTrace(format::Bytes file, const std::string& name,
                                         const ImportOptions& options);
// Reads the file at `path` whole and converts it.
Result<ImportResult> ImportOriginalFile(const std::string& path, const ImportOptions& options);

// Exposed for tests. §5: the original's site id of `file`:`line`:`column`.
uint32_t OriginalSiteId(std::string_view file, uint32_t line, uint32_t column);
// §5: "src/programs.rs:84:28" for a site of one of the original's built-in
// programs (and the program's name in `program`), else "".
std::string OriginalSiteLocation(uint32_t site, std::string* program = nullptr);
// §4: converts one event's payloads to tape's layout (specs/trace-format.md
// §13). Errors name the field; the caller adds where the event is.
Status ConvertPayloads(const format::original::Event& event, std::string* args,
                       std::string* result);

}  // namespace tape::cli

#endif  // TAPE_TOOLS_ORIGINAL_IMPORT_H_
