#include "format/trace_mappings.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "format/signal_safe_text.h"

namespace tape::format {

namespace {

enum SlotState : int { kFree = 0, kBusy = 1, kLive = 2 };

// Written only while a slot is kBusy (claimed by one thread); read by the
// handler only while it is kLive. The state's release/acquire orders them.
struct Slot {
  std::atomic<int> state{kFree};
  const uint8_t* base = nullptr;
  uint64_t size = 0;
  int fd = -1;
  char path[kMaxMappedPath] = {};
};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler reads slot states");

Slot g_slots[kMaxTraceMappings];

// The report's text; paths shown safely.
struct Out : SignalSafeText {
  // The path as given, control bytes shown as '?' (it goes to a terminal).
  void PutPath(const char* s) {
    for (; *s && p < end - 1; ++s) {
      unsigned char c = static_cast<unsigned char>(*s);
      *p++ = c < 0x20 || c == 0x7f ? '?' : char(c);
    }
  }
};

}  // namespace

int RegisterTraceMapping(const void* base, uint64_t size, int fd, const std::string& path) {
  for (int i = 0; i < kMaxTraceMappings; ++i) {
    int expected = kFree;
    if (!g_slots[i].state.compare_exchange_strong(expected, kBusy)) continue;
    Slot& s = g_slots[i];
    s.base = static_cast<const uint8_t*>(base);
    s.size = size;
    s.fd = fd;
    size_t n = std::min(path.size(), kMaxMappedPath - 1);
    std::memcpy(s.path, path.data(), n);
    s.path[n] = 0;
    s.state.store(kLive, std::memory_order_release);
    return i;
  }
  return -1;
}

void UnregisterTraceMapping(int slot) {
  if (slot < 0 || slot >= kMaxTraceMappings) return;
  g_slots[slot].state.store(kBusy, std::memory_order_release);
  g_slots[slot].base = nullptr;
  g_slots[slot].size = 0;
  g_slots[slot].fd = -1;
  g_slots[slot].state.store(kFree, std::memory_order_release);
}

bool TraceMappingAt(const void* addr, MappedTrace* out) {
  const uint8_t* a = static_cast<const uint8_t*>(addr);
  for (Slot& s : g_slots) {
    if (s.state.load(std::memory_order_acquire) != kLive) continue;
    if (a < s.base || uint64_t(a - s.base) >= s.size) continue;
    out->path = s.path;
    out->mapped_size = s.size;
    out->fault_offset = uint64_t(a - s.base);
    struct stat st;
    out->current_size = ::fstat(s.fd, &st) == 0 ? int64_t(st.st_size) : -1;
    return true;
  }
  return false;
}

size_t FormatTraceChanged(const char* verb, const MappedTrace& m, char* buf, size_t size) {
  if (size == 0) return 0;
  Out o{{buf, buf + size}};
  if (verb) {
    o.Put("tape ");
    o.Put(verb);
    o.Put(": ");
  }
  o.PutPath(m.path ? m.path : "the trace");
  if (m.current_size >= 0 && uint64_t(m.current_size) < m.mapped_size) {
    o.Put(" changed while it was being read: it shrank from ");
    o.PutNumber(m.mapped_size);
    o.Put(" to ");
    o.PutNumber(uint64_t(m.current_size));
    o.Put(" bytes");
    if (m.fault_offset != kUnknownOffset) {
      o.Put(" (reading byte ");
      o.PutNumber(m.fault_offset);
      o.Put(")");
    }
    o.Put("; it was probably re-recorded or truncated. Run the command again once nothing is "
          "writing it.");
  } else {
    o.Put(" could not be read at byte ");
    o.PutNumber(m.fault_offset);
    o.Put(" of ");
    o.PutNumber(m.mapped_size);
    o.Put(" (the file changed while it was being read, or the device failed).");
  }
  if (verb) o.Put("\n");
  o.Terminate();
  return size_t(o.p - buf);
}

}  // namespace tape::format
