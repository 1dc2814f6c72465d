// Event streams share one follow of the platform's event log (event_stream.cc, issue 17):
// every stream still gets every event after its resume point exactly once, in order.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "api_test_fixture.h"
#include "odmd/testing/forwarding_config_store.h"
#include "odmd/testing/testdata.h"

namespace odmd::api {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

constexpr char kEventsPrefix[] = "/odmd/events/";
constexpr char kProduct[] = "/api/ci/products/centralLogging/b..main/logBucketArn";

// A store that counts the watches started under the event log's prefix (one per follow).
class WatchCountingStore final : public testing::ForwardingConfigStore {
 public:
  using ForwardingConfigStore::ForwardingConfigStore;
  int event_watches() const { return event_watches_.load(); }

  Result<store::WatchHandlePtr> Watch(std::string_view prefix, store::Revision after,
                                      store::ChangeSink sink) override {
    if (prefix.starts_with(kEventsPrefix)) ++event_watches_;
    return ForwardingConfigStore::Watch(prefix, after, std::move(sink));
  }

 private:
  std::atomic<int> event_watches_{0};
};

class SharedFollowTest : public ApiFixture {
 protected:
  void SetUp() override {
    // Keepalives a minute apart: a stream's text is its frames only.
    StartServer(
        ApiOptions{.webhook_secret = kWebhookSecret, .stream_keepalive = std::chrono::seconds(60)});
    const std::string manifest = odmd::testing::ReadFileOrFail(
        odmd::testing::SourcePath("examples/sandbox/manifest.golden.json"));
    auto published = Client()->Post("/api/contracts", Bearer(admin_), manifest, "application/json");
    ASSERT_TRUE(published);
    ASSERT_EQ(published->status, 200) << published->body;
  }
  store::ConfigStorePtr WrapStore(store::ConfigStorePtr base) override {
    auto counting = std::make_unique<WatchCountingStore>(std::move(base));
    counting_ = counting.get();
    return counting;
  }

  // The frames of every event with seq > after, as a stream writes them (read from the
  // platform: the server may have stopped).
  std::string FramesAfter(std::int64_t after) {
    Result<json> events = platform_->ListEvents(after, 10000);
    EXPECT_TRUE(events.ok()) << events.status();
    std::string out;
    if (!events.ok()) return out;
    for (const json& e : (*events)["events"]) {
      out += "id: " + std::to_string(e["seq"].get<std::int64_t>()) + "\ndata: " + e.dump() + "\n\n";
    }
    return out;
  }

  std::int64_t LastSeq() {
    Result<json> events = platform_->ListEvents(0, 10000);
    EXPECT_TRUE(events.ok()) << events.status();
    if (!events.ok() || (*events)["events"].empty()) return 0;
    return (*events)["events"].back()["seq"].get<std::int64_t>();
  }

  void PutProduct(const std::string& value) {
    auto put = Client()->Put(kProduct, Bearer(admin_), value, "text/plain");
    ASSERT_TRUE(put);
    ASSERT_EQ(put->status, 200) << put->body;
  }

