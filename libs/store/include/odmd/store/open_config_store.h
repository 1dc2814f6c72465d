#pragma once

// OpenConfigStore: picks the backend from the store URL through one scheme table.

#include <chrono>
#include <memory>
#include <string>

#include "odmd/base/status.h"
#include "odmd/store/config_store.h"

namespace odmd::store {

struct StoreOptions {
  // Where the store lives:
  //   "sqlite:<path>"    a SQLite file (created, with its parent directory, if missing)
  //   "sqlite::memory:"  a private in-memory SQLite store (gone when closed)
  //   "postgres://[user[:password]@]host[:port]/db[?param=value&...]"
  //   "postgresql://..." a PostgreSQL database, shared by every process that opens it (the
  //                      schema is created if missing). The URL goes to libpq as given, so
  //                      libpq's parameters work: "postgresql:///db?host=/socket/dir".
  std::string url = "sqlite:./.odmd/state.db";

  // Durability. true: a write is acknowledged only after it is on disk (SQLite
  // synchronous=FULL, PostgreSQL synchronous_commit=on). false: committed writes may be
  // lost on power failure (or, for PostgreSQL, a server crash), never corrupted
  // (synchronous=NORMAL, synchronous_commit=off).
  bool durable = true;

  // How long a write waits for a lock held by another process before kUnavailable
  // (PostgreSQL: lock_timeout of the write connection).
  std::chrono::milliseconds busy_timeout{5000};
};

// The store named by `options.url`.
// kInvalidArgument for a URL without a scheme, an unknown scheme (named), an empty path or
// a PostgreSQL URL libpq cannot parse; kFailedPrecondition when the file or database is not
// an odmd store (not a database, another application's database or table of the same
// name, a newer schema, corrupt), naming the path or database; kUnavailable when the file
// cannot be opened or the server cannot be reached (naming host and database). Messages
// never contain a password.
Result<ConfigStorePtr> OpenConfigStore(const StoreOptions& options);

}  // namespace odmd::store
