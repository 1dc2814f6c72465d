// The parts of the leader lease every backend shares, and ConfigStore's default (none).

#include "odmd/store/leader_lease.h"

#include <string>

#include "lease_common.h"
#include "odmd/base/strings.h"
#include "odmd/store/forwarding_config_store.h"

namespace odmd::store {
namespace {

constexpr std::size_t kMaxIdBytes = 200;
constexpr std::size_t kMaxAddressBytes = 1000;

}  // namespace

Result<LeaderLeasePtr> ConfigStore::NewLeaderLease(const LeaseOptions& options) {
  return UnimplementedError("lease " + Quote(options.name) + ": this store has no leader lease");
}

Status LeaseLostError(Epoch epoch, Epoch current) {
  std::string now = current == 0 ? "the lease is gone" : "now " + std::to_string(current);
  return AbortedError("lease lost: epoch " + std::to_string(epoch) +
                      " is no longer the leader's (" + now + ")");
}

bool IsLeaseLost(const Status& s) {
  return s.code() == StatusCode::kAborted && s.message().starts_with("lease lost");
}

Status ValidateLeaseOptions(const LeaseOptions& options) {
  if (options.replica_id.empty() || options.replica_id.size() > kMaxIdBytes) {
    return InvalidArgumentError("lease " + Quote(options.name) +
                                ": the replica id must have 1 to 200 bytes");
  }
  if (options.name.empty() || options.name.size() > kMaxIdBytes) {
    return InvalidArgumentError("lease name " + Quote(options.name) + " must have 1 to 200 bytes");
  }
  if (options.address.size() > kMaxAddressBytes) {
    return InvalidArgumentError("lease " + Quote(options.name) + ": replica address of " +
                                std::to_string(options.address.size()) +
                                " bytes is longer than 1000");
  }
  if (options.duration < std::chrono::milliseconds(10)) {
    return InvalidArgumentError("lease " + Quote(options.name) + ": duration " +
                                std::to_string(options.duration.count()) +
                                " ms is shorter than 10 ms");
  }
  return OkStatus();
}

ConfigStorePtr NewStoreView(ConfigStore& store) {
  return std::make_unique<ForwardingConfigStore>(store);
}

}  // namespace odmd::store
