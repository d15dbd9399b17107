#include "preload/filter.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstddef>

#include "preload/raw_syscall.h"

namespace tape::preload {

namespace {

// The calls that only concern the process itself, let through in the kernel.
// Most frequent first: the filter tests them in order.
constexpr long kAllowed[] = {
    SYS_futex, SYS_munmap, SYS_brk, SYS_mprotect, SYS_madvise, SYS_mremap, SYS_rt_sigreturn,
    SYS_sched_yield, SYS_msync, SYS_mlock, SYS_munlock, SYS_mlock2, SYS_mlockall, SYS_munlockall,
    SYS_mincore, SYS_pkey_mprotect, SYS_pkey_alloc, SYS_pkey_free, SYS_futex_waitv,
    SYS_set_robust_list, SYS_get_robust_list, SYS_rseq, SYS_set_tid_address, SYS_arch_prctl,
    SYS_sigaltstack, SYS_rt_sigpending, SYS_rt_sigsuspend, SYS_rt_sigtimedwait, SYS_kill, SYS_tgkill,
    SYS_tkill, SYS_restart_syscall, SYS_sched_getparam, SYS_sched_getscheduler,
    SYS_sched_get_priority_max, SYS_sched_get_priority_min, SYS_getcpu, SYS_membarrier, SYS_umask,
    SYS_getitimer, SYS_setitimer, SYS_alarm, SYS_pause, SYS_wait4, SYS_waitid, SYS_capget,
    SYS_getpriority, SYS_setpriority, SYS_personality,
};

// Calls answered ENOSYS: programs fall back to calls tape records.
constexpr long kUnavailable[] = {SYS_clone3, SYS_copy_file_range, SYS_sendfile, SYS_splice,
                                 SYS_tee, SYS_vmsplice};

constexpr uint32_t kNr = offsetof(seccomp_data, nr);
constexpr uint32_t kArch = offsetof(seccomp_data, arch);
constexpr uint32_t kIpLow = offsetof(seccomp_data, instruction_pointer);
constexpr uint32_t kIpHigh = kIpLow + 4;
constexpr uint32_t ArgLow(int i) { return uint32_t(offsetof(seccomp_data, args) + 8 * i); }

class Program {
 public:
  void Load(uint32_t offset) { Add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset)); }
  void Return(uint32_t action) { Add(BPF_STMT(BPF_RET | BPF_K, action)); }
  void Jump(uint16_t op, uint32_t k, uint8_t jt, uint8_t jf) {
    Add(BPF_JUMP(BPF_JMP | op | BPF_K, k, jt, jf));
  }
  // if nr == `nr`: return `action`.
  void Case(long nr, uint32_t action) {
    Jump(BPF_JEQ, uint32_t(nr), 0, 1);
    Return(action);
  }
  // if nr == `nr`: load arg `arg` (low word), return `match` when it
  // equals (or has bits of, `bits`) `k`, else `other`; the accumulator is
  // reloaded with nr when nr differs.
  void ArgCase(long nr, int arg, uint32_t k, bool bits, uint32_t match, uint32_t other) {
    Jump(BPF_JEQ, uint32_t(nr), 0, 4);
    Load(ArgLow(arg));
    Jump(bits ? BPF_JSET : BPF_JEQ, k, 0, 1);
    Return(match);
    Return(other);
  }
  // if begin <= ip < end (same upper word): allow.
  void AllowRange(uintptr_t begin, uintptr_t end) {
    Load(kIpHigh);
    Jump(BPF_JEQ, uint32_t(begin >> 32), 0, 4);
    Load(kIpLow);
    Jump(BPF_JGE, uint32_t(begin), 0, 2);
    Jump(BPF_JGE, uint32_t(end), 1, 0);
    Return(SECCOMP_RET_ALLOW);
  }
  sock_fprog Get() { return {uint16_t(code_.size()), code_.data()}; }

 private:
  void Add(sock_filter f) { code_.push_back(f); }
  std::vector<sock_filter> code_;
};

}  // namespace

int InstallFilter(const std::vector<CodeRange>& exempt) {
  constexpr uint32_t kTrap = SECCOMP_RET_TRAP;
  constexpr uint32_t kAllow = SECCOMP_RET_ALLOW;
  Program p;
  p.Load(kArch);
  p.Jump(BPF_JEQ, AUDIT_ARCH_X86_64, 1, 0);
  p.Return(kTrap);
  for (const CodeRange& r : exempt) {
    // A range across a 4 GiB boundary is tested as two.
    uintptr_t begin = r.begin;
    while (begin < r.end) {
      uintptr_t boundary = (begin | 0xffffffffull) + 1;
      uintptr_t end = r.end < boundary ? r.end : boundary;
      p.AllowRange(begin, end == boundary ? boundary - 1 : end);
      begin = end;
    }
  }
  p.Load(kNr);
  // x32 system calls (numbers with bit 30) are not this ABI's.
  p.Jump(BPF_JGE, 0x40000000u, 0, 1);
  p.Return(kTrap);
  p.ArgCase(SYS_mmap, 4, 0xffffffffu, false, kAllow, kTrap);  // anonymous memory: fd -1
  p.Load(kNr);
  for (long nr : kAllowed) p.Case(nr, kAllow);
  // Threads (CLONE_THREAD) pass: the program's pthread_create is refused
  // before it gets here, tape's own threads are let through.
  p.ArgCase(SYS_clone, 0, CLONE_THREAD, true, kAllow, kTrap);
  p.Load(kNr);
  // Only a change of SIGSYS's handler, which the interposer needs, is trapped.
  p.ArgCase(SYS_rt_sigaction, 0, SIGSYS, false, kTrap, kAllow);
  p.Load(kNr);
  // prctl passes except PR_SET_SECCOMP (a filter of the program's own).
  p.ArgCase(SYS_prctl, 0, PR_SET_SECCOMP, false, kTrap, kAllow);
  p.Load(kNr);
  for (long nr : kUnavailable) p.Case(nr, SECCOMP_RET_ERRNO | ENOSYS);
  p.Return(kTrap);

  if (Raw(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return EPERM;
  sock_fprog prog = p.Get();
  long r = Raw(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, long(&prog));
  return r < 0 ? int(-r) : 0;
}

}  // namespace tape::preload
