// PostgreSQL-only behaviour of the store, against the real test cluster: URL forms, open
// errors, the schema check, revisions shared by several store objects, watching writes made
// elsewhere, and losing connections (the listener's, the readers', the writer's) for real,
// by terminating their server backends with pg_terminate_backend.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "odmd/store/open_config_store.h"
#include "odmd/testing/change_collector.h"
#include "odmd/testing/status_matchers.h"
#include "postgres_test_db.h"

namespace odmd::store {
namespace {

using ::odmd::testing::ChangeCollector;
using ::odmd::testing::IsOk;
using ::odmd::testing::PostgresTestDb;
using ::odmd::testing::RevisionsOf;
using ::odmd::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

Result<ConfigStorePtr> OpenUrl(const std::string& url,
                               std::chrono::milliseconds busy_timeout = std::chrono::seconds(5)) {
  StoreOptions options;
  options.url = url;
  options.busy_timeout = busy_timeout;
  return OpenConfigStore(options);
}

std::vector<std::string> KeysOf(const std::vector<Entry>& entries) {
  std::vector<std::string> keys;
  for (const Entry& entry : entries) keys.push_back(entry.key);
  return keys;
}

// A plain libpq session of the test's own, e.g. to hold a lock.
class Session {
 public:
  explicit Session(const std::string& url) : conn_(PQconnectdb(url.c_str())) {}
  ~Session() { PQfinish(conn_); }
  bool ok() const { return PQstatus(conn_) == CONNECTION_OK; }
  // The error message, empty on success.
  std::string Exec(const char* sql) {
    PGresult* result = PQexec(conn_, sql);
    const ExecStatusType status = PQresultStatus(result);
    std::string error = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK
                            ? std::string()
                            : std::string(PQresultErrorMessage(result));
    PQclear(result);
    return error;
  }

 private:
  PGconn* conn_;
};

class PostgresConfigStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<PostgresTestDb>> db = PostgresTestDb::Create();
    ASSERT_THAT(db, IsOk());
    db_ = std::move(db).value();
  }
  // Stores and watches are declared in the tests, so they are gone before the database.
  void TearDown() override { db_.reset(); }

  ConfigStorePtr MustOpen(const std::string& url) {
    Result<ConfigStorePtr> store = OpenUrl(url);
    EXPECT_THAT(store, IsOk());
    return store.ok() ? std::move(store).value() : nullptr;
  }
  // A store whose connections are told apart in pg_stat_activity by `application`.
  ConfigStorePtr MustOpenAs(const std::string& application) {
    return MustOpen(db_->Url("application_name=" + application));
  }
  std::vector<std::string> MustQuery(const std::string& sql) {
    Result<std::vector<std::string>> rows = db_->Query(sql);
    EXPECT_THAT(rows, IsOk());
    return rows.ok() ? *rows : std::vector<std::string>();
  }
  void MustAdmin(const std::string& sql) { ODMD_EXPECT_OK(db_->AdminQuery(sql)); }

  std::unique_ptr<PostgresTestDb> db_;
};

void MustPut(ConfigStore& store, const std::string& key, const std::string& value) {
  ODMD_EXPECT_OK(store.Put(key, value, std::nullopt));
}

TEST_F(PostgresConfigStoreTest, BothUrlFormsOpenTheSameDatabase) {
  // The cluster listens on a unix socket: the URI form carries the socket directory as a
  // percent-encoded host.
  Result<std::vector<std::string>> socket_dir = db_->Query("SHOW unix_socket_directories");
  ASSERT_THAT(socket_dir, IsOk());
  std::string host;
  for (char c : socket_dir->at(0)) host += c == '/' ? std::string("%2F") : std::string(1, c);
  const std::string port = MustQuery("SHOW port").at(0);
  const std::string user = MustQuery("SELECT current_user").at(0);
  ConfigStorePtr by_uri =
      MustOpen("postgres://" + user + "@" + host + ":" + port + "/" + db_->name());
  ConfigStorePtr by_query = MustOpen(db_->Url());
  ASSERT_NE(by_uri, nullptr);
  ASSERT_NE(by_query, nullptr);
  MustPut(*by_uri, "/a", "from the uri form");
  Result<Entry> got = by_query->Get("/a");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->value, "from the uri form");
}

