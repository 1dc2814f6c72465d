# odmd_warnings: the warning set for our own targets only (never third-party code).
add_library(odmd_warnings INTERFACE)
target_compile_options(odmd_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
  -Wcast-qual -Wmissing-declarations -Wextra-semi
  -Wimplicit-fallthrough -Wundef)
# -Wnull-dereference: clang's check is precise and runs in the sanitizer build; GCC 12's
# fires at -O2 on libstdc++ and CLI11 code inlined into ours (std::vector::insert,
# std::string::data), with no null in sight, so GCC builds leave it out.
# -Wshadow-uncaptured-local: GCC's -Wshadow refuses a lambda's local or parameter named as a
# local of the enclosing function; clang's -Wshadow leaves that to this flag. Without it CI
# (clang) passed code that the GCC build of `make demo` then refused (4edda11).
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  target_compile_options(odmd_warnings INTERFACE -Wnull-dereference -Wshadow-uncaptured-local)
endif()
if(ODMD_WERROR)
  target_compile_options(odmd_warnings INTERFACE -Werror)
endif()

# odmd_settings: definitions shared by every target of ours.
add_library(odmd_settings INTERFACE)
target_compile_definitions(odmd_settings INTERFACE $<$<CONFIG:Debug>:_GLIBCXX_ASSERTIONS>)
