// GitHub push deliveries are level-triggered and deduplicated (issue 12, defect 6): a replayed
// delivery id, a push the platform already handled, and an old push replayed after the ref
// moved on (e.g. after `odmd: delete`) change nothing; a malformed push (a 5,000-character
// repository name) is refused before anything is recorded.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "platform_fixture.h"

namespace odmd::reconcile {
namespace {

using odmd::testing::StatusIs;
using ::testing::HasSubstr;

class IntakeReplayTest : public PlatformFixture {
 protected:
  static constexpr size_t kRemembered = 20;

  void SetUp() override {
    PlatformFixture::SetUp();
    NewContractsRepo("acme/contracts", CycleOrg());
    for (const char* name : {"acme/net", "acme/log", "acme/lib", "acme/app", "acme/dash"}) {
      NewServiceRepo(name);
    }
    PushTag("acme/lib", "v1");
    PushTag("acme/app", "v1");
    PlatformOptions o = Options();
    o.contracts_repo = "acme/contracts";
    o.remembered_deliveries = kRemembered;
    StartPlatform(o);
    Drain();
    Sh("git -C " + Q(Work("acme/app")) + " checkout -q main");
  }

  // The delivery GitHub would send for the last commit `sha` pushed to `branch` of acme/app.
  static PushEvent Delivery(const std::string& branch, const std::string& before,
                            const std::string& sha, const std::string& message,
                            const std::string& delivery) {
    PushEvent push;
    push.repository = "acme/app";
    push.ref = "refs/heads/" + branch;
    push.before = before.empty() ? std::string(40, '0') : before;
    push.after = sha;
    push.created = before.empty();
    push.commits.push_back({sha, message, "2026-11-24T12:00:00Z"});
    push.head_commit = push.commits.back();
    push.delivery = delivery;
    return push;
  }

  size_t EventCount() {
    auto events = platform_->ListEvents(0, 100000);
    EXPECT_TRUE(events.ok());
    return events.ok() ? (*events)["events"].size() : 0;
  }

  size_t Queued(const std::string& enver) {
    auto ds = platform_->ListDeployments(enver, 100000);
    EXPECT_TRUE(ds.ok());
    return ds.ok() ? (*ds)["deployments"].size() : 0;
  }
};

TEST_F(IntakeReplayTest, ReplayedDeliveriesChangeNothing) {
  const std::string clone = "app/b..main-_b..gh-replay";
  const std::string create_msg = "gh\n\nodmd: create@main";
  const std::string a = Push("acme/app", "gh-replay", {}, create_msg);
  const PushEvent create = Delivery("gh-replay", "", a, create_msg, "delivery-1");
  auto first = platform_->IngestPush(create);
  ODMD_ASSERT_OK(first);
  EXPECT_EQ(first->commands_accepted, 1);
  EXPECT_EQ(first->ignored, "");
  ASSERT_EQ(Queued(clone), 1u);

  // The same delivery again: nothing recorded, nothing queued.
  size_t events = EventCount();
  auto replay = platform_->IngestPush(create);
  ODMD_ASSERT_OK(replay);
  EXPECT_EQ(replay->ignored, "duplicate delivery");
  EXPECT_EQ(replay->deployments_queued + replay->commands_accepted + replay->refs_changed, 0);
  // A redelivery under a new id of the push the platform already handled.
  PushEvent redelivered = create;
  redelivered.delivery = "delivery-1b";
  auto again = platform_->IngestPush(redelivered);
  ODMD_ASSERT_OK(again);
  EXPECT_NE(again->ignored, "");
  EXPECT_EQ(EventCount(), events);
  EXPECT_EQ(Queued(clone), 1u);
  Drain();

  // `odmd: delete` on the branch tears the clone down.
  const std::string b = Push("acme/app", "gh-replay", {}, "done\n\nodmd: delete");
  PushEvent del = Delivery("gh-replay", a, b, "done\n\nodmd: delete", "delivery-2");
  auto deleted = platform_->IngestPush(del);
  ODMD_ASSERT_OK(deleted);
  EXPECT_EQ(deleted->commands_accepted, 1);
  EXPECT_THAT(platform_->GetEnver(clone), StatusIs(StatusCode::kNotFound));

  // The create push replayed under a fresh id: the ref has moved on, so no clone comes back.
  events = EventCount();
  PushEvent old = create;
  old.delivery = "delivery-3";
  auto stale = platform_->IngestPush(old);
  ODMD_ASSERT_OK(stale);
  EXPECT_EQ(stale->ignored, "stale");
  EXPECT_EQ(stale->commands_accepted, 0);
  EXPECT_THAT(platform_->GetEnver(clone), StatusIs(StatusCode::kNotFound));
  auto delete_again = platform_->IngestPush(del);
  ODMD_ASSERT_OK(delete_again);
  EXPECT_EQ(delete_again->ignored, "duplicate delivery");
  EXPECT_EQ(EventCount(), events);
  EXPECT_EQ(Events("clone.created").size(), 1u);
  EXPECT_EQ(Events("clone.deleted").size(), 1u);
}

TEST_F(IntakeReplayTest, RememberedDeliveriesAreBounded) {
  const std::string sha = Sh("git -C " + Q(Work("acme/app")) + " rev-parse main");
  for (size_t i = 0; i < kRemembered + 5; ++i) {
    ODMD_ASSERT_OK(
        platform_->IngestPush(Delivery("main", sha, sha, "x", "bounded-" + std::to_string(i))));
  }
  auto record = store_->Get("/odmd/webhooks/deliveries");
  ODMD_ASSERT_OK(record);
  const nlohmann::json ids = nlohmann::json::parse(record->value)["ids"];
  ASSERT_EQ(ids.size(), kRemembered);
  EXPECT_EQ(ids.front(), "bounded-5");  // the oldest are forgotten first
}

TEST_F(IntakeReplayTest, MalformedPushIsRefusedBeforeAnythingIsRecorded) {
  const size_t events = EventCount();
  const std::string sha = Sh("git -C " + Q(Work("acme/app")) + " rev-parse main");
  PushEvent push = Delivery("main", sha, sha, "x", "long-1");
  push.repository = "acme/" + std::string(5000, 'r');
  EXPECT_THAT(platform_->IngestPush(push),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("/repository/full_name")));
  push.repository = "acme/app";
  push.ref = "refs/heads/../../x";
  EXPECT_THAT(platform_->IngestPush(push),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("/ref")));
  EXPECT_EQ(EventCount(), events);
  EXPECT_THAT(store_->Get("/odmd/webhooks/deliveries"), StatusIs(StatusCode::kNotFound));
}

}  // namespace
}  // namespace odmd::reconcile