TEST_F(PostgresConfigStoreTest, UnreachableServerIsUnavailableNamingHostAndDatabase) {
  // Port 1 on loopback: nothing listens there.
  EXPECT_THAT(OpenUrl("postgres://odmd:s3cret-pw@127.0.0.1:1/nodb?connect_timeout=5"),
              StatusIs(StatusCode::kUnavailable,
                       AllOf(HasSubstr("cannot connect to database \"nodb\" on host \"127.0.0.1\""),
                             HasSubstr("\"postgres://odmd@127.0.0.1:1/nodb?connect_timeout=5\""),
                             Not(HasSubstr("s3cret-pw")))));
  EXPECT_THAT(OpenUrl("postgresql:///nodb?host=/nonexistent/socket/dir&password=s3cret-pw"),
              StatusIs(StatusCode::kUnavailable,
                       AllOf(HasSubstr("\"nodb\""), HasSubstr("/nonexistent/socket/dir"),
                             Not(HasSubstr("s3cret-pw")))));
}

TEST_F(PostgresConfigStoreTest, MissingDatabaseIsUnavailableNamingIt) {
  std::string url = db_->Url();
  url.replace(url.find(db_->name()), db_->name().size(), db_->name() + "_missing");
  EXPECT_THAT(OpenUrl(url), StatusIs(StatusCode::kUnavailable,
                                     HasSubstr("database \"" + db_->name() + "_missing\"")));
}

TEST_F(PostgresConfigStoreTest, UrlLibpqCannotParseIsInvalidArgument) {
  EXPECT_THAT(OpenUrl("postgres://odmd:s3cret-pw@localhost/db?no_such_parameter=1"),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("no_such_parameter"), Not(HasSubstr("s3cret-pw")))));
  EXPECT_THAT(OpenUrl("postgres:db"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("not a valid PostgreSQL URL")));
}

TEST_F(PostgresConfigStoreTest, ForeignLogTableIsFailedPreconditionAndLeftAlone) {
  MustQuery("CREATE TABLE odmd_log (id integer)");
  EXPECT_THAT(OpenUrl(db_->Url()),
              StatusIs(StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("database \"" + db_->name() + "\" is not an odmd store"),
                             HasSubstr("\"odmd_log\""))));
  EXPECT_THAT(MustQuery("SELECT to_regclass('odmd_meta') IS NULL"), ElementsAre("t"));
}

TEST_F(PostgresConfigStoreTest, ForeignMetaTableIsFailedPrecondition) {
  MustQuery("CREATE TABLE odmd_meta (owner text)");
  EXPECT_THAT(OpenUrl(db_->Url()),
              StatusIs(StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("database \"" + db_->name() + "\" is not an odmd store"),
                             HasSubstr("\"odmd_meta\" is another application's"))));
  MustQuery(
      "DROP TABLE odmd_meta; CREATE TABLE odmd_meta (id integer, application text, "
      "schema_version integer, head_revision bigint); "
      "INSERT INTO odmd_meta VALUES (1, 'not-odmd', 1, 0)");
  EXPECT_THAT(OpenUrl(db_->Url()), StatusIs(StatusCode::kFailedPrecondition,
                                            HasSubstr("\"odmd_meta\" is another application's")));
}

TEST_F(PostgresConfigStoreTest, NewerSchemaIsFailedPreconditionNamingTheDatabase) {
  {
    ConfigStorePtr store = MustOpen(db_->Url());
    ASSERT_NE(store, nullptr);
    MustPut(*store, "/a", "1");
  }
  MustQuery("UPDATE odmd_meta SET schema_version = 3");
  EXPECT_THAT(OpenUrl(db_->Url()),
              StatusIs(StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("database \"" + db_->name() + "\""),
                             HasSubstr("schema version 3, newer than this odmd reads (2)"))));
}

