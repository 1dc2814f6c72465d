# ODMD_SANITIZE="address;undefined" adds -fsanitize=... to every compile and link.
if(ODMD_SANITIZE)
  list(JOIN ODMD_SANITIZE "," _odmd_san)
  add_compile_options(-fsanitize=${_odmd_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_odmd_san})
endif()
if(ODMD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "ODMD_FUZZ needs clang (CXX=clang++)")
  endif()
endif()

# odmd_fuzz_coverage(<target>...): libFuzzer's coverage instrumentation for the code a fuzz
# target explores (fuzz/CMakeLists.txt). Only there: on every translation unit it made the
# sanitizer build ~65% slower to compile and its tests slower to run, for no use outside the
# fuzzers.
function(odmd_fuzz_coverage)
  foreach(_target ${ARGN})
    set_property(TARGET ${_target} APPEND PROPERTY COMPILE_OPTIONS -fsanitize=fuzzer-no-link)
  endforeach()
endfunction()
