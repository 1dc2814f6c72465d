// Replicas sharing one store (docs/platform.md, "Replicas"): a follower platform serves the
// reads from the store and records the writes it receives in the inbox; the leader takes
// every record, acts on it and deletes it, and a record made while nobody leads is acted on
// by the next leader, once. Real git repositories and processes; the replicas share one
// store object (the PostgreSQL serve test runs them as processes).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <functional>
#include <mutex>

#include "odmd/reconcile/state.h"
#include "odmd/testing/faulty_config_store.h"
#include "odmd/testing/forwarding_config_store.h"
#include "platform_fixture.h"

namespace odmd::reconcile {
namespace {

using ::odmd::testing::StatusIs;
using ::testing::HasSubstr;

// Blocks until `done()` holds, checked at every change under `prefix` (a store watch wakes
// the wait), or 60 s pass: false.
bool WaitForStore(store::ConfigStore& store, std::string_view prefix,
                  const std::function<bool()>& done) {
  std::mutex mu;
  std::condition_variable cv;
  int changes = 0;
  Result<store::WatchHandlePtr> watch = store.Watch(prefix, 0, [&](const store::ChangeEvent&) {
    std::lock_guard<std::mutex> lock(mu);
    ++changes;
    cv.notify_all();
  });
  if (!watch.ok()) return false;
  std::unique_lock<std::mutex> lock(mu);
  for (;;) {
    const int seen = changes;
    lock.unlock();
    const bool ok = done();
    lock.lock();
    if (ok) return true;
    if (!cv.wait_for(lock, std::chrono::seconds(60), [&] { return changes != seen; })) return false;
  }
}

class PlatformReplicasTest : public PlatformFixture {
 protected:
  // acme: svc/b..main publishes "url"; app/b..main consumes it (redeploy). Bootstrapped by
  // the leader (platform_) and drained.
  void StartLeader() {
    model::Org org = OrgWithContracts("acme");
    org.builds.push_back(
        MakeBuild("svc", "svc", {MakeEnver(model::RevRef::Branch("main"), {"url"}, {})}));
    org.builds.push_back(MakeBuild(
        "app", "app",
        {MakeEnver(model::RevRef::Branch("main"), {}, {Consume("url", "svc/b..main", "url")})}));
    model::Canonicalize(org);
    NewContractsRepo("acme/contracts", org);
    NewServiceRepo("acme/svc");
    NewServiceRepo("acme/app");
    PlatformOptions o = Options();
    o.contracts_repo = "acme/contracts";
    StartPlatform(o);
    Drain();
    ASSERT_EQ(Ran("svc/b..main").size(), 1u);
  }

  // A follower on the same store, with a state directory of its own, serving.
  std::unique_ptr<Platform> StartFollower(const std::string& name = "follower-1") {
    PlatformOptions o = Options();
    o.state_dir = (root_ / ("state-" + name)).string();
    o.replica_id = name;
    auto follower = std::make_unique<Platform>(*store_, *git_, *runner_, clock_, *box_, o);
    EXPECT_TRUE(follower->Serve().ok());
    return follower;
  }

  bool InboxEmpty() {
    return WaitForStore(*store_, kInboxPrefix, [&] {
      Result<std::vector<store::Entry>> left = store_->List(kInboxPrefix);
      return left.ok() && left->empty();
    });
  }

