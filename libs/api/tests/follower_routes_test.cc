// The routes on a follower replica (docs/platform.md, "Replicas"): it serves reads, records
// a verified webhook delivery, a notify, a contracts publish and a teardown retry or forget
// and a workflow token rotation (checked first) in the inbox for the leader (202,
// "accepted").
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api_test_fixture.h"
#include "odmd/api/routes.h"
#include "odmd/reconcile/state.h"
#include "odmd/testing/testdata.h"

namespace odmd::api {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class FollowerRoutesTest : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    platform_->Stop();  // no leader takes the records: the test reads them
    reconcile::PlatformOptions o;
    o.state_dir = (dir_ / "follower").string();
    o.start_workers = false;
    o.webhook_secret = kWebhookSecret;
    o.replica_id = "replica-f";
    follower_ = std::make_unique<reconcile::Platform>(*store_, git_, runner_, clock_, *secrets_, o);
    ASSERT_TRUE(follower_->Serve().ok());
    table_ = std::make_unique<RouteTable>(
        BuildRoutes(*follower_, ApiOptions{.webhook_secret = kWebhookSecret}));
  }
  void TearDown() override {
    table_.reset();
    if (follower_) follower_->Stop();
    follower_.reset();
    ApiFixture::TearDown();
  }

  Reply Call(const std::string& method, const std::string& path, const std::string& body) {
    Request req{.method = method, .path = path, .body = body};
    req.headers.emplace("Authorization", "Bearer " + admin_);
    return Dispatch(*table_, *tokens_, std::move(req));
  }

  // The inbox record at `key`, parsed.
  json Record(const std::string& key) {
    Result<store::Entry> e = store_->Get(key);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? json::parse(e->value) : json();
  }

  std::unique_ptr<reconcile::Platform> follower_;
  std::unique_ptr<RouteTable> table_;
};

TEST_F(FollowerRoutesTest, AVerifiedPushIsRecordedForTheLeader) {
  const json push = {{"ref", "refs/heads/main"},
                     {"before", std::string(40, 'a')},
                     {"after", std::string(40, 'b')},
                     {"created", false},
                     {"deleted", false},
                     {"forced", false},
                     {"repository", {{"full_name", "octo/app"}}},
                     {"commits", json::array()},
                     {"head_commit", nullptr}};
  const std::string body = push.dump();
  auto deliver = [&](const std::string& signature) {
    Request req{.method = "POST", .path = "/webhooks/github", .body = body};
    req.headers.emplace("X-GitHub-Event", "push");
    req.headers.emplace("X-GitHub-Delivery", "d-1");
    req.headers.emplace("X-Hub-Signature-256", signature);
    return Dispatch(*table_, *tokens_, std::move(req));
  };
  EXPECT_EQ(deliver(GitHubSignature("wrong", body)).status, 401);
  Reply accepted = deliver(GitHubSignature(kWebhookSecret, body));
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  const json reply = json::parse(accepted.body);
  EXPECT_EQ(reply["accepted"], true);
  EXPECT_EQ(reply["leader"], nullptr);  // no lease here
  ASSERT_THAT(reply["inbox"].get<std::string>(), StartsWith(std::string(reconcile::kInboxPrefix)));
  const json record = Record(reply["inbox"]);
  EXPECT_EQ(record["kind"], "github");
  EXPECT_EQ(record["delivery"], "d-1");
  EXPECT_EQ(record["replica"], "replica-f");
  EXPECT_EQ(record["payload"]["event"], "push");
  EXPECT_EQ(record["payload"]["body"], body);
  Result<std::vector<store::Entry>> all = store_->List(reconcile::kInboxPrefix);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u) << "the refused delivery recorded nothing";
}

TEST_F(FollowerRoutesTest, ANotifyIsRecordedAndTheLeadersOtherWritesAreCheckedFirst) {
  Reply notified = Call("POST", "/api/notify", R"({"repo":""})");
  ASSERT_EQ(notified.status, 202) << notified.body;
  EXPECT_EQ(Record(json::parse(notified.body)["inbox"])["kind"], "scan");
  EXPECT_EQ(Call("POST", "/api/notify", R"({"repo":"acme/none"})").status, 404);

  // A teardown retry or forget is checked, then recorded: none failed here.
  for (const char* path : {"/api/teardowns/retry", "/api/teardowns/forget"}) {
    Reply none = Call("POST", path, R"({"enver":"svc/b..main"})");
    EXPECT_EQ(none.status, 404) << path << ": " << none.body;
  }
  // A rotation likewise: no such workflow here.
  Reply rotate = Call("POST", "/api/workflows/rotate", R"({"workflow":"ODMD_nope"})");
  EXPECT_EQ(rotate.status, 404) << rotate.body;
  Result<std::vector<store::Entry>> recorded = store_->List(reconcile::kInboxPrefix);
  ASSERT_TRUE(recorded.ok());
  EXPECT_EQ(recorded->size(), 1u) << "only the notify was recorded";
  EXPECT_EQ(Call("GET", "/api/envers", "").status, 200);
}

TEST_F(FollowerRoutesTest, APublishIsCheckedThenRecordedForTheLeader) {
  // Refused as the leader refuses it (400 naming what is wrong), nothing recorded.
  Reply bad = Call("POST", "/api/contracts", R"({"name": "acme"})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_THAT(bad.body, HasSubstr("missing required field"));
  Result<std::vector<store::Entry>> none = store_->List(reconcile::kInboxPrefix);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  const std::string manifest = odmd::testing::ReadFileOrFail(
      odmd::testing::SourcePath("examples/sandbox/manifest.golden.json"));
  Reply accepted = Call("POST", "/api/contracts", manifest);
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  const json reply = json::parse(accepted.body);
  EXPECT_EQ(reply["accepted"], true);
  EXPECT_EQ(reply["version"], json::parse(manifest)["version"]);
  EXPECT_THAT(reply["digest"].get<std::string>(), StartsWith("sha256:"));
  EXPECT_EQ(reply["leader"], nullptr);  // no lease here
  const json record = Record(reply["inbox"]);
  EXPECT_EQ(record["kind"], "publish");
  EXPECT_EQ(record["payload"]["who"], "admin");
  Result<store::Entry> data = store_->Get(record["data"].get<std::string>());
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->value, manifest);
}

}  // namespace
}  // namespace odmd::api
