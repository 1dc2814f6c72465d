#include "odmd/store/open_config_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "odmd/testing/status_matchers.h"

namespace odmd::store {
namespace {

using ::odmd::testing::IsOk;
using ::odmd::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

Result<ConfigStorePtr> OpenUrl(const std::string& url) {
  StoreOptions options;
  options.url = url;
  return OpenConfigStore(options);
}

class OpenConfigStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "odmd-open-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  // Runs `sql` on a fresh SQLite database at `path`, as another application would.
  void MakeSqliteFile(const std::string& path, const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }

  std::string dir_;
};

TEST_F(OpenConfigStoreTest, UrlWithoutSchemeIsInvalid) {
  EXPECT_THAT(OpenUrl("state.db"),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("\"state.db\" has no scheme"), HasSubstr("sqlite:<path>"))));
  EXPECT_THAT(OpenUrl(":memory:"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(OpenUrl(""), StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(OpenConfigStoreTest, UnknownSchemeIsInvalidAndNamed) {
  EXPECT_THAT(OpenUrl("redis://localhost"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("unknown scheme \"redis\"")));
  EXPECT_THAT(OpenUrl("mysql://localhost/odmd"),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("unknown scheme \"mysql\""), HasSubstr("postgres://"))));
}

// PostgreSQL itself is tested against a real server in odmd_store_postgres_test; what needs
// no server is here.
TEST_F(OpenConfigStoreTest, PostgresUrlsAreHandedToLibpq) {
  for (const char* url : {"postgres:odmd", "postgresql://h/db?no_such_parameter=1"}) {
    EXPECT_THAT(OpenUrl(url),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("is not a valid PostgreSQL URL")))
        << url;
  }
}

TEST_F(OpenConfigStoreTest, SqliteUrlWithoutPathIsInvalid) {
  EXPECT_THAT(OpenUrl("sqlite:"), StatusIs(StatusCode::kInvalidArgument, HasSubstr("no path")));
}

