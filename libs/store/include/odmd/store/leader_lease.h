#pragma once

// LeaderLease: which of the `odmd serve` replicas sharing a store runs the platform's
// leader-only work, and the fencing that keeps a replica that lost the lease from writing
// (docs/platform.md, "Replicas"). Made by ConfigStore::NewLeaderLease.
//
// - PostgreSQL: a row of the table odmd_lease (holder, epoch, expiry). Expiry is decided by
//   the database's clock alone: Acquire takes the lease when nobody holds it or its expiry
//   has passed by the database's now(), with the epoch one higher than before; Renew extends
//   the expiry only while the epoch and the holder are still this replica's. A fenced store
//   (FencedStore) checks, in the transaction of each of its writes, that the lease's epoch
//   is still the one it was made with, holding the lease row FOR SHARE until it commits: a
//   takeover's UPDATE of that row waits for the write, and a write that comes after the
//   takeover sees the new epoch and writes nothing. So no fenced write of epoch N commits
//   after the takeover that made epoch N + 1 has committed.
// - SQLite (embedded mode): one process at a time may hold the lease, by an exclusive POSIX
//   record lock on the file "<store path>.lease" that the kernel drops when the process dies
//   (even if a child it forked has not exec'd yet).
//   The file names the holder (pid, host, address) for the refusal message. The epoch is
//   always 1: no other process can write as leader while the lock is held, so the fenced
//   store is the store itself.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "odmd/base/status.h"
#include "odmd/store/config_store.h"

namespace odmd::store {

// A lease's fencing token: each takeover makes it one higher. 0 means "never held".
using Epoch = std::int64_t;

struct LeaseOptions {
  // The lease's name; every replica of one platform uses the same.
  std::string name = "leader";
  // This replica's id, unique among the replicas of a store and never reused (for example
  // "<host>:<pid>:<start time>"). Required.
  std::string replica_id;
  // Where this replica serves its API, shown to the others ("http://10.0.0.5:7780").
  std::string address;
  // How long a grant or a renewal lasts, by the database's clock. A holder must renew well
  // within it (every duration / 5 by default, see reconcile::LeaderLoop).
  std::chrono::milliseconds duration{5000};
};

// One replica as the store knows it. Times are milliseconds since the Unix epoch by the
// database's clock (SQLite: this host's).
struct ReplicaInfo {
  std::string id;
  std::string address;
  std::int64_t started_at_ms = 0;
  std::int64_t last_heartbeat_ms = 0;
};

// The lease as the store knows it (Current).
struct LeaseState {
  // The replica that took the lease last ("" if nobody ever did) and its address.
  std::string holder;
  std::string holder_address;
  Epoch epoch = 0;
  std::int64_t acquired_at_ms = 0;
  std::int64_t expires_at_ms = 0;
  // The database's clock when this was read: the lease is held while now_ms < expires_at_ms.
  std::int64_t now_ms = 0;
  // Every replica that recorded a heartbeat in the last hour, by id.
  std::vector<ReplicaInfo> replicas;

  bool held() const { return !holder.empty() && now_ms < expires_at_ms; }
};

// Thread-safe. REQUIRES: destroyed before the store that made it.
class LeaderLease {
 public:
  virtual ~LeaderLease() = default;

  // Takes the lease if nobody holds it (never taken, released, or expired by the database's
  // clock) and returns the new epoch; std::nullopt while another replica holds it. Records
  // this replica's heartbeat either way. kUnavailable when the database cannot be reached or
  // a lock on the lease is not granted in time (try again later).
  // The caller times its own deadline from before the call: the lease is certainly held
  // until (time the call started) + duration, by a clock that runs no slower than the
  // database's.
  virtual Result<std::optional<Epoch>> Acquire() = 0;

  // Extends the lease held at `epoch` to the database's now + duration, and records the
  // heartbeat. kAborted ("lease lost: ...") when the epoch or the holder changed (another
  // replica took over): the caller must stop leader work. kUnavailable as Acquire: the lease
  // may still be held, until the caller's own deadline.
  virtual Status Renew(Epoch epoch) = 0;

  // Gives the lease held at `epoch` up at once (a successor need not wait for its expiry)
  // and removes this replica from the replicas. OK if it was lost already.
  virtual Status Release(Epoch epoch) = 0;

  // The lease's holder, epoch and times, and the replicas' heartbeats.
  virtual Result<LeaseState> Current() = 0;

  // A view of the store whose every write (Put, Delete, WriteBatch) commits only while the
  // lease's epoch is `epoch`: otherwise it writes nothing and fails with kAborted,
  // "lease lost: epoch 7 is no longer the leader's (now 8)". Reads and watches are the
  // store's. REQUIRES: the store outlives the view.
  virtual Result<ConfigStorePtr> FencedStore(Epoch epoch) = 0;
};
using LeaderLeasePtr = std::unique_ptr<LeaderLease>;

// The message of a fenced write refused because the lease moved on ("lease lost: epoch 7 is
// no longer the leader's (now 8)"); `current` 0 when the lease row is missing.
Status LeaseLostError(Epoch epoch, Epoch current);
// True for a write refused by a fence, or a renewal refused, because the lease moved on
// (kAborted "lease lost: ..."): trying again cannot succeed.
bool IsLeaseLost(const Status& s);

}  // namespace odmd::store
