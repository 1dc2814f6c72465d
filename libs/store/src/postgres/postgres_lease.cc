#include "postgres/postgres_lease.h"

#include <algorithm>
#include <string>
#include <utility>

#include "odmd/base/strings.h"
#include "odmd/store/forwarding_config_store.h"

namespace odmd::store::postgres {
namespace {

// Takes the lease when it has no row or its expiry has passed by the database's clock;
// returns the new epoch (no row: held).
const PgStatement kAcquire{
    "odmd_lease_acquire",
    "INSERT INTO odmd_lease AS l (name, holder, address, epoch, acquired_at, expires_at) "
    "VALUES ($1, $2, $3, 1, now(), now() + $4::float8 * interval '1 millisecond') "
    "ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, address = EXCLUDED.address, "
    "epoch = l.epoch + 1, acquired_at = EXCLUDED.acquired_at, expires_at = EXCLUDED.expires_at "
    "WHERE l.expires_at <= now() RETURNING l.epoch",
    {kTextOid, kTextOid, kTextOid, kInt8Oid},
    {kInt8Oid}};
// Extends the lease while the holder and the epoch are still the caller's.
const PgStatement kRenew{
    "odmd_lease_renew",
    "UPDATE odmd_lease SET expires_at = now() + $4::float8 * interval '1 millisecond' "
    "WHERE name = $1 AND holder = $2 AND epoch = $3 RETURNING epoch",
    {kTextOid, kTextOid, kInt8Oid, kInt8Oid},
    {kInt8Oid}};
const PgStatement kRelease{"odmd_lease_release",
                           "UPDATE odmd_lease SET expires_at = least(expires_at, now()) "
                           "WHERE name = $1 AND holder = $2 AND epoch = $3 RETURNING epoch",
                           {kTextOid, kTextOid, kInt8Oid},
                           {kInt8Oid}};
const PgStatement kForget{"odmd_replica_forget",
                          "DELETE FROM odmd_replicas WHERE id = $1 RETURNING id",
                          {kTextOid},
                          {kTextOid}};
// Records the caller's heartbeat and forgets replicas silent for an hour.
const PgStatement kHeartbeat{
    "odmd_replica_heartbeat",
    "WITH gone AS (DELETE FROM odmd_replicas WHERE last_heartbeat < now() - interval '1 hour' "
    "AND id <> $1) INSERT INTO odmd_replicas AS r (id, address, started_at, last_heartbeat) "
    "VALUES ($1, $2, now(), now()) ON CONFLICT (id) DO UPDATE SET address = EXCLUDED.address, "
    "last_heartbeat = EXCLUDED.last_heartbeat RETURNING r.id",
    {kTextOid, kTextOid},
    {kTextOid}};
// Times as milliseconds since the Unix epoch, by the database's clock; one row even
// without a lease row (NULLs but the clock).
const PgStatement kSelectLease{
    "odmd_lease_current",
    "SELECT l.holder, l.address, l.epoch, (extract(epoch FROM l.acquired_at) * 1000)::bigint, "
    "(extract(epoch FROM l.expires_at) * 1000)::bigint, (extract(epoch FROM n.now) * 1000)::bigint "
    "FROM (SELECT now() AS now) AS n LEFT JOIN odmd_lease AS l ON l.name = $1",
    {kTextOid},
    {kTextOid, kTextOid, kInt8Oid, kInt8Oid, kInt8Oid, kInt8Oid}};
const PgStatement kSelectReplicas{
    "odmd_replicas_current",
    "SELECT id, address, (extract(epoch FROM started_at) * 1000)::bigint, "
    "(extract(epoch FROM last_heartbeat) * 1000)::bigint FROM odmd_replicas "
    "WHERE last_heartbeat >= now() - interval '1 hour' ORDER BY id",
    {},
    {kTextOid, kTextOid, kInt8Oid, kInt8Oid}};
const PgStatement kSelectHolder{"odmd_lease_holder",
                                "SELECT holder, epoch FROM odmd_lease WHERE name = $1",
                                {kTextOid},
                                {kTextOid, kInt8Oid}};

// The fenced view: reads and watches go to the store, writes through its fence.
class FencedPostgresStore final : public ForwardingConfigStore {
 public:
  FencedPostgresStore(PostgresConfigStore& store, PostgresConfigStore::Fence fence)
      : ForwardingConfigStore(store), store_(store), fence_(std::move(fence)) {}

  Result<WriteResult> Put(std::string_view key, std::string_view value,
                          std::optional<Revision> if_revision) override {
    return store_.FencedPut(fence_, key, value, if_revision);
  }
  Result<WriteResult> Delete(std::string_view key, std::optional<Revision> if_revision) override {
    return store_.FencedDelete(fence_, key, if_revision);
  }
  Result<std::vector<WriteResult>> WriteBatch(std::span<const BatchOp> ops) override {
    return store_.FencedWriteBatch(fence_, ops);
  }

