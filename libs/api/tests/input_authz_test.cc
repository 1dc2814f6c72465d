// Issue 12's authorisation and bad-input defects at the API: a foreign principal's manifest
// is refused before it is read, JSON bodies with a duplicate key are refused naming the key,
// store keys and product paths with empty, "." or ".." segments are refused naming the
// segment, an overlong contracts version is a clear 400, and concurrent puts of one product
// all succeed. Routes are dispatched without a socket (the HTTP layer has its own tests).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api_test_fixture.h"
#include "odmd/api/routes.h"
#include "odmd/testing/testdata.h"

namespace odmd::api {
namespace {

using nlohmann::json;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kContracts[] = "odmd-contracts-sandbox/b..main";
constexpr char kFoundation[] = "coffeeShopFoundation/b..main";

class InputAuthzTest : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    table_ = std::make_unique<RouteTable>(BuildRoutes(*platform_, ApiOptions{}));
  }

  // `target` is the path with an optional "?name=value&..." query (not percent-decoded).
  Reply Call(const std::string& method, const std::string& target, const std::string& token,
             std::string body = "") {
    Request req{.method = method, .body = std::move(body)};
    const size_t q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) {
      for (std::string rest = target.substr(q + 1); !rest.empty();) {
        const size_t amp = rest.find('&');
        const std::string pair = rest.substr(0, amp);
        const size_t eq = pair.find('=');
        req.query.emplace(pair.substr(0, eq), eq == std::string::npos ? "" : pair.substr(eq + 1));
        rest = amp == std::string::npos ? "" : rest.substr(amp + 1);
      }
    }
    if (!token.empty()) req.headers.emplace("Authorization", "Bearer " + token);
    return Dispatch(*table_, *tokens_, std::move(req));
  }

  static json JsonOf(const Reply& reply) {
    json j = json::parse(reply.body, nullptr, false);
    if (j.is_discarded()) ADD_FAILURE() << "not JSON: " << reply.body;
    return j;
  }
  static std::string Message(const Reply& reply) {
    json j = JsonOf(reply);
    return j.is_object() && j.contains("error") ? j["error"].value("message", "") : "";
  }

  static std::string SandboxManifest() {
    return odmd::testing::ReadFileOrFail(
        odmd::testing::SourcePath("examples/sandbox/manifest.golden.json"));
  }

  void PublishSandbox() {
    Reply published = Call("POST", "/api/contracts", admin_, SandboxManifest());
    ASSERT_EQ(published.status, 200) << published.body;
  }

  // The kinds of every recorded event, oldest first.
  std::vector<std::string> EventKinds() {
    Reply reply = Call("GET", "/api/events?limit=10000", viewer_);
    EXPECT_EQ(reply.status, 200) << reply.body;
    json events = JsonOf(reply)["events"];
    std::vector<std::string> kinds;
    for (const json& e : events) kinds.push_back(e.value("kind", ""));
    return kinds;
  }

  std::unique_ptr<RouteTable> table_;
};

// ---------------------------------------------------------------------------------------------
// Defect 5: a foreign principal's manifest is refused before it is parsed.

TEST_F(InputAuthzTest, ForeignPrincipalsCannotPublishAndRecordNothing) {
  PublishSandbox();
  const std::vector<std::string> before = EventKinds();
  const std::string garbage(2 << 20, '{');  // would be a parse error (and an event) if read
  const std::string manifest_path = std::string("/api/ci/manifest/") + kContracts;

  Reply viewer = Call("PUT", manifest_path, viewer_, garbage);
  EXPECT_EQ(viewer.status, 403) << viewer.body;
  EXPECT_THAT(Message(viewer), AllOf(HasSubstr("not viewer"), HasSubstr(kContracts)));

  // Another enver publishing "for itself" on its own path.
  const std::string other = Issue(access::Principal::Enver(kFoundation));
  Reply enver = Call("PUT", std::string("/api/ci/manifest/") + kFoundation, other, garbage);
  EXPECT_EQ(enver.status, 403) << enver.body;
  EXPECT_THAT(Message(enver), HasSubstr("not enver:" + std::string(kFoundation)));

  // Another enver on the contracts enver's path.
  Reply foreign_path = Call("PUT", manifest_path, other, garbage);
  EXPECT_EQ(foreign_path.status, 403) << foreign_path.body;

  EXPECT_EQ(EventKinds(), before) << "a refused principal recorded an event";

  // The contracts enver's own token is still read (and its bad manifest refused).
  const std::string own = Issue(access::Principal::Enver(kContracts));
  Reply bad = Call("PUT", manifest_path, own, "not json");
  EXPECT_EQ(bad.status, 400) << bad.body;
  Reply same = Call("PUT", manifest_path, own, SandboxManifest());
  EXPECT_EQ(same.status, 200) << same.body;
}

