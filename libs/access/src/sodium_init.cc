#include "sodium_init.h"

#include <sodium.h>

#include "odmd/base/check.h"

namespace odmd::access {

void EnsureSodium() {
  // A function-local static is initialised exactly once, even under concurrent calls.
  static const bool initialised = sodium_init() >= 0;
  ODMD_CHECK(initialised);
}

}  // namespace odmd::access
