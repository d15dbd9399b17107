// Sites for a program that was not written for tape: the place in the
// program's code that made a call, named by its module and offset.
//
// A site's location is "MODULE+0xOFFSET", with " (SYMBOL+0xN)" when the
// dynamic symbol table names the function: the offset is from the module's
// load address, so it is the same in every run of the same binary (and
// what `addr2line -e MODULE` takes). The address is the return address of
// the call into the C library: for a libc function the program called, its
// caller; for a system call the C library made for the program (stdio's
// write, fopen's open), the first frame outside the C library, the dynamic
// loader and the interposer, found by unwinding the stack.

#ifndef TAPE_PRELOAD_CALLERS_H_
#define TAPE_PRELOAD_CALLERS_H_

#include <ucontext.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "preload/filter.h"
#include "tape/site.h"

namespace tape::preload {

class Callers {
 public:
  // `executable`: the program's path (the name its own code's sites get).
  explicit Callers(std::string executable);

  // The site of a call whose return address is `address`: direct when that
  // address is the program's, else by unwinding from here. The reference is
  // valid until the next call to this object.
  const Site& OfReturnAddress(uintptr_t address) {
    // Only the program's addresses are cached, so a hit needs no check; no
    // return address is 0, so an empty slot never hits.
    const Entry& e = cache_[(address >> 2) & (kSlots - 1)];
    last_ = address;
    if (e.address == address) [[likely]] return e.site;
    return OfReturnAddressSlow(address);
  }
  // The site of the system call interrupted with context `uc` (in a SIGSYS
  // handler).
  Site OfTrap(const ucontext_t* uc);

  // The executable code of the modules calls are not attributed to (the C
  // library, the dynamic loader, the interposer).
  const std::vector<CodeRange>& system_code() const { return system_; }
  // The code of the dynamic loader alone (whose system calls load code and
  // are not recorded).
  CodeRange loader_code() const { return loader_; }

  // The address of the last site returned, as a module path and an offset
  // for addr2line; false when unknown.
  bool LastCaller(std::string* module, uint64_t* offset) const;

 private:
  bool IsSystem(uintptr_t address) const;
  const Site& OfReturnAddressSlow(uintptr_t address);
  const Site& SiteAt(uintptr_t address);

  // A direct-mapped cache of the sites of return addresses (32 bytes a slot,
  // the site ready to pass on without a copy). A program has a few hundred
  // call sites of the functions tape interposes; a collision costs a
  // dladdr.
  struct Entry {
    uintptr_t address = 0;
    Site site;
  };
  static constexpr size_t kSlots = 1024;
  std::string executable_;
  std::vector<CodeRange> system_;
  CodeRange loader_;
  std::unique_ptr<Entry[]> cache_;
  std::vector<std::unique_ptr<std::string>> locations_;  // stable storage for Site::location
  uintptr_t last_ = 0;
};

}  // namespace tape::preload

#endif  // TAPE_PRELOAD_CALLERS_H_
