#pragma once

// The PostgreSQL store's schema (kCreateSchema in the .cc file): an append-only log keyed by
// the store-wide revision with a unique (key, version) index, a one-row head table that
// serialises writers, the function odmd_write that applies one group of writes, and the
// leader lease with odmd_fenced_write (version 2).

#include "odmd/base/status.h"
#include "postgres/pg_connection.h"

namespace odmd::store::postgres {

// The schema version this code reads and writes. Never reuse a number.
// 1: the log, the head and odmd_write. 2: the leader lease (odmd_lease, odmd_replicas,
// odmd_fenced_write).
inline constexpr std::int64_t kSchemaVersion = 2;

// odmd_write notifies this channel when it commits; the payload is the latest revision.
// The notification is only a wake-up: watchers read the log.
inline constexpr const char* kListenSql = "LISTEN odmd_store";

// Creates the schema in a database that holds none of the store's objects, or checks that
// the one there is an odmd store this code can read and migrates it to kSchemaVersion. Concurrent
// openers of an empty database are serialised (an advisory lock), so exactly one creates it.
// kFailedPrecondition naming the database when it holds a table of the same name that is
// not the store's, or a newer schema; kUnavailable when the connection is lost.
Status CheckOrCreateSchema(PgConnection& conn);

}  // namespace odmd::store::postgres