  // The deployments of `enver` caused by `kind` ("push", "redeploy", "reaction").
  int CausedBy(Platform& p, const std::string& enver, const std::string& kind) {
    Result<nlohmann::json> ds = p.ListDeployments(enver, 1000);
    EXPECT_TRUE(ds.ok()) << ds.status().ToString();
    int n = 0;
    for (const auto& d : (*ds)["deployments"]) n += d["cause"]["kind"] == kind ? 1 : 0;
    return n;
  }
};

TEST_F(PlatformReplicasTest, AFollowerServesReadsAndTheLeaderActsOnWhatItRecords) {
  StartLeader();
  std::unique_ptr<Platform> follower = StartFollower();
  EXPECT_TRUE(follower->following());
  EXPECT_FALSE(follower->leading());
  ASSERT_TRUE(follower->ListEnvers().ok());
  EXPECT_EQ(*follower->ListEnvers(), *platform_->ListEnvers());
  EXPECT_EQ(*follower->GetEnver("svc/b..main"), *platform_->GetEnver("svc/b..main"));

  // The leader's writes are refused; a scan is recorded for the leader instead.
  EXPECT_THAT(follower->Scan("acme/svc"),
              StatusIs(StatusCode::kUnavailable, HasSubstr("this replica follows")));
  EXPECT_THAT(follower->RotateWorkflowSecret(access::Principal::Admin(), "ODMD_x"),
              StatusIs(StatusCode::kNotFound));
  const std::string sha = Push("acme/svc", "main", {{"config", "v2"}}, "v2");
  Result<std::string> key = follower->RecordInbox({"scan", {{"repo", "acme/svc"}}, ""});
  ODMD_ASSERT_OK(key);
  EXPECT_THAT(*key, ::testing::StartsWith("/odmd/inbox/"));

  ASSERT_TRUE(InboxEmpty());
  Drain();
  // What the leader did, read on the follower.
  Result<nlohmann::json> last = follower->ListDeployments("svc/b..main", 1);
  ODMD_ASSERT_OK(last);
  ASSERT_EQ((*last)["deployments"].size(), 1u);
  EXPECT_EQ((*last)["deployments"][0]["sha"], sha);
  EXPECT_EQ((*last)["deployments"][0]["state"], "succeeded");
  EXPECT_EQ((*follower->GetEnver("svc/b..main"))["sha"], sha);
  EXPECT_EQ(*follower->ListEvents(0, 100000), *platform_->ListEvents(0, 100000));
  follower->Stop();
}

TEST_F(PlatformReplicasTest, ARecordMadeWhileNobodyLeadsIsActedOnOnceByTheNextLeader) {
  StartLeader();
  platform_->Stop();  // the leader is gone
  std::unique_ptr<Platform> next = StartFollower();
  Result<nlohmann::json> accepted = next->Redeploy(access::Principal::Admin(), "svc/b..main");
  ODMD_ASSERT_OK(accepted);
  EXPECT_EQ((*accepted)["accepted"], true);
  const std::string key = (*accepted)["inbox"];
  ODMD_EXPECT_OK(store_->Get(key));  // waiting for a leader
  EXPECT_THAT(next->Redeploy(access::Principal::Admin(), "nope/b..main"),
              StatusIs(StatusCode::kNotFound));

  ODMD_ASSERT_OK(next->Lead(std::make_unique<::odmd::testing::ForwardingConfigStore>(*store_)));
  EXPECT_TRUE(next->leading());
  EXPECT_FALSE(next->following());
  ASSERT_TRUE(InboxEmpty());
  ODMD_ASSERT_OK(next->RunOnce());
  EXPECT_EQ(CausedBy(*next, "svc/b..main", "redeploy"), 1);
  next->Stop();
}

TEST_F(PlatformReplicasTest, AProductPutOnAFollowerIsReactedToOnceByTheLeader) {
  StartLeader();
  std::unique_ptr<Platform> follower = StartFollower();
  const int reactions_before = CausedBy(*platform_, "app/b..main", "reaction");
  const std::string path = "/odmd-share/svc/b..main/url";
  Result<store::WriteResult> put =
      follower->PutProduct(access::Principal::Enver("svc/b..main"), path, "from-the-follower");
  ODMD_ASSERT_OK(put);
  const std::string version = std::to_string(put->version);
  auto published = [&] {
    int n = 0;
    for (const auto& e : Events("product.published")) {
      n += e["fields"]["path"] == path && e["fields"]["version"] == version ? 1 : 0;
    }
    return n;
  };
  ASSERT_TRUE(WaitForStore(*store_, kEventsPrefix, [&] { return published() > 0; }));
  Drain();
  EXPECT_EQ(published(), 1);
  EXPECT_EQ(CausedBy(*platform_, "app/b..main", "reaction"), reactions_before + 1);
  follower->Stop();
}

// A record whose action fails on the store is neither lost nor dropped: it is taken again.
TEST_F(PlatformReplicasTest, ARecordWhoseActionFailsOnTheStoreIsTakenAgain) {
  StartLeader();
  platform_->Stop();
  std::unique_ptr<Platform> leader = StartFollower();
  auto faulty = std::make_unique<::odmd::testing::FaultyConfigStore>(*store_);
  ::odmd::testing::FaultyConfigStore* fault = faulty.get();
  ODMD_ASSERT_OK(leader->Lead(std::move(faulty)));
  ASSERT_TRUE(InboxEmpty());
  ASSERT_TRUE(leader->WaitIdle(std::chrono::seconds(60)));

  std::unique_ptr<Platform> follower = StartFollower("follower-2");
  fault->FailNthWrite(1);  // the leader's next write: the redeploy's enqueue
  ODMD_ASSERT_OK(follower->Redeploy(access::Principal::Admin(), "svc/b..main"));
  ASSERT_TRUE(InboxEmpty());
  ODMD_ASSERT_OK(leader->RunOnce());
  EXPECT_EQ(fault->injected_failures(), 1);
  EXPECT_EQ(CausedBy(*leader, "svc/b..main", "redeploy"), 1);
  int alerts = 0;
  Result<nlohmann::json> events = leader->ListEvents(0, 100000);
  ODMD_ASSERT_OK(events);
  for (const auto& e : (*events)["events"]) {
    const std::string message = e["message"];
    alerts += message.find("could not be taken, retrying") != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(alerts, 1);
  follower->Stop();
  leader->Stop();
}

}  // namespace
}  // namespace odmd::reconcile
