#pragma once

// The tests' name for store::ForwardingConfigStore (a ConfigStore that passes every call to
// another; override the calls a test counts or changes).

#include "odmd/store/forwarding_config_store.h"

namespace odmd::testing {

using ForwardingConfigStore = store::ForwardingConfigStore;

}  // namespace odmd::testing
