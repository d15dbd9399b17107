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
  string(REPLACE ";" "|" files_arg "${files}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DMODE=header "-DFILES=${files_arg}" -P ${TAPE_HASH_SCRIPT}
    DEPENDS ${files} ${TAPE_HASH_SCRIPT}
    COMMENT "Hashing the sources of ${target}"
    VERBATIM)
  target_sources(${target} PRIVATE ${out})
  target_include_directories(${target} PRIVATE ${dir})
endfunction()

# tape_program(<target>)
#   Prepares an executable that links tape::tape: TAPE_CODE_HASH covers the
#   target's own source files, and source paths in its site table are made
#   relative to the project (so traces do not depend on the checkout path).
function(tape_program target)
  get_target_property(sources ${target} SOURCES)
  get_target_property(source_dir ${target} SOURCE_DIR)
  set(files "")
  foreach(src IN LISTS sources)
    if(NOT IS_ABSOLUTE ${src})
      set(src ${source_dir}/${src})
    endif()
    if(EXISTS ${src})
      list(APPEND files ${src})
    endif()
  endforeach()
  tape_code_hash(${target} SOURCES ${files})
  target_compile_options(${target} PRIVATE -ffile-prefix-map=${CMAKE_SOURCE_DIR}/=)
endfunction()