  WatchCountingStore* counting_ = nullptr;
};

TEST_F(SharedFollowTest, StreamsShareOneFollowAndEachGetsEveryEventOnce) {
  const int watches_before = counting_->event_watches();
  std::vector<std::unique_ptr<StreamReader>> readers;
  for (int i = 0; i < 8; ++i) {
    readers.push_back(
        std::make_unique<StreamReader>(port_, Bearer(viewer_), "/api/events/stream?after=0"));
  }
  const std::string history = FramesAfter(0);
  for (auto& r : readers) ASSERT_TRUE(r->WaitForText(history)) << r->text();
  // A live event reaches every stream once.
  PutProduct("arn:live");
  const std::string all = FramesAfter(0);
  ASSERT_GT(all.size(), history.size());
  for (auto& r : readers) ASSERT_TRUE(r->WaitForText(all)) << r->text();
  server_->Stop();
  for (auto& r : readers) {
    ASSERT_TRUE(r->WaitEnded());
    EXPECT_EQ(r->text(), "retry: 1000\n\n" + FramesAfter(0));
  }
  // One follow of the event log for all eight, where each used to start its own.
  EXPECT_EQ(counting_->event_watches() - watches_before, 1);
}

TEST_F(SharedFollowTest, AStreamResumingAfterARecentEventJoinsTheSharedFollow) {
  PutProduct("arn:a");
  PutProduct("arn:b");
  const int watches_before = counting_->event_watches();
  StreamReader first(port_, Bearer(viewer_), "/api/events/stream");
  ASSERT_TRUE(first.WaitForText(FramesAfter(0))) << first.text();
  const std::int64_t resume = LastSeq();
  ASSERT_GT(resume, 1);
  // Resumes in the middle of what the shared follow delivered: nothing at or before it.
  StreamReader resumed(
      port_,
      {{"Authorization", "Bearer " + viewer_}, {"Last-Event-ID", std::to_string(resume - 1)}},
      "/api/events/stream");
  ASSERT_TRUE(resumed.WaitForText(FramesAfter(resume - 1))) << resumed.text();
  PutProduct("arn:after-resume");
  ASSERT_TRUE(resumed.WaitForText(FramesAfter(resume - 1))) << resumed.text();
  ASSERT_TRUE(first.WaitForText(FramesAfter(0))) << first.text();
  server_->Stop();
  ASSERT_TRUE(resumed.WaitEnded());
  ASSERT_TRUE(first.WaitEnded());
  EXPECT_EQ(resumed.text(), "retry: 1000\n\n" + FramesAfter(resume - 1));
  EXPECT_THAT(resumed.text(), Not(HasSubstr("id: " + std::to_string(resume - 1) + "\n")));
  EXPECT_EQ(first.text(), "retry: 1000\n\n" + FramesAfter(0));
  EXPECT_EQ(counting_->event_watches() - watches_before, 1);
}

// The shared follow starts where its first stream resumes: a later stream that wants
// older events follows alone, and still gets every one of them.
TEST_F(SharedFollowTest, AStreamResumingBeforeTheSharedFollowsStartFollowsAlone) {
  PutProduct("arn:a");
  const std::int64_t last = LastSeq();
  const int watches_before = counting_->event_watches();
  StreamReader recent(port_, Bearer(viewer_), "/api/events/stream?after=" + std::to_string(last));
  ASSERT_TRUE(recent.WaitForText("retry: 1000\n\n")) << recent.text();
  StreamReader everything(port_, Bearer(viewer_), "/api/events/stream?after=0");
  ASSERT_TRUE(everything.WaitForText(FramesAfter(0))) << everything.text();
  PutProduct("arn:b");
  ASSERT_TRUE(everything.WaitForText(FramesAfter(0))) << everything.text();
  ASSERT_TRUE(recent.WaitForText(FramesAfter(last))) << recent.text();
  server_->Stop();
  ASSERT_TRUE(everything.WaitEnded());
  ASSERT_TRUE(recent.WaitEnded());
  EXPECT_EQ(everything.text(), "retry: 1000\n\n" + FramesAfter(0));
  EXPECT_EQ(recent.text(), "retry: 1000\n\n" + FramesAfter(last));
  EXPECT_EQ(counting_->event_watches() - watches_before, 2);
}

TEST_F(SharedFollowTest, AStreamResumingFromTheFutureGetsOnlyLaterEvents) {
  StreamReader first(port_, Bearer(viewer_), "/api/events/stream");
  ASSERT_TRUE(first.WaitForText(FramesAfter(0))) << first.text();
  const std::int64_t last = LastSeq();
  // Two seqs ahead of the log: the next event is not for it, the one after is.
  StreamReader ahead(port_, Bearer(viewer_),
                     "/api/events/stream?after=" + std::to_string(last + 1));
  PutProduct("arn:one");
  PutProduct("arn:two");
  const std::int64_t now = LastSeq();
  ASSERT_GE(now, last + 2);
  ASSERT_TRUE(ahead.WaitForText(FramesAfter(last + 1))) << ahead.text();
  server_->Stop();
  ASSERT_TRUE(ahead.WaitEnded());
  EXPECT_EQ(ahead.text(), "retry: 1000\n\n" + FramesAfter(last + 1));
}

}  // namespace
}  // namespace odmd::api
