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
  std::string url = "sqlite:./.odmd/state.db";

  // Durability. true: a write is acknowledged only after it is on disk (SQLite
  // synchronous=FULL). false: committed writes may be lost on power failure, never
  // corrupted (synchronous=NORMAL).
  bool durable = true;

  // How long a write waits for a lock held by another process before kUnavailable.
  std::chrono::milliseconds busy_timeout{5000};
};

// The store named by `options.url`.
// kInvalidArgument for a URL without a scheme, an unknown scheme (named) or an empty
// path; kFailedPrecondition when the file is not an odmd store (not a database, another
// application's database, a newer schema, corrupt), naming the path; kUnavailable when
// the file cannot be opened.
Result<ConfigStorePtr> OpenConfigStore(const StoreOptions& options);

}  // namespace odmd::store
