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
  bool gone = false;
  if (state.epoch == 0 || state.holder == self_.replica_id) {
    gone = true;  // never a worker replica, or taken over already
  } else if (!state.held()) {
    // Expired: take it over, so that a write of the owner's epoch can no longer commit.
    ODMD_ASSIGN_OR_RETURN(std::optional<store::Epoch> taken, lease.Acquire());
    gone = taken.has_value();
  }
  // A gone owner's lease (and its connection) is not asked about again: only live owners'
  // are kept.
  if (gone) leases_.erase(it);
  return gone;
}

}  // namespace odmd::reconcile
