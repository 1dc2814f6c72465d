// The deployment-id counter when another queue on the same store allocates ids (issue 18: a
// second server's enqueues all failed with "/odmd/seq/deployments is at revision 306, not
// 206" until it restarted): the enqueue that loses the compare-and-set fails, and the queue
// reads the counter again, so the next one takes ids after the other's.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "odmd/reconcile/queue.h"
#include "odmd/reconcile/state.h"
#include "odmd/store/open_config_store.h"
#include "odmd/testing/fake_clock.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::reconcile {
namespace {

namespace fs = std::filesystem;
using ::odmd::testing::FakeClock;
using ::odmd::testing::StatusIs;
using ::testing::HasSubstr;

class QueueCounterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "odmd-queue-counter-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  store::ConfigStorePtr Open() {
    store::StoreOptions options;
    options.url = "sqlite:" + (dir_ / "s.db").string();
    Result<store::ConfigStorePtr> opened = store::OpenConfigStore(options);
    EXPECT_TRUE(opened.ok()) << opened.status();
    return opened.ok() ? std::move(opened).value() : nullptr;
  }
  static std::vector<EnqueueRequest> Req(const std::string& enver_id) {
    EnqueueRequest r;
    r.enver_id = enver_id;
    r.cause = {"push", "push of " + enver_id, "root-" + enver_id};
    return {r};
  }

  fs::path dir_;
  FakeClock clock_;
};

TEST_F(QueueCounterTest, AnEnqueueAfterAnotherQueueAllocatedIdsRereadsTheCounter) {
  store::ConfigStorePtr store_a = Open();
  store::ConfigStorePtr store_b = Open();
  ASSERT_NE(store_a, nullptr);
  ASSERT_NE(store_b, nullptr);
  DeploymentQueue a(*store_a, clock_, QueueOptions{.owner = "a"});
  DeploymentQueue b(*store_b, clock_, QueueOptions{.owner = "b"});
  ODMD_ASSERT_OK(a.Load());
  ODMD_ASSERT_OK(b.Load());

  Result<std::vector<EnqueueResult>> by_b = b.Enqueue(Req("svc/b..main"));
  ASSERT_TRUE(by_b.ok()) << by_b.status();
  EXPECT_EQ((*by_b)[0].deployment_id, FormatDeploymentId(1));

  EXPECT_THAT(a.Enqueue(Req("svc/a..main")),
              StatusIs(StatusCode::kAborted, HasSubstr(std::string(kDeploymentSeqKey))));
  Result<std::vector<EnqueueResult>> by_a = a.Enqueue(Req("svc/a..main"));
  ASSERT_TRUE(by_a.ok()) << by_a.status();
  EXPECT_EQ((*by_a)[0].deployment_id, FormatDeploymentId(2));
  Result<std::vector<EnqueueResult>> again = a.Enqueue(Req("svc/c..main"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)[0].deployment_id, FormatDeploymentId(3));
}

}  // namespace
}  // namespace odmd::reconcile
