// The reliability suite's main test (issue 12): rounds of a real `odmd serve` on one SQLite
// store, each killed with SIGKILL — at a random time or at a named crash point — while
// clients put products through the API and write the store through the CLI, deployments
// run, contracts are published (adding and removing an enver) and clones are created and
// deleted by pushes. Every restart must show: every acknowledged write present, the event
// log gapless and without a product version, an alert or a publish recorded twice, no
// publish left half-synced, every clone whole or gone.
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include "harness.h"
#include "mixed_workload.h"
#include "odmd/access/policy.h"
#include "odmd/model/manifest.h"
#include "odmd/model/naming.h"
#include "odmd/reconcile/state.h"

namespace odmd::reliability {
namespace {

// Where each kind of action can be killed from the inside (libs/reconcile/src/platform).
const std::map<std::string, std::vector<std::string>> kPoints = {
    {"push", {"reactions.committed"}},
    {"publish",
     {"publish.committed", "sync.teardown", "sync.workflows", "sync.roles", "sync.token",
      "sync.enqueue", "teardown.script", "teardown.revoked"}},
    {"create", {"clone.token_issued", "clone.recorded"}},
    {"delete", {"teardown.script", "teardown.revoked", "clone.torn_down"}},
};

class MixedSuite {
 public:
  MixedSuite()
      : work_(fs::temp_directory_path() /
              ("odmd-reliability-" + std::to_string(std::random_device{}()))) {}

  void Run(int rounds);

 private:
  fs::path state() const { return work_.root() / "state"; }
  std::string StoreUrl() const { return "sqlite:" + (state() / "state.db").string(); }
  static Target To(const Server& server) { return {server.url(), server.admin_token()}; }
  void Check(bool stopped) {
    store::ConfigStorePtr store = OpenStore(StoreUrl());
    ASSERT_NE(store, nullptr);
    work_.Check(*store, stopped);
  }

  MixedWorkload work_;
  std::map<std::string, int> actions_, kills_by_;
};

void MixedSuite::Run(int rounds) {
  // Setup (not killed): the first version.
  {
    Server server(state(), work_.repo_args(), false);
    ASSERT_TRUE(server.WaitReady()) << ReadFile(state() / "serve.log");
    ASSERT_TRUE(work_.Publish(To(server)));
  }
  int kills = 0, died_at_point = 0, not_ready = 0;
  for (int round = 0; round < rounds; ++round) {
    const std::string action = work_.PickAction();
    ++actions_[action];
    // Half the rounds die at a crash point of their action, half at a random time.
    std::string crash_at;
    if (work_.rng()() % 2 == 0) {
      // A publish that adds svc/b..extra (odd minor) tears nothing down.
      const bool adds = action == "publish" && (work_.minor() + 1) % 2 == 1;
      std::vector<std::string> points = kPoints.at(action);
      std::erase_if(points, [&](const std::string& p) {
        return adds && p.find("teardown") != std::string::npos;
      });
      crash_at = points[work_.rng()() % points.size()] + ":1";
    }
    Server server(state(), work_.repo_args(), false, crash_at);
    if (!server.WaitReady()) {
      // Killed at its crash point while starting (a reaction resumed at start).
      server.Wait();
      ASSERT_TRUE(server.Killed()) << ReadFile(state() / "serve.log");
      ++kills;
      ++not_ready;
      continue;
    }
    Check(false);
    if (::testing::Test::HasFatalFailure() || ::testing::Test::HasFailure()) {
      ADD_FAILURE() << "round " << round << " (" << action << ", kill at "
                    << (crash_at.empty() ? "random" : crash_at) << "):\n"
                    << ReadFile(state() / "serve.log");
      return;
    }
    std::atomic<bool> stop{false};
    const Target to = To(server);
    std::thread products([&] {
      for (int i = 0; !stop; ++i) {
        work_.PutProduct(to, "r" + std::to_string(round) + "-" + std::to_string(i));
      }
    });
    std::thread writes([&] {
      for (int i = 0; !stop; ++i) {
        const std::string key = "/reliability/r" + std::to_string(round) + "/" + std::to_string(i);
        work_.StoreWrite(StoreUrl(), key, "w" + std::to_string(i));
      }
    });
    std::thread actor([&] { work_.Act(to, action); });
    if (crash_at.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20 + work_.rng()() % 380));
    } else {
      // Its crash point kills it; one it never reaches leaves the round to a kill now.
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
      while (!server.Ended() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      died_at_point += server.Ended() ? 1 : 0;
    }
    server.Kill();
    ++kills;
    ++kills_by_[action];
    stop = true;
    products.join();
    writes.join();
    actor.join();
  }
  // The last restart runs until idle and stops: the full check, the event counter too.
  {
    Server last(state(), work_.repo_args(), true);
    ASSERT_EQ(last.Wait(), 0) << ReadFile(state() / "serve.log");
  }
  Check(true);
  const Acked& acked = work_.acked();
  std::cout << "reliability: rounds " << rounds << ", kills " << kills << " (" << died_at_point
            << " at a crash point, " << not_ready << " while starting), acknowledged writes "
            << acked.products.size() + acked.store_writes.size() + acked.publishes.size()
            << " (product puts " << acked.products.size() << ", store writes "
            << acked.store_writes.size() << ", publishes " << acked.publishes.size()
            << "), clones created " << work_.clones_created() << ", deleted "
            << work_.clones_deleted() << ", lost "
            << (::testing::Test::HasFailure() ? "SEE FAILURES" : "0") << "\n";
  for (const auto& [action, n] : actions_) {
    std::cout << "  " << action << ": " << n << " rounds, " << kills_by_[action] << " kills\n";
  }
}

// 80 rounds here and the 20 of publish_crash_test.cc: 100 kill rounds.
TEST(ReliabilityTest, KilledServeLosesNoAcknowledgedWriteAndRecordsEverythingOnce) {
  MixedSuite suite;
  suite.Run(Rounds(80, 8));
}

}  // namespace
}  // namespace odmd::reliability
