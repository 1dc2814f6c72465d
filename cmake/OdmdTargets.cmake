# ODMD_EXCLUDE_SOURCES: a regex of source paths to leave out (developer aid while a file
# is being written by someone else in the same tree). Empty in every real build.
set(ODMD_EXCLUDE_SOURCES "" CACHE STRING "Regex of sources to leave out (development only)")
function(odmd_filter_sources var)
  if(ODMD_EXCLUDE_SOURCES)
    list(FILTER ${var} EXCLUDE REGEX "${ODMD_EXCLUDE_SOURCES}")
  endif()
  set(${var} ${${var}} PARENT_SCOPE)
endfunction()

# ODMD_PCH: precompile the standard, JSON and GoogleTest headers nearly every file includes
# (one PCH per target). `make test`'s sanitizer build turns it on: ~20% of a clean build's
# compile time is parsing them again. Off elsewhere, so the release build still proves that
# each file includes what it uses.
option(ODMD_PCH "Precompile the common headers of each target" OFF)
set(ODMD_PCH_HEADERS <algorithm> <chrono> <cstdint> <filesystem> <functional> <map> <memory>
  <optional> <set> <sstream> <string> <string_view> <utility> <vector> <nlohmann/json.hpp>)
function(odmd_precompile target)
  if(ODMD_PCH)
    target_precompile_headers(${target} PRIVATE ${ODMD_PCH_HEADERS} ${ARGN})
  endif()
endfunction()

# ODMD_UNITY: compile each library as a few unity files of ODMD_UNITY_BATCH sources instead of
# one object per source. `make test`'s sanitizer build turns it on: each object of the
# instrumented build instantiates and generates the same templates (std, JSON, fmt) again,
# and a batch does so once, which cut the libraries' compile CPU ~2.5x. Off elsewhere, so
# the release build still compiles every file on its own. A unity build puts the anonymous
# namespaces of a batch's files into one: two files of a library must not define the same
# internal name (share it through a header instead).
option(ODMD_UNITY "Unity-build the libraries" OFF)
set(ODMD_UNITY_BATCH 8 CACHE STRING "Sources per unity file (ODMD_UNITY)")

# odmd_add_library(NAME <n> [DEPS ...] [PRIVATE_DEPS ...])
#   -> target odmd_<n>, alias odmd::<n>; PUBLIC include/, PRIVATE src/;
#      sources: src/*.cc (recursively).
function(odmd_add_library)
  cmake_parse_arguments(A "" "NAME" "DEPS;PRIVATE_DEPS" ${ARGN})
  file(GLOB_RECURSE _srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/*.cc)
  odmd_filter_sources(_srcs)
  add_library(odmd_${A_NAME} STATIC ${_srcs})
  add_library(odmd::${A_NAME} ALIAS odmd_${A_NAME})
  target_include_directories(odmd_${A_NAME}
    PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(odmd_${A_NAME} PUBLIC ${A_DEPS} PRIVATE ${A_PRIVATE_DEPS}
    odmd_warnings odmd_settings)
  if(ODMD_LIBRARY_FLAGS)
    target_compile_options(odmd_${A_NAME} PRIVATE ${ODMD_LIBRARY_FLAGS})
  endif()
  odmd_precompile(odmd_${A_NAME})
  if(ODMD_UNITY)
    set_target_properties(odmd_${A_NAME} PROPERTIES UNITY_BUILD ON
      UNITY_BUILD_BATCH_SIZE ${ODMD_UNITY_BATCH})
  endif()
endfunction()

# odmd_add_test(NAME <n> DEPS ... [SRCS ...])
#   -> executable <n> from SRCS (default tests/*_test.cc), registered with CTest one test per
#      suite (OdmdTestGroups.cmake).
function(odmd_add_test)
  cmake_parse_arguments(A "" "NAME" "DEPS;SRCS" ${ARGN})
  if(NOT A_SRCS)
    file(GLOB _srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/tests/*_test.cc)
    odmd_filter_sources(_srcs)
    set(A_SRCS ${_srcs})
  endif()
  if(NOT A_SRCS)
    message(STATUS "odmd: ${A_NAME} has no tests yet")
    return()
  endif()
  add_executable(${A_NAME} ${A_SRCS})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} GTest::gmock GTest::gtest_main
    odmd_warnings odmd_settings)
  odmd_precompile(${A_NAME} <gmock/gmock.h> <gtest/gtest.h>)
  odmd_add_test_groups(${A_NAME} PROPERTIES ENVIRONMENT "ODMD_TESTDATA=${CMAKE_SOURCE_DIR}")
endfunction()
