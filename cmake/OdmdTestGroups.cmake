# odmd_add_test_groups(<target> [PROPERTIES <name> <value> ...])
#
# Registers a GoogleTest binary with CTest as one test per test suite (a suite of more than
# ODMD_TEST_GROUP_SIZE tests becomes several groups of that many), instead of one test per
# test case as gtest_discover_tests does. Every CTest test is a process, and a process of a
# sanitizer build costs ~0.2 s of CPU before its first test runs (ASan's shadow memory, the
# leak check at exit, ~9,000 page faults on this kind of VM): with ~1,800 test cases that was
# ~6 minutes of CPU of the CI run for nothing. The cases of a suite share a fixture and run
# one after another in one process, as they do when the binary is run by hand.
#
# The binary is listed (--gtest_list_tests) when CTest starts, so a new test is registered
# without re-running CMake. A binary that cannot be listed becomes a failing test named
# "<target>.list", never a silent pass. Each group is named "<target>.<suite>" (with "#<n>"
# when split) and runs with --gtest_filter naming its cases, so `ctest -R <suite>` picks it.
# COST is the group's number of cases, so the biggest groups start first on a clean clone.
set(ODMD_TEST_GROUP_SIZE 25 CACHE STRING "Most GoogleTest cases per CTest test")

function(odmd_add_test_groups target)
  cmake_parse_arguments(A "" "" "PROPERTIES" ${ARGN})
  set(_script "${CMAKE_CURRENT_BINARY_DIR}/${target}_groups.cmake")
  set(_props "")
  foreach(_p IN LISTS A_PROPERTIES)
    string(APPEND _props " [==[${_p}]==]")
  endforeach()
  file(GENERATE OUTPUT "${_script}" CONTENT
"set(_exe [==[$<TARGET_FILE:${target}>]==])
set(_target [==[${target}]==])
set(_size ${ODMD_TEST_GROUP_SIZE})
set(_props ${_props})
include([==[${PROJECT_SOURCE_DIR}/cmake/OdmdTestGroupsAdd.cmake]==])
")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${_script}")
endfunction()
