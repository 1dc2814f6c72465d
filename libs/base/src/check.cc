#include "odmd/base/check.h"

#include <cstdio>
#include <cstdlib>

namespace odmd::internal {

void CheckFailed(const char* file, int line, const char* condition) {
  std::fprintf(stderr, "%s:%d: ODMD_CHECK failed: %s\n", file, line, condition);
  std::abort();
}

}  // namespace odmd::internal
