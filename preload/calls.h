// What the interposer does with each system call of the program's that the
// seccomp filter traps (specs/trace-format.md §13.8 says what each records).
//
// Calls on a descriptor depend on what it is (fd_table.h): on a served file
// or one the program made itself the kernel answers, on a recorded one the
// call is an effect, on one of tape's the answer is EBADF. Calls that create,
// duplicate or close descriptors are performed when replaying too (on
// placeholders), so the program's descriptors keep the recorded numbers.
// Calls that start processes or threads, install signal handlers for SIGSYS
// or seccomp filters, connect sockets, map recorded files or that tape does
// not know are refused: the program stops there with a message.

#ifndef TAPE_PRELOAD_CALLS_H_
#define TAPE_PRELOAD_CALLS_H_

#include <ucontext.h>

namespace tape::preload {

class Session;

// Handles system call `nr` with arguments `args`, interrupted in context
// `uc`; returns its value (-errno on failure). May throw what effect calls
// throw (a drift, a trace error), and may end the process (Session::Refuse).
long Dispatch(Session& session, long nr, const long args[6], const ucontext_t* uc);

}  // namespace tape::preload

#endif  // TAPE_PRELOAD_CALLS_H_
