// The leader lease on PostgreSQL (leader_lease.h), against the real test cluster: grants,
// renewals and takeovers with growing epochs decided by the database's clock, and the fence:
// a replica whose lease was taken over writes nothing, whether it tries after the takeover,
// while the takeover is in flight, or after its connections were cut.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "odmd/store/leader_lease.h"
#include "odmd/store/open_config_store.h"
#include "odmd/testing/status_matchers.h"
#include "postgres_test_db.h"

namespace odmd::store {
namespace {

using ::odmd::testing::IsOk;
using ::odmd::testing::PostgresTestDb;
using ::odmd::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// What Acquire answered: the epoch granted, kHeld when another replica holds the lease, or
// kFailed (the error reported).
constexpr Epoch kHeld = 0;
constexpr Epoch kFailed = -1;
Epoch Granted(const Result<std::optional<Epoch>>& acquired) {
  if (!acquired.ok()) {
    ADD_FAILURE() << "Acquire: " << acquired.status().ToString();
    return kFailed;
  }
  return acquired->value_or(kHeld);
}

class PostgresLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<PostgresTestDb>> db = PostgresTestDb::Create();
    ASSERT_THAT(db, IsOk());
    db_ = std::move(db).value();
  }
  void TearDown() override { db_.reset(); }

  // A store whose connections are told apart in pg_stat_activity by `application`.
  ConfigStorePtr MustOpenAs(const std::string& application) {
    StoreOptions options;
    options.url = db_->Url("application_name=" + application);
    Result<ConfigStorePtr> store = OpenConfigStore(options);
    EXPECT_THAT(store, IsOk());
    return store.ok() ? std::move(store).value() : nullptr;
  }
  LeaderLeasePtr MustLease(ConfigStore& store, const std::string& replica,
                           std::chrono::milliseconds duration = std::chrono::seconds(30)) {
    LeaseOptions options;
    options.replica_id = replica;
    options.address = "http://" + replica + ":7780";
    options.duration = duration;
    Result<LeaderLeasePtr> lease = store.NewLeaderLease(options);
    EXPECT_THAT(lease, IsOk());
    return lease.ok() ? std::move(lease).value() : nullptr;
  }
  std::vector<std::string> MustQuery(const std::string& sql) {
    Result<std::vector<std::string>> rows = db_->Query(sql);
    EXPECT_THAT(rows, IsOk());
    return rows.ok() ? *rows : std::vector<std::string>();
  }
  // The test's way to let time pass on the database's clock: the lease's expiry is moved
  // into the past, as if its holder had stopped renewing long ago.
  void ExpireLease() {
    EXPECT_THAT(MustQuery("UPDATE odmd_lease SET expires_at = now() - interval '1 second' "
                          "RETURNING epoch"),
                ::testing::SizeIs(1));
  }
  // Waits until `count` backends of this database wait for a lock (the statements that
  // block on a row have been sent); false after 30 s.
  bool WaitForLockWaiters(int count) {
    for (int i = 0; i < 6000; ++i) {
      std::vector<std::string> rows = MustQuery(
          "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
          "AND wait_event_type = 'Lock'");
      if (!rows.empty() && rows[0] == std::to_string(count)) return true;
      ::usleep(5000);
    }
    return false;
  }

  std::unique_ptr<PostgresTestDb> db_;
};

TEST_F(PostgresLeaseTest, OneReplicaHoldsTheLeaseAndEpochsGrowWithEachTakeover) {
  ConfigStorePtr store_a = MustOpenAs("a");
  ConfigStorePtr store_b = MustOpenAs("b");
  LeaderLeasePtr a = MustLease(*store_a, "a");
  LeaderLeasePtr b = MustLease(*store_b, "b");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);

  EXPECT_EQ(Granted(a->Acquire()), 1);
  EXPECT_EQ(Granted(b->Acquire()), kHeld);  // held by a
  ODMD_EXPECT_OK(a->Renew(1));
  EXPECT_EQ(Granted(b->Acquire()), kHeld);

  Result<LeaseState> state = b->Current();
  ASSERT_THAT(state, IsOk());
  EXPECT_EQ(state->holder, "a");
  EXPECT_EQ(state->holder_address, "http://a:7780");
  EXPECT_EQ(state->epoch, 1);
  EXPECT_TRUE(state->held());
  EXPECT_GE(state->expires_at_ms - state->now_ms, 20'000);  // renewed for 30 s
  std::vector<std::string> replicas;
  for (const ReplicaInfo& r : state->replicas) replicas.push_back(r.id);
  EXPECT_THAT(replicas, ElementsAre("a", "b"));  // both heartbeats recorded

  // A release hands over at once; the new holder gets the next epoch.
  ODMD_EXPECT_OK(a->Release(1));
  EXPECT_EQ(Granted(b->Acquire()), 2);
  EXPECT_THAT(a->Renew(1),
              StatusIs(StatusCode::kAborted, AllOf(HasSubstr("lease lost"), HasSubstr("epoch 1"),
                                                   HasSubstr("now epoch 2 of replica \"b\""))));
  state = a->Current();
  ASSERT_THAT(state, IsOk());
  EXPECT_EQ(state->holder, "b");
  EXPECT_EQ(state->epoch, 2);
  ASSERT_EQ(state->replicas.size(), 1u);  // a released: it left the replicas
  EXPECT_EQ(state->replicas[0].id, "b");
}

