// `odmd serve` takes the store's leader lease before it runs anything (docs/platform.md,
// "Replicas"): a second server on the same SQLite store is refused, naming the first (its
// host and pid, in its replica id, and its address); the lease is free again as soon as the
// first stops or dies. Real binary, real processes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "store_cli_fixture.h"

namespace odmd::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

class ServeLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    root_ = fs::temp_directory_path() / ("odmd-serve-lease-" + std::to_string(rd()));
    fs::create_directories(root_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  // serve on the shared store with a state directory of its own.
  std::vector<std::string> Serve(const std::string& state, bool once) {
    std::vector<std::string> args = {"serve",
                                     "--store",
                                     "sqlite:" + (root_ / "state.db").string(),
                                     "--state-dir",
                                     (root_ / state).string(),
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--sandbox",
                                     "none"};
    if (once) args.push_back("--once");
    return args;
  }
  // Waits until `child` serves; its URL ("" if it never did).
  static std::string WaitListening(Child& child) {
    const std::string marker = "listening on ";
    if (!child.ReadUntil([&](const std::string& out, const std::string&) {
          return out.find(" (state ", out.find(marker)) != std::string::npos;
        })) {
      ADD_FAILURE() << "serve never listened: " << child.out() << child.err();
      return "";
    }
    const std::size_t start = child.out().find(marker) + marker.size();
    return child.out().substr(start, child.out().find(' ', start) - start);
  }

  fs::path root_;
};

TEST_F(ServeLeaseTest, ASecondServerOnTheSameSqliteStoreIsRefusedNamingTheFirst) {
  Child first(Serve("a", false));
  const std::string url = WaitListening(first);
  ASSERT_FALSE(url.empty());

  Child second(Serve("b", true));
  ChildResult refused = second.Finish();
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("the store is served by another odmd serve: replica"));
  EXPECT_THAT(refused.err, HasSubstr(":" + std::to_string(first.pid()) + ":"));  // its pid
  EXPECT_THAT(refused.err, HasSubstr(" at " + url));
  EXPECT_THAT(refused.out, Not(HasSubstr("listening")));

  // A clean stop releases the lease.
  ASSERT_EQ(::kill(first.pid(), SIGTERM), 0);
  ChildResult stopped = first.Finish();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  Child third(Serve("c", true));
  ChildResult ran = third.Finish();
  EXPECT_EQ(ran.exit_code, 0) << ran.out << ran.err;
}

TEST_F(ServeLeaseTest, TheLeaseOfAKilledServerIsFreeAtOnce) {
  {
    Child first(Serve("a", false));
    ASSERT_FALSE(WaitListening(first).empty());
    ASSERT_EQ(::kill(first.pid(), SIGKILL), 0);
  }  // ~Child reaps it
  Child second(Serve("b", true));
  ChildResult ran = second.Finish();
  EXPECT_EQ(ran.exit_code, 0) << ran.out << ran.err;
  EXPECT_THAT(ran.err, HasSubstr("leads (epoch 1)"));
}

// Workers on followers need a store several replicas share: on SQLite the flag is refused
// before anything starts, naming the flag and what it needs.
TEST_F(ServeLeaseTest, FollowerWorkersOnASqliteStoreAreRefused) {
  std::vector<std::string> args = Serve("a", true);
  args.push_back("--follower-workers");
  args.push_back("2");
  Child serve(args);
  ChildResult refused = serve.Finish();
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  EXPECT_THAT(refused.err,
              HasSubstr("--follower-workers 2 needs a PostgreSQL store (--store postgresql://"));
  EXPECT_THAT(refused.out, Not(HasSubstr("listening")));
  EXPECT_FALSE(fs::exists(root_ / "a" / "admin.token"));
}

// `odmd status` says who leads: the server asked, its replica id, the leader's epoch and
// address, and the replicas' table; --json is the health answer as it is.
TEST_F(ServeLeaseTest, StatusNamesTheLeaderAndTheReplicas) {
  Child server(Serve("a", false));
  const std::string url = WaitListening(server);
  ASSERT_FALSE(url.empty());
  const std::string replica = ":" + std::to_string(server.pid()) + ":";

  ChildResult text = Child({"status", "--server", url}).Finish();
  EXPECT_EQ(text.exit_code, 0) << text.out << text.err;
  EXPECT_THAT(text.out, HasSubstr("server     " + url + " (replica \""));
  EXPECT_THAT(text.out, HasSubstr("leader     replica \""));
  EXPECT_THAT(text.out, HasSubstr(replica));
  EXPECT_THAT(text.out, HasSubstr("\" at " + url + ", epoch 1, since 20"));
  EXPECT_THAT(text.out, HasSubstr("(this server)"));
  EXPECT_THAT(text.out, HasSubstr("REPLICA"));
  EXPECT_THAT(text.out, HasSubstr("  leader  " + url));

  ChildResult json = Child({"status", "--server", url, "--json"}).Finish();
  ASSERT_EQ(json.exit_code, 0) << json.out << json.err;
  const nlohmann::json health = nlohmann::json::parse(json.out);
  EXPECT_EQ(health["leader"]["address"], url);
  EXPECT_EQ(health["leader"]["is_this_replica"], true);
  EXPECT_THAT(health["leader"]["replica"].get<std::string>(), HasSubstr(replica));
  ASSERT_EQ(health["replicas"].size(), 1u);

  ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
  EXPECT_EQ(server.Finish().exit_code, 0);
  // Nobody answers: a clear error naming the server, exit 1.
  ChildResult gone = Child({"status", "--server", url}).Finish();
  EXPECT_EQ(gone.exit_code, 1) << gone.out;
  EXPECT_THAT(gone.err, HasSubstr(url));
}

}  // namespace
}  // namespace odmd::cli