TEST_F(OpenConfigStoreTest, SqliteFileAndParentDirectoryAreCreated) {
  const std::string path = dir_ + "/nested/deeper/state.db";
  Result<ConfigStorePtr> store = OpenUrl("sqlite:" + path);
  ASSERT_THAT(store, IsOk());
  ODMD_ASSERT_OK((*store)->Put("/a", "1", std::nullopt));
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST_F(OpenConfigStoreTest, NewSqliteFileAndItsWalAreReadableByTheOwnerOnly) {
  const std::string path = dir_ + "/state.db";
  const ::mode_t old_umask = ::umask(022);  // a typical umask would give 0644
  Result<ConfigStorePtr> store = OpenUrl("sqlite:" + path);
  ::umask(old_umask);
  ASSERT_THAT(store, IsOk());
  ODMD_ASSERT_OK((*store)->Put("/a", "1", std::nullopt));
  using std::filesystem::perms;
  for (const std::string& file : {path, path + "-wal", path + "-shm"}) {
    SCOPED_TRACE(file);
    ASSERT_TRUE(std::filesystem::exists(file));
    const perms p = std::filesystem::status(file).permissions();
    EXPECT_EQ(p & (perms::group_all | perms::others_all), perms::none);
  }
}

TEST_F(OpenConfigStoreTest, ExistingSqliteFileKeepsItsPermissions) {
  const std::string path = dir_ + "/state.db";
  ODMD_ASSERT_OK(OpenUrl("sqlite:" + path).status());
  std::filesystem::permissions(path, std::filesystem::perms::owner_read |
                                         std::filesystem::perms::owner_write |
                                         std::filesystem::perms::group_read);
  ODMD_ASSERT_OK(OpenUrl("sqlite:" + path).status());
  EXPECT_NE(std::filesystem::status(path).permissions() & std::filesystem::perms::group_read,
            std::filesystem::perms::none);
}

TEST_F(OpenConfigStoreTest, SqliteFileUsesWalAndIsMarkedAsOdmdStore) {
  const std::string path = dir_ + "/state.db";
  {
    Result<ConfigStorePtr> store = OpenUrl("sqlite:" + path);
    ASSERT_THAT(store, IsOk());
    ODMD_ASSERT_OK((*store)->Put("/a", "1", std::nullopt));
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto query = [db](const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string text;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return text;
  };
  EXPECT_EQ(query("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(query("PRAGMA user_version"), "2");
  EXPECT_EQ(query("PRAGMA application_id"), "1868852580");
  EXPECT_EQ(query("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(query("SELECT key || '=' || value FROM log WHERE revision = 1"), "/a=1");
  sqlite3_close(db);
}

TEST_F(OpenConfigStoreTest, TextFileIsNotAnOdmdStore) {
  const std::string path = dir_ + "/notes.txt";
  std::ofstream(path) << "these are not the droids you are looking for\n" << std::string(4096, 'x');
  EXPECT_THAT(OpenUrl("sqlite:" + path),
              StatusIs(StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("\"" + path + "\""), HasSubstr("not an odmd store"))));
}

TEST_F(OpenConfigStoreTest, SqliteHeaderFollowedByGarbageIsRefused) {
  const std::string path = dir_ + "/corrupt.db";
  std::string bytes("SQLite format 3", 16);  // the magic, with its NUL
  for (int i = 0; i < 8192; ++i) bytes.push_back(static_cast<char>((i * 131 + 7) % 251));
  std::ofstream(path, std::ios::binary) << bytes;
  EXPECT_THAT(OpenUrl("sqlite:" + path),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("\"" + path + "\"")));
}

TEST_F(OpenConfigStoreTest, CorruptPagesAreReportedNotCrashedOn) {
  const std::string path = dir_ + "/state.db";
  {
    Result<ConfigStorePtr> store = OpenUrl("sqlite:" + path);
    ASSERT_THAT(store, IsOk());
    for (int i = 0; i < 200; ++i) {
      ODMD_ASSERT_OK((*store)->Put("/k" + std::to_string(i), std::string(1000, 'v'), std::nullopt));
    }
  }
  // Keep page 1 (header and schema), trash the pages holding the log and its index.
  {
    std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
    file.seekp(4096);
    for (int i = 0; i < 64 * 1024; ++i) file.put(static_cast<char>((i * 131 + 7) % 251));
  }
  Result<ConfigStorePtr> store = OpenUrl("sqlite:" + path);
  if (!store.ok()) {
    EXPECT_THAT(store, StatusIs(StatusCode::kFailedPrecondition, HasSubstr(path)));
    return;
  }
  EXPECT_THAT((*store)->List(""), StatusIs(StatusCode::kFailedPrecondition, HasSubstr(path)));
}

TEST_F(OpenConfigStoreTest, OtherApplicationsDatabaseIsRefusedAndLeftAlone) {
  const std::string path = dir_ + "/other.db";
  MakeSqliteFile(path, "CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('ann');");
  const auto size_before = std::filesystem::file_size(path);
  EXPECT_THAT(OpenUrl("sqlite:" + path),
              StatusIs(StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("\"" + path + "\""), HasSubstr("another application"))));
  EXPECT_EQ(std::filesystem::file_size(path), size_before);
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
}

TEST_F(OpenConfigStoreTest, NewerSchemaVersionIsRefused) {
  const std::string path = dir_ + "/future.db";
  MakeSqliteFile(path, "PRAGMA application_id = 1868852580; PRAGMA user_version = 99;");
  EXPECT_THAT(OpenUrl("sqlite:" + path),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("schema version 99")));
}

TEST_F(OpenConfigStoreTest, EmptyFileBecomesAStore) {
  const std::string path = dir_ + "/empty.db";
  std::ofstream{path};
  Result<ConfigStorePtr> store = OpenUrl("sqlite:" + path);
  ASSERT_THAT(store, IsOk());
  ODMD_EXPECT_OK((*store)->Put("/a", "1", std::nullopt));
}

TEST_F(OpenConfigStoreTest, DirectoryAsStorePathIsAnError) {
  Result<ConfigStorePtr> store = OpenUrl("sqlite:" + dir_);
  EXPECT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr(dir_));
}

TEST_F(OpenConfigStoreTest, TwoStoresOnOneFileSeeEachOthersWrites) {
  const std::string url = "sqlite:" + dir_ + "/state.db";
  Result<ConfigStorePtr> first = OpenUrl(url);
  ASSERT_THAT(first, IsOk());
  Result<ConfigStorePtr> second = OpenUrl(url);
  ASSERT_THAT(second, IsOk());
  ODMD_ASSERT_OK((*first)->Put("/a", "1", std::nullopt));
  Result<WriteResult> written = (*second)->Put("/a", "2", 1);
  ASSERT_THAT(written, IsOk());
  EXPECT_EQ(*written, (WriteResult{2, 2}));
  Result<Entry> got = (*first)->Get("/a");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->value, "2");
}

}  // namespace
}  // namespace odmd::store
