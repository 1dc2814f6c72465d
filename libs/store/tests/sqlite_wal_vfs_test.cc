// The coalescing WAL VFS (sqlite_wal_vfs.h) over a VFS of the test's own that counts, and can
// fail, the writes and syncs of -wal files: one write per commit, every commit readable by
// other connections once it returns and on disk when the process exits at once, large
// transactions in pieces the unix VFS accepts, and a failed write failing the commit.

#include "sqlite/sqlite_wal_vfs.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <string>

namespace odmd::store::sqlite {
namespace {

// --- a VFS that counts (and can fail) the writes and syncs of -wal files ----------------

struct WalCounts {
  std::atomic<int> writes{0};
  std::atomic<int> syncs{0};
  std::atomic<long> bytes{0};
  std::atomic<int> largest{0};
  std::atomic<bool> fail_next_write{false};

  void Reset() {
    writes = 0;
    syncs = 0;
    bytes = 0;
    largest = 0;
    fail_next_write = false;
  }
};
WalCounts g_counts;
sqlite3_vfs* g_default = nullptr;

struct CountingFile {
  sqlite3_file base;
  sqlite3_file* Real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};
sqlite3_file* RealOf(sqlite3_file* file) { return reinterpret_cast<CountingFile*>(file)->Real(); }

#define ODMD_FORWARD(name, ...) \
  RealOf(file)->pMethods->name(RealOf(file) __VA_OPT__(, ) __VA_ARGS__)
// Only -wal files get these methods.
const sqlite3_io_methods kCountingWalMethods = {
    1,
    [](sqlite3_file* file) { return ODMD_FORWARD(xClose); },
    [](sqlite3_file* file, void* out, int n, sqlite3_int64 at) {
      return ODMD_FORWARD(xRead, out, n, at);
    },
    [](sqlite3_file* file, const void* in, int n, sqlite3_int64 at) {
      if (g_counts.fail_next_write.exchange(false)) return SQLITE_IOERR_WRITE;
      ++g_counts.writes;
      g_counts.bytes += n;
      int largest = g_counts.largest.load();
      while (n > largest && !g_counts.largest.compare_exchange_weak(largest, n)) {
      }
      return ODMD_FORWARD(xWrite, in, n, at);
    },
    [](sqlite3_file* file, sqlite3_int64 size) { return ODMD_FORWARD(xTruncate, size); },
    [](sqlite3_file* file, int flags) {
      ++g_counts.syncs;
      return ODMD_FORWARD(xSync, flags);
    },
    [](sqlite3_file* file, sqlite3_int64* size) { return ODMD_FORWARD(xFileSize, size); },
    [](sqlite3_file* file, int lock) { return ODMD_FORWARD(xLock, lock); },
    [](sqlite3_file* file, int lock) { return ODMD_FORWARD(xUnlock, lock); },
    [](sqlite3_file* file, int* out) { return ODMD_FORWARD(xCheckReservedLock, out); },
    [](sqlite3_file* file, int op, void* arg) { return ODMD_FORWARD(xFileControl, op, arg); },
    [](sqlite3_file* file) { return ODMD_FORWARD(xSectorSize); },
    [](sqlite3_file* file) { return ODMD_FORWARD(xDeviceCharacteristics); },
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};
#undef ODMD_FORWARD

int CountingOpen(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags,
                 int* out_flags) {
  if ((flags & SQLITE_OPEN_WAL) == 0)
    return g_default->xOpen(g_default, name, file, flags, out_flags);
  auto* counting = reinterpret_cast<CountingFile*>(file);
  counting->base.pMethods = nullptr;
  const int rc = g_default->xOpen(g_default, name, counting->Real(), flags, out_flags);
  if (counting->Real()->pMethods != nullptr) counting->base.pMethods = &kCountingWalMethods;
  return rc;
}

// "odmd-test-counting" (the -wal files counted) and "odmd-test-coalescing" over it.
void RegisterOnce() {
  static const bool registered = [] {
    static sqlite3_vfs counting;
    g_default = sqlite3_vfs_find(nullptr);
    counting = *g_default;
    counting.zName = "odmd-test-counting";
    counting.szOsFile = static_cast<int>(sizeof(CountingFile)) + g_default->szOsFile;
    counting.xOpen = CountingOpen;
    if (sqlite3_vfs_register(&counting, 0) != SQLITE_OK) return false;
    return RegisterCoalescingWalVfs("odmd-test-coalescing", &counting) != nullptr;
  }();
  ASSERT_TRUE(registered);
}

// --- a database to write -----------------------------------------------------------------

class Db {
 public:
  Db(const std::string& path, const char* vfs) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs),
              SQLITE_OK)
        << path;
  }
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  int Exec(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  }
  void MustExec(const std::string& sql) {
    ASSERT_EQ(Exec(sql), SQLITE_OK) << sql << ": " << sqlite3_errmsg(db_);
  }
  std::string Query(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      out = text != nullptr ? reinterpret_cast<const char*>(text) : "";
    } else {
      out = std::string("error: ") + sqlite3_errmsg(db_);
    }
    sqlite3_finalize(stmt);
    return out;
  }
  // The durable WAL set-up the coalescing VFS needs, and a table of blobs.
  void Setup() {
    MustExec("PRAGMA synchronous = FULL");
    MustExec("PRAGMA cache_spill = OFF");
    MustExec("PRAGMA journal_mode = WAL");
    MustExec("CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v BLOB NOT NULL)");
  }
  // One transaction of `rows` rows of `bytes` bytes each.
  int Commit(int rows, int bytes) {
    std::string sql = "BEGIN;";
    for (int i = 0; i < rows; ++i) {
      sql += "INSERT INTO t (v) VALUES (randomblob(" + std::to_string(bytes) + "));";
    }
    if (const int rc = Exec(sql); rc != SQLITE_OK) {
      Exec("ROLLBACK");
      return rc;
    }
    const int rc = Exec("COMMIT");
    if (rc != SQLITE_OK) Exec("ROLLBACK");
    return rc;
  }

 private:
  sqlite3* db_ = nullptr;
};

class SqliteWalVfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterOnce();
    char tmpl[] = "/tmp/odmd-wal-vfs-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/t.db";
    g_counts.Reset();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
  std::string path_;
};

TEST_F(SqliteWalVfsTest, EachCommitWritesItsFramesOnce) {
  Db db(path_, "odmd-test-coalescing");
  db.Setup();
  ASSERT_EQ(db.Commit(1, 10), SQLITE_OK);  // the WAL's header and first frames
  g_counts.Reset();
  for (int i = 0; i < 20; ++i) ASSERT_EQ(db.Commit(8, 3000), SQLITE_OK);
  EXPECT_EQ(g_counts.syncs, 20);
  EXPECT_EQ(g_counts.writes, 20);  // one per commit, before its sync
  // Several frames each: without the VFS SQLite writes each frame's header and page apart.
  EXPECT_GT(g_counts.bytes / 20, 4 * (4096 + 24));
}

TEST_F(SqliteWalVfsTest, WithoutItSqliteWritesTwicePerFrame) {
  // The control for the test above: the count it checks is SQLite's, not this test's.
  Db db(path_, "odmd-test-counting");
  db.Setup();
  ASSERT_EQ(db.Commit(1, 10), SQLITE_OK);
  g_counts.Reset();
  for (int i = 0; i < 20; ++i) ASSERT_EQ(db.Commit(8, 3000), SQLITE_OK);
  EXPECT_EQ(g_counts.syncs, 20);
  EXPECT_GE(g_counts.writes, 20 * 2 * 4);
}

TEST_F(SqliteWalVfsTest, OtherConnectionsSeeEachCommitOnceItReturns) {
  Db db(path_, "odmd-test-coalescing");
  db.Setup();
  Db reader(path_, nullptr);
  for (int i = 1; i <= 30; ++i) {
    ASSERT_EQ(db.Commit(3, 2000), SQLITE_OK);
    ASSERT_EQ(reader.Query("SELECT count(*) || ' ' || sum(length(v)) FROM t"),
              std::to_string(3 * i) + " " + std::to_string(3 * i * 2000));
  }
  EXPECT_EQ(reader.Query("PRAGMA integrity_check"), "ok");
}