TEST_F(PostgresConfigStoreTest, ConcurrentOpenersOfAnEmptyDatabaseAllSucceed) {
  constexpr int kOpeners = 4;
  std::vector<Result<ConfigStorePtr>> opened;
  for (int i = 0; i < kOpeners; ++i) opened.emplace_back(InternalError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kOpeners; ++i) {
    threads.emplace_back([this, i, &opened] { opened[i] = OpenUrl(db_->Url()); });
  }
  for (std::thread& thread : threads) thread.join();
  for (Result<ConfigStorePtr>& store : opened) ASSERT_THAT(store, IsOk());
  EXPECT_EQ((*opened[0])->Put("/a", "1", std::nullopt)->revision, 1);
  EXPECT_EQ((*opened[3])->Put("/a", "2", std::nullopt)->revision, 2);
}

TEST_F(PostgresConfigStoreTest, KeysAreBytesInBytewiseOrder) {
  ConfigStorePtr store = MustOpen(db_->Url());
  ASSERT_NE(store, nullptr);
  const std::string not_utf8 = "/\xff\xfe";
  const std::string accented = "/\xc3\xa9";
  for (const std::string& key : {not_utf8, accented, std::string("/a"), std::string("/B")}) {
    MustPut(*store, key, key);
  }
  Result<std::vector<Entry>> all = store->List("/");
  ASSERT_THAT(all, IsOk());
  EXPECT_THAT(KeysOf(*all), ElementsAre("/B", "/a", accented, not_utf8));
  Result<Entry> got = store->Get(not_utf8);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->value, not_utf8);
  Result<std::vector<Entry>> under_ff = store->List("/\xff");
  ASSERT_THAT(under_ff, IsOk());
  EXPECT_THAT(KeysOf(*under_ff), ElementsAre(not_utf8));
}

TEST_F(PostgresConfigStoreTest, NonDurableStoreWritesAndReads) {
  StoreOptions options;
  options.url = db_->Url();
  options.durable = false;
  Result<ConfigStorePtr> store = OpenConfigStore(options);
  ASSERT_THAT(store, IsOk());
  MustPut(**store, "/a", "1");
  Result<Entry> got = (*store)->Get("/a");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->value, "1");
}

