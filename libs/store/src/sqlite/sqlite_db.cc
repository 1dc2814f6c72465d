#include "sqlite/sqlite_db.h"

#include <string>
#include <utility>

#include "odmd/base/strings.h"

namespace odmd::store::sqlite {

Status SqliteError(sqlite3* db, int rc, std::string_view context) {
  const std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const std::string generic = sqlite3_errstr(rc);
  std::string message = std::string(context) + ": " + detail;
  if (detail != generic) message += " (" + generic + ")";
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOMEM:
      return UnavailableError(std::move(message));
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return FailedPreconditionError(std::move(message));
    default:
      return InternalError(std::move(message));
  }
}

void Statement::BindText(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data() != nullptr ? text.data() : "",
                    static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

void Statement::BindBlob(int index, std::string_view bytes) {
  // A null pointer would bind NULL; an empty value is a zero-length blob.
  sqlite3_bind_blob(stmt_, index, bytes.data() != nullptr ? bytes.data() : "",
                    static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
}

void Statement::BindInt64(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
}

Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3* db = sqlite3_db_handle(stmt_);
  return SqliteError(db, rc, Quote(sqlite3_db_filename(db, "main")));
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Statement::ColumnBytes(int index) const {
  const void* data = sqlite3_column_blob(stmt_, index);
  int size = sqlite3_column_bytes(stmt_, index);
  if (data == nullptr || size <= 0) return std::string();
  return std::string(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path, bool create,
                                                     int busy_timeout_ms, const char* vfs) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, vfs);
  if (rc != SQLITE_OK) {
    Status status = SqliteError(db, rc, "cannot open store " + Quote(path));
    sqlite3_close(db);
    return status;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  return std::unique_ptr<Connection>(new Connection(db, path));
}

Connection::~Connection() {
  cache_.clear();  // statements first: sqlite3_close refuses while they exist
  sqlite3_close(db_);
}

Status Connection::Exec(const char* sql) {
  char* error = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
  sqlite3_free(error);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, "store " + Quote(path_));
  return OkStatus();
}

Status Connection::Run(const char* sql) {
  ODMD_ASSIGN_OR_RETURN(Statement * stmt, Cached(sql));
  StatementUse use(*stmt);
  for (;;) {
    ODMD_ASSIGN_OR_RETURN(bool row, use->Step());
    if (!row) return OkStatus();
  }
}

Result<Statement*> Connection::Cached(const char* sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return it->second.get();
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return SqliteError(db_, rc, "store " + Quote(path_));
  }
  return cache_.emplace(sql, std::make_unique<Statement>(stmt)).first->second.get();
}

std::string Connection::WalPath() const {
  sqlite3_filename db_file = sqlite3_db_filename(db_, "main");
  if (db_file == nullptr || *db_file == '\0') return std::string();
  const char* wal = sqlite3_filename_wal(db_file);
  return wal != nullptr ? std::string(wal) : std::string();
}

const volatile void* Connection::WalIndex() {
  // SQLite's WAL-index regions are 32 KiB (walformat.html); region 0 holds the header.
  constexpr int kRegionBytes = 32768;
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK ||
      file == nullptr || file->pMethods == nullptr || file->pMethods->iVersion < 2 ||
      file->pMethods->xShmMap == nullptr) {
    return nullptr;
  }
  // Only a connection in WAL mode has a WAL index; asking another would create one.
  Result<std::string> mode = QueryText("PRAGMA journal_mode");
  if (!mode.ok() || *mode != "wal") return nullptr;
  void volatile* region = nullptr;
  // bExtend = 0: only an existing region; the connection has mapped it by its first read.
  if (file->pMethods->xShmMap(file, 0, kRegionBytes, 0, &region) != SQLITE_OK) return nullptr;
  return region;
}

Result<std::string> Connection::QueryText(const char* sql) {
  ODMD_ASSIGN_OR_RETURN(Statement * stmt, Cached(sql));
  StatementUse use(*stmt);
  ODMD_ASSIGN_OR_RETURN(bool has_row, use->Step());
  if (!has_row) return InternalError("store " + Quote(path_) + ": no row for " + sql);
  return use->ColumnBytes(0);
}

Result<std::int64_t> Connection::QueryInt64(const char* sql) {
  ODMD_ASSIGN_OR_RETURN(Statement * stmt, Cached(sql));
  StatementUse use(*stmt);
  ODMD_ASSIGN_OR_RETURN(bool has_row, use->Step());
  if (!has_row) return InternalError("store " + Quote(path_) + ": no row for " + sql);
  return use->ColumnInt64(0);
}

}  // namespace odmd::store::sqlite
