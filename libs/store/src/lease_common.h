#pragma once

// What the backends' leader leases share (leader_lease.h).

#include "odmd/base/status.h"
#include "odmd/store/config_store.h"
#include "odmd/store/leader_lease.h"

namespace odmd::store {

// OK, or kInvalidArgument: a replica id and a name are set (at most 200 bytes each), the
// address has at most 1,000 bytes and the duration is at least 10 ms.
Status ValidateLeaseOptions(const LeaseOptions& options);

// A ConfigStore that passes every call on to `store`, which must outlive it.
ConfigStorePtr NewStoreView(ConfigStore& store);

}  // namespace odmd::store
