#include "odmd/reconcile/worker_lease.h"

#include <utility>

namespace odmd::reconcile {

std::string WorkerLeaseName(std::string_view replica_id) {
  return "worker:" + std::string(replica_id);
}

OwnerCheck::OwnerCheck(store::ConfigStore& store, store::LeaseOptions self)
    : store_(store), self_(std::move(self)) {}

Result<bool> OwnerCheck::Gone(const Deployment& d) {
  if (d.owner.empty()) return true;
  if (d.owner == self_.replica_id) return false;  // this process runs it
  std::lock_guard lock(mu_);
  auto it = leases_.find(d.owner);
  if (it == leases_.end()) {
    store::LeaseOptions options = self_;
    options.name = WorkerLeaseName(d.owner);
    ODMD_ASSIGN_OR_RETURN(store::LeaderLeasePtr lease, store_.NewLeaderLease(options));
    it = leases_.emplace(d.owner, std::move(lease)).first;
  }
  store::LeaderLease& lease = *it->second;
  ODMD_ASSIGN_OR_RETURN(store::LeaseState state, lease.Current());
  if (state.epoch == 0) return true;                  // never a worker replica
  if (state.holder == self_.replica_id) return true;  // taken over already
  if (state.held()) return false;                     // the owner may still write
  // Expired: take it over, so that a write of the owner's epoch can no longer commit.
  ODMD_ASSIGN_OR_RETURN(std::optional<store::Epoch> taken, lease.Acquire());
  return taken.has_value();
}

}  // namespace odmd::reconcile
