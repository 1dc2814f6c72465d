// The SQLite store's schema (sqlite_schema.h): a file made by schema version 1 opens and is
// migrated in place in one transaction, keeping every record, and a batch that rewrites the
// same keys writes as many pages however long their history.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "odmd/store/open_config_store.h"
#include "odmd/testing/change_collector.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::store {
namespace {

using ::odmd::testing::ChangeCollector;
using ::odmd::testing::IsOk;
using ::odmd::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Schema version 1 exactly as odmd created it, and the records of a store that wrote
//   1 put /a a1, 2 put /b b1, 3 put /a a2, 4 delete /b, 5 put /c c1, 6 put /a a3.
constexpr const char* kVersion1File = R"sql(
CREATE TABLE log (
  revision  INTEGER PRIMARY KEY,          -- store-wide, gapless from 1
  key       TEXT NOT NULL,
  version   INTEGER NOT NULL,             -- per key, gapless from 1
  value     BLOB NOT NULL,                -- empty for a tombstone
  tombstone INTEGER NOT NULL CHECK (tombstone IN (0, 1))
);
CREATE UNIQUE INDEX log_key_version ON log (key, version);
PRAGMA application_id = 1868852580;
PRAGMA user_version = 1;
INSERT INTO log VALUES (1, '/a', 1, 'a1', 0), (2, '/b', 1, 'b1', 0), (3, '/a', 2, 'a2', 0),
  (4, '/b', 2, '', 1), (5, '/c', 1, 'c1', 0), (6, '/a', 3, 'a3', 0);
)sql";

class SqliteSchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "odmd-schema-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/state.db";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  Result<ConfigStorePtr> Open(bool durable = true) {
    StoreOptions options;
    options.url = "sqlite:" + path_;
    options.durable = durable;
    return OpenConfigStore(options);
  }
  // Runs `sql` on the file with a plain SQLite connection (in rollback-journal mode, as a
  // file of schema version 1 may have been left).
  void Exec(const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  // The first column of every row of `sql`, as text.
  std::vector<std::string> Query(const char* sql) {
    sqlite3* db = nullptr;
    std::vector<std::string> rows;
    EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      rows.push_back(text == nullptr ? "" : reinterpret_cast<const char*>(text));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return rows;
  }
  // The WAL index header's mxFrame (https://www.sqlite.org/walformat.html): the number of
  // valid frames in the WAL, read from the -shm file as SQLite's own readers do.
  std::uint32_t WalFrames() {
    std::ifstream shm(path_ + "-shm", std::ios::binary);
    char header[20] = {};
    shm.read(header, sizeof(header));
    std::uint32_t frames = 0;
    std::memcpy(&frames, header + 16, sizeof(frames));
    return frames;
  }

  std::string dir_;
  std::string path_;
};

TEST_F(SqliteSchemaTest, Version1FileIsMigratedInPlaceAndKeepsEveryRecord) {
  Exec(kVersion1File);
  Result<ConfigStorePtr> opened = Open();
  ASSERT_THAT(opened, IsOk());
  ConfigStore& store = **opened;

  EXPECT_EQ(Query("PRAGMA user_version"), std::vector<std::string>{"2"});
  EXPECT_EQ(Query("PRAGMA integrity_check"), std::vector<std::string>{"ok"});
  EXPECT_THAT(Query("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name"),
              ElementsAre("log_version_key"));
  EXPECT_THAT(Query("SELECT key || '@' || revision FROM head ORDER BY key"),
              ElementsAre("/a@6", "/b@4", "/c@5"));

  EXPECT_EQ(*store.Get("/a"), (Entry{"/a", "a3", 6, 3, false}));
  EXPECT_THAT(store.Get("/b"),
              StatusIs(StatusCode::kNotFound, HasSubstr("was deleted at revision 4")));
  EXPECT_EQ(*store.GetVersion("/a", 2), (Entry{"/a", "a2", 3, 2, false}));
  EXPECT_THAT(*store.History("/a"),
              ElementsAre(Entry{"/a", "a1", 1, 1, false}, Entry{"/a", "a2", 3, 2, false},
                          Entry{"/a", "a3", 6, 3, false}));
  EXPECT_THAT(*store.List("/"),
              ElementsAre(Entry{"/a", "a3", 6, 3, false}, Entry{"/c", "c1", 5, 1, false}));
  EXPECT_THAT(*store.ListAt("/", 3),
              ElementsAre(Entry{"/a", "a2", 3, 2, false}, Entry{"/b", "b1", 2, 1, false}));
  EXPECT_EQ(*store.LatestRevision(), 6);

  // Writes go on from the migrated records: the next revision, each key's next version,
  // compare-and-set against the latest revision.
  EXPECT_THAT(store.Put("/a", "stale", 3), StatusIs(StatusCode::kAborted, HasSubstr("6")));
  EXPECT_EQ(*store.Put("/a", "a4", 6), (WriteResult{7, 4}));
  EXPECT_EQ(*store.Put("/b", "b3", 0), (WriteResult{8, 3}));
  EXPECT_EQ(*store.Put("/d", "d1", std::nullopt), (WriteResult{9, 1}));

  // A watch from the start reads the migrated log, each change with its predecessor.
  ChangeCollector collector;
  Result<WatchHandlePtr> watch = store.Watch("/a", 0, collector.Sink());
  ASSERT_THAT(watch, IsOk());
  EXPECT_THAT(collector.WaitFor(4),
              ElementsAre(ChangeEvent{1, "/a", ChangeKind::kPut, "a1", 1, 0},
                          ChangeEvent{3, "/a", ChangeKind::kPut, "a2", 2, 1},
                          ChangeEvent{6, "/a", ChangeKind::kPut, "a3", 3, 3},
                          ChangeEvent{7, "/a", ChangeKind::kPut, "a4", 4, 6}));
  watch->reset();

  // Reopening finds schema version 2 and migrates nothing again.
  opened->reset();
  Result<ConfigStorePtr> reopened = Open();
  ASSERT_THAT(reopened, IsOk());
  EXPECT_EQ(*(*reopened)->Get("/a"), (Entry{"/a", "a4", 7, 4, false}));
  EXPECT_EQ(Query("SELECT count(*) FROM head"), std::vector<std::string>{"4"});
}

