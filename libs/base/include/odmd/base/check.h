#pragma once

// ODMD_CHECK(cond): an invariant that stays on in release builds and aborts with a message.
// For broken internal invariants only; never for user input or environment failures
// (those are Status values). STYLE.md §7.3.

namespace odmd::internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition);
}  // namespace odmd::internal

#define ODMD_CHECK(cond)                                                   \
  do {                                                                     \
    if (!(cond)) ::odmd::internal::CheckFailed(__FILE__, __LINE__, #cond); \
  } while (0)
