#pragma once

// Thin RAII wrappers over the SQLite C API, returning Status instead of result codes.
// Not thread-safe: a Connection (and its statements) is used by one thread at a time.

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "odmd/base/status.h"

namespace odmd::store::sqlite {

// Maps a SQLite result code to a Status: busy/locked/I/O/full -> kUnavailable,
// not-a-database/corrupt -> kFailedPrecondition, anything else -> kInternal.
Status SqliteError(sqlite3* db, int rc, std::string_view context);

class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void BindText(int index, std::string_view text);
  void BindBlob(int index, std::string_view bytes);
  void BindInt64(int index, std::int64_t value);

  // true when a row is available, false when the statement is done.
  Result<bool> Step();
  // Resets the statement and clears its bindings, ready for the next use.
  void Reset();

  std::int64_t ColumnInt64(int index) const { return sqlite3_column_int64(stmt_, index); }
  std::string ColumnBytes(int index) const;

 private:
  sqlite3_stmt* stmt_;
};

// Resets a cached statement when it goes out of scope, so an early return cannot leave a
// read transaction open.
class StatementUse {
 public:
  explicit StatementUse(Statement& stmt) : stmt_(stmt) {}
  ~StatementUse() { stmt_.Reset(); }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;
  Statement* operator->() { return &stmt_; }

 private:
  Statement& stmt_;
};

class Connection {
 public:
  // Opens `path` (":memory:" for a private in-memory database). `create` allows creating
  // a missing file; `vfs` names the SQLite VFS (nullptr: the default). kUnavailable naming
  // the path if it cannot be opened.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, bool create,
                                                  int busy_timeout_ms, const char* vfs = nullptr);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements that return no rows of interest.
  Status Exec(const char* sql);
  // Runs one statement that returns no rows of interest through the statement cache (no
  // parsing after the first use: BEGIN, COMMIT, ROLLBACK on the write path).
  // REQUIRES: `sql` is a string literal, as for Cached.
  Status Run(const char* sql);
  // The statement for `sql`, prepared on first use and kept for the connection's life.
  // REQUIRES: `sql` is a string literal (the cache is keyed by its address).
  Result<Statement*> Cached(const char* sql);
  // The first column of the first row of `sql` as an integer.
  Result<std::int64_t> QueryInt64(const char* sql);
  // The first column of the first row of `sql` as text.
  Result<std::string> QueryText(const char* sql);

  // The first region of the database's shared-memory WAL index (the start of the -shm
  // file) as SQLite maps it for this connection, or nullptr when there is none (not in WAL
  // mode, or no read has happened yet). Stays mapped while the connection is open and in
  // WAL mode. Read-only use: see sqlite_read_cache.h.
  const volatile void* WalIndex();

  // The path of the database's WAL file as SQLite names it; empty for an in-memory database.
  std::string WalPath() const;

  const std::string& path() const { return path_; }

 private:
  Connection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
  std::map<const char*, std::unique_ptr<Statement>> cache_;
};

}  // namespace odmd::store::sqlite
