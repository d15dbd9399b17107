#include "engine/effects/vdso.h"

#include <elf.h>
#include <link.h>
#include <sys/auxv.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace tape::engine {

namespace {

// The number of dynamic symbols, from a GNU hash table: past the highest
// bucket's chain (the table has no count of its own).
uint32_t GnuHashSymbolCount(const uint32_t* table) {
  uint32_t nbuckets = table[0], symoffset = table[1], bloom_size = table[2];
  const uint32_t* buckets =
      table + 4 + bloom_size * (sizeof(ElfW(Addr)) / sizeof(uint32_t));
  const uint32_t* chains = buckets + nbuckets;
  uint32_t last = 0;
  for (uint32_t i = 0; i < nbuckets; ++i) last = buckets[i] > last ? buckets[i] : last;
  if (last < symoffset) return symoffset;
  while ((chains[last - symoffset] & 1) == 0) ++last;
  return last + 1;
}

// `name`'s address in the vDSO mapped at `base`, or nullptr.
void* VdsoSymbol(uintptr_t base, const char* name) {
  const auto* ehdr = reinterpret_cast<const ElfW(Ehdr)*>(base);
  if (std::memcmp(ehdr->e_ident, ELFMAG, SELFMAG) != 0) return nullptr;
  const auto* phdrs = reinterpret_cast<const ElfW(Phdr)*>(base + ehdr->e_phoff);
  // The vDSO is linked at 0 (or at a fixed address on old kernels): its
  // load bias is base minus its first PT_LOAD's address.
  uintptr_t bias = 0;
  const ElfW(Dyn)* dynamic = nullptr;
  bool have_load = false;
  for (int i = 0; i < ehdr->e_phnum; ++i) {
    if (phdrs[i].p_type == PT_LOAD && !have_load) {
      bias = base + phdrs[i].p_offset - phdrs[i].p_vaddr;
      have_load = true;
    } else if (phdrs[i].p_type == PT_DYNAMIC) {
      dynamic = reinterpret_cast<const ElfW(Dyn)*>(base + phdrs[i].p_offset);
    }
  }
  if (!have_load || dynamic == nullptr) return nullptr;
  const ElfW(Sym)* symbols = nullptr;
  const char* strings = nullptr;
  const uint32_t* hash = nullptr;
  const uint32_t* gnu_hash = nullptr;
  for (const ElfW(Dyn)* d = dynamic; d->d_tag != DT_NULL; ++d) {
    uintptr_t at = bias + d->d_un.d_ptr;
    if (d->d_tag == DT_SYMTAB) symbols = reinterpret_cast<const ElfW(Sym)*>(at);
    if (d->d_tag == DT_STRTAB) strings = reinterpret_cast<const char*>(at);
    if (d->d_tag == DT_HASH) hash = reinterpret_cast<const uint32_t*>(at);
    if (d->d_tag == DT_GNU_HASH) gnu_hash = reinterpret_cast<const uint32_t*>(at);
  }
  if (symbols == nullptr || strings == nullptr || (hash == nullptr && gnu_hash == nullptr)) {
    return nullptr;
  }
  uint32_t count = hash != nullptr ? hash[1] : GnuHashSymbolCount(gnu_hash);
  for (uint32_t i = 0; i < count; ++i) {
    const ElfW(Sym)& sym = symbols[i];
    if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF) continue;
    int binding = ELF64_ST_BIND(sym.st_info);
    if (binding != STB_GLOBAL && binding != STB_WEAK) continue;
    if (std::strcmp(strings + sym.st_name, name) == 0) {
      return reinterpret_cast<void*>(bias + sym.st_value);
    }
  }
  return nullptr;
}

}  // namespace

VdsoClockFn FindVdsoClockGettime() {
  uintptr_t base = getauxval(AT_SYSINFO_EHDR);
  if (base == 0) return nullptr;
  return reinterpret_cast<VdsoClockFn>(VdsoSymbol(base, "__vdso_clock_gettime"));
}

namespace {

int LibcClockGettime(clockid_t clock, timespec* ts) {
  return clock_gettime(clock, ts) == 0 ? 0 : -errno;
}

}  // namespace

// libc's until the library's initialisers run, so that a caller never finds
// it null (and the hot path need not check).
VdsoClockFn g_vdso_clock_gettime = LibcClockGettime;

namespace {

[[maybe_unused]] const bool g_vdso_found = [] {
  if (VdsoClockFn fn = FindVdsoClockGettime()) g_vdso_clock_gettime = fn;
  return true;
}();

}  // namespace

}  // namespace tape::engine
