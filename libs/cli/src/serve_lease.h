#pragma once

// odmd serve's leader lease (docs/platform.md, "Replicas"). Every `odmd serve` takes the
// store's lease (store::LeaderLease) before it runs the platform, and runs it only while it
// holds it, writing through the lease's fenced store:
// - SQLite: a second server on the same file is refused, naming the one that runs.
// - PostgreSQL: a server that finds the lease held waits as a standby and takes over when
//   the leader's lease expires (leader killed, stopped, partitioned) or is released (leader
//   stopped cleanly). A leader that loses the lease stops with exit code 1 (a supervisor
//   restarts it as a standby).

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "odmd/base/clock.h"
#include "odmd/base/status.h"
#include "odmd/reconcile/leader_loop.h"
#include "odmd/store/config_store.h"
#include "odmd/store/leader_lease.h"

namespace odmd::cli {

struct ServeLeaseOpts {
  std::string replica_id;  // default: "<host>:<pid>:<start, ms since the epoch>"
  int duration_ms = 5000;
  int renew_ms = 1000;
  // Queue workers a follower runs (PostgreSQL only), under a worker lease of its own.
  int follower_workers = 0;
};

void AddServeLeaseOptions(CLI::App& sub, ServeLeaseOpts& o);

// The lease of one serve process. Thread-safe.
class ServeLease {
 public:
  // What the loop tells the serve thread, through `notify`.
  enum class Change { kElected, kDeposed };

  // kInvalidArgument for bad options (naming the flag); errors of NewLeaderLease.
  // `name`: the lease's (LeaseOptions::name): "leader", or a follower's worker lease
  // (reconcile::WorkerLeaseName), which nobody else takes while it is renewed.
  static Result<std::unique_ptr<ServeLease>> Open(store::ConfigStore& store,
                                                  const std::string& store_url,
                                                  const ServeLeaseOpts& o,
                                                  const std::string& address, Clock& clock,
                                                  std::function<void(Change)> notify,
                                                  const std::string& name = "leader");
  ~ServeLease();  // Stop()

  // Tries to take the lease once: true if this replica leads now. For an embedded store
  // held by another server, kFailedPrecondition naming it.
  Result<bool> TryLead();
  // A standby's message: who holds the lease.
  std::string DescribeHolder();
  // Runs the renewals (or, as a standby, the takeover attempts) on a thread.
  void Start();
  // Stops the thread and gives the lease up if still held.
  void Stop();

  const std::string& replica_id() const { return options_.replica_id; }
  std::optional<store::Epoch> epoch() const { return loop_->epoch(); }
  // Why this replica was deposed (OK while it was not).
  Status deposed_why() const;
  store::LeaderLease& lease() { return *lease_; }

 private:
  ServeLease(store::LeaseOptions options, bool exclusive, store::LeaderLeasePtr lease);

  const store::LeaseOptions options_;
  const bool exclusive_;  // an embedded store: refuse instead of waiting
  store::LeaderLeasePtr lease_;
  std::unique_ptr<reconcile::LeaderLoop> loop_;
  mutable std::mutex mu_;
  Status deposed_why_;  // guarded by mu_
};

}  // namespace odmd::cli