// ---------------------------------------------------------------------------------------------
// Defect 6: a replayed webhook delivery changes nothing.

TEST_F(InputAuthzTest, ReplayedWebhookDeliveryIsIgnoredWith200) {
  table_ = std::make_unique<RouteTable>(
      BuildRoutes(*platform_, ApiOptions{.webhook_secret = kWebhookSecret}));
  const json push = {{"ref", "refs/heads/main"},
                     {"before", std::string(40, 'a')},
                     {"after", std::string(40, 'b')},
                     {"created", false},
                     {"deleted", false},
                     {"forced", false},
                     {"repository", {{"full_name", "octo/app"}}},
                     {"commits", json::array()},
                     {"head_commit", nullptr}};
  auto deliver = [&](const std::string& body, const std::string& id) {
    Request req{.method = "POST", .path = "/webhooks/github", .body = body};
    req.headers.emplace("X-GitHub-Event", "push");
    req.headers.emplace("X-GitHub-Delivery", id);
    req.headers.emplace("X-Hub-Signature-256", GitHubSignature(kWebhookSecret, body));
    return Dispatch(*table_, *tokens_, std::move(req));
  };
  Reply first = deliver(push.dump(), "72d3162e-cc78-11e3-81ab-4c9367dc0958");
  ASSERT_EQ(first.status, 202) << first.body;
  EXPECT_EQ(JsonOf(first)["report"]["refs_changed"], 1);
  const std::vector<std::string> before = EventKinds();
  Reply replay = deliver(push.dump(), "72d3162e-cc78-11e3-81ab-4c9367dc0958");
  ASSERT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(JsonOf(replay)["reason"], "duplicate delivery, ignored");
  EXPECT_EQ(JsonOf(replay)["ignored"], true);
  // The same push under a new delivery id: the ref is already where it took it.
  Reply redelivered = deliver(push.dump(), "another-id");
  ASSERT_EQ(redelivered.status, 200) << redelivered.body;
  EXPECT_THAT(JsonOf(redelivered)["reason"].get<std::string>(), HasSubstr("already at"));
  EXPECT_EQ(EventKinds(), before);

  // A 5,000-character repository name is refused before a "push" event is recorded.
  json long_name = push;
  long_name["repository"]["full_name"] = "octo/" + std::string(5000, 'r');
  long_name["after"] = std::string(40, 'c');
  Reply refused = deliver(long_name.dump(), "long-name");
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_THAT(Message(refused), HasSubstr("/repository/full_name"));
  // A payload that repeats a key.
  const std::string twice =
      "{\"after\": \"" + std::string(40, 'd') + "\", " + push.dump().substr(1);
  Reply duplicate = deliver(twice, "twice");
  EXPECT_EQ(duplicate.status, 400) << duplicate.body;
  EXPECT_THAT(Message(duplicate), HasSubstr("repeats the key at /after"));
  EXPECT_EQ(EventKinds(), before);
}

// ---------------------------------------------------------------------------------------------
// Defect 8: duplicate JSON keys, key segments.

TEST_F(InputAuthzTest, JsonBodyWithARepeatedKeyIsRefusedNamingIt) {
  Reply repos = Call("POST", "/api/repos", admin_,
                     R"({"name": "octo/a", "path": "/tmp/a.git", "name": "octo/b"})");
  EXPECT_EQ(repos.status, 400) << repos.body;
  EXPECT_THAT(Message(repos), AllOf(HasSubstr("POST /api/repos"), HasSubstr("/name")));
  EXPECT_EQ(JsonOf(Call("GET", "/api/repos", viewer_))["repos"], json::array());
  // A manifest: M1 at the repeated key, nothing published.
  std::string manifest = SandboxManifest();
  manifest.insert(manifest.find('{') + 1, "\"org\": \"other\",");
  Reply published = Call("POST", "/api/contracts", admin_, manifest);
  EXPECT_EQ(published.status, 400) << published.body;
  EXPECT_THAT(Message(published), HasSubstr("M1 /org"));
  EXPECT_EQ(Call("GET", "/api/envers", viewer_).status, 200);
  EXPECT_EQ(JsonOf(Call("GET", "/api/envers", viewer_))["envers"], json::array());
}

