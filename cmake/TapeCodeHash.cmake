# Code hashes: replay refuses a trace recorded against other code
# (CodeHashMismatch). The hash is computed at build time, so editing a source
# file and rebuilding is enough to fence old traces.

set(TAPE_HASH_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/tape_hash_sources.cmake)

# tape_code_hash(<target> SOURCES <files...>)
#   Generates <binary dir>/<target>_code_hash/tape_code_hash.h defining
#   TAPE_CODE_HASH (a std::string of 16 bytes) from the listed files, and adds
#   it to <target>'s include path: `#include "tape_code_hash.h"`.
function(tape_code_hash target)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/${target}_code_hash)
  set(out ${dir}/tape_code_hash.h)
  set(files "")
  foreach(src IN LISTS ARG_SOURCES)
    get_filename_component(abs ${src} ABSOLUTE)
    list(APPEND files ${abs})
  endforeach()
  string(REPLACE ";" "\\;" files_arg "${files}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DMODE=header "-DFILES=${files_arg}" -P ${TAPE_HASH_SCRIPT}
    DEPENDS ${files} ${TAPE_HASH_SCRIPT}
    COMMENT "Hashing the sources of ${target}"
    VERBATIM)
  target_sources(${target} PRIVATE ${out})
  target_include_directories(${target} PRIVATE ${dir})
endfunction()
