# odmd_warnings: the warning set for our own targets only (never third-party code).
add_library(odmd_warnings INTERFACE)
target_compile_options(odmd_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
  -Wcast-qual -Wmissing-declarations -Wnull-dereference -Wextra-semi
  -Wimplicit-fallthrough -Wundef)
if(ODMD_WERROR)
  target_compile_options(odmd_warnings INTERFACE -Werror)
endif()

# odmd_settings: definitions shared by every target of ours.
add_library(odmd_settings INTERFACE)
target_compile_definitions(odmd_settings INTERFACE $<$<CONFIG:Debug>:_GLIBCXX_ASSERTIONS>)
