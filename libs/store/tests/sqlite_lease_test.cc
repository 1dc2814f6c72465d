// The embedded store's leader lease (sqlite_lease.h): one holder per store file, by an
// exclusive lock on "<path>.lease" that names the holder to whoever is refused.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>

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

// For a forked child (no gtest assertions there): the lease of `replica` on the store at `url`,
// kept in `*store` and `*lease`; 0 refused, 1 granted, 2+ an error, as the child's exit code.
int AcquireHere(const std::string& url, const std::string& replica, ConfigStorePtr* store,
                LeaderLeasePtr* lease) {
  StoreOptions options;
  options.url = url;
  Result<ConfigStorePtr> opened = OpenConfigStore(options);
  if (!opened.ok()) return 2;
  *store = std::move(opened).value();
  LeaseOptions lease_options;
  lease_options.replica_id = replica;
  Result<LeaderLeasePtr> made = (*store)->NewLeaderLease(lease_options);
  if (!made.ok()) return 3;
  *lease = std::move(made).value();
  Result<std::optional<Epoch>> epoch = (*lease)->Acquire();
  if (!epoch.ok()) return 4;
  return epoch->has_value() ? 1 : 0;
}

// A server killed while it forks a build script: the child has the lock file open until it
// execs. The lock must go with the server's death, not with the child's.
TEST_F(SqliteLeaseTest, AKilledHoldersLockIsFreeWhileAChildItForkedLives) {
  const std::string url = "sqlite:" + dir_ + "/state.db";
  int ready[2], hold[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(hold), 0);
  const pid_t holder = ::fork();
  ASSERT_GE(holder, 0);
  if (holder == 0) {
    // The holder: takes the lease, forks a child that keeps every descriptor (it never
    // execs) until `hold` closes, says so, and waits for its SIGKILL.
    ::close(ready[0]);
    ConfigStorePtr store;
    LeaderLeasePtr lease;
    if (const int got = AcquireHere(url, "killed:1:1", &store, &lease); got != 1) ::_exit(got);
    if (::fork() == 0) {
      ::close(hold[1]);
      char c;
      while (::read(hold[0], &c, 1) > 0) {
      }
      ::_exit(0);
    }
    if (::write(ready[1], "1", 1) != 1) ::_exit(5);
    for (;;) ::pause();
  }
  struct Reaper {  // the holder never outlives the test, whatever fails first
    pid_t pid;
    int status = 0;
    void Kill() {
      if (pid <= 0) return;
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      pid = -1;
    }
    ~Reaper() { Kill(); }
  } reaper{holder};
  ::close(ready[1]);
  ::close(hold[0]);
  char c = 0;
  const ssize_t said = ::read(ready[0], &c, 1);
  ::close(ready[0]);
  ConfigStorePtr store = MustOpen(url);
  ASSERT_NE(store, nullptr);
  LeaderLeasePtr lease = MustLease(*store, "restarted:2:2");
  ASSERT_NE(lease, nullptr);
  Epoch while_alive = -1;
  if (said == 1) {
    while_alive = Granted(lease->Acquire());
    Result<LeaseState> state = lease->Current();
    ASSERT_THAT(state, IsOk());
    EXPECT_EQ(state->holder, "killed:1:1");
  }
  reaper.Kill();
  ASSERT_EQ(said, 1) << "the holder exited with status " << reaper.status
                     << " before taking the lease";
  EXPECT_EQ(while_alive, 0);
  EXPECT_EQ(Granted(lease->Acquire()), 1) << "the killed holder's child kept the lock";
  ::close(hold[1]);  // the child exits
}

// What another process finds: 0 refused, 1 granted, 2+ an error.
int AcquireInAnotherProcess(const std::string& url) {
  const pid_t child = ::fork();
  if (child == 0) {
    ConfigStorePtr store;
    LeaderLeasePtr lease;
    ::_exit(AcquireHere(url, "other:3:3", &store, &lease));
  }
  int status = 0;
  if (child < 0 || ::waitpid(child, &status, 0) != child || !WIFEXITED(status)) return 5;
  return WEXITSTATUS(status);
}

// A lock of this process must survive its other leases looking at the file (a POSIX lock
// goes when the process closes any descriptor of the file).
TEST_F(SqliteLeaseTest, LeasesOfTheHoldingProcessReadTheHolderWithoutDroppingTheLock) {
  const std::string url = "sqlite:" + dir_ + "/state.db";
  ConfigStorePtr store = MustOpen(url);
  ConfigStorePtr by_another_path = MustOpen("sqlite:" + dir_ + "/./state.db");
  LeaderLeasePtr first = MustLease(*store, "a");
  LeaderLeasePtr second = MustLease(*by_another_path, "b");
  ASSERT_EQ(Granted(first->Acquire()), 1);
  EXPECT_EQ(AcquireInAnotherProcess(url), 0);
  Result<LeaseState> state = second->Current();
  ASSERT_THAT(state, IsOk());
  EXPECT_EQ(state->holder, "a");
  EXPECT_EQ(Granted(second->Acquire()), 0);
  EXPECT_EQ(AcquireInAnotherProcess(url), 0) << "reading the holder dropped the lock";
  first.reset();
  EXPECT_EQ(AcquireInAnotherProcess(url), 1);
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