TEST_F(PostgresConfigStoreTest, RevisionsAreGaplessAcrossStoreObjects) {
  constexpr int kStores = 3;
  constexpr int kThreadsPerStore = 4;
  constexpr int kPuts = 40;
  constexpr int kTotal = kStores * kThreadsPerStore * kPuts;
  ConfigStorePtr watcher = MustOpen(db_->Url());
  ASSERT_NE(watcher, nullptr);
  ChangeCollector collector;
  Result<WatchHandlePtr> watch = watcher->Watch("/", 0, collector.Sink());
  ASSERT_THAT(watch, IsOk());
  std::vector<ConfigStorePtr> stores;
  for (int s = 0; s < kStores; ++s) stores.push_back(MustOpen(db_->Url()));
  std::vector<std::vector<WriteResult>> acks(kStores * kThreadsPerStore);
  std::vector<std::thread> threads;
  for (int t = 0; t < kStores * kThreadsPerStore; ++t) {
    threads.emplace_back([&, t] {
      ConfigStore& store = *stores[t % kStores];
      for (int i = 0; i < kPuts; ++i) {
        Result<WriteResult> written = store.Put("/t" + std::to_string(t), "v", std::nullopt);
        if (written.ok()) acks[t].push_back(*written);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<Revision> revisions;
  for (const std::vector<WriteResult>& thread_acks : acks) {
    ASSERT_EQ(thread_acks.size(), static_cast<std::size_t>(kPuts));
    for (int i = 0; i < kPuts; ++i) {
      EXPECT_EQ(thread_acks[i].version, i + 1);
      revisions.push_back(thread_acks[i].revision);
    }
  }
  std::sort(revisions.begin(), revisions.end());
  for (int i = 0; i < kTotal; ++i) ASSERT_EQ(revisions[i], i + 1);
  // The watcher wrote nothing: every event reached it through the server.
  std::vector<ChangeEvent> events = collector.WaitFor(kTotal);
  ASSERT_EQ(events.size(), static_cast<std::size_t>(kTotal));
  for (int i = 0; i < kTotal; ++i) ASSERT_EQ(events[i].revision, i + 1);
}

TEST_F(PostgresConfigStoreTest, WatchSeesWritesOfAnotherStoreObject) {
  ConfigStorePtr watcher = MustOpen(db_->Url());
  ConfigStorePtr writer = MustOpen(db_->Url());
  ASSERT_NE(watcher, nullptr);
  ASSERT_NE(writer, nullptr);
  ChangeCollector collector;
  Result<WatchHandlePtr> watch = watcher->Watch("/x/", 0, collector.Sink());
  ASSERT_THAT(watch, IsOk());
  MustPut(*writer, "/x/1", "a");
  MustPut(*writer, "/y/1", "b");
  ODMD_ASSERT_OK(writer->Delete("/x/1", std::nullopt));
  EXPECT_THAT(collector.WaitFor(2),
              ElementsAre(ChangeEvent{1, "/x/1", ChangeKind::kPut, "a", 1, 0},
                          ChangeEvent{3, "/x/1", ChangeKind::kDelete, "", 2, 1}));
}

// The listener's backend is terminated and no connection to the database is allowed while
// another store object writes, so only the listener's reconnect and catch-up can deliver
// those writes; then one more write shows it is LISTENing again.
TEST_F(PostgresConfigStoreTest, ListenerReconnectsAndCatchesUpAfterItsBackendIsTerminated) {
  ConfigStorePtr watcher = MustOpenAs("odmd_watcher");
  ConfigStorePtr writer = MustOpenAs("odmd_writer");
  ASSERT_NE(watcher, nullptr);
  ASSERT_NE(writer, nullptr);
  MustPut(*writer, "/k", "0");
  ChangeCollector collector;
  Result<WatchHandlePtr> watch = watcher->Watch("/", 0, collector.Sink());
  ASSERT_THAT(watch, IsOk());
  ASSERT_EQ(collector.WaitFor(1).size(), 1u);

  // First bar new connections, or the listener could be back before the writes.
  MustAdmin("ALTER DATABASE " + db_->name() + " ALLOW_CONNECTIONS false");
  Result<int> terminated = db_->Terminate("odmd_watcher", "LISTEN%");
  ASSERT_THAT(terminated, IsOk());
  ASSERT_EQ(*terminated, 1) << "the listener is LISTENing once Watch has returned";
  constexpr int kWhileDown = 20;
  for (int i = 1; i <= kWhileDown; ++i) MustPut(*writer, "/k", std::to_string(i));
  // Nothing can wake the watch while its listener cannot connect.
  EXPECT_EQ(collector.Snapshot().size(), 1u);
  MustAdmin("ALTER DATABASE " + db_->name() + " ALLOW_CONNECTIONS true");
  ASSERT_EQ(collector.WaitFor(1 + kWhileDown).size(), 1u + kWhileDown);

  MustPut(*writer, "/k", "after");
  std::vector<ChangeEvent> events = collector.WaitFor(2 + kWhileDown);
  ASSERT_EQ(events.size(), 2u + kWhileDown);
  for (int i = 0; i <= kWhileDown; ++i) {
    EXPECT_EQ(events[i], (ChangeEvent{i + 1, "/k", ChangeKind::kPut, std::to_string(i), i + 1, i}));
  }
  EXPECT_EQ(events.back().value, "after");
  ODMD_EXPECT_OK((*watch)->status());
}

// Every connection of the watching store dies at once (listener, reader, writer); the
// watch delivers exactly the committed changes, and the store's own calls recover.
TEST_F(PostgresConfigStoreTest, WatchSurvivesLosingEveryConnectionOfItsStore) {
  ConfigStorePtr watcher = MustOpenAs("odmd_watcher");
  ConfigStorePtr writer = MustOpenAs("odmd_writer");
  ASSERT_NE(watcher, nullptr);
  ASSERT_NE(writer, nullptr);
  ChangeCollector collector;
  Result<WatchHandlePtr> watch = watcher->Watch("/", 0, collector.Sink());
  ASSERT_THAT(watch, IsOk());
  MustPut(*watcher, "/own", "1");
  ASSERT_EQ(collector.WaitFor(1).size(), 1u);

  MustAdmin("ALTER DATABASE " + db_->name() + " ALLOW_CONNECTIONS false");
  Result<int> terminated = db_->Terminate("odmd_watcher", "%");
  ASSERT_THAT(terminated, IsOk());
  EXPECT_GE(*terminated, 3);  // listener, the watch's reader, writer
  for (int i = 0; i < 10; ++i) MustPut(*writer, "/other", std::to_string(i));
  MustAdmin("ALTER DATABASE " + db_->name() + " ALLOW_CONNECTIONS true");
  ASSERT_EQ(collector.WaitFor(11).size(), 11u);
  // The watcher's writer lost its connection: one kUnavailable, then it reconnects.
  EXPECT_THAT(watcher->Put("/own", "2", std::nullopt), StatusIs(StatusCode::kUnavailable));
  Result<WriteResult> written = watcher->Put("/own", "2", std::nullopt);
  ASSERT_THAT(written, IsOk());
  EXPECT_EQ(*written, (WriteResult{12, 2}));
  std::vector<ChangeEvent> events = collector.WaitFor(12);
  std::vector<Revision> expected;
  for (Revision r = 1; r <= 12; ++r) expected.push_back(r);
  EXPECT_EQ(RevisionsOf(events), expected);
  ODMD_EXPECT_OK((*watch)->status());
}

TEST_F(PostgresConfigStoreTest, LostConnectionIsUnavailableWithTheServersMessageThenRecovers) {
  ConfigStorePtr store = MustOpenAs("odmd_lost");
  ASSERT_NE(store, nullptr);
  MustPut(*store, "/a", "1");
  ODMD_ASSERT_OK(store->Get("/a"));
  Result<int> terminated = db_->Terminate("odmd_lost", "%");
  ASSERT_THAT(terminated, IsOk());
  ASSERT_EQ(*terminated, 2);  // the writer and the reader

  const auto lost = StatusIs(StatusCode::kUnavailable,
                             AllOf(HasSubstr("terminating connection due to administrator command"),
                                   HasSubstr("store \"postgresql:///" + db_->name())));
  EXPECT_THAT(store->Get("/a"), lost);
  Result<Entry> got = store->Get("/a");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->value, "1");

  EXPECT_THAT(store->Put("/a", "2", std::nullopt), lost);
  Result<WriteResult> written = store->Put("/a", "2", std::nullopt);
  ASSERT_THAT(written, IsOk());
  EXPECT_EQ(*written, (WriteResult{2, 2})) << "the failed put wrote nothing";
}

TEST_F(PostgresConfigStoreTest, WriterWaitingLongerThanBusyTimeoutIsUnavailable) {
  Result<ConfigStorePtr> store = OpenUrl(db_->Url(), std::chrono::milliseconds(50));
  ASSERT_THAT(store, IsOk());
  Session other(db_->Url());
  ASSERT_TRUE(other.ok());
  // Another process's writer holds the head row.
  ASSERT_EQ(other.Exec("BEGIN; SELECT head_revision FROM odmd_meta FOR UPDATE"), "");
  EXPECT_THAT((*store)->Put("/a", "1", std::nullopt),
              StatusIs(StatusCode::kUnavailable, HasSubstr("lock timeout")));
  ASSERT_EQ(other.Exec("COMMIT"), "");
  Result<WriteResult> written = (*store)->Put("/a", "1", std::nullopt);
  ASSERT_THAT(written, IsOk());
  EXPECT_EQ(*written, (WriteResult{1, 1}));
}

TEST_F(PostgresConfigStoreTest, DroppedSchemaIsFailedPrecondition) {
  ConfigStorePtr store = MustOpen(db_->Url());
  ASSERT_NE(store, nullptr);
  MustPut(*store, "/a", "1");
  MustQuery("DROP TABLE odmd_log CASCADE");
  EXPECT_THAT(store->Get("/a"), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("odmd_log")));
}

}  // namespace
}  // namespace odmd::store
