// The platform stopped between two of its commits (issue 12, defects 2 and 7), in process:
// a store whose n-th write fails stands in for a crash at that point, and a new Platform
// on the same store is the restart. The real-process kill -9 rounds are in
// tests/reliability.
#include <gtest/gtest.h>

#include "odmd/model/naming.h"
#include "odmd/reconcile/state.h"
#include "odmd/testing/faulty_config_store.h"
#include "platform_fixture.h"

namespace odmd::reconcile {
namespace {

using ::odmd::testing::FaultyConfigStore;

class PlatformCrashTest : public PlatformFixture {
 protected:
  // Events of `kind` in the store.
  std::vector<nlohmann::json> StoredEvents(store::ConfigStore& store, const std::string& kind) {
    std::vector<nlohmann::json> out;
    const Result<std::vector<store::Entry>> events = store.List(kEventsPrefix);
    EXPECT_TRUE(events.ok()) << events.status();
    if (!events.ok()) return out;
    for (const store::Entry& e : *events) {
      nlohmann::json j = nlohmann::json::parse(e.value);
      if (j["kind"] == kind) out.push_back(j);
    }
    return out;
  }
};

// Every write of a publish, in turn, fails (the platform stops there); a restarted platform
// finishes the sync: every enver has its token, the version is published exactly once, and
// publishing it again changes nothing. Before the fix, a stop after the commit that made
// the version current left envers without tokens and no "contracts.published" for good.
TEST_F(PlatformCrashTest, APublishStoppedAtAnyWriteIsFinishedByTheNextStart) {
  const model::Org org = CycleOrg();
  const std::string manifest = model::WriteManifest(org);
  int resumed = 0;
  // Past the publish's last write every publish succeeds; one success alone may be the
  // reaction loop's cursor write taking the fault.
  for (int n = 1, successes = 0; successes < 3 && n < 500; ++n) {
    auto opened = store::OpenConfigStore(
        {"sqlite:" + (root_ / ("crash-" + std::to_string(n) + ".db")).string()});
    ODMD_ASSERT_OK(opened);
    store::ConfigStorePtr base = std::move(opened).value();
    bool failed = false;
    {
      FaultyConfigStore faulty(*base);
      Platform first(faulty, *git_, *runner_, clock_, *box_, Options());
      ODMD_ASSERT_OK(first.Start());
      faulty.FailNthWrite(n);
      failed = !first.PublishManifest(access::Principal::Admin(), manifest).ok();
      first.Stop();
    }
    successes = failed ? 0 : successes + 1;
    if (!failed) continue;
    const bool current = base->Get(access::kManifestKey).ok();
    Platform second(*base, *git_, *runner_, clock_, *box_, Options());
    ODMD_ASSERT_OK(second.Start());
    for (const model::Build& b : org.builds) {
      for (const model::Enver& e : b.envers) {
        const std::string id = model::EnverId(b.id, e.rev);
        EXPECT_EQ(base->Get(EnverTokenKey(id)).ok(), current) << id << " after write " << n;
      }
    }
    EXPECT_TRUE(IsNotFound(base->Get(kContractsSyncKey).status()));
    EXPECT_EQ(StoredEvents(*base, "contracts.published").size(), current ? 1u : 0u)
        << "stopped at write " << n;
    auto again = second.PublishManifest(access::Principal::Admin(), manifest);
    ODMD_ASSERT_OK(again);
    EXPECT_EQ(again->changed, !current) << "stopped at write " << n;
    EXPECT_EQ(StoredEvents(*base, "contracts.published").size(), 1u);
    second.Stop();
    resumed += current ? 1 : 0;
    if (::testing::Test::HasFailure()) return;
  }
  // After the commit that makes it current come the roles, the tokens and the final commit
  // (the reaction loop's cursor write may take the fault meant for one of them).
  EXPECT_GE(resumed, 1);
}

// The reaction loop's cursor was not written when the platform stopped (its commit came
// after the reactions' before the fix): the restarted platform replays the change and must
// neither record the version nor alert its notify consumer a second time.
TEST_F(PlatformCrashTest, AReplayedProductChangeIsNotReactedToTwice) {
  StartPlatform(Options());
  ODMD_ASSERT_OK(
      platform_->PublishManifest(access::Principal::Admin(), model::WriteManifest(CycleOrg())));
  auto put = platform_->PutProduct(access::Principal::Admin(), "/odmd-share/app/b..main/url", "x1");
  ODMD_ASSERT_OK(put);
  // The loop has taken the change once its cursor is there.
  for (int i = 0; i < 3000; ++i) {
    auto cursor = store_->Get(kReactionsCursorKey);
    if (cursor.ok() && std::stoll(cursor->value) >= put->revision) break;
    platform_->WaitIdle(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(platform_->WaitIdle(std::chrono::seconds(60)));
  platform_->Stop();
  platform_.reset();
  ASSERT_EQ(StoredEvents(*store_, "product.published").size(), 1u);
  ASSERT_EQ(StoredEvents(*store_, "alert").size(), 1u);
  // The stop came before the cursor's commit.
  ODMD_ASSERT_OK(store_->Put(kReactionsCursorKey, "0", std::nullopt));

  StartPlatform(Options());
  for (int i = 0; i < 3000; ++i) {
    auto cursor = store_->Get(kReactionsCursorKey);
    if (cursor.ok() && std::stoll(cursor->value) >= put->revision) break;
    platform_->WaitIdle(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(platform_->WaitIdle(std::chrono::seconds(60)));
  EXPECT_EQ(StoredEvents(*store_, "product.published").size(), 1u);
  EXPECT_EQ(StoredEvents(*store_, "alert").size(), 1u);
  // A new version is still reacted to.
  auto second =
      platform_->PutProduct(access::Principal::Admin(), "/odmd-share/app/b..main/url", "x2");
  ODMD_ASSERT_OK(second);
  EXPECT_EQ(StoredEvents(*store_, "product.published").size(), 2u);
  EXPECT_EQ(StoredEvents(*store_, "alert").size(), 2u);
}

}  // namespace
}  // namespace odmd::reconcile