TEST_F(PostgresLeaseTest, ExpiryByTheDatabaseClockLetsAnotherReplicaTakeOver) {
  ConfigStorePtr store = MustOpenAs("a");
  LeaderLeasePtr a = MustLease(*store, "a");
  LeaderLeasePtr b = MustLease(*store, "b");
  ASSERT_EQ(Granted(a->Acquire()), 1);
  EXPECT_EQ(Granted(b->Acquire()), kHeld);
  ExpireLease();
  EXPECT_EQ(Granted(b->Acquire()), 2);
  EXPECT_THAT(a->Renew(1), StatusIs(StatusCode::kAborted, HasSubstr("lease lost")));
  EXPECT_EQ(Granted(a->Acquire()), kHeld);  // b holds it now
  ODMD_EXPECT_OK(b->Renew(2));
  ExpireLease();
  EXPECT_EQ(Granted(a->Acquire()), 3);
}

TEST_F(PostgresLeaseTest, AShortLeaseExpiresOnItsOwn) {
  ConfigStorePtr store = MustOpenAs("a");
  LeaderLeasePtr a = MustLease(*store, "a", std::chrono::milliseconds(50));
  LeaderLeasePtr b = MustLease(*store, "b", std::chrono::milliseconds(50));
  ASSERT_EQ(Granted(a->Acquire()), 1);
  // Waits for the database's clock to pass the expiry (pg_sleep: the server's own time).
  MustQuery("SELECT pg_sleep(0.1)");
  EXPECT_EQ(Granted(b->Acquire()), 2);
}

