// One SQLite store file used by several writers at once: two SqliteConfigStore objects in
// this process, a child process, and a plain SQLite connection standing in for a foreign
// program. Each one's commits must be seen by the others at once: by their writers (per-key
// versions and compare-and-set), their reads (the latest-value cache) and their watches
// (cross-process watch, exactly once and in order).
//
// The child is this test binary started again (fork + exec) with ODMD_SQLITE_TEST_CHILD set:
// a child that only forked would inherit this process's SQLite state (open files and lock
// bookkeeping) while the parent keeps using it, which SQLite forbids. The child does its puts
// before main runs and exits, so no gtest code runs in it. Nothing sleeps: waits are on
// condition variables or waitpid, with generous timeouts only as failure guards.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "odmd/store/open_config_store.h"
#include "odmd/testing/change_collector.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::store {
namespace {

using ::odmd::testing::ChangeCollector;
using ::odmd::testing::IsOk;
using ::odmd::testing::RevisionsOf;
using ::odmd::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kChildEnv = "ODMD_SQLITE_TEST_CHILD";

// What a child does: `count` puts of `key`, values `prefix`0, `prefix`1, ...
struct ChildJob {
  std::string url;
  std::string key;
  std::string prefix;
  int count = 0;
};

std::string EncodeJob(const ChildJob& job) {
  return job.url + "\n" + job.key + "\n" + job.prefix + "\n" + std::to_string(job.count);
}

std::optional<ChildJob> DecodeJob(const std::string& text) {
  std::istringstream in(text);
  ChildJob job;
  std::string count;
  if (!std::getline(in, job.url) || !std::getline(in, job.key) || !std::getline(in, job.prefix) ||
      !std::getline(in, count)) {
    return std::nullopt;
  }
  job.count = std::atoi(count.c_str());
  return job;
}

// The child's whole life; exit status 0 when every put was acknowledged.
[[noreturn]] void RunChildJob(const std::string& encoded) {
  std::optional<ChildJob> job = DecodeJob(encoded);
  if (!job) {
    std::fprintf(stderr, "child: malformed %s\n", kChildEnv);
    _exit(2);
  }
  StoreOptions options;
  options.url = job->url;
  Result<ConfigStorePtr> store = OpenConfigStore(options);
  if (!store.ok()) {
    std::fprintf(stderr, "child: %s\n", store.status().ToString().c_str());
    _exit(3);
  }
  for (int i = 0; i < job->count; ++i) {
    Result<WriteResult> put =
        (*store)->Put(job->key, job->prefix + std::to_string(i), std::nullopt);
    if (!put.ok()) {
      std::fprintf(stderr, "child: %s\n", put.status().ToString().c_str());
      _exit(4);
    }
  }
  store->reset();
  _exit(0);
}

int RunChildIfAsked() {
  if (const char* job = getenv(kChildEnv)) RunChildJob(job);
  return 0;
}
[[maybe_unused]] const int kChildCheck = RunChildIfAsked();

// Starts this binary again as a writer child doing `job`; returns its pid.
pid_t StartChild(const ChildJob& job) {
  const std::string job_env = std::string(kChildEnv) + "=" + EncodeJob(job);
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) env.push_back(*e);
  env.push_back(const_cast<char*>(job_env.c_str()));
  env.push_back(nullptr);
  char name[] = "odmd_store_test_child";
  char* argv[] = {name, nullptr};
  const pid_t pid = fork();
  if (pid == 0) {
    execve("/proc/self/exe", argv, env.data());
    _exit(127);
  }
  return pid;
}

