#pragma once

// PostgresLeaderLease: the leader lease in the table odmd_lease (schema version 2,
// postgres_schema.cc), on a connection of its own so that renewals never queue behind the
// store's writes. Its statements run with lock_timeout duration / 2 and statement_timeout
// duration, so a call never outlasts the lease it is about. Thread-safe (one mutex around
// the connection).

#include <memory>
#include <mutex>
#include <optional>

#include "odmd/store/leader_lease.h"
#include "postgres/pg_connection.h"
#include "postgres/postgres_config_store.h"

namespace odmd::store::postgres {

class PostgresLeaderLease final : public LeaderLease {
 public:
  // REQUIRES: ValidateLeaseOptions(options) is OK; `store` outlives the lease.
  PostgresLeaderLease(PostgresConfigStore& store, LeaseOptions options);

  // LeaderLease
  Result<std::optional<Epoch>> Acquire() override;
  Status Renew(Epoch epoch) override;
  Status Release(Epoch epoch) override;
  Result<LeaseState> Current() override;
  Result<ConfigStorePtr> FencedStore(Epoch epoch) override;

 private:
  // The lease's connection, (re)connected and configured. REQUIRES: mu_ held.
  Result<PgConnection*> ConnectLocked();
  Status HeartbeatLocked(PgConnection& conn);
  // The lease's epoch and holder now, for a lost-lease message.
  std::string DescribeHolderLocked(PgConnection& conn);

  PostgresConfigStore& store_;
  const LeaseOptions options_;
  std::mutex mu_;
  std::unique_ptr<PgConnection> conn_;  // guarded by mu_
};

}  // namespace odmd::store::postgres