TEST_F(PostgresLeaseTest, ADeposedLeadersFencedWritesFailAndWriteNothing) {
  ConfigStorePtr store_a = MustOpenAs("a");
  ConfigStorePtr store_b = MustOpenAs("b");
  LeaderLeasePtr a = MustLease(*store_a, "a");
  LeaderLeasePtr b = MustLease(*store_b, "b");
  ASSERT_EQ(Granted(a->Acquire()), 1);
  Result<ConfigStorePtr> fenced = a->FencedStore(1);
  ASSERT_THAT(fenced, IsOk());
  ConfigStore& as_a = **fenced;
  ODMD_ASSERT_OK(as_a.Put("/k", "from a", std::nullopt));
  ODMD_ASSERT_OK(as_a.Put("/gone", "x", std::nullopt));

  ExpireLease();
  ASSERT_EQ(Granted(b->Acquire()), 2);
  Result<Revision> head = store_b->LatestRevision();
  ASSERT_THAT(head, IsOk());

  const auto lost = StatusIs(StatusCode::kAborted,
                             HasSubstr("lease lost: epoch 1 is no longer the leader's (now 2)"));
  EXPECT_THAT(as_a.Put("/k", "late", std::nullopt), lost);
  EXPECT_THAT(as_a.Put("/new", "late", 0), lost);
  EXPECT_THAT(as_a.Delete("/gone", std::nullopt), lost);
  const BatchOp ops[] = {BatchOp::Put("/k", "late"), BatchOp::Put("/other", "late")};
  EXPECT_THAT(as_a.WriteBatch(ops), lost);

  Result<Revision> after = store_b->LatestRevision();
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(*after, *head);
  Result<Entry> k = store_b->Get("/k");
  ASSERT_THAT(k, IsOk());
  EXPECT_EQ(k->value, "from a");
  EXPECT_THAT(store_b->Get("/new"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_b->Get("/gone"), IsOk());
  // Reads through the view still work; the new leader's fenced writes do.
  k = as_a.Get("/k");
  ASSERT_THAT(k, IsOk());
  EXPECT_EQ(k->value, "from a");
  Result<ConfigStorePtr> fenced_b = b->FencedStore(2);
  ASSERT_THAT(fenced_b, IsOk());
  ODMD_EXPECT_OK((*fenced_b)->Put("/k", "from b", std::nullopt));
  // Unfenced writes (the API's own) are not the lease's business.
  ODMD_EXPECT_OK(store_a->Put("/api", "x", std::nullopt));
}

TEST_F(PostgresLeaseTest, AFencedWriteWaitingBehindATakeoverSeesTheNewEpoch) {
  ConfigStorePtr store = MustOpenAs("a");
  LeaderLeasePtr a = MustLease(*store, "a");
  ASSERT_EQ(Granted(a->Acquire()), 1);
  Result<ConfigStorePtr> fenced = a->FencedStore(1);
  ASSERT_THAT(fenced, IsOk());

  // A takeover in flight: the lease row updated in an open transaction.
  PGconn* takeover = PQconnectdb(db_->Url().c_str());
  ASSERT_EQ(PQstatus(takeover), CONNECTION_OK);
  auto exec = [takeover](const char* sql) {
    PGresult* result = PQexec(takeover, sql);
    const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    PQclear(result);
    return ok;
  };
  ASSERT_TRUE(exec("BEGIN"));
  ASSERT_TRUE(exec("UPDATE odmd_lease SET holder = 'b', epoch = epoch + 1"));

  Result<WriteResult> late = InternalError("not run");
  std::thread writer([&] { late = (*fenced)->Put("/k", "late", std::nullopt); });
  const bool waiting = WaitForLockWaiters(1);
  EXPECT_TRUE(exec("COMMIT"));
  writer.join();
  PQfinish(takeover);
  ASSERT_TRUE(waiting) << "the fenced write never waited for the lease row";
  EXPECT_THAT(late, StatusIs(StatusCode::kAborted, HasSubstr("(now 2)")));
  EXPECT_THAT(store->Get("/k"), StatusIs(StatusCode::kNotFound));
}

TEST_F(PostgresLeaseTest, ATakeoverWaitsForAFencedWriteInFlight) {
  ConfigStorePtr store = MustOpenAs("a");
  LeaderLeasePtr a = MustLease(*store, "a");
  LeaderLeasePtr b = MustLease(*store, "b");
  ASSERT_EQ(Granted(a->Acquire()), 1);
  Result<ConfigStorePtr> fenced = a->FencedStore(1);
  ASSERT_THAT(fenced, IsOk());

  // A's lease has run out, but nobody has taken it yet: its fenced writes still commit.
  ExpireLease();
  // A's WriteBatch holds the lease row FOR SHARE until it commits; the store's head row is
  // held by a session of the test, so the batch stops inside its transaction.
  PGconn* blocker = PQconnectdb(db_->Url().c_str());
  ASSERT_EQ(PQstatus(blocker), CONNECTION_OK);
  PQclear(PQexec(blocker, "BEGIN"));
  PQclear(PQexec(blocker, "SELECT 1 FROM odmd_meta FOR UPDATE"));
  Result<std::vector<WriteResult>> batch = InternalError("not run");
  std::thread writer([&] {
    const BatchOp ops[] = {BatchOp::Put("/x", "1"), BatchOp::Put("/y", "2")};
    batch = (*fenced)->WriteBatch(ops);
  });
  const bool writer_waits = WaitForLockWaiters(1);
  // b's takeover waits for the lease row: it is not granted while A's write is open.
  Result<std::optional<Epoch>> taken = InternalError("not run");
  std::thread taker([&] { taken = b->Acquire(); });
  const bool taker_waits = WaitForLockWaiters(2);
  PQclear(PQexec(blocker, "COMMIT"));
  writer.join();
  taker.join();
  PQfinish(blocker);
  ASSERT_TRUE(writer_waits) << "the fenced batch never waited for the head row";
  ASSERT_TRUE(taker_waits) << "the takeover never waited for the lease row";
  // The write that held the lease row first commits; the takeover comes after it.
  ODMD_EXPECT_OK(batch.status());
  EXPECT_EQ(Granted(taken), 2);
  Result<Entry> y = store->Get("/y");
  ASSERT_THAT(y, IsOk());
  EXPECT_EQ(y->value, "2");
  EXPECT_THAT((*fenced)->Put("/z", "late", std::nullopt),
              StatusIs(StatusCode::kAborted, HasSubstr("lease lost")));
}

TEST_F(PostgresLeaseTest, ALeaderWhoseConnectionsAreCutLosesNothingAndWritesNothingAfter) {
  ConfigStorePtr store_a = MustOpenAs("leader_a");
  ConfigStorePtr store_b = MustOpenAs("b");
  LeaderLeasePtr a = MustLease(*store_a, "a");
  LeaderLeasePtr b = MustLease(*store_b, "b");
  ASSERT_EQ(Granted(a->Acquire()), 1);
  Result<ConfigStorePtr> fenced = a->FencedStore(1);
  ASSERT_THAT(fenced, IsOk());
  for (int i = 0; i < 10; ++i) {
    ODMD_ASSERT_OK((*fenced)->Put("/acked/" + std::to_string(i), "v", std::nullopt));
  }

  // Every connection of A (writer, readers, lease) is cut.
  Result<int> terminated = db_->Terminate("leader_a", "%");
  ASSERT_THAT(terminated, IsOk());
  EXPECT_GE(*terminated, 2);
  ExpireLease();  // A could not renew: its lease ran out
  ASSERT_EQ(Granted(b->Acquire()), 2);

  // The first call of each connection meets the cut (kUnavailable: nothing ran); A
  // reconnects on the retry and is refused.
  Result<WriteResult> late = (*fenced)->Put("/late", "v", std::nullopt);
  if (late.status().code() == StatusCode::kUnavailable) {
    late = (*fenced)->Put("/late", "v", std::nullopt);
  }
  EXPECT_THAT(late, StatusIs(StatusCode::kAborted, HasSubstr("lease lost")));
  Status renewed = a->Renew(1);
  if (renewed.code() == StatusCode::kUnavailable) renewed = a->Renew(1);
  EXPECT_THAT(renewed, StatusIs(StatusCode::kAborted, HasSubstr("lease lost")));
  EXPECT_THAT(store_b->Get("/late"), StatusIs(StatusCode::kNotFound));
  Result<std::vector<Entry>> acked = store_b->List("/acked/");
  ASSERT_THAT(acked, IsOk());
  EXPECT_EQ(acked->size(), 10u);  // every acknowledged write is there
}

TEST_F(PostgresLeaseTest, ConcurrentFencedAndPlainWritesAllCommitWithGaplessRevisions) {
  ConfigStorePtr store = MustOpenAs("a");
  LeaderLeasePtr a = MustLease(*store, "a");
  ASSERT_EQ(Granted(a->Acquire()), 1);
  Result<ConfigStorePtr> fenced = a->FencedStore(1);
  ASSERT_THAT(fenced, IsOk());
  constexpr int kThreads = 6;
  constexpr int kWrites = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    ConfigStore& target = t % 2 == 0 ? **fenced : *store;
    threads.emplace_back([&target, &failures, t] {
      for (int i = 0; i < kWrites; ++i) {
        const std::string key = "/t" + std::to_string(t) + "/" + std::to_string(i);
        if (!target.Put(key, "v", std::nullopt).ok()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  Result<Revision> head = store->LatestRevision();
  ASSERT_THAT(head, IsOk());
  EXPECT_EQ(*head, kThreads * kWrites);
}

TEST_F(PostgresLeaseTest, AVersion1StoreIsMigratedAndKeepsItsData) {
  {
    ConfigStorePtr store = MustOpenAs("a");
    ASSERT_NE(store, nullptr);
    ODMD_ASSERT_OK(store->Put("/kept", "v", std::nullopt));
  }
  // Back to schema version 1: the store as the code before the lease made it.
  MustQuery(
      "DROP FUNCTION odmd_fenced_write; DROP TABLE odmd_lease; DROP TABLE odmd_replicas; "
      "UPDATE odmd_meta SET schema_version = 1");
  ConfigStorePtr store = MustOpenAs("a");
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(MustQuery("SELECT schema_version FROM odmd_meta"), ElementsAre("2"));
  Result<Entry> kept = store->Get("/kept");
  ASSERT_THAT(kept, IsOk());
  EXPECT_EQ(kept->value, "v");
  LeaderLeasePtr a = MustLease(*store, "a");
  EXPECT_EQ(Granted(a->Acquire()), 1);
}

TEST_F(PostgresLeaseTest, OptionsAreChecked) {
  ConfigStorePtr store = MustOpenAs("a");
  LeaseOptions options;
  EXPECT_THAT(store->NewLeaderLease(options),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("replica id")));
  options.replica_id = "a";
  options.duration = std::chrono::milliseconds(1);
  EXPECT_THAT(store->NewLeaderLease(options),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("shorter than 10 ms")));
}

}  // namespace
}  // namespace odmd::store
