#pragma once

// SqliteLeaderLease: the embedded store's leader lease, an exclusive POSIX record lock
// (fcntl F_SETLK) on the file "<store path>.lease" (not on the database file: closing any
// descriptor of that file would drop SQLite's own POSIX locks). The lock belongs to the
// process: the kernel releases it when the holding process dies, even while a child it forked
// still has the file open (a flock(2) would stay with that child until it execs or exits), so
// a crashed server never blocks the next one. Leases of one process on one file exclude each
// other through a process-wide table of the files this process holds. While held, the file names
// the holder (its replica id, address and start) for the refusal message of a second server. An
// in-memory store cannot be shared: its lease is granted to the first Acquire. The epoch is
// always 1. Thread-safe (one mutex).

#include <sys/types.h>

#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "odmd/store/leader_lease.h"

namespace odmd::store::sqlite {

class SqliteLeaderLease final : public LeaderLease {
 public:
  // `lock_path` empty for an in-memory store. REQUIRES: ValidateLeaseOptions(options) is
  // OK; `store` outlives the lease.
  SqliteLeaderLease(ConfigStore& store, std::string lock_path, LeaseOptions options);
  ~SqliteLeaderLease() override;

  // LeaderLease
  Result<std::optional<Epoch>> Acquire() override;
  Status Renew(Epoch epoch) override;
  Status Release(Epoch epoch) override;
  Result<LeaseState> Current() override;
  Result<ConfigStorePtr> FencedStore(Epoch epoch) override;

 private:
  // The holder as the lock file names it, when another process holds the lock.
  Result<std::optional<LeaseState>> ReadOtherHolderLocked();
  Status CheckHeldLocked(Epoch epoch) const;
  void UnlockLocked();

  ConfigStore& store_;
  const std::string lock_path_;
  const LeaseOptions options_;
  std::mutex mu_;
  bool held_ = false;             // guarded by mu_
  int fd_ = -1;                   // guarded by mu_: the locked file while held (file store)
  std::pair<dev_t, ino_t> key_;   // guarded by mu_: its device and inode while held
  std::int64_t acquired_ms_ = 0;  // guarded by mu_
};

}  // namespace odmd::store::sqlite
