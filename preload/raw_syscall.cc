#include "preload/raw_syscall.h"

// System V AMD64: the call's arguments arrive in rdi, rsi, rdx, rcx, r8, r9
// and the stack; the kernel wants the number in rax and the arguments in rdi,
// rsi, rdx, r10, r8, r9.
__asm__(
    ".pushsection .text.tape_raw_syscall,\"ax\",@progbits\n"
    ".globl tape_raw_syscall\n"
    ".hidden tape_raw_syscall\n"
    ".type tape_raw_syscall,@function\n"
    ".globl tape_raw_syscall_begin\n"
    ".hidden tape_raw_syscall_begin\n"
    ".globl tape_raw_syscall_end\n"
    ".hidden tape_raw_syscall_end\n"
    "tape_raw_syscall:\n"
    "tape_raw_syscall_begin:\n"
    "  .cfi_startproc\n"
    "  movq %rdi, %rax\n"
    "  movq %rsi, %rdi\n"
    "  movq %rdx, %rsi\n"
    "  movq %rcx, %rdx\n"
    "  movq %r8, %r10\n"
    "  movq %r9, %r8\n"
    "  movq 8(%rsp), %r9\n"
    "  syscall\n"
    "  ret\n"
    "  .cfi_endproc\n"
    "tape_raw_syscall_end:\n"
    ".size tape_raw_syscall, .-tape_raw_syscall\n"
    ".popsection\n");
