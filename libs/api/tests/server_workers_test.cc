// A handler that waits (here a product put whose commit does not return until the test says
// so) runs on a worker thread with its connection suspended: the connections sharing its
// event loop are served meanwhile, and Stop waits for it (server.cc, handler_pool.h).
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "api_test_fixture.h"
#include "odmd/testing/forwarding_config_store.h"
#include "odmd/testing/testdata.h"

namespace odmd::api {
namespace {

constexpr char kPut[] = "/api/ci/products/centralLogging/b..main/logBucketArn";
constexpr char kGet[] = "/api/products/centralLogging/b..main/logBucketArn";
constexpr char kHeld[] = "arn:held";
constexpr auto kPatience = std::chrono::seconds(60);

// A store whose put of the value kHeld waits until Release.
class HoldingStore final : public testing::ForwardingConfigStore {
 public:
  using ForwardingConfigStore::ForwardingConfigStore;

  Result<store::WriteResult> Put(std::string_view key, std::string_view value,
                                 std::optional<store::Revision> if_revision) override {
    if (value == kHeld) {
      std::unique_lock lock(mu_);
      held_ = true;
      cv_.notify_all();
      cv_.wait(lock, [this] { return released_; });
    }
    return ForwardingConfigStore::Put(key, value, if_revision);
  }

  // Whether a put of kHeld is waiting (or waited).
  bool WaitHeld() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kPatience, [this] { return held_; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false, released_ = false;
};

// One event-loop thread: without the workers, a waiting handler would hold every connection.
class ServerWorkersTest : public ApiFixture {
 protected:
  void SetUp() override {
    StartServer(ApiOptions{.webhook_secret = kWebhookSecret, .threads = 1});
    const std::string manifest = odmd::testing::ReadFileOrFail(
        odmd::testing::SourcePath("examples/sandbox/manifest.golden.json"));
    auto published = Client()->Post("/api/contracts", Bearer(admin_), manifest, "application/json");
    ASSERT_TRUE(published);
    ASSERT_EQ(published->status, 200) << published->body;
    auto put = Client()->Put(kPut, Bearer(admin_), "arn:first", "text/plain");
    ASSERT_TRUE(put);
    ASSERT_EQ(put->status, 200) << put->body;
  }
  void TearDown() override {
    if (holding_ != nullptr) holding_->Release();  // a failed test must not leave Stop waiting
    ApiFixture::TearDown();
  }
  store::ConfigStorePtr WrapStore(store::ConfigStorePtr base) override {
    auto holding = std::make_unique<HoldingStore>(std::move(base));
    holding_ = holding.get();
    return holding;
  }

  // A put of kHeld on its own connection; its status once answered (-1: no answer).
  std::future<int> PutHeld() {
    return std::async(std::launch::async, [this] {
      auto res = Client()->Put(kPut, Bearer(admin_), kHeld, "text/plain");
      return res ? res->status : -1;
    });
  }

  HoldingStore* holding_ = nullptr;
};

TEST_F(ServerWorkersTest, AWaitingPutHoldsNoOtherConnection) {
  std::future<int> put = PutHeld();
  ASSERT_TRUE(holding_->WaitHeld()) << "the put never reached the store";

  // The only event loop serves a quick route, a store read and a route run on another
  // worker while the put waits.
  auto health = Client()->Get("/api/health");
  ASSERT_TRUE(health) << "GET /api/health waited behind a put: "
                      << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
  auto read = Client()->Get(kGet, Bearer(admin_));
  ASSERT_TRUE(read) << httplib::to_string(read.error());
  EXPECT_EQ(Body(read)["value"], "arn:first");
  auto envers = Client()->Get("/api/envers", Bearer(viewer_));
  ASSERT_TRUE(envers) << httplib::to_string(envers.error());
  EXPECT_EQ(envers->status, 200) << envers->body;
  ASSERT_EQ(put.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
      << "the put answered before its commit returned";

  holding_->Release();
  ASSERT_EQ(put.wait_for(kPatience), std::future_status::ready);
  EXPECT_EQ(put.get(), 200);
  read = Client()->Get(kGet, Bearer(admin_));
  ASSERT_TRUE(read);
  EXPECT_EQ(Body(read)["value"], kHeld);
}

TEST_F(ServerWorkersTest, StopWaitsForAHandlerOnAWorker) {
  std::future<int> put = PutHeld();
  ASSERT_TRUE(holding_->WaitHeld()) << "the put never reached the store";
  std::future<void> stopped = std::async(std::launch::async, [this] { server_->Stop(); });
  ASSERT_EQ(stopped.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout)
      << "Stop returned while a handler ran";
  holding_->Release();
  ASSERT_EQ(stopped.wait_for(kPatience), std::future_status::ready);
  put.wait();
  // The write was made; whether its answer went out before the connections closed is the
  // client's to find out (it may retry: the same value is a no-op).
  Result<store::Entry> stored = store_->Get("/odmd-share/centralLogging/b..main/logBucketArn");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->value, kHeld);
}

TEST_F(ServerWorkersTest, AClientThatHangsUpOnAWaitingPutLeavesTheServerWhole) {
  std::thread client([this] {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(std::chrono::milliseconds(200));  // gives up while the put waits
    (void)c.Put(kPut, Bearer(admin_), kHeld, "text/plain");
  });
  ASSERT_TRUE(holding_->WaitHeld());
  client.join();
  holding_->Release();
  // The worker's reply found a closed connection; the server goes on.
  auto read = Client()->Get(kGet, Bearer(admin_));
  ASSERT_TRUE(read) << httplib::to_string(read.error());
  EXPECT_EQ(read->status, 200);
}

}  // namespace
}  // namespace odmd::api
