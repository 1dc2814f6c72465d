#include "postgres/postgres_schema.h"

#include <string>

#include "odmd/base/strings.h"

namespace odmd::store::postgres {
namespace {

// Schema version 1. Tables, columns and the function's signature are stored: never rename
// or renumber them; a change is a new version with a migration.
//
// odmd_write applies a group of writes in order, in the caller's transaction (one
// statement, so one round trip and one commit per group). It locks the head row first, so
// writers in every process take revisions one transaction at a time: revisions are
// gapless (a sequence would not be) and commit in revision order. Per op it returns
// o_outcome 0 (written: o_revision, o_version, o_previous), 1 (lost compare-and-set:
// o_revision is the key's current revision) or 2 (delete of an absent key). An if-revision
// below 0 means "no condition".
constexpr const char* kCreateSchema = R"sql(
CREATE TABLE odmd_meta (
  id             integer PRIMARY KEY CHECK (id = 1),
  application    text NOT NULL,     -- always 'odmd': marks the database as an odmd store
  schema_version integer NOT NULL,
  head_revision  bigint NOT NULL    -- the latest revision; writers lock this row
);
CREATE TABLE odmd_log (
  revision          bigint PRIMARY KEY CHECK (revision > 0),  -- store-wide, gapless from 1
  key               bytea NOT NULL,                            -- compared bytewise
  version           bigint NOT NULL CHECK (version > 0),       -- per key, gapless from 1
  tombstone         boolean NOT NULL,
  value             bytea NOT NULL,                            -- empty for a tombstone
  previous_revision bigint NOT NULL                            -- the key's previous record, 0 if none
);
CREATE UNIQUE INDEX odmd_log_key_version ON odmd_log (key, version);
CREATE FUNCTION odmd_write(p_keys bytea[], p_values bytea[], p_tombstones boolean[],
                           p_if_revisions bigint[])
RETURNS TABLE (o_index bigint, o_outcome bigint, o_revision bigint, o_version bigint,
               o_previous bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  op record;
  v_head bigint;
  v_first bigint;
  v_revision bigint;
  v_version bigint;
  v_tombstone boolean;
  v_current bigint;
BEGIN
  SELECT m.head_revision INTO v_head FROM odmd_meta AS m WHERE m.id = 1 FOR UPDATE;
  v_first := v_head;
  FOR op IN SELECT * FROM unnest(p_keys, p_values, p_tombstones, p_if_revisions)
                          WITH ORDINALITY AS t(k, v, dead, if_revision, i) LOOP
    SELECT l.revision, l.version, l.tombstone INTO v_revision, v_version, v_tombstone
      FROM odmd_log AS l WHERE l.key = op.k ORDER BY l.version DESC LIMIT 1;
    IF NOT FOUND THEN
      v_revision := 0;
      v_version := 0;
      v_tombstone := true;
    END IF;
    v_current := CASE WHEN v_tombstone THEN 0 ELSE v_revision END;
    o_index := op.i;
    o_version := v_version;
    o_previous := v_revision;
    IF op.if_revision >= 0 AND op.if_revision <> v_current THEN
      o_outcome := 1;
      o_revision := v_current;
    ELSIF op.dead AND v_tombstone THEN
      o_outcome := 2;
      o_revision := 0;
    ELSE
      v_head := v_head + 1;
      INSERT INTO odmd_log (revision, key, version, tombstone, value, previous_revision)
        VALUES (v_head, op.k, v_version + 1, op.dead,
                CASE WHEN op.dead THEN ''::bytea ELSE op.v END, v_revision);
      o_outcome := 0;
      o_revision := v_head;
      o_version := v_version + 1;
    END IF;
    RETURN NEXT;
  END LOOP;
  IF v_head > v_first THEN
    UPDATE odmd_meta SET head_revision = v_head WHERE id = 1;
    PERFORM pg_notify('odmd_store', v_head::text);
  END IF;
END
$fn$;
INSERT INTO odmd_meta (id, application, schema_version, head_revision) VALUES (1, 'odmd', 1, 0);
)sql";

// Schema version 2: the leader lease of the replicas sharing the store (leader_lease.h).
// Only tables and a function are added, so a version 1 store is migrated in place by the
// first opener of this code (under the same advisory lock as creation).
//
// odmd_lease holds one row per lease name; its epoch grows by one at each takeover.
// odmd_replicas holds each replica's latest heartbeat. odmd_fenced_write is odmd_write
// behind a fence: it reads the lease row FOR SHARE first, so a takeover (an UPDATE of the
// row) waits for the write to commit, and a write that waited for a takeover sees the new
// epoch. A mismatch returns one row with o_outcome 3 and o_revision the lease's current
// epoch (0 without a row), and writes nothing.
constexpr const char* kMigrateTo2 = R"sql(
CREATE TABLE odmd_lease (
  name        text PRIMARY KEY,
  holder      text NOT NULL,                          -- the replica id that took it last
  address     text NOT NULL,                          -- where that replica serves its API
  epoch       bigint NOT NULL CHECK (epoch > 0),      -- +1 at every takeover
  acquired_at timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL                    -- by the database's clock
);
CREATE TABLE odmd_replicas (
  id             text PRIMARY KEY,
  address        text NOT NULL,
  started_at     timestamptz NOT NULL,
  last_heartbeat timestamptz NOT NULL
);
CREATE FUNCTION odmd_fenced_write(p_lease text, p_epoch bigint, p_keys bytea[],
                                  p_values bytea[], p_tombstones boolean[],
                                  p_if_revisions bigint[])
RETURNS TABLE (o_index bigint, o_outcome bigint, o_revision bigint, o_version bigint,
               o_previous bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_epoch bigint;
BEGIN
  SELECT l.epoch INTO v_epoch FROM odmd_lease AS l WHERE l.name = p_lease FOR SHARE;
  IF v_epoch IS DISTINCT FROM p_epoch THEN
    o_index := 0;
    o_outcome := 3;
    o_revision := coalesce(v_epoch, 0);
    o_version := 0;
    o_previous := 0;
    RETURN NEXT;
    RETURN;
  END IF;
  RETURN QUERY SELECT * FROM odmd_write(p_keys, p_values, p_tombstones, p_if_revisions);
END
$fn$;
UPDATE odmd_meta SET schema_version = 2 WHERE id = 1;
)sql";

// "odmd": the advisory lock that serialises schema creation.
constexpr const char* kLockSchema = "SELECT pg_advisory_xact_lock(1868852580)";

constexpr const char* kSelectObjects =
    "SELECT to_regclass('odmd_meta') IS NOT NULL, to_regclass('odmd_log') IS NOT NULL, "
    "to_regprocedure('odmd_write(bytea[],bytea[],boolean[],bigint[])') IS NOT NULL";

constexpr const char* kSelectMeta = "SELECT application, schema_version::bigint FROM odmd_meta";

Status NotOdmdStore(PgConnection& conn, const std::string& why) {
  const char* db = PQdb(conn.raw());
  return FailedPreconditionError("store " + Quote(conn.target().label) + ": database " +
                                 Quote(db != nullptr ? db : "") + " is not an odmd store: " + why);
}

// The schema version of an odmd store (CheckMeta has passed).
Result<std::int64_t> SchemaVersion(PgConnection& conn) {
  ODMD_ASSIGN_OR_RETURN(PgRows meta, conn.Query(kSelectMeta, PgParams(), {kTextOid, kInt8Oid}));
  return meta.Int64(0, 1);
}

// Brings a store this code can read up to kSchemaVersion.
Status Migrate(PgConnection& conn) {
  ODMD_ASSIGN_OR_RETURN(std::int64_t version, SchemaVersion(conn));
  if (version < 2) ODMD_RETURN_IF_ERROR(conn.Exec(kMigrateTo2));
  return OkStatus();
}

Status CheckMeta(PgConnection& conn, bool has_log, bool has_write) {
  Result<PgRows> meta = conn.Query(kSelectMeta, PgParams(), {kTextOid, kInt8Oid});
  if (!meta.ok()) {
    if (IsFailedPrecondition(meta.status()) || meta.status().code() == StatusCode::kInternal) {
      return NotOdmdStore(conn, "its table \"odmd_meta\" is another application's (" +
                                    meta.status().message() + ")");
    }
    return meta.status();
  }
  if (meta->rows() != 1 || meta->Bytes(0, 0) != "odmd") {
    return NotOdmdStore(conn, "its table \"odmd_meta\" is another application's");
  }
  const std::int64_t version = meta->Int64(0, 1);
  if (version > kSchemaVersion) {
    const char* db = PQdb(conn.raw());
    return FailedPreconditionError("store " + Quote(conn.target().label) + ": database " +
                                   Quote(db != nullptr ? db : "") + " has store schema version " +
                                   std::to_string(version) + ", newer than this odmd reads (" +
                                   std::to_string(kSchemaVersion) + ")");
  }
  if (version < 1) return NotOdmdStore(conn, "it has no schema version");
  if (!has_log || !has_write) {
    return NotOdmdStore(conn, has_log ? "the function \"odmd_write\" is missing"
                                      : "the table \"odmd_log\" is missing");
  }
  return OkStatus();
}

Status CheckOrCreateLocked(PgConnection& conn) {
  ODMD_RETURN_IF_ERROR(conn.Exec(kLockSchema));
  ODMD_ASSIGN_OR_RETURN(PgRows objects,
                        conn.Query(kSelectObjects, PgParams(), {kBoolOid, kBoolOid, kBoolOid}));
  const bool has_meta = objects.Bool(0, 0);
  const bool has_log = objects.Bool(0, 1);
  const bool has_write = objects.Bool(0, 2);
  if (!has_meta && !has_log && !has_write) {
    ODMD_RETURN_IF_ERROR(conn.Exec(kCreateSchema));
    return Migrate(conn);
  }
  if (!has_meta) {
    return NotOdmdStore(conn, has_log ? "it has a table \"odmd_log\" but no \"odmd_meta\""
                                      : "it has a function \"odmd_write\" but no \"odmd_meta\"");
  }
  ODMD_RETURN_IF_ERROR(CheckMeta(conn, has_log, has_write));
  return Migrate(conn);
}

}  // namespace

Status CheckOrCreateSchema(PgConnection& conn) {
  ODMD_RETURN_IF_ERROR(conn.Exec("BEGIN"));
  Status status = CheckOrCreateLocked(conn);
  if (!status.ok()) {
    (void)conn.Exec("ROLLBACK");
    return status;
  }
  return conn.Exec("COMMIT");
}

}  // namespace odmd::store::postgres