TEST_F(InputAuthzTest, ProductPathWithDotSegmentsIsRefusedNamingTheSegment) {
  PublishSandbox();
  const std::string own = Issue(access::Principal::Enver(kFoundation));
  const std::string walk = std::string("/api/ci/products/") + kFoundation +
                           "/eventBusArn/../../../coffeeShopOrderManager/b..main/orderApiUrl";
  for (const std::string& token : {own, admin_}) {
    Reply put = Call("PUT", walk, token, "arn:x");
    EXPECT_EQ(put.status, 400) << put.body;
    EXPECT_THAT(Message(put), HasSubstr("segment 5 is \"..\""));
  }
  for (const std::string& path :
       {std::string("/api/ci/products/..") + "/b..main/x",
        std::string("/api/ci/products/") + kFoundation + "/./eventBusArn",
        std::string("/api/ci/products/") + kFoundation + "//eventBusArn"}) {
    Reply put = Call("PUT", path, own, "x");
    EXPECT_EQ(put.status, 400) << path << ": " << put.body;
    EXPECT_THAT(Message(put), HasSubstr("segment")) << path;
  }
  EXPECT_EQ(Call("GET", "/api/products/coffeeShopOrderManager/b..main/orderApiUrl", admin_).status,
            404);
}

TEST_F(InputAuthzTest, OverlongOrMalformedContractsVersionIs400NamingTheParameter) {
  PublishSandbox();
  const std::string digits(2000, '1');
  struct Case {
    std::string target, param;
  };
  for (const Case& c : std::vector<Case>{
           {"/api/graph?contracts_version=" + digits, "contracts_version"},
           {"/api/graph?contracts_version=1.0.0-" + digits, "contracts_version"},
           {"/api/contracts/versions/" + digits, "version"},
           {"/api/contracts/versions/../manifest", "version"},
           {"/api/contracts/diff?from=" + digits + "&to=1.0.0", "from"},
           {"/api/contracts/diff?from=1.0.0&to=x", "to"},
       }) {
    Reply reply = Call("GET", c.target, viewer_);
    EXPECT_EQ(reply.status, 400) << c.target.substr(0, 80) << ": " << reply.body;
    EXPECT_THAT(Message(reply),
                AllOf(HasSubstr(c.param + " \""), HasSubstr("is not a contracts version"),
                      Not(HasSubstr("1024")), Not(HasSubstr("key"))))
        << c.target.substr(0, 80);
    EXPECT_LT(Message(reply).size(), 300u);
  }
  EXPECT_EQ(Call("GET", "/api/contracts/versions/9.9.9", viewer_).status, 404);
}

// ---------------------------------------------------------------------------------------------
// Defect 8: concurrent puts of one product are versioned writes, not conflicts.

TEST_F(InputAuthzTest, ConcurrentPutsOfOneProductAllSucceedWithConsecutiveVersions) {
  PublishSandbox();
  const std::string token = Issue(access::Principal::Enver(kFoundation));
  const std::string path = std::string("/odmd-share/") + kFoundation + "/eventBusArn";
  const std::string target = std::string("/api/ci/products/") + kFoundation + "/eventBusArn";
  constexpr int kWriters = 16;
  std::vector<Reply> replies(kWriters);
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back(
        [&, i] { replies[i] = Call("PUT", target, token, "arn:bus:" + std::to_string(i)); });
  }
  for (std::thread& t : writers) t.join();
  std::set<std::int64_t> versions;
  for (const Reply& r : replies) {
    ASSERT_EQ(r.status, 200) << r.body;
    versions.insert(JsonOf(r)["version"].get<std::int64_t>());
  }
  ASSERT_EQ(versions.size(), static_cast<size_t>(kWriters)) << "versions are not distinct";
  EXPECT_EQ(*versions.begin(), 1);
  EXPECT_EQ(*versions.rbegin(), kWriters);
  // One product.published per version, no more.
  json events = JsonOf(Call("GET", "/api/events?limit=10000", viewer_))["events"];
  std::multiset<std::string> published;
  for (const json& e : events) {
    if (e.value("kind", "") != "product.published") continue;
    if (e["fields"].value("path", "") != path) continue;
    published.insert(e["fields"].value("version", ""));
  }
  EXPECT_EQ(published.size(), static_cast<size_t>(kWriters)) << events.dump(1).substr(0, 2000);
  EXPECT_EQ(std::set<std::string>(published.begin(), published.end()).size(), published.size());
}

}  // namespace
}  // namespace odmd::api
