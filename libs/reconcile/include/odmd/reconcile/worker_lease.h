#pragma once

// Worker leases (docs/platform.md, "Replicas: workers on followers"): a replica that runs
// queue workers beside the leader's holds a lease of its own, "worker:<replica id>", and
// writes its claims and finishes through that lease's fenced store. A deployment it left
// running is run again only once that lease has expired and another replica took it over
// (the epoch one higher), so the owner, dead or paused, can write nothing about it
// afterwards, and a live owner's deployments are never run twice.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "odmd/base/status.h"
#include "odmd/reconcile/state.h"
#include "odmd/store/config_store.h"
#include "odmd/store/leader_lease.h"

namespace odmd::reconcile {

// "worker:<replica id>".
std::string WorkerLeaseName(std::string_view replica_id);

// Decides, for the leader's queue (QueueOptions::owner_gone), whether a running deployment's
// owner is gone. Thread-safe.
class OwnerCheck {
 public:
  // `store` (the plain store: the leases are not fenced) must outlive the check. `self`:
  // this replica's id, address and the lease duration its takeovers are granted for.
  OwnerCheck(store::ConfigStore& store, store::LeaseOptions self);

  // True when the owner of `d` cannot write anything more about it:
  // - it never held a worker lease (a leader's own workers: a new leader means it is gone;
  //   one server: the process died), or `d` has no owner;
  // - its worker lease expired and this replica took it over now (Acquire: the epoch one
  //   higher), or this replica had taken it over already.
  // False while the owner's lease is held by the owner (it lives, or it may still write),
  // and for this replica's own deployments (this process runs them).
  // Store errors (the caller asks again later).
  Result<bool> Gone(const Deployment& d);

 private:
  store::ConfigStore& store_;
  const store::LeaseOptions self_;
  std::mutex mu_;
  // The leases of owners asked about, by owner (a connection each).
  std::map<std::string, store::LeaderLeasePtr, std::less<>> leases_;
};

}  // namespace odmd::reconcile
