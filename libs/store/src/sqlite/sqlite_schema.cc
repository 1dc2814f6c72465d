#include "sqlite/sqlite_schema.h"

#include <string>
#include <string_view>

#include "odmd/base/strings.h"

namespace odmd::store::sqlite {
namespace {

// PRAGMA application_id of an odmd store ("odmd"), so another application's database is
// recognised and never written to.
constexpr std::int64_t kApplicationId = 0x6f646d64;
static_assert(kApplicationId == 1868852580, "kCreateLog spells the application id");

// Schema version 2, in two parts: the log (unchanged since version 1), then what version 2
// added. Columns are stored: never rename or renumber them.
constexpr const char* kCreateLog = R"sql(
CREATE TABLE log (
  revision  INTEGER PRIMARY KEY,          -- store-wide, gapless from 1
  key       TEXT NOT NULL,
  version   INTEGER NOT NULL,             -- per key, gapless from 1
  value     BLOB NOT NULL,                -- empty for a tombstone
  tombstone INTEGER NOT NULL CHECK (tombstone IN (0, 1))
);
PRAGMA application_id = 1868852580;
)sql";
// The trigger keeps the highest revision, whatever order a foreign writer inserts in.
constexpr const char* kCreateHead = R"sql(
CREATE TABLE head (
  key      TEXT PRIMARY KEY,
  revision INTEGER NOT NULL               -- the key's latest record in log
) WITHOUT ROWID;
CREATE TRIGGER log_head AFTER INSERT ON log BEGIN
  INSERT INTO head (key, revision) VALUES (NEW.key, NEW.revision)
    ON CONFLICT (key) DO UPDATE SET revision = excluded.revision
    WHERE excluded.revision > head.revision;
END;
CREATE UNIQUE INDEX log_version_key ON log (version, key);
PRAGMA user_version = 2;
)sql";

// Version 1 -> 2, before kCreateHead: the (key, version) index goes. After it: the head
// table filled from the log (a key's revisions grow with its versions).
constexpr const char* kDropVersion1Index = "DROP INDEX IF EXISTS log_key_version";
constexpr const char* kFillHead =
    "INSERT INTO head (key, revision) SELECT key, MAX(revision) FROM log GROUP BY key";

Status NotOdmdStore(const std::string& path, std::string_view why) {
  // SQLite errors already start with the store's name; say it once.
  const std::string named = "store " + Quote(path) + ": ";
  if (why.starts_with(named)) why.remove_prefix(named.size());
  return FailedPreconditionError("store " + Quote(path) +
                                 " is not an odmd store: " + std::string(why));
}

// Version 1 -> 2 inside the open transaction; an error names the file and the step.
Status MigrateFrom1(Connection& conn) {
  Status status = conn.Exec(kDropVersion1Index);
  if (status.ok()) status = conn.Exec(kCreateHead);
  if (status.ok()) status = conn.Exec(kFillHead);
  if (status.ok()) return status;
  // SQLite errors already start with the store's name; say it once.
  const std::string named = "store " + Quote(conn.path()) + ": ";
  std::string_view why = status.message();
  if (why.starts_with(named)) why.remove_prefix(named.size());
  return Status(status.code(), named + "cannot migrate schema version 1 to 2 (nothing changed): " +
                                   std::string(why));
}

// Inside the open transaction: creates, migrates or checks.
Status CreateMigrateOrCheck(Connection& conn) {
  const std::string& path = conn.path();
  ODMD_ASSIGN_OR_RETURN(std::int64_t app_id, conn.QueryInt64("PRAGMA application_id"));
  ODMD_ASSIGN_OR_RETURN(std::int64_t version, conn.QueryInt64("PRAGMA user_version"));
  ODMD_ASSIGN_OR_RETURN(std::int64_t objects,
                        conn.QueryInt64("SELECT count(*) FROM sqlite_master"));
  if (app_id == 0 && version == 0 && objects == 0) {
    ODMD_RETURN_IF_ERROR(conn.Exec(kCreateLog));
    return conn.Exec(kCreateHead);
  }
  if (app_id != kApplicationId) {
    return NotOdmdStore(path, "it is a SQLite database of another application (application_id " +
                                  std::to_string(app_id) + ", " + std::to_string(objects) +
                                  " schema objects)");
  }
  if (version > kSchemaVersion) {
    return FailedPreconditionError("store " + Quote(path) + " has schema version " +
                                   std::to_string(version) + ", newer than this odmd reads (" +
                                   std::to_string(kSchemaVersion) + ")");
  }
  if (version < 1) return NotOdmdStore(path, "it has no schema version");
  if (version == 1) return MigrateFrom1(conn);
  return OkStatus();
}

}  // namespace

Status CheckOrCreateSchema(Connection& conn) {
  const std::string& path = conn.path();
  Status begin = conn.Exec("BEGIN IMMEDIATE");
  if (!begin.ok()) {
    if (IsFailedPrecondition(begin)) return NotOdmdStore(path, begin.message());
    return begin;
  }
  Status status = CreateMigrateOrCheck(conn);
  if (!status.ok()) {
    (void)conn.Exec("ROLLBACK");
    if (IsFailedPrecondition(status) && status.message().find("odmd") == std::string::npos) {
      return NotOdmdStore(path, status.message());  // corrupt: SQLite's own words
    }
    return status;
  }
  return conn.Exec("COMMIT");
}

Status SetSynchronous(Connection& conn, bool durable) {
  Status status = conn.Exec(durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
  if (IsFailedPrecondition(status)) return NotOdmdStore(conn.path(), status.message());
  return status;
}

}  // namespace odmd::store::sqlite
