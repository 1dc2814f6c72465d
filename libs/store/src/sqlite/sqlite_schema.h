#pragma once

// The SQLite store's schema (kCreateLog and kCreateHead in the .cc file), version 2:
// - log: the append-only record of every put and delete, keyed by the store-wide revision,
//   with a unique (version, key) index. Version first, so the rows a write adds to the
//   index land beside the other keys' rows of the same version (the same few pages for a
//   batch that rewrites a set of keys) instead of beside the key's own older versions
//   (a page per key, once the history is longer than a page per key).
// - head: each key's latest revision, updated in place by a trigger on log, so finding the
//   latest record costs the same however long the key's history, and a program writing the
//   log directly keeps it right.
// Version 1 had no head table and a (key, version) index: an old file is migrated in place,
// in the transaction that opens it.

#include <cstdint>

#include "odmd/base/status.h"
#include "sqlite/sqlite_db.h"

namespace odmd::store::sqlite {

// PRAGMA user_version: the schema version this code reads and writes. Never reuse a number.
inline constexpr std::int64_t kSchemaVersion = 2;

// Creates the schema in an empty database, migrates an older odmd schema to the current
// one, or checks that an existing one is ours, in one transaction: a failed migration
// leaves the file as it was. kFailedPrecondition naming the file when it is not an odmd
// store (another application's database, a corrupt file) or has a newer schema.
Status CheckOrCreateSchema(Connection& conn);

// PRAGMA synchronous = FULL (durable) or NORMAL, for the connection's life. The first thing
// to run on a connection that writes (sqlite_wal_vfs.h), so the first to read the file: the
// same kFailedPrecondition as CheckOrCreateSchema when it is not a database.
Status SetSynchronous(Connection& conn, bool durable);

}  // namespace odmd::store::sqlite
