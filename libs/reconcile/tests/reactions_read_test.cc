// The reactions to a product change read their consumers' states with one List when the
// consumers are many (reactions.cc, issue 17), and still redeploy exactly the deployed ones.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "odmd/model/manifest.h"
#include "odmd/reconcile/state.h"
#include "odmd/testing/forwarding_config_store.h"
#include "platform_fixture.h"

namespace odmd::reconcile {
namespace {

// Counts the Gets of enver state records (one per consumer before the change).
class GetCountingStore final : public testing::ForwardingConfigStore {
 public:
  using ForwardingConfigStore::ForwardingConfigStore;
  int state_gets() const { return state_gets_.load(); }

  Result<store::Entry> Get(std::string_view key) override {
    if (key.starts_with(kEnversPrefix)) ++state_gets_;
    return ForwardingConfigStore::Get(key);
  }

 private:
  std::atomic<int> state_gets_{0};
};

class ReactionsReadTest : public PlatformFixture {
 protected:
  // An org whose src/b..main "value" has `n` consumers c0..c<n-1>; the even ones deployed.
  void StartWithConsumers(int n) {
    model::Org org = OrgWithContracts("wide");
    org.builds.push_back(
        MakeBuild("src", "src", {MakeEnver(model::RevRef::Branch("main"), {"value"}, {})}));
    for (int i = 0; i < n; ++i) {
      org.builds.push_back(MakeBuild(
          "c" + std::to_string(i), "many",
          {MakeEnver(model::RevRef::Branch("main"), {}, {Consume("v", "src/b..main", "value")})}));
    }
    model::Canonicalize(org);
    counting_ = std::make_unique<GetCountingStore>(*store_);
    platform_ = std::make_unique<Platform>(*counting_, *git_, *runner_, clock_, *box_, Options());
    ODMD_ASSERT_OK(platform_->Start());
    ODMD_ASSERT_OK(
        platform_->PublishManifest(access::Principal::Admin(), model::WriteManifest(org)));
    for (int i = 0; i < n; i += 2) {
      ODMD_ASSERT_OK(store_->Put(
          EnverStateKey("c" + std::to_string(i) + "/b..main"),
          "{\"status\":\"succeeded\",\"sha\":\"" + std::string(40, 'a') + "\"}", std::nullopt));
    }
  }

  // The enver ids of the queued deployments caused by reactions.
  std::vector<std::string> Reacted() {
    std::vector<std::string> out;
    auto ds = platform_->ListDeployments("", 100000);
    EXPECT_TRUE(ds.ok());
    if (!ds.ok()) return out;
    for (const auto& d : (*ds)["deployments"]) {
      if (d["cause"]["kind"] == "reaction") out.push_back(d["enver"].get<std::string>());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<std::string> Even(int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; i += 2) out.push_back("c" + std::to_string(i) + "/b..main");
    std::sort(out.begin(), out.end());
    return out;
  }

  std::unique_ptr<GetCountingStore> counting_;
};

TEST_F(ReactionsReadTest, ManyConsumersAreReadWithOneList) {
  StartWithConsumers(100);
  const int before = counting_->state_gets();
  // Its reactions are queued when the put returns (by the put, or by the reaction loop
  // it waited for).
  ODMD_ASSERT_OK(
      platform_->PutProduct(access::Principal::Admin(), "/odmd-share/src/b..main/value", "v1"));
  // The producer's own state is one Get; the 100 consumers' used to be 100 more.
  EXPECT_LE(counting_->state_gets() - before, 4);
  EXPECT_EQ(Reacted(), Even(100));
}

TEST_F(ReactionsReadTest, FewConsumersAreReadOneByOne) {
  StartWithConsumers(6);
  ODMD_ASSERT_OK(
      platform_->PutProduct(access::Principal::Admin(), "/odmd-share/src/b..main/value", "v1"));
  EXPECT_EQ(Reacted(), Even(6));
}

}  // namespace
}  // namespace odmd::reconcile
