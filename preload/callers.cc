#include "preload/callers.h"

#include <dlfcn.h>
#include <link.h>
#include <unwind.h>

#include <cstdio>
#include <cstring>
#include <string_view>

#include "tape/runtime.h"

namespace tape::preload {

namespace {

std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool IsSystemModule(std::string_view path, uintptr_t base, uintptr_t own_base) {
  std::string_view name = BaseName(path);
  return base == own_base || name.starts_with("libc.so") || name.starts_with("ld-linux");
}

struct Scan {
  uintptr_t own_base;
  std::vector<CodeRange>* system;
  CodeRange* loader;
};

int CollectModule(dl_phdr_info* info, size_t, void* data) {
  auto* scan = static_cast<Scan*>(data);
  std::string_view name = info->dlpi_name ? info->dlpi_name : "";
  if (!IsSystemModule(name, info->dlpi_addr, scan->own_base)) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X)) continue;
    CodeRange r{info->dlpi_addr + ph.p_vaddr, info->dlpi_addr + ph.p_vaddr + ph.p_memsz};
    scan->system->push_back(r);
    if (BaseName(name).starts_with("ld-linux")) *scan->loader = r;
  }
  return 0;
}

struct Walk {
  uintptr_t interrupted;  // the trapped call's instruction
  bool reached = false;
  uintptr_t found = 0;
  const Callers* callers;
  bool (*is_system)(const Callers*, uintptr_t);
};

}  // namespace

Callers::Callers(std::string executable)
    : executable_(std::move(executable)), cache_(new Entry[kSlots]) {
  Dl_info own{};
  dladdr(reinterpret_cast<void*>(&BaseName), &own);
  Scan scan{reinterpret_cast<uintptr_t>(own.dli_fbase), &system_, &loader_};
  dl_iterate_phdr(CollectModule, &scan);
}

bool Callers::IsSystem(uintptr_t address) const {
  for (const CodeRange& r : system_) {
    if (address >= r.begin && address < r.end) return true;
  }
  return false;
}

const Site& Callers::SiteAt(uintptr_t address) {
  last_ = address;
  Entry& e = cache_[(address >> 2) & (kSlots - 1)];
  if (e.address == address) return e.site;
  Dl_info info{};
  link_map* map = nullptr;
  std::string text;
  char offset[64];
  if (dladdr1(reinterpret_cast<void*>(address), &info, reinterpret_cast<void**>(&map),
              RTLD_DL_LINKMAP) != 0 && map != nullptr) {
    std::string_view module = map->l_name[0] == '\0' ? std::string_view(executable_) : map->l_name;
    std::snprintf(offset, sizeof offset, "+0x%lx", (unsigned long)(address - map->l_addr));
    text.append(BaseName(module)).append(offset);
    if (info.dli_sname != nullptr && info.dli_saddr != nullptr) {
      std::snprintf(offset, sizeof offset, "+0x%lx",
                    (unsigned long)(address - reinterpret_cast<uintptr_t>(info.dli_saddr)));
      text.append(" (").append(info.dli_sname).append(offset).append(")");
    }
  } else {
    std::snprintf(offset, sizeof offset, "0x%lx", (unsigned long)address);
    text = offset;
  }
  locations_.push_back(std::make_unique<std::string>(std::move(text)));
  const std::string& location = *locations_.back();
  e = {address, Site{SiteIdOf(location), location}};
  return e.site;
}

const Site& Callers::OfReturnAddressSlow(uintptr_t address) {
  if (!IsSystem(address)) [[likely]] return SiteAt(address);
  // Called from the C library itself: the program's frame is further up.
  Walk walk{0, true, 0, this, [](const Callers* c, uintptr_t a) { return c->IsSystem(a); }};
  _Unwind_Backtrace(
      [](_Unwind_Context* ctx, void* data) -> _Unwind_Reason_Code {
        auto* w = static_cast<Walk*>(data);
        uintptr_t ip = _Unwind_GetIP(ctx);
        if (ip == 0) return _URC_END_OF_STACK;
        if (!w->is_system(w->callers, ip)) {
          w->found = ip;
          return _URC_END_OF_STACK;
        }
        return _URC_NO_REASON;
      },
      &walk);
  return SiteAt(walk.found != 0 ? walk.found : address);
}

Site Callers::OfTrap(const ucontext_t* uc) {
  uintptr_t ip = uintptr_t(uc->uc_mcontext.gregs[REG_RIP]);
  Walk walk{ip, false, 0, this, [](const Callers* c, uintptr_t a) { return c->IsSystem(a); }};
  // From the handler's own frame, through the signal frame, to the
  // interrupted call, then up to the first frame that is the program's.
  _Unwind_Backtrace(
      [](_Unwind_Context* ctx, void* data) -> _Unwind_Reason_Code {
        auto* w = static_cast<Walk*>(data);
        int before = 0;
        uintptr_t frame = _Unwind_GetIPInfo(ctx, &before);
        if (frame == 0) return _URC_END_OF_STACK;
        if (!w->reached) {
          w->reached = frame == w->interrupted;
          if (!w->reached) return _URC_NO_REASON;
        }
        if (!w->is_system(w->callers, frame)) {
          w->found = frame;
          return _URC_END_OF_STACK;
        }
        return _URC_NO_REASON;
      },
      &walk);
  return SiteAt(walk.found != 0 ? walk.found : ip);
}

bool Callers::LastCaller(std::string* module, uint64_t* offset) const {
  if (last_ == 0) return false;
  Dl_info info{};
  link_map* map = nullptr;
  if (dladdr1(reinterpret_cast<void*>(last_), &info, reinterpret_cast<void**>(&map),
              RTLD_DL_LINKMAP) == 0 || map == nullptr) {
    return false;
  }
  *module = map->l_name[0] == '\0' ? executable_ : std::string(map->l_name);
  // A return address points after the call; the call itself is one byte
  // back, which is what a line table should be asked about.
  *offset = last_ - map->l_addr - 1;
  return true;
}

}  // namespace tape::preload