 private:
  PostgresConfigStore& store_;
  const PostgresConfigStore::Fence fence_;
};

}  // namespace

PostgresLeaderLease::PostgresLeaderLease(PostgresConfigStore& store, LeaseOptions options)
    : store_(store), options_(std::move(options)) {}

Result<PgConnection*> PostgresLeaderLease::ConnectLocked() {
  if (conn_ != nullptr && !conn_->broken()) return conn_.get();
  conn_.reset();
  ODMD_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn,
                        PgConnection::Connect(store_.url(), store_.target()));
  const long long duration_ms = options_.duration.count();
  const std::string settings =
      "SET lock_timeout = " + std::to_string(std::max<long long>(1, duration_ms / 2)) +
      "; SET statement_timeout = " + std::to_string(duration_ms) +
      "; SET synchronous_commit = " + (store_.options().durable ? "on" : "off");
  ODMD_RETURN_IF_ERROR(conn->Exec(settings.c_str()));
  conn_ = std::move(conn);
  return conn_.get();
}

Status PostgresLeaderLease::HeartbeatLocked(PgConnection& conn) {
  PgParams params;
  params.Text(options_.replica_id).Text(options_.address);
  return conn.Run(kHeartbeat, params).status();
}

Result<std::optional<Epoch>> PostgresLeaderLease::Acquire() {
  std::lock_guard lock(mu_);
  ODMD_ASSIGN_OR_RETURN(PgConnection * conn, ConnectLocked());
  ODMD_RETURN_IF_ERROR(HeartbeatLocked(*conn));
  PgParams params;
  params.Text(options_.name)
      .Text(options_.replica_id)
      .Text(options_.address)
      .Int64(options_.duration.count());
  ODMD_ASSIGN_OR_RETURN(PgRows rows, conn->Run(kAcquire, params));
  if (rows.rows() == 0) return std::optional<Epoch>();
  return std::optional<Epoch>(rows.Int64(0, 0));
}

std::string PostgresLeaderLease::DescribeHolderLocked(PgConnection& conn) {
  PgParams params;
  params.Text(options_.name);
  Result<PgRows> rows = conn.Run(kSelectHolder, params);
  if (!rows.ok()) return "";
  if (rows->rows() == 0) return "; the lease is gone";
  return "; now epoch " + std::to_string(rows->Int64(0, 1)) + " of replica " +
         Quote(rows->Bytes(0, 0));
}

Status PostgresLeaderLease::Renew(Epoch epoch) {
  std::lock_guard lock(mu_);
  ODMD_ASSIGN_OR_RETURN(PgConnection * conn, ConnectLocked());
  PgParams params;
  params.Text(options_.name)
      .Text(options_.replica_id)
      .Int64(epoch)
      .Int64(options_.duration.count());
  ODMD_ASSIGN_OR_RETURN(PgRows rows, conn->Run(kRenew, params));
  if (rows.rows() == 0) {
    return AbortedError("lease lost: " + Quote(options_.name) + " epoch " + std::to_string(epoch) +
                        " of replica " + Quote(options_.replica_id) + " was taken over" +
                        DescribeHolderLocked(*conn));
  }
  return HeartbeatLocked(*conn);
}

Status PostgresLeaderLease::Release(Epoch epoch) {
  std::lock_guard lock(mu_);
  ODMD_ASSIGN_OR_RETURN(PgConnection * conn, ConnectLocked());
  PgParams params;
  params.Text(options_.name).Text(options_.replica_id).Int64(epoch);
  ODMD_RETURN_IF_ERROR(conn->Run(kRelease, params));
  PgParams forget;
  forget.Text(options_.replica_id);
  return conn->Run(kForget, forget).status();
}

Result<LeaseState> PostgresLeaderLease::Current() {
  std::lock_guard lock(mu_);
  ODMD_ASSIGN_OR_RETURN(PgConnection * conn, ConnectLocked());
  PgParams params;
  params.Text(options_.name);
  ODMD_ASSIGN_OR_RETURN(PgRows lease, conn->Run(kSelectLease, params));
  LeaseState state;
  state.now_ms = lease.Int64(0, 5);
  if (!lease.IsNull(0, 0)) {
    state.holder = lease.Bytes(0, 0);
    state.holder_address = lease.Bytes(0, 1);
    state.epoch = lease.Int64(0, 2);
    state.acquired_at_ms = lease.Int64(0, 3);
    state.expires_at_ms = lease.Int64(0, 4);
  }
  ODMD_ASSIGN_OR_RETURN(PgRows replicas, conn->Run(kSelectReplicas, PgParams()));
  for (int i = 0; i < replicas.rows(); ++i) {
    state.replicas.push_back(ReplicaInfo{replicas.Bytes(i, 0), replicas.Bytes(i, 1),
                                         replicas.Int64(i, 2), replicas.Int64(i, 3)});
  }
  return state;
}

Result<ConfigStorePtr> PostgresLeaderLease::FencedStore(Epoch epoch) {
  if (epoch < 1) {
    return InvalidArgumentError("lease " + Quote(options_.name) + ": epoch " +
                                std::to_string(epoch) + " was never granted");
  }
  return ConfigStorePtr(std::make_unique<FencedPostgresStore>(
      store_, PostgresConfigStore::Fence{options_.name, epoch}));
}

}  // namespace odmd::store::postgres
