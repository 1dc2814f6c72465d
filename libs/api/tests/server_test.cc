// The HTTP layer of the API: routing, authentication, the status mapping and error shape,
// body limits, GitHub webhook verification (on GitHub's own example payloads from the npm
// package @octokit/webhooks-examples) and the event stream, on the real platform core.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api_test_fixture.h"
#include "odmd/testing/testdata.h"

namespace odmd::api {
namespace {

using nlohmann::json;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kExamplesIndex[] =
    "tools/validators/node_modules/@octokit/webhooks-examples/api.github.com/index.json";

// GitHub's examples of `event`; a test failure if the package is missing.
std::vector<json> Examples(const std::string& event) {
  const std::string path = odmd::testing::SourcePath(kExamplesIndex);
  if (!std::filesystem::exists(path)) {
    ADD_FAILURE() << "GitHub's webhook examples are not installed at " << path
                  << "; run scripts/install-deps.sh";
    return {};
  }
  json index = json::parse(odmd::testing::ReadFileOrFail(path), nullptr, false);
  if (!index.is_array()) return {};
  for (const json& entry : index) {
    if (entry.value("name", "") == event) return entry.at("examples").get<std::vector<json>>();
  }
  ADD_FAILURE() << "no examples of " << event;
  return {};
}

TEST(HttpStatusTest, FollowsStyleTable) {
  EXPECT_EQ(HttpStatus(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatus(StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatus(StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatus(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatus(StatusCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatus(StatusCode::kFailedPrecondition), 409);
  EXPECT_EQ(HttpStatus(StatusCode::kAborted), 409);
  EXPECT_EQ(HttpStatus(StatusCode::kResourceExhausted), 413);
  EXPECT_EQ(HttpStatus(StatusCode::kUnimplemented), 501);
  EXPECT_EQ(HttpStatus(StatusCode::kInternal), 500);
  EXPECT_EQ(HttpStatus(StatusCode::kUnavailable), 503);
}

using ApiServerTest = ApiFixture;

TEST_F(ApiServerTest, HealthNeedsNoToken) {
  auto res = Client()->Get("/api/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(Body(res), json({{"ok", true}}));
}

TEST_F(ApiServerTest, MissingTokenIs401WithErrorShape) {
  auto res = Client()->Get("/api/envers");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(res->get_header_value("WWW-Authenticate"), "Bearer");
  json body = Body(res);
  ASSERT_TRUE(body.is_object());
  ASSERT_EQ(body.size(), 1u) << body;
  EXPECT_EQ(body["error"]["code"], "UNAUTHENTICATED");
  EXPECT_THAT(body["error"]["message"].get<std::string>(), HasSubstr("Authorization: Bearer"));
}

TEST_F(ApiServerTest, BadTokenIs401WithoutEchoingIt) {
  const std::string bad = "odmd_" + std::string(64, 'a');
  auto res = Client()->Get("/api/deployments", Bearer(bad));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(ErrorCode(res), "UNAUTHENTICATED");
  EXPECT_THAT(ErrorMessage(res), AllOf(HasSubstr("token"), Not(HasSubstr(bad))));
}

TEST_F(ApiServerTest, RevokedTokenIs401) {
  ASSERT_TRUE(tokens_->Revoke(access::Principal::Viewer()).ok());
  auto res = Client()->Get("/api/events", Bearer(viewer_));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_THAT(ErrorMessage(res), HasSubstr("unknown or revoked token"));
}

TEST_F(ApiServerTest, NonBearerSchemeIs401) {
  auto res = Client()->Get("/api/envers", {{"Authorization", "Basic " + admin_}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_THAT(ErrorMessage(res), AllOf(HasSubstr("Bearer"), Not(HasSubstr(admin_))));
}

TEST_F(ApiServerTest, ViewerIsForbiddenOnAdminRoutes) {
  struct Case {
    std::string method, path, body;
  };
  const std::vector<Case> cases = {
      {"POST", "/api/notify", R"({"repo": ""})"},
      {"POST", "/api/repos", R"({"name": "acme/svc", "path": "/tmp/x"})"},
      {"POST", "/api/contracts", "{}"},
  };
  for (const Case& c : cases) {
    auto res = Client()->Post(c.path, Bearer(viewer_), c.body, "application/json");
    ASSERT_TRUE(res) << c.path;
    EXPECT_EQ(res->status, 403) << c.path;
    EXPECT_EQ(ErrorCode(res), "PERMISSION_DENIED") << c.path;
    EXPECT_THAT(ErrorMessage(res),
                AllOf(HasSubstr(c.path), HasSubstr("admin"), HasSubstr("viewer")));
  }
}

TEST_F(ApiServerTest, UnknownRouteIs404Json) {
  auto res = Client()->Get("/api/nothing-here", Bearer(admin_));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(ErrorCode(res), "NOT_FOUND");
  EXPECT_THAT(ErrorMessage(res), HasSubstr("no such route"));
}

TEST_F(ApiServerTest, MalformedBodiesAre400NamingTheField) {
  auto c = Client();
  auto not_json = c->Post("/api/repos", Bearer(admin_), "{nope", "application/json");
  ASSERT_TRUE(not_json);
  EXPECT_EQ(not_json->status, 400);
  EXPECT_EQ(ErrorCode(not_json), "INVALID_ARGUMENT");
  EXPECT_THAT(ErrorMessage(not_json), HasSubstr("not valid JSON"));

  auto no_name = c->Post("/api/repos", Bearer(admin_), R"({"path": "/x"})", "application/json");
  ASSERT_TRUE(no_name);
  EXPECT_EQ(no_name->status, 400);
  EXPECT_THAT(ErrorMessage(no_name), HasSubstr("/name is required"));

  auto not_string = c->Post("/api/redeploy", Bearer(admin_), R"({"enver": 3})", "application/json");
  ASSERT_TRUE(not_string);
  EXPECT_EQ(not_string->status, 400);
  EXPECT_THAT(ErrorMessage(not_string), HasSubstr("/enver must be a string"));

  auto array = c->Post("/api/notify", Bearer(admin_), "[]", "application/json");
  ASSERT_TRUE(array);
  EXPECT_EQ(array->status, 400);
  EXPECT_THAT(ErrorMessage(array), HasSubstr("must be a JSON object"));
}

TEST_F(ApiServerTest, MalformedQueryParametersAre400NamingThem) {
  auto c = Client();
  auto after = c->Get("/api/events?after=x", Bearer(viewer_));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 400);
  EXPECT_THAT(ErrorMessage(after), AllOf(HasSubstr("\"after\""), HasSubstr("\"x\"")));

  auto limit = c->Get("/api/deployments?limit=0", Bearer(viewer_));
  ASSERT_TRUE(limit);
  EXPECT_EQ(limit->status, 400);
  EXPECT_THAT(ErrorMessage(limit), HasSubstr("\"limit\""));

  auto context = c->Get("/api/ci/context?ref=refs/heads/main", Bearer(viewer_));
  ASSERT_TRUE(context);
  EXPECT_EQ(context->status, 400);
  EXPECT_THAT(ErrorMessage(context), HasSubstr("\"build\" is required"));

  auto stream = c->Get("/api/events/stream",
                       {{"Authorization", "Bearer " + viewer_}, {"Last-Event-ID", "-3"}});
  ASSERT_TRUE(stream);
  EXPECT_EQ(stream->status, 400);
  EXPECT_THAT(ErrorMessage(stream), HasSubstr("Last-Event-ID"));
}

TEST_F(ApiServerTest, ManifestOfAnotherEnverIsForbidden) {
  const std::string token = Issue(access::Principal::Enver("svcA/b..main"));
  auto res =
      Client()->Put("/api/ci/manifest/contracts/b..main", Bearer(token), "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_THAT(ErrorMessage(res),
              AllOf(HasSubstr("enver:svcA/b..main"), HasSubstr("\"contracts/b..main\"")));
}

TEST_F(ApiServerTest, StreamNeedsToken) {
  auto res = Client()->Get("/api/events/stream");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(ErrorCode(res), "UNAUTHENTICATED");
}

TEST_F(ApiServerTest, CoreErrorsKeepTheirCodeAndMessage) {
  // A failure of the core carries its code's status and the error shape (a fresh store has
  // no deployments).
  auto res = Client()->Get("/api/deployments/d0000000001", Bearer(viewer_));
  ASSERT_TRUE(res);
  json body = Body(res);
  ASSERT_TRUE(body.contains("error")) << res->body;
  EXPECT_EQ(body["error"]["code"], "NOT_FOUND") << res->body;
  EXPECT_EQ(res->status, 404) << res->body;
  EXPECT_FALSE(body["error"]["message"].get<std::string>().empty());
}

TEST_F(ApiServerTest, ListenTwiceFails) {
  Result<int> again = server_->Listen("127.0.0.1", 0);
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(ApiServerTest, PortInUseIsUnavailable) {
  ApiServer other(*platform_, *tokens_, {});
  Result<int> port = other.Listen("127.0.0.1", port_);
  EXPECT_EQ(port.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(port.status().message(), HasSubstr("127.0.0.1:" + std::to_string(port_)));
}

TEST_F(ApiServerTest, StopIsIdempotentAndRefusesNewConnections) {
  server_->Stop();
  server_->Stop();
  auto res = Client()->Get("/api/health");
  EXPECT_FALSE(res);
}

// ---------------------------------------------------------------------------------------------
// Webhooks

class WebhookTest : public ApiFixture {
 protected:
  httplib::Result Deliver(const std::string& event, const std::string& body,
                          const std::string& signature) {
    httplib::Headers headers = {{"X-GitHub-Event", event}};
    if (!signature.empty()) headers.emplace("X-Hub-Signature-256", signature);
    return Client()->Post("/webhooks/github", headers, body, "application/json");
  }
  httplib::Result DeliverSigned(const std::string& event, const std::string& body) {
    return Deliver(event, body, GitHubSignature(kWebhookSecret, body));
  }
};

TEST_F(WebhookTest, PingIs202) {
  std::vector<json> pings = Examples("ping");
  ASSERT_FALSE(pings.empty());
  auto res = DeliverSigned("ping", pings[0].dump());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202) << res->body;
  EXPECT_EQ(Body(res), json({{"ok", true}, {"event", "ping"}, {"ignored", false}}));
}

TEST_F(WebhookTest, UnknownEventIsIgnoredWith202) {
  std::vector<json> issues = Examples("issues");
  ASSERT_FALSE(issues.empty());
  auto res = DeliverSigned("issues", issues[0].dump());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202) << res->body;
  EXPECT_EQ(Body(res), json({{"ok", true}, {"event", "issues"}, {"ignored", true}}));
}

TEST_F(WebhookTest, BadSignatureIs401) {
  std::vector<json> pushes = Examples("push");
  ASSERT_FALSE(pushes.empty());
  const std::string body = pushes[0].dump();
  auto wrong = Deliver("push", body, GitHubSignature("another secret", body));
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(ErrorCode(wrong), "UNAUTHENTICATED");
  EXPECT_THAT(ErrorMessage(wrong),
              AllOf(HasSubstr("X-Hub-Signature-256"), Not(HasSubstr(kWebhookSecret))));

  auto tampered = Deliver("push", body + " ", GitHubSignature(kWebhookSecret, body));
  ASSERT_TRUE(tampered);
  EXPECT_EQ(tampered->status, 401);

  auto missing = Deliver("push", body, "");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401);

  auto malformed = Deliver("push", body, "sha1=abc");
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->status, 400);
  EXPECT_THAT(ErrorMessage(malformed), HasSubstr("X-Hub-Signature-256"));
}

TEST_F(WebhookTest, MalformedPushIs400WithJsonPointer) {
  std::vector<json> pushes = Examples("push");
  json push;
  for (const json& p : pushes) {
    if (!p.at("commits").empty()) push = p;
  }
  ASSERT_TRUE(push.is_object()) << "no push example with commits";
  push["commits"][0].erase("id");
  auto res = DeliverSigned("push", push.dump());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400) << res->body;
  EXPECT_EQ(ErrorCode(res), "INVALID_ARGUMENT");
  EXPECT_THAT(ErrorMessage(res), HasSubstr("/commits/0/id"));

  auto not_json = DeliverSigned("push", "not json");
  ASSERT_TRUE(not_json);
  EXPECT_EQ(not_json->status, 400);
}

TEST_F(WebhookTest, MissingEventHeaderIs400) {
  const std::string body = "{}";
  auto res = Client()->Post("/webhooks/github",
                            {{"X-Hub-Signature-256", GitHubSignature(kWebhookSecret, body)}}, body,
                            "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(ErrorCode(res), "INVALID_ARGUMENT");
}

TEST_F(WebhookTest, PushReachesThePlatform) {
  std::vector<json> pushes = Examples("push");
  ASSERT_FALSE(pushes.empty());
  auto res = DeliverSigned("push", pushes[0].dump());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202) << res->body;
  json body = Body(res);
  EXPECT_EQ(body["event"], "push");
  EXPECT_TRUE(body["report"].contains("refs_changed")) << body;
}

TEST_F(WebhookTest, WorkflowRunsAndJobsOfARepositoryWithoutBuildsAreIgnoredWith200) {
  // GitHub's own example payloads: octo-org's repositories host no build of these contracts.
  for (const char* event : {"workflow_run", "workflow_job"}) {
    std::vector<json> examples = Examples(event);
    ASSERT_FALSE(examples.empty()) << event;
    for (const json& example : examples) {
      auto res = DeliverSigned(event, example.dump());
      ASSERT_TRUE(res);
      EXPECT_EQ(res->status, 200) << event << " " << res->body;
      json body = Body(res);
      EXPECT_EQ(body["event"], event);
      EXPECT_TRUE(body["ignored"].get<bool>());
      EXPECT_THAT(body["run"]["reason"].get<std::string>(), HasSubstr("hosts no build"));
    }
  }
}

TEST_F(WebhookTest, AMalformedWorkflowRunIs400AndAnUnsignedOne401) {
  json run = Examples("workflow_run").at(0);
  run["workflow_run"].erase("id");
  auto malformed = DeliverSigned("workflow_run", run.dump());
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->status, 400) << malformed->body;
  EXPECT_THAT(ErrorMessage(malformed), HasSubstr("/workflow_run/id"));

  auto unsigned_run = Deliver("workflow_run", run.dump(), GitHubSignature("wrong", run.dump()));
  ASSERT_TRUE(unsigned_run);
  EXPECT_EQ(unsigned_run->status, 401);
}

class SmallLimitWebhookTest : public WebhookTest {
 protected:
  void SetUp() override {
    StartServer(ApiOptions{.webhook_secret = kWebhookSecret, .max_body_bytes = 4096});
  }
};

TEST_F(SmallLimitWebhookTest, OversizedPayloadIs413) {
  std::vector<json> pushes = Examples("push");
  ASSERT_FALSE(pushes.empty());
  const std::string body = pushes[0].dump(2) + std::string(8192, ' ');
  auto res = DeliverSigned("push", body);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(ErrorCode(res), "RESOURCE_EXHAUSTED");
  EXPECT_THAT(ErrorMessage(res), HasSubstr("larger than the limit"));
}

class NoSecretWebhookTest : public WebhookTest {
 protected:
  void SetUp() override { StartServer(ApiOptions{}); }
};

TEST_F(NoSecretWebhookTest, EveryDeliveryIsRefused) {
  auto res = Deliver("ping", "{}", GitHubSignature("", "{}"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_THAT(ErrorMessage(res), HasSubstr("--webhook-secret-file"));
}

// ---------------------------------------------------------------------------------------------
// Event stream

TEST_F(ApiServerTest, StreamFramesEventsAndEndsOnStop) {
  // An event to stream: publishing contracts records one whether it is accepted or not.
  auto probe = Client()->Get("/api/events", Bearer(viewer_));
  ASSERT_TRUE(probe);
  ASSERT_EQ(probe->status, 200) << probe->body;
  const std::string manifest = odmd::testing::ReadFileOrFail(
      odmd::testing::SourcePath("examples/sandbox/manifest.golden.json"));
  auto published = Client()->Post("/api/contracts", Bearer(admin_), manifest, "application/json");
  ASSERT_TRUE(published);
  json events = Body(Client()->Get("/api/events", Bearer(viewer_)));
  ASSERT_FALSE(events["events"].empty()) << events;
  const json first = events["events"][0];

  StreamReader reader(port_, Bearer(viewer_), "/api/events/stream?after=0");
  const std::string frame = "id: " + std::to_string(first["seq"].get<std::int64_t>()) +
                            "\ndata: " + first.dump() + "\n\n";
  ASSERT_TRUE(reader.WaitForText(frame)) << reader.text();

  // Resuming after the first event leaves it out.
  StreamReader resumed(port_,
                       {{"Authorization", "Bearer " + viewer_},
                        {"Last-Event-ID", std::to_string(first["seq"].get<std::int64_t>())}},
                       "/api/events/stream");
  server_->Stop();
  EXPECT_TRUE(reader.WaitEnded());
  EXPECT_TRUE(resumed.WaitEnded());
  EXPECT_THAT(resumed.text(), Not(HasSubstr(frame)));
}

}  // namespace
}  // namespace odmd::api

namespace odmd::api {
namespace {

// One request thread, and a stream that writes a keepalive comment every 20 ms.
class OneThreadTest : public ApiFixture {
 protected:
  void SetUp() override {
    StartServer(ApiOptions{.webhook_secret = kWebhookSecret,
                           .threads = 1,
                           .stream_keepalive = std::chrono::milliseconds(20)});
  }
};

TEST_F(OneThreadTest, StreamOfAVanishedClientFreesItsThread) {
  {
    StreamReader reader(port_, Bearer(viewer_), "/api/events/stream");
    ASSERT_TRUE(reader.WaitForText(": keepalive\n\n")) << reader.text();
    // The stream holds the only thread: the reader goes away here.
  }
  // Served only once the stream noticed its client is gone and let the thread go.
  auto res = Client()->Get("/api/health");
  ASSERT_TRUE(res) << "the event stream of a closed connection kept the server's only thread";
  EXPECT_EQ(res->status, 200);
}

}  // namespace
}  // namespace odmd::api
