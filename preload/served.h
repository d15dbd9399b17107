// Descriptors the interposer gives the program in place of real files.

#ifndef TAPE_PRELOAD_SERVED_H_
#define TAPE_PRELOAD_SERVED_H_

#include <string_view>

namespace tape::preload {

// Makes `fd` a read-only descriptor of a sealed memory file holding `data`
// (a file served from the trace), with close-on-exec per `cloexec`. `path`
// names the memory file. Temporary descriptors go in tape's range, from
// `fd_base`. Returns 0 or -errno.
long InstallServedFile(int fd, std::string_view data, bool cloexec, std::string_view path,
                       int fd_base);
// Makes `fd` an empty memory file: the stand-in, when replaying, for a
// descriptor whose calls the trace answers (a pipe, a socket, a file opened
// for writing).
long InstallPlaceholder(int fd, bool cloexec, std::string_view path, int fd_base);

}  // namespace tape::preload

#endif  // TAPE_PRELOAD_SERVED_H_
