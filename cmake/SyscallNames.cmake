# Writes the x86-64 system call names as C++ initializers, one
# `{number, "name"},` per line, from the kernel's <asm/unistd_64.h>
# (linux-libc-dev). Run as: cmake -DHEADER=... -DOUT=... -P SyscallNames.cmake
file(STRINGS "${HEADER}" lines REGEX "^#define __NR_[a-z0-9_]+ [0-9]+")
set(body "// Generated from ${HEADER} by cmake/SyscallNames.cmake.\n")
foreach(line IN LISTS lines)
  string(REGEX REPLACE "^#define __NR_([a-z0-9_]+) ([0-9]+).*" "{\\2, \"\\1\"}," entry "${line}")
  string(APPEND body "${entry}\n")
endforeach()
file(WRITE "${OUT}.tmp" "${body}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
