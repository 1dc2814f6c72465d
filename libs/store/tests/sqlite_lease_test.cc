// The embedded store's leader lease (sqlite_lease.h): one holder per store file, by an
// exclusive lock on "<path>.lease" that names the holder to whoever is refused.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "odmd/store/leader_lease.h"
#include "odmd/store/open_config_store.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::store {
namespace {

using ::odmd::testing::IsOk;
using ::odmd::testing::StatusIs;
using ::testing::HasSubstr;

class SqliteLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/odmd-sqlite-lease-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  ConfigStorePtr MustOpen(const std::string& url) {
    StoreOptions options;
    options.url = url;
    Result<ConfigStorePtr> store = OpenConfigStore(options);
    EXPECT_THAT(store, IsOk());
    return store.ok() ? std::move(store).value() : nullptr;
  }
  static LeaderLeasePtr MustLease(ConfigStore& store, const std::string& replica) {
    LeaseOptions options;
    options.replica_id = replica;
    options.address = "http://127.0.0.1:7780";
    Result<LeaderLeasePtr> lease = store.NewLeaderLease(options);
    EXPECT_THAT(lease, IsOk());
    return lease.ok() ? std::move(lease).value() : nullptr;
  }
  // The epoch granted, 0 when held by another, -1 on an error (reported).
  static Epoch Granted(const Result<std::optional<Epoch>>& acquired) {
    if (!acquired.ok()) {
      ADD_FAILURE() << "Acquire: " << acquired.status().ToString();
      return -1;
    }
    return acquired->value_or(0);
  }

  std::string dir_;
};

TEST_F(SqliteLeaseTest, ASecondHolderOnTheSameFileIsRefusedAndToldWhoHoldsIt) {
  const std::string url = "sqlite:" + dir_ + "/state.db";
  ConfigStorePtr first_store = MustOpen(url);
  ConfigStorePtr second_store = MustOpen(url);
  LeaderLeasePtr first = MustLease(*first_store, "host-a:101:1");
  LeaderLeasePtr second = MustLease(*second_store, "host-b:202:2");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);

  EXPECT_EQ(Granted(first->Acquire()), 1);
  EXPECT_EQ(Granted(second->Acquire()), 0);
  EXPECT_EQ(Granted(first->Acquire()), 0);  // held already, by itself
  Result<LeaseState> state = second->Current();
  ASSERT_THAT(state, IsOk());
  EXPECT_TRUE(state->held());
  EXPECT_EQ(state->holder, "host-a:101:1");
  EXPECT_EQ(state->holder_address, "http://127.0.0.1:7780");
  EXPECT_GT(state->acquired_at_ms, 0);
  ODMD_EXPECT_OK(first->Renew(1));
  EXPECT_THAT(second->Renew(1), StatusIs(StatusCode::kAborted, HasSubstr("lease lost")));

  ODMD_EXPECT_OK(first->Release(1));
  EXPECT_THAT(first->Renew(1), StatusIs(StatusCode::kAborted, HasSubstr("lease lost")));
  state = second->Current();
  ASSERT_THAT(state, IsOk());
  EXPECT_FALSE(state->held());
  EXPECT_EQ(Granted(second->Acquire()), 1);
}

TEST_F(SqliteLeaseTest, DestroyingTheHolderReleasesTheLock) {
  const std::string url = "sqlite:" + dir_ + "/state.db";
  ConfigStorePtr store = MustOpen(url);
  LeaderLeasePtr first = MustLease(*store, "a");
  EXPECT_EQ(Granted(first->Acquire()), 1);
  first.reset();  // as the kernel does when the holding process dies
  LeaderLeasePtr second = MustLease(*store, "b");
  EXPECT_EQ(Granted(second->Acquire()), 1);
}

TEST_F(SqliteLeaseTest, TheFencedStoreWritesToTheStore) {
  ConfigStorePtr store = MustOpen("sqlite:" + dir_ + "/state.db");
  LeaderLeasePtr lease = MustLease(*store, "a");
  ASSERT_EQ(Granted(lease->Acquire()), 1);
  Result<ConfigStorePtr> fenced = lease->FencedStore(1);
  ASSERT_THAT(fenced, IsOk());
  ODMD_ASSERT_OK((*fenced)->Put("/k", "v", std::nullopt));
  EXPECT_EQ(store->Get("/k")->value, "v");
  EXPECT_THAT(lease->FencedStore(2), StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(SqliteLeaseTest, AnInMemoryStoreGrantsItsLeaseOnce) {
  ConfigStorePtr store = MustOpen("sqlite::memory:");
  LeaderLeasePtr first = MustLease(*store, "a");
  EXPECT_EQ(Granted(first->Acquire()), 1);
  EXPECT_EQ(Granted(first->Acquire()), 0);
  Result<LeaseState> state = first->Current();
  ASSERT_THAT(state, IsOk());
  EXPECT_EQ(state->holder, "a");
  EXPECT_TRUE(state->held());
}

}  // namespace
}  // namespace odmd::store