TEST_F(SqliteWalVfsTest, ALargeTransactionSpillsReadsBackAndCommitsInPieces) {
  Db db(path_, "odmd-test-coalescing");
  db.Setup();
  // Pages: the transaction spills to the WAL (allowed here: it commits, and nobody else
  // writes; the store keeps cache_spill off, see the next test).
  db.MustExec("PRAGMA cache_size = 20");
  db.MustExec("PRAGMA cache_spill = ON");
  db.MustExec("BEGIN");
  for (int i = 0; i < 600; ++i) db.MustExec("INSERT INTO t (v) VALUES (randomblob(4000))");
  // Read back within the transaction: the spilled pages come from the WAL file.
  EXPECT_EQ(db.Query("SELECT count(*) || ' ' || sum(length(v)) FROM t"), "600 2400000");
  db.MustExec("COMMIT");
  // The unix VFS refuses a write of 128 KiB or more.
  EXPECT_LT(g_counts.largest, 128 << 10);
  EXPECT_GT(g_counts.bytes, 2400000);
  Db reader(path_, nullptr);
  EXPECT_EQ(reader.Query("SELECT count(*) || ' ' || sum(length(v)) FROM t"), "600 2400000");
  EXPECT_EQ(reader.Query("PRAGMA integrity_check"), "ok");
}

// The store's set-up (cache_spill off): a transaction larger than the page cache writes no
// frame before its commit, so one rolled back leaves nothing in the VFS's memory for a later
// flush to write over another writer's frames. With spills the reads below flush its frames
// into the WAL (this test then fails), and a rolled-back one's could be flushed only after
// another writer had committed frames at the same place.
TEST_F(SqliteWalVfsTest, ATransactionWritesNoFrameBeforeItsCommit) {
  Db db(path_, "odmd-test-coalescing");
  db.Setup();
  db.MustExec("PRAGMA cache_size = 20");
  ASSERT_EQ(db.Commit(2, 100), SQLITE_OK);
  const long before = g_counts.bytes;
  db.MustExec("BEGIN");
  for (int i = 0; i < 100; ++i) db.MustExec("INSERT INTO t (v) VALUES (randomblob(4000))");
  EXPECT_EQ(db.Query("SELECT count(*) || ' ' || sum(length(v)) FROM t"), "102 400200");
  db.MustExec("ROLLBACK");
  EXPECT_EQ(g_counts.bytes, before);
  {
    Db other(path_, nullptr);
    for (int i = 0; i < 10; ++i) ASSERT_EQ(other.Commit(20, 3000), SQLITE_OK);
  }
  EXPECT_EQ(db.Query("SELECT count(*) FROM t"), "202");
  ASSERT_EQ(db.Commit(2, 100), SQLITE_OK);
  Db reader(path_, nullptr);
  EXPECT_EQ(reader.Query("SELECT count(*) || ' ' || sum(length(v)) FROM t"),
            "204 " + std::to_string(4 * 100 + 200 * 3000));
  EXPECT_EQ(reader.Query("PRAGMA integrity_check"), "ok");
}

TEST_F(SqliteWalVfsTest, AFailedWriteFailsTheCommitAndChangesNothing) {
  Db db(path_, "odmd-test-coalescing");
  db.Setup();
  ASSERT_EQ(db.Commit(4, 1000), SQLITE_OK);
  g_counts.fail_next_write = true;
  EXPECT_EQ(db.Commit(4, 1000) & 0xff, SQLITE_IOERR);
  EXPECT_FALSE(g_counts.fail_next_write);  // the commit's write was the one that failed
  Db reader(path_, nullptr);
  EXPECT_EQ(reader.Query("SELECT count(*) FROM t"), "4");
  ASSERT_EQ(db.Commit(4, 1000), SQLITE_OK);
  EXPECT_EQ(reader.Query("SELECT count(*) FROM t"), "8");
  EXPECT_EQ(reader.Query("PRAGMA integrity_check"), "ok");
}

TEST_F(SqliteWalVfsTest, ACommitIsInTheFileWhenTheProcessExitsRightAfter) {
  // A child commits and exits without closing anything: what a commit returned for must
  // be in the file, not in the VFS's memory. The child opens a file the parent never had
  // open, and uses no SQLite state of the parent's.
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Db db(path_, "odmd-test-coalescing");
    db.Setup();
    for (int i = 0; i < 25; ++i) {
      if (db.Commit(2, 3000) != SQLITE_OK) _exit(1);
    }
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  Db reader(path_, nullptr);
  EXPECT_EQ(reader.Query("SELECT count(*) FROM t"), "50");
  EXPECT_EQ(reader.Query("PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace odmd::store::sqlite
