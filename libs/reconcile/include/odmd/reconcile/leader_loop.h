#pragma once

// LeaderLoop: keeps or seeks a store's leader lease (store::LeaderLease) for one `odmd serve`
// replica. A follower tries to take the lease every renew interval; the leader renews it as
// often. The leader counts its lease as held until its own deadline: the start of its last
// successful grant or renewal plus the lease duration, on the steady clock (the database
// grants from a later instant, so this deadline never passes after the database's expiry,
// clocks running at the same rate). At that deadline, or at once when a renewal says the
// lease was taken over, it is deposed: leader work must stop. Fenced writes
// (LeaderLease::FencedStore) are what keep a deposed leader from writing in between; the
// deadline only stops it from trying.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "odmd/base/clock.h"
#include "odmd/base/status.h"
#include "odmd/store/leader_lease.h"

namespace odmd::reconcile {

struct LeaderLoopOptions {
  // How long a grant or renewal lasts: the lease's LeaseOptions::duration.
  std::chrono::milliseconds duration{5000};
  // How often the leader renews and a follower tries to take over. With the defaults a
  // failover (leader killed -> a follower leads) takes 5 to 6 s.
  std::chrono::milliseconds renew_interval{1000};
};

// Called on the thread that runs Step (the loop's own after Start), one at a time.
struct LeaderCallbacks {
  // This replica leads, at `epoch`, from now on.
  std::function<void(store::Epoch epoch)> elected;
  // It no longer leads: `why` is the lost lease (kAborted) or the renewal error that lasted
  // past the deadline. Leader work must stop.
  std::function<void(store::Epoch epoch, const Status& why)> deposed;
};

// Thread-safe.
class LeaderLoop {
 public:
  // REQUIRES: `lease` and `clock` outlive the loop; options.renew_interval < duration.
  LeaderLoop(store::LeaderLease& lease, Clock& clock, LeaderLoopOptions options,
             LeaderCallbacks callbacks);
  ~LeaderLoop();  // Stop()
  LeaderLoop(const LeaderLoop&) = delete;
  LeaderLoop& operator=(const LeaderLoop&) = delete;

  // One round: a follower tries to take the lease, a leader renews it (or is deposed).
  // Returns the lease call's error, if any (kUnavailable: the database is unreachable).
  Status Step();
  // Runs Step every renew_interval on a thread of its own, until Stop.
  void Start();
  // Stops the thread (the lease is kept: Release gives it up).
  void Stop();
  // Gives the lease up if this replica leads (after its leader work has stopped), so a
  // follower takes over at once instead of after the expiry.
  Status Release();

  // The epoch while this replica leads.
  std::optional<store::Epoch> epoch() const;

 private:
  Status StepLocked();
  Status RenewLocked();
  void DeposeLocked(const Status& why);

  store::LeaderLease& lease_;
  Clock& clock_;
  const LeaderLoopOptions options_;
  const LeaderCallbacks callbacks_;

  mutable std::mutex step_mu_;                        // one Step at a time
  std::optional<store::Epoch> epoch_;                 // guarded by step_mu_ and state_mu_
  std::chrono::steady_clock::time_point deadline_{};  // guarded by step_mu_

  mutable std::mutex state_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by state_mu_
  std::thread thread_;
};

}  // namespace odmd::reconcile