// A version 1 file that cannot take the new unique (version, key) index (two records of one
// version of a key, possible only where the old index was dropped) is refused with the
// reason, and left exactly as it was.
TEST_F(SqliteSchemaTest, Version1FileThatCannotBeMigratedIsRefusedAndLeftAsItWas) {
  Exec(kVersion1File);
  Exec(
      "DROP INDEX log_key_version;"
      "INSERT INTO log VALUES (7, '/c', 1, 'c1 again', 0);");
  const std::vector<std::string> schema_before = Query("SELECT sql FROM sqlite_master");
  EXPECT_THAT(Open(), StatusIs(StatusCode::kInternal,
                               AllOf(HasSubstr(path_), HasSubstr("cannot migrate schema version 1"),
                                     HasSubstr("nothing changed"), HasSubstr("UNIQUE"))));
  EXPECT_EQ(Query("PRAGMA user_version"), std::vector<std::string>{"1"});
  EXPECT_EQ(Query("SELECT sql FROM sqlite_master"), schema_before);
  EXPECT_EQ(Query("SELECT count(*) FROM log"), std::vector<std::string>{"7"});
}

// A program that writes the log directly (the foreign writer of sqlite_shared_file_test)
// keeps the latest-record table right through its trigger, even inserting out of order.
TEST_F(SqliteSchemaTest, ForeignInsertsIntoTheLogKeepTheLatestRecordOfEachKey) {
  {
    Result<ConfigStorePtr> created = Open();
    ASSERT_THAT(created, IsOk());
  }
  Exec(
      "INSERT INTO log VALUES (2, '/k', 2, 'k2', 0);"
      "INSERT INTO log VALUES (1, '/k', 1, 'k1', 0);");
  Result<ConfigStorePtr> opened = Open();
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(*(*opened)->Get("/k"), (Entry{"/k", "k2", 2, 2, false}));
  EXPECT_EQ(*(*opened)->Put("/k", "k3", 2), (WriteResult{3, 3}));
}

// Issue 17: each version of a key used to land in the (key, version) index beside the key's
// older versions, so once the history outgrew a page per key, a batch rewriting N keys
// wrote N index pages. Now the batch's rows sit together (version first) and the latest
// record is updated in place: the 30th batch writes about as many pages as the 2nd.
TEST_F(SqliteSchemaTest, BatchRewritingTheSameKeysWritesAsManyPagesAsItsHistoryGrows) {
  Result<ConfigStorePtr> opened = Open(/*durable=*/false);
  ASSERT_THAT(opened, IsOk());
  std::vector<BatchOp> ops;
  for (int i = 0; i < 300; ++i) {
    ops.push_back(BatchOp::Put("/queue/consumer-" + std::to_string(i) + "/deployment", "q"));
  }
  // Frames each batch adds to the WAL (after a checkpoint the WAL restarts from frame 0).
  std::vector<std::uint32_t> frames;
  for (int batch = 0; batch < 30; ++batch) {
    const std::uint32_t before = WalFrames();
    ASSERT_THAT((*opened)->WriteBatch(ops), IsOk());
    const std::uint32_t after = WalFrames();
    frames.push_back(after > before ? after - before : after);
  }
  RecordProperty("frames_per_batch", ::testing::PrintToString(frames));
  SCOPED_TRACE(::testing::PrintToString(frames));
  EXPECT_LE(frames[29], frames[1] + frames[1] / 2);
  EXPECT_LE(frames[29], 40u);
}

}  // namespace
}  // namespace odmd::store
