// The system calls a program not written for tape makes that are recorded
// through the generic kinds libc.syscall (their answers are inputs) and
// libc.change (they change the world outside the process), specs/trace-
// format.md §13.8. Their args are the call's name (sized) and a list with one
// item per argument; their result an errno, the call's value, and a list with
// one item per buffer the call filled.
//
// tape's interposer carries a trapped call from its registers into the args
// and the result back into the program's memory (LibcEffects::Call); the
// live implementation performs a call from its args (libc_calls.cc). Both
// read the shapes below, so the two sides agree on every argument.

#ifndef TAPE_ENGINE_EFFECTS_LIBC_CALLS_H_
#define TAPE_ENGINE_EFFECTS_LIBC_CALLS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/effects/libc.h"

namespace tape::engine {

// How one argument of a call is carried.
enum class ArgUse : uint8_t {
  kValue,    // an int (the register's lower half); the item is its decimal text
  kLong,     // a 64-bit number (an offset, a size); the item is its decimal text
  kPath,     // a NUL-terminated string the call reads; the item is its bytes
  kIn,       // bytes the call reads; the item is the bytes (empty for NULL)
  kOut,      // a buffer the call fills; the item is its size in decimal (0 for
             // NULL), and its bytes come back in the result
  kInOut,    // both: the bytes in the args, the bytes the call left in the result
  kIgnored,  // not recorded (gettimeofday's obsolete timezone); the item is empty
  kSockaddr, // a socket address the call reads, as kIn; a Unix socket's only up to
             // its path's NUL (the bytes after it are not the program's); when
             // performed, the rest of the size reads as zeros
};
// CallArg::size_arg of an argument whose use depends on an earlier one
// (ioctl's request, fcntl's command, select's count): see UseOf.
inline constexpr int8_t kDynamicArg = -2;
struct CallArg {
  ArgUse use = ArgUse::kValue;
  uint16_t size = 0;     // buffer size, when size_arg is -1
  int8_t size_arg = -1;  // else the argument that holds the count
  uint8_t unit = 1;      // bytes per counted item; 0: the count is the int the
                         // argument size_arg points to (socklen_t* of getsockname)
};
struct CallShape {
  const char* name;  // the system call's name, as recorded
  long nr;
  uint8_t argc;
  CallArg args[6];
  bool changes_world = false;  // libc.change rather than libc.syscall
  // Output buffers hold only value x unit bytes (getcwd, getxattr, ...)
  // instead of their whole size.
  bool out_sized_by_value = false;
};

// The shape of system call `nr`, or nullptr when it is not recorded
// generically.
const CallShape* FindCallShape(long nr);
const CallShape* FindCallShapeByName(std::string_view name);
// How argument `i` is carried, given the values of the arguments before it.
CallArg UseOf(const CallShape& shape, int i, const long values[6]);
// A buffer argument's size in bytes (at most kMaxCallBufferBytes).
size_t BufferSize(const CallArg& arg, const long values[6]);

// ioctl requests: the bytes the kernel writes, and reads, at the argument;
// -1 for none. IoctlKnown: whether tape knows what the request does with
// memory at all (it cannot record one it does not).
int IoctlOutSize(unsigned long request);
int IoctlInSize(unsigned long request);
bool IoctlKnown(unsigned long request);

// The name of x86-64 system call `nr` ("openat"), or "" when unknown.
const char* SyscallName(long nr);

}  // namespace tape::engine

#endif  // TAPE_ENGINE_EFFECTS_LIBC_CALLS_H_
