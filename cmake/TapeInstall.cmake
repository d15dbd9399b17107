# `cmake --install`: the tape command, the library (tape::tape), its public
# headers (include/tape/) and a CMake package for find_package(tape).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set_target_properties(tape_engine PROPERTIES EXPORT_NAME tape)
set_target_properties(tape_format PROPERTIES EXPORT_NAME format)
set_target_properties(tape_script_values PROPERTIES EXPORT_NAME script_values)
set_target_properties(tape_fmt PROPERTIES EXPORT_NAME fmt)
install(TARGETS tape_engine tape_format tape_script_values tape_fmt EXPORT tapeTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/engine/include/tape
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS tape RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

set(TAPE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/tape)
install(EXPORT tapeTargets NAMESPACE tape:: DESTINATION ${TAPE_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/tapeConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/tapeConfig.cmake INSTALL_DESTINATION ${TAPE_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/tapeConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/tapeConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/tapeConfigVersion.cmake
  ${CMAKE_CURRENT_LIST_DIR}/TapeCodeHash.cmake
  ${CMAKE_CURRENT_LIST_DIR}/tape_hash_sources.cmake
  DESTINATION ${TAPE_CMAKE_DIR})
