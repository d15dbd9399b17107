// The trace files currently memory-mapped by TraceReaders, for signal
// handlers.
//
// A mapped file that shrinks under its reader (re-recorded in place,
// truncated) turns the next touch of a page past its new end into SIGBUS. A
// handler cannot reach the reader that owns the faulting address, so every
// TraceReader registers its mapping here, and a SIGBUS handler asks
// TraceMappingAt(info->si_addr) whether the fault is "a trace changed while
// it was being read" (a clear error, exit 81 in the tools) or something else
// (keep the default behaviour).
//
// TraceMappingAt and FormatTraceChanged are async-signal-safe: no locks, no
// allocation, only atomics, fstat(2) and plain stores. The registry has a
// fixed number of slots (kMaxTraceMappings); a reader that finds none free
// still works, only without the clear message. A slot stays valid while its
// reader is open: a fault can only come from a live mapping.
//
// Typical handler (see tools/cli.cc, GuardTraceReads):
//
//   void OnSigbus(int sig, siginfo_t* info, void*) {
//     format::MappedTrace m;
//     if (format::TraceMappingAt(info->si_addr, &m)) {
//       char buf[1024];
//       size_t n = format::FormatTraceChanged("replay", m, buf, sizeof buf);
//       write(2, buf, n);
//       _exit(81);
//     }
//     ... restore SIG_DFL and re-raise ...
//   }

#ifndef TAPE_FORMAT_TRACE_MAPPINGS_H_
#define TAPE_FORMAT_TRACE_MAPPINGS_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace tape::format {

inline constexpr int kMaxTraceMappings = 64;
inline constexpr size_t kMaxMappedPath = 1024;  // longer paths are cut (for messages only)
inline constexpr uint64_t kUnknownOffset = UINT64_MAX;

struct MappedTrace {
  const char* path = nullptr;  // NUL-terminated; valid while the mapping is registered
  uint64_t mapped_size = 0;    // the file's size when it was mapped
  uint64_t fault_offset = kUnknownOffset;  // the byte of the file at the address asked about
  int64_t current_size = -1;   // the file's size now (fstat), -1 if unknown
};

// Registers `size` bytes at `base`, mapped from the open file `fd` (which
// must stay open until UnregisterTraceMapping). Returns the slot, or -1 when
// the registry is full.
int RegisterTraceMapping(const void* base, uint64_t size, int fd, const std::string& path);
// REQUIRES: `slot` came from RegisterTraceMapping (or is -1: a no-op).
void UnregisterTraceMapping(int slot);

// Async-signal-safe. True if `addr` lies in a registered mapping; fills `out`.
bool TraceMappingAt(const void* addr, MappedTrace* out);

// Async-signal-safe. Writes the tools' message for a fault in `m` into `buf`
// (NUL-terminated, cut to fit) and returns its length without the NUL:
//   "tape <verb>: <path> changed while it was being read: it shrank from A to
//    N bytes (reading byte X); it was probably re-recorded or truncated. Run
//    the command again once nothing is writing it.\n"
// or, when the file did not shrink, that it could not be read at byte X.
// With `verb` null, the "tape <verb>: " prefix and the newline are left out;
// with m.fault_offset == kUnknownOffset, "(reading byte X)".
size_t FormatTraceChanged(const char* verb, const MappedTrace& m, char* buf, size_t size);

}  // namespace tape::format

#endif  // TAPE_FORMAT_TRACE_MAPPINGS_H_