// Waits for a child started by StartChild; its exit status (-1 if it did not exit).
int WaitChild(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

class SqliteSharedFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "odmd-shared-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/state.db";
    url_ = "sqlite:" + path_;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  ConfigStorePtr Open(std::chrono::milliseconds busy_timeout = std::chrono::milliseconds(5000)) {
    StoreOptions options;
    options.url = url_;
    options.busy_timeout = busy_timeout;
    Result<ConfigStorePtr> store = OpenConfigStore(options);
    EXPECT_THAT(store, IsOk());
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // A plain SQLite connection to the store file: a program that is not odmd.
  sqlite3* OpenRaw() {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    return db;
  }
  static void ExecRaw(sqlite3* db, const std::string& sql) {
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << sql << ": " << (error != nullptr ? error : "");
    sqlite3_free(error);
  }

  void RunChild(const std::string& key, const std::string& prefix, int count) {
    EXPECT_EQ(WaitChild(StartChild({url_, key, prefix, count})), 0) << "child writing " << key;
  }

  static WriteResult MustPut(ConfigStore& store, const std::string& key, const std::string& value) {
    Result<WriteResult> written = store.Put(key, value, std::nullopt);
    EXPECT_THAT(written, IsOk()) << key;
    return written.ok() ? *written : WriteResult{};
  }
  static std::string ValueOf(ConfigStore& store, const std::string& key) {
    Result<Entry> got = store.Get(key);
    return got.ok() ? got->value : got.status().ToString();
  }

  // Everything under `prefix` as a watch reading only the log (a store opened just for it,
  // with no live writes) delivers it: the oracle for the live watches.
  std::vector<ChangeEvent> LogEvents(const std::string& prefix, std::size_t n) {
    ConfigStorePtr reader = Open();
    ChangeCollector collector;
    Result<WatchHandlePtr> watch = reader->Watch(prefix, 0, collector.Sink());
    EXPECT_THAT(watch, IsOk());
    return collector.WaitFor(n);
  }

  std::string dir_;
  std::string path_;
  std::string url_;
};

// --- writers -------------------------------------------------------------------------

TEST_F(SqliteSharedFileTest, AlternatingPutsThroughTwoStoresKeepVersionsAndRevisions) {
  ConfigStorePtr a = Open();
  ConfigStorePtr b = Open();
  for (int i = 0; i < 20; ++i) {
    ConfigStore& writer = i % 2 == 0 ? *a : *b;
    ConfigStore& reader = i % 2 == 0 ? *b : *a;
    EXPECT_EQ(MustPut(writer, "/k", "v" + std::to_string(i)), (WriteResult{i + 1, i + 1}));
    EXPECT_EQ(ValueOf(reader, "/k"), "v" + std::to_string(i));
  }
  Result<std::vector<Entry>> history = a->History("/k");
  ASSERT_THAT(history, IsOk());
  ASSERT_EQ(history->size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ((*history)[i].version, i + 1);
}

TEST_F(SqliteSharedFileTest, CompareAndSetSeesTheOtherStoresWrites) {
  ConfigStorePtr a = Open();
  ConfigStorePtr b = Open();
  EXPECT_EQ(MustPut(*a, "/k", "a1"), (WriteResult{1, 1}));
  Result<WriteResult> b1 = b->Put("/k", "b1", 1);
  ASSERT_THAT(b1, IsOk());
  EXPECT_EQ(*b1, (WriteResult{2, 2}));
  EXPECT_THAT(a->Put("/k", "a2", 1),
              StatusIs(StatusCode::kAborted, AllOf(HasSubstr("\"/k\""), HasSubstr("revision 2"))));
  Result<WriteResult> a2 = a->Put("/k", "a2", 2);
  ASSERT_THAT(a2, IsOk());
  EXPECT_EQ(*a2, (WriteResult{3, 3}));
  Result<WriteResult> deleted = b->Delete("/k", std::nullopt);
  ASSERT_THAT(deleted, IsOk());
  EXPECT_EQ(*deleted, (WriteResult{4, 4}));
  EXPECT_THAT(a->Delete("/k", std::nullopt),
              StatusIs(StatusCode::kNotFound, HasSubstr("\"/k\" not found")));
  Result<WriteResult> recreated = a->Put("/k", "a3", 0);  // absent again: 0 matches
  ASSERT_THAT(recreated, IsOk());
  EXPECT_EQ(*recreated, (WriteResult{5, 5}));
  EXPECT_THAT(b->Put("/k", "b2", 0),
              StatusIs(StatusCode::kAborted, HasSubstr("is at revision 5, not 0")));
}

TEST_F(SqliteSharedFileTest, ChildProcessWritesBetweenOursKeepVersionsAndRevisions) {
  ConfigStorePtr a = Open();
  EXPECT_EQ(MustPut(*a, "/k", "parent0"), (WriteResult{1, 1}));
  RunChild("/k", "child", 3);
  EXPECT_EQ(MustPut(*a, "/k", "parent1"), (WriteResult{5, 5}));
  Result<Entry> fourth = a->GetVersion("/k", 4);
  ASSERT_THAT(fourth, IsOk());
  EXPECT_EQ(*fourth, (Entry{"/k", "child2", 4, 4, false}));
}

TEST_F(SqliteSharedFileTest, WriteLockHeldElsewhereIsUnavailableAndTheNextWriteSeesItsRow) {
  ConfigStorePtr a = Open(std::chrono::milliseconds(1));
  EXPECT_EQ(MustPut(*a, "/k", "odmd"), (WriteResult{1, 1}));
  sqlite3* raw = OpenRaw();
  ExecRaw(raw, "BEGIN IMMEDIATE");
  ExecRaw(raw,
          "INSERT INTO log (revision, key, version, value, tombstone) "
          "VALUES (2, '/k', 2, 'foreign', 0)");
  EXPECT_THAT(a->Put("/k", "refused", std::nullopt),
              StatusIs(StatusCode::kUnavailable, AllOf(HasSubstr(path_), HasSubstr("locked"))));
  ExecRaw(raw, "COMMIT");
  sqlite3_close(raw);
  EXPECT_EQ(MustPut(*a, "/k", "odmd again"), (WriteResult{3, 3}));
  Result<Entry> second = a->GetVersion("/k", 2);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->value, "foreign");
}

// A database error in the middle of a batch (here a foreign trigger refusing its third
// insert, after two inserts ran) rolls the whole transaction back: the writer's memory of
// the keys, the read cache and the watches all stay with what was committed.
TEST_F(SqliteSharedFileTest, BatchFailingInTheDatabaseMidwayWritesNothingAndForgetsNothing) {
  ConfigStorePtr a = Open();
  EXPECT_EQ(MustPut(*a, "/a", "a1"), (WriteResult{1, 1}));
  ChangeCollector collector;
  Result<WatchHandlePtr> watch = a->Watch("/", 0, collector.Sink());
  ASSERT_THAT(watch, IsOk());
  ASSERT_EQ(ValueOf(*a, "/a"), "a1");  // cached
  sqlite3* raw = OpenRaw();
  ExecRaw(raw,
          "CREATE TRIGGER refuse_boom BEFORE INSERT ON log WHEN NEW.key = '/boom' "
          "BEGIN SELECT RAISE(ABORT, 'boom refused'); END");
  // The store's own write first, so the trigger's schema change is behind it.
  EXPECT_EQ(MustPut(*a, "/z", "z1"), (WriteResult{2, 1}));
  const std::vector<BatchOp> ops = {BatchOp::Put("/a", "a2", 1), BatchOp::Put("/b", "b1"),
                                    BatchOp::Put("/boom", "x")};
  Result<std::vector<WriteResult>> failed = a->WriteBatch(ops);
  EXPECT_FALSE(failed.ok());
  EXPECT_THAT(failed.status().message(), HasSubstr("boom refused"));
  EXPECT_EQ(*a->LatestRevision(), 2);
  EXPECT_EQ(ValueOf(*a, "/a"), "a1");
  EXPECT_THAT(a->Get("/b"), StatusIs(StatusCode::kNotFound));
  ExecRaw(raw, "DROP TRIGGER refuse_boom");
  sqlite3_close(raw);
  // The revisions and versions the failed batch used are free again.
  EXPECT_THAT(a->Put("/a", "stale", 3), StatusIs(StatusCode::kAborted, HasSubstr("revision 1")));
  Result<std::vector<WriteResult>> written = a->WriteBatch(ops);
  ASSERT_THAT(written, IsOk());
  EXPECT_THAT(*written, ElementsAre(WriteResult{3, 2}, WriteResult{4, 1}, WriteResult{5, 1}));
  EXPECT_EQ(ValueOf(*a, "/a"), "a2");
  EXPECT_THAT(RevisionsOf(collector.WaitFor(5)), ElementsAre(1, 2, 3, 4, 5));
}

// --- reads (the latest-value cache) --------------------------------------------------

TEST_F(SqliteSharedFileTest, GetSeesEveryCommitOfAnotherStoreAtOnce) {
  ConfigStorePtr a = Open();
  ConfigStorePtr b = Open();
  EXPECT_THAT(a->Get("/k"), StatusIs(StatusCode::kNotFound));
  for (int i = 0; i < 50; ++i) {
    MustPut(*b, "/k", "v" + std::to_string(i));
    EXPECT_EQ(ValueOf(*a, "/k"), "v" + std::to_string(i));
    EXPECT_EQ(ValueOf(*a, "/k"), "v" + std::to_string(i));  // a second read, from memory
  }
  ODMD_EXPECT_OK(b->Delete("/k", std::nullopt).status());
  EXPECT_THAT(a->Get("/k"), StatusIs(StatusCode::kNotFound, HasSubstr("deleted at revision 51")));
  MustPut(*b, "/k", "back");
  EXPECT_EQ(ValueOf(*a, "/k"), "back");
}

TEST_F(SqliteSharedFileTest, GetSeesAForeignProgramRewritingARowInPlace) {
  ConfigStorePtr a = Open();
  MustPut(*a, "/k", "v1");
  EXPECT_EQ(ValueOf(*a, "/k"), "v1");
  EXPECT_EQ(ValueOf(*a, "/k"), "v1");
  sqlite3* raw = OpenRaw();
  ExecRaw(raw, "UPDATE log SET value = 'rewritten' WHERE key = '/k'");
  sqlite3_close(raw);
  EXPECT_EQ(ValueOf(*a, "/k"), "rewritten");
}

TEST_F(SqliteSharedFileTest, GetSeesAChildProcessCommitAtOnce) {
  ConfigStorePtr a = Open();
  MustPut(*a, "/k", "parent");
  EXPECT_EQ(ValueOf(*a, "/k"), "parent");
  EXPECT_EQ(ValueOf(*a, "/k"), "parent");
  EXPECT_THAT(a->Get("/other"), StatusIs(StatusCode::kNotFound));
  RunChild("/k", "child", 1);
  EXPECT_EQ(ValueOf(*a, "/k"), "child0");
  RunChild("/other", "child", 1);
  EXPECT_EQ(ValueOf(*a, "/other"), "child0");
}

// --- watches -------------------------------------------------------------------------

TEST_F(SqliteSharedFileTest, WatchDeliversAnotherStoresPutsBeforeAndWhileItRuns) {
  ConfigStorePtr a = Open();
  ConfigStorePtr b = Open();
  MustPut(*b, "/w/1", "b");
  MustPut(*a, "/w/2", "a");
  MustPut(*b, "/other", "b");
  MustPut(*b, "/w/1", "b");
  ChangeCollector collector;
  Result<WatchHandlePtr> watch = a->Watch("/w/", 0, collector.Sink());
  ASSERT_THAT(watch, IsOk());
  for (int i = 0; i < 10; ++i) {
    MustPut(*b, "/w/1", "b" + std::to_string(i));
    if (i % 3 == 0) MustPut(*a, "/w/2", "a" + std::to_string(i));
    if (i % 4 == 0) MustPut(*b, "/other", "b");
  }
  // 3 before the watch, 10 + 4 while it runs.
  const std::vector<ChangeEvent> expected = LogEvents("/w/", 17);
  ASSERT_EQ(expected.size(), 17u);
  EXPECT_EQ(collector.WaitFor(17), expected);
  // Nothing was delivered twice: the next event is the 18th.
  const WriteResult last = MustPut(*b, "/w/3", "last");
  const std::vector<ChangeEvent> events = collector.WaitFor(18);
  ASSERT_EQ(events.size(), 18u);
  EXPECT_EQ(events.back().revision, last.revision);
  ODMD_EXPECT_OK((*watch)->status());
}

TEST_F(SqliteSharedFileTest, WatchDeliversAChildProcessesPutsInOrderExactlyOnce) {
  ConfigStorePtr a = Open();
  RunChild("/w/child", "before", 5);
  ChangeCollector collector;
  Result<WatchHandlePtr> watch = a->Watch("/w/", 0, collector.Sink());
  ASSERT_THAT(watch, IsOk());
  // The child and this process write at the same time: their commits interleave.
  const pid_t child = StartChild({url_, "/w/child", "while", 30});
  for (int i = 0; i < 30; ++i) MustPut(*a, "/w/parent", std::to_string(i));
  EXPECT_EQ(WaitChild(child), 0);
  const std::vector<ChangeEvent> events = collector.WaitFor(65);
  ASSERT_EQ(events.size(), 65u);
  std::vector<Revision> all;
  for (Revision r = 1; r <= 65; ++r) all.push_back(r);
  EXPECT_EQ(RevisionsOf(events), all);
  EXPECT_EQ(events, LogEvents("/w/", 65));
  RunChild("/w/child", "last", 1);
  EXPECT_EQ(RevisionsOf(collector.WaitFor(66)).back(), 66);
  ODMD_EXPECT_OK((*watch)->status());
}

TEST_F(SqliteSharedFileTest, WatchSeesAForeignProgramsCommitByTheFallbackPoll) {
  ConfigStorePtr a = Open();
  MustPut(*a, "/w/1", "odmd");
  ChangeCollector collector;
  Result<WatchHandlePtr> watch = a->Watch("/w/", 0, collector.Sink());
  ASSERT_THAT(watch, IsOk());
  ASSERT_EQ(collector.WaitFor(1).size(), 1u);
  // The sqlite3 shell does not signal its commits; the notifier's poll finds them.
  sqlite3* raw = OpenRaw();
  ExecRaw(raw,
          "INSERT INTO log (revision, key, version, value, tombstone) "
          "VALUES (2, '/w/2', 1, 'foreign', 0)");
  sqlite3_close(raw);
  EXPECT_THAT(collector.WaitFor(2),
              ElementsAre(ChangeEvent{1, "/w/1", ChangeKind::kPut, "odmd", 1, 0},
                          ChangeEvent{2, "/w/2", ChangeKind::kPut, "foreign", 1, 0}));
}

TEST_F(SqliteSharedFileTest, WatchReadsAForeignCommitFromTheLogBeforeTheNextOwnWrite) {
  ConfigStorePtr a = Open();
  MustPut(*a, "/w/1", "odmd");
  ChangeCollector collector;
  Result<WatchHandlePtr> watch = a->Watch("/w/", 0, collector.Sink());
  ASSERT_THAT(watch, IsOk());
  ASSERT_EQ(collector.WaitFor(1).size(), 1u);
  sqlite3* raw = OpenRaw();
  ExecRaw(raw,
          "INSERT INTO log (revision, key, version, value, tombstone) "
          "VALUES (2, '/w/2', 1, 'foreign', 0)");
  sqlite3_close(raw);
  // Handed over at once, revision 3 comes with a gap before it (revision 2, unsignalled,
  // not yet polled), which the watch fills from the log first.
  MustPut(*a, "/w/3", "odmd");
  EXPECT_THAT(RevisionsOf(collector.WaitFor(3)), ElementsAre(1, 2, 3));
}

TEST_F(SqliteSharedFileTest, WatchFillsAGapEvenWhenTheOwnWriteAfterItIsNotUnderItsPrefix) {
  ConfigStorePtr a = Open();
  MustPut(*a, "/w/1", "odmd");
  ChangeCollector collector;
  Result<WatchHandlePtr> watch = a->Watch("/w/", 0, collector.Sink());
  ASSERT_THAT(watch, IsOk());
  ASSERT_EQ(collector.WaitFor(1).size(), 1u);
  sqlite3* raw = OpenRaw();
  ExecRaw(raw,
          "INSERT INTO log (revision, key, version, value, tombstone) "
          "VALUES (2, '/w/2', 1, 'foreign', 0)");
  sqlite3_close(raw);
  // Revision 3 has nothing for the watch, but it was handed over with a gap before it: the
  // notifier's poll will find the latest revision announced and poke nobody, so the gap
  // must be read now.
  MustPut(*a, "/other", "odmd");
  EXPECT_THAT(RevisionsOf(collector.WaitFor(2)), ElementsAre(1, 2));
}

}  // namespace
}  // namespace odmd::store
