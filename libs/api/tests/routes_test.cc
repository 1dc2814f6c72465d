// The route table without a socket (Dispatch on a real Platform over a temp SQLite store),
// access levels over every row of the table, the OpenAPI document, the console's routes
// and their 400s, the event stream negotiated by Accept, the console's static files, and
// that no route hands out a stored secret.

#include "odmd/api/routes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "api_test_fixture.h"
#include "odmd/access/policy.h"
#include "odmd/access/secrets.h"
#include "odmd/testing/testdata.h"

namespace odmd::api {
namespace {

using nlohmann::json;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// A concrete path of `route`: each {param} of its OpenAPI path filled in.
std::string ExamplePath(const Route& route) {
  std::string path = route.openapi_path;
  for (size_t open = path.find('{'); open != std::string::npos; open = path.find('{')) {
    const size_t close = path.find('}', open);
    const std::string name = path.substr(open + 1, close - open - 1);
    const std::string value = name == "file" ? "index.html" : "x" + name;
    path.replace(open, close - open + 1, value);
  }
  return path;
}

class RoutesTest : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    table_ = std::make_unique<RouteTable>(BuildRoutes(*platform_, ApiOptions{}));
  }

  Reply Call(const std::string& method, const std::string& target, const std::string& token,
             Headers headers = {}) {
    Request req{.method = method};
    const size_t q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) {
      std::string rest = target.substr(q + 1);
      while (!rest.empty()) {
        const size_t amp = rest.find('&');
        const std::string pair = rest.substr(0, amp);
        const size_t eq = pair.find('=');
        req.query.emplace(pair.substr(0, eq), eq == std::string::npos ? "" : pair.substr(eq + 1));
        rest = amp == std::string::npos ? "" : rest.substr(amp + 1);
      }
    }
    req.headers = std::move(headers);
    if (!token.empty()) req.headers.emplace("authorization", "Bearer " + token);
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

  // Publishes the sandbox org, so envers, events and a contracts version exist.
  void PublishSandbox() {
    const std::string manifest = odmd::testing::ReadFileOrFail(
        odmd::testing::SourcePath("examples/sandbox/manifest.golden.json"));
    Request req{.method = "POST", .path = "/api/contracts", .body = manifest};
    req.headers.emplace("Authorization", "Bearer " + admin_);
    Reply published = Dispatch(*table_, *tokens_, std::move(req));
    ASSERT_EQ(published.status, 200) << published.body;
  }

  std::unique_ptr<RouteTable> table_;
};

TEST_F(RoutesTest, DispatchesWithoutASocket) {
  Reply health = Call("GET", "/api/health", "");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(JsonOf(health), json({{"ok", true}}));

  Reply envers = Call("GET", "/api/envers", viewer_);
  EXPECT_EQ(envers.status, 200) << envers.body;
  EXPECT_TRUE(JsonOf(envers).contains("envers")) << envers.body;

  Reply unknown = Call("GET", "/api/nothing", viewer_);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_THAT(Message(unknown), HasSubstr("no such route: GET /api/nothing"));

  Reply wrong_method = Call("GET", "/api/notify", admin_);
  EXPECT_EQ(wrong_method.status, 404);
  EXPECT_THAT(Message(wrong_method), HasSubstr("takes POST"));
}

TEST_F(RoutesTest, FindCapturesPathParameters) {
  RouteTable::Match m = table_->Find("GET", "/api/products/svcA/b..main/api/url");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->openapi_path, "/api/products/{build}/{rev}/{product}");
  EXPECT_EQ(m.params, (std::vector<std::string>{"svcA", "b..main", "api/url"}));

  RouteTable::Match log = table_->Find("GET", "/api/deployments/d1/log");
  ASSERT_NE(log.route, nullptr);
  EXPECT_EQ(log.route->openapi_path, "/api/deployments/{id}/log");
  EXPECT_EQ(log.params, std::vector<std::string>{"d1"});

  RouteTable::Match head = table_->Find("HEAD", "/api/health");
  ASSERT_NE(head.route, nullptr);
  EXPECT_EQ(head.route->method, "GET");
}

TEST_F(RoutesTest, EveryRouteIsUniqueAndMatchesItsOwnExamplePath) {
  std::set<std::string> seen;
  for (const Route& route : table_->routes()) {
    EXPECT_TRUE(seen.insert(route.method + " " + route.openapi_path).second)
        << route.method << " " << route.openapi_path;
    RouteTable::Match m = table_->Find(route.method, ExamplePath(route));
    EXPECT_EQ(m.route, &route) << route.method << " " << ExamplePath(route);
    EXPECT_FALSE(route.summary.empty()) << route.openapi_path;
    // A route that mutates never answers GET (STYLE.md §7.2).
    if (route.mutates) {
      EXPECT_NE(route.method, "GET") << route.openapi_path;
    }
  }
}

TEST_F(RoutesTest, EveryNonPublicRouteIs401WithoutAToken) {
  int checked = 0;
  for (const Route& route : table_->routes()) {
    if (route.access == Access::kPublic) continue;
    const std::string path = ExamplePath(route);
    Reply reply = Call(route.method, path, "");
    EXPECT_EQ(reply.status, 401) << route.method << " " << path;
    EXPECT_EQ(reply.content_type, "application/json");
    EXPECT_EQ(JsonOf(reply)["error"]["code"], "UNAUTHENTICATED") << path;
    EXPECT_NE(std::find(reply.headers.begin(), reply.headers.end(),
                        std::pair<std::string, std::string>("WWW-Authenticate", "Bearer")),
              reply.headers.end())
        << path;
    ++checked;
  }
  EXPECT_GT(checked, 20);
}

TEST_F(RoutesTest, EveryNonPublicRouteIs401WithoutATokenOverHttp) {
  auto c = Client();
  for (const Route& route : table_->routes()) {
    if (route.access == Access::kPublic) continue;
    const std::string path = ExamplePath(route);
    httplib::Result res = route.method == "GET"    ? c->Get(path)
                          : route.method == "POST" ? c->Post(path, "{}", "application/json")
                                                   : c->Put(path, "{}", "application/json");
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 401) << route.method << " " << path;
    EXPECT_EQ(ErrorCode(res), "UNAUTHENTICATED") << path;
  }
}

TEST_F(RoutesTest, ViewerRoutesRefuseAnEnverTokenNamingIt) {
  const std::string enver = Issue(access::Principal::Enver("svcA/b..main"));
  int checked = 0;
  for (const Route& route : table_->routes()) {
    if (route.access != Access::kViewer) continue;
    const std::string path = ExamplePath(route);
    Reply refused = Call(route.method, path, enver);
    EXPECT_EQ(refused.status, 403) << path;
    EXPECT_THAT(Message(refused),
                AllOf(HasSubstr(route.method + " " + path),
                      HasSubstr("needs a viewer or admin token, not enver:svcA/b..main")));
    for (const std::string& token : {viewer_, admin_}) {
      Reply allowed = Call(route.method, path, token);
      EXPECT_NE(allowed.status, 401) << path << " " << allowed.body;
      EXPECT_NE(allowed.status, 403) << path << " " << allowed.body;
    }
    ++checked;
  }
  EXPECT_GE(checked, 15);
}

TEST_F(RoutesTest, AccessLevelsOfTheReadRoutes) {
  auto access_of = [&](const std::string& method, const std::string& path) {
    RouteTable::Match m = table_->Find(method, path);
    return m.route ? AccessName(m.route->access) : "none";
  };
  for (const char* path :
       {"/api/envers", "/api/envers/a/b", "/api/deployments", "/api/deployments/d1",
        "/api/deployments/d1/log", "/api/events", "/api/events/stream", "/api/repos", "/api/graph",
        "/api/builds", "/api/clones", "/api/contracts", "/api/contracts/diff",
        "/api/contracts/versions/1.0.0", "/api/impact", "/api/teardowns"}) {
    EXPECT_EQ(access_of("GET", path), "viewer") << path;
  }
  EXPECT_EQ(access_of("GET", "/api/products/a/b/c"), "any");
  EXPECT_EQ(access_of("GET", "/api/history/products/a/b/c"), "any");
  EXPECT_EQ(access_of("GET", "/api/ci/context"), "any");
  EXPECT_EQ(access_of("POST", "/api/redeploy"), "any");
  EXPECT_EQ(access_of("POST", "/api/notify"), "admin");
  EXPECT_EQ(access_of("POST", "/api/teardowns/retry"), "admin");
  EXPECT_EQ(access_of("POST", "/api/teardowns/forget"), "admin");
  EXPECT_EQ(access_of("GET", "/api/openapi.json"), "public");
  EXPECT_EQ(access_of("GET", "/"), "public");
}

TEST_F(RoutesTest, DocsListEveryRouteOfTheTable) {
  // docs/api.md's route lines: "| `GET /api/envers/{enver}` | ...".
  const std::string doc = odmd::testing::ReadFileOrFail(odmd::testing::SourcePath("docs/api.md"));
  std::set<std::string> documented;
  const std::regex line(R"(\n\| `([A-Z]+ /[^`]*)` \|)");
  for (std::sregex_iterator it(doc.begin(), doc.end(), line), end; it != end; ++it) {
    documented.insert((*it)[1].str());
  }
  std::set<std::string> table;
  for (const Route& route : table_->routes()) table.insert(route.method + " " + route.openapi_path);
  EXPECT_EQ(documented, table) << "docs/api.md's route table and the server's differ";
}

// ---------------------------------------------------------------------------------------------
// OpenAPI

TEST_F(RoutesTest, OpenApiDocumentCoversTheTable) {
  auto res = Client()->Get("/api/openapi.json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  json doc = Body(res);
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(doc["openapi"], "3.0.3");
  EXPECT_EQ(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
  ASSERT_TRUE(doc["components"]["schemas"]["Error"]["properties"].contains("error"));
  for (const Route& route : table_->routes()) {
    std::string method = route.method;
    std::transform(method.begin(), method.end(), method.begin(), ::tolower);
    ASSERT_TRUE(doc["paths"].contains(route.openapi_path)) << route.openapi_path;
    const json& op = doc["paths"][route.openapi_path][method];
    ASSERT_TRUE(op.is_object()) << route.method << " " << route.openapi_path;
    EXPECT_EQ(op["summary"], route.summary);
    EXPECT_EQ(op["x-odmd-mutates"], route.mutates);
    EXPECT_TRUE(op["responses"].contains(std::to_string(route.status))) << route.openapi_path;
    EXPECT_EQ(op["security"].empty(), route.access == Access::kPublic) << route.openapi_path;
    if (route.access != Access::kPublic) {
      EXPECT_TRUE(op["responses"].contains("401")) << route.openapi_path;
    }
    std::set<std::string> declared_path, declared_query;
    for (const json& p : op.value("parameters", json::array())) {
      (p["in"] == "path" ? declared_path : declared_query).insert(p["name"].get<std::string>());
    }
    for (size_t open = route.openapi_path.find('{'); open != std::string::npos;
         open = route.openapi_path.find('{', open + 1)) {
      const size_t close = route.openapi_path.find('}', open);
      EXPECT_TRUE(declared_path.count(route.openapi_path.substr(open + 1, close - open - 1)))
          << route.openapi_path;
    }
    for (const QueryParam& q : route.query) {
      EXPECT_TRUE(declared_query.count(q.name)) << route.openapi_path << " ?" << q.name;
    }
  }
  EXPECT_EQ(doc["paths"]["/api/graph"]["get"]["parameters"].size(), 2u);
}

// ---------------------------------------------------------------------------------------------
// The console's routes: their 400s (before the platform is asked) and their views

TEST_F(RoutesTest, GraphQueryErrorsAre400NamingTheParameter) {
  struct Case {
    std::string target, needle;
  };
  for (const Case& c : std::vector<Case>{
           {"/api/graph?revision=-1", "\"revision\""},
           {"/api/graph?revision=x", "\"x\""},
           {"/api/graph?revision=", "\"revision\""},
           {"/api/graph?contracts_version=", "\"contracts_version\" is empty"},
           {"/api/graph?revision=3&contracts_version=1.0.0", "not both"},
       }) {
    Reply reply = Call("GET", c.target, viewer_);
    EXPECT_EQ(reply.status, 400) << c.target;
    EXPECT_EQ(JsonOf(reply)["error"]["code"], "INVALID_ARGUMENT") << c.target;
    EXPECT_THAT(Message(reply), HasSubstr(c.needle)) << c.target;
  }
}

TEST_F(RoutesTest, DiffNeedsBothVersions) {
  Reply no_from = Call("GET", "/api/contracts/diff?to=1.0.0", viewer_);
  EXPECT_EQ(no_from.status, 400);
  EXPECT_THAT(Message(no_from), HasSubstr("\"from\" is required"));
  Reply no_to = Call("GET", "/api/contracts/diff?from=1.0.0", viewer_);
  EXPECT_EQ(no_to.status, 400);
  EXPECT_THAT(Message(no_to), HasSubstr("\"to\" is required"));
}

TEST_F(RoutesTest, ImpactNeedsExactlyOneRoot) {
  Reply neither = Call("GET", "/api/impact", viewer_);
  EXPECT_EQ(neither.status, 400);
  EXPECT_THAT(Message(neither), AllOf(HasSubstr("exactly one"), HasSubstr("neither")));
  Reply both = Call("GET", "/api/impact?product=/odmd-share/a/b/c&enver=a/b", viewer_);
  EXPECT_EQ(both.status, 400);
  EXPECT_THAT(Message(both), AllOf(HasSubstr("exactly one"), HasSubstr("not both")));
}

TEST_F(RoutesTest, ConsoleViewsAnswerTheirShapes) {
  PublishSandbox();
  Reply graph = Call("GET", "/api/graph", viewer_);
  ASSERT_EQ(graph.status, 200) << graph.body;
  json g = JsonOf(graph);
  for (const char* key :
       {"revision", "latest_revision", "historical", "builds", "envers", "edges"}) {
    EXPECT_TRUE(g.contains(key)) << key << " of " << graph.body.substr(0, 300);
  }
  ASSERT_FALSE(g["envers"].empty());
  EXPECT_EQ(g["historical"], false);

  Reply at = Call("GET", "/api/graph?revision=" + std::to_string(g["revision"].get<std::int64_t>()),
                  viewer_);
  EXPECT_EQ(at.status, 200) << at.body.substr(0, 300);
  EXPECT_EQ(JsonOf(at)["historical"], true);

  Reply builds = Call("GET", "/api/builds", viewer_);
  EXPECT_EQ(builds.status, 200) << builds.body.substr(0, 300);
  EXPECT_FALSE(JsonOf(builds)["builds"].empty());

  Reply clones = Call("GET", "/api/clones", viewer_);
  EXPECT_EQ(clones.status, 200) << clones.body.substr(0, 300);
  EXPECT_TRUE(JsonOf(clones)["clones"].is_array());

  Reply versions = Call("GET", "/api/contracts", viewer_);
  ASSERT_EQ(versions.status, 200) << versions.body.substr(0, 300);
  const std::string latest = JsonOf(versions).value("latest", "");
  ASSERT_FALSE(latest.empty()) << versions.body;

  Reply one = Call("GET", "/api/contracts/versions/" + latest, viewer_);
  EXPECT_EQ(one.status, 200) << one.body.substr(0, 300);
  EXPECT_TRUE(JsonOf(one)["manifest"].is_object());

  Reply by_version = Call("GET", "/api/graph?contracts_version=" + latest, viewer_);
  EXPECT_EQ(by_version.status, 200) << by_version.body.substr(0, 300);

  Reply diff = Call("GET", "/api/contracts/diff?from=" + latest + "&to=" + latest, viewer_);
  EXPECT_EQ(diff.status, 200) << diff.body.substr(0, 300);
  EXPECT_TRUE(JsonOf(diff)["changes"].is_array());

  const std::string enver = g["envers"][0]["id"];
  Reply impact = Call("GET", "/api/impact?enver=" + enver, viewer_);
  EXPECT_EQ(impact.status, 200) << impact.body.substr(0, 300);
  EXPECT_EQ(JsonOf(impact)["root"], enver);

  ASSERT_FALSE(g["edges"].empty()) << "the sandbox org has consumers";
  {
    const std::string path = g["edges"][0]["path"];  // /odmd-share/<b>/<r>/<product>
    ASSERT_TRUE(platform_->PutProduct(access::Principal::Admin(), path, "v1").ok());
    Reply history = Call("GET", "/api/history/products/" + path.substr(12), viewer_);
    EXPECT_EQ(history.status, 200) << history.body.substr(0, 300);
    EXPECT_EQ(JsonOf(history)["path"], path);
    EXPECT_FALSE(JsonOf(history)["versions"].empty());
  }
}

TEST_F(RoutesTest, ConsoleViewsOfUnknownThingsAre404) {
  PublishSandbox();
  Reply version = Call("GET", "/api/contracts/versions/9.9.9", viewer_);
  EXPECT_EQ(version.status, 404) << version.body;
  EXPECT_THAT(Message(version), HasSubstr("9.9.9"));
  Reply graph = Call("GET", "/api/graph?contracts_version=9.9.9", viewer_);
  EXPECT_EQ(graph.status, 404) << graph.body;
  EXPECT_THAT(Message(graph), HasSubstr("9.9.9"));
  Reply history = Call("GET", "/api/history/products/nobuild/b..main/nothing", admin_);
  EXPECT_EQ(history.status, 404) << history.body;
}

// ---------------------------------------------------------------------------------------------
// The event stream negotiated by Accept

TEST_F(RoutesTest, EventsStreamWhenAcceptedAndResumeAfterLastEventId) {
  PublishSandbox();
  // A second event: a manual redeploy records its queueing.
  json envers = JsonOf(Call("GET", "/api/envers", viewer_))["envers"];
  ASSERT_FALSE(envers.empty());
  Request redeploy{
      .method = "POST", .path = "/api/redeploy", .body = json{{"enver", envers[0]["id"]}}.dump()};
  redeploy.headers.emplace("Authorization", "Bearer " + admin_);
  Reply queued = Dispatch(*table_, *tokens_, std::move(redeploy));
  ASSERT_EQ(queued.status, 202) << queued.body;
  json events = JsonOf(Call("GET", "/api/events", viewer_))["events"];
  ASSERT_GE(events.size(), 2u) << events;
  const json& first = events[0];
  const json& second = events[1];
  auto frame = [](const json& e) {
    return "id: " + std::to_string(e["seq"].get<std::int64_t>()) + "\ndata: " + e.dump() + "\n\n";
  };

  // Without the Accept header: the JSON list, resumed after Last-Event-ID as well.
  Headers resume_headers;
  resume_headers.emplace("Last-Event-ID", std::to_string(first["seq"].get<std::int64_t>()));
  json listed = JsonOf(Call("GET", "/api/events", viewer_, resume_headers))["events"];
  ASSERT_FALSE(listed.empty());
  EXPECT_EQ(listed[0], second);

  StreamReader resumed(port_,
                       {{"Authorization", "Bearer " + viewer_},
                        {"Accept", "text/event-stream"},
                        {"Last-Event-ID", std::to_string(first["seq"].get<std::int64_t>())}},
                       "/api/events");
  ASSERT_TRUE(resumed.WaitForText(frame(second))) << resumed.text();
  EXPECT_EQ(resumed.text().rfind("retry: 1000\n\n", 0), 0u) << resumed.text();
  EXPECT_THAT(resumed.text(), Not(HasSubstr(frame(first))));

  StreamReader after(port_,
                     {{"Authorization", "Bearer " + viewer_}, {"Accept", "text/event-stream"}},
                     "/api/events?after=" + std::to_string(first["seq"].get<std::int64_t>()));
  ASSERT_TRUE(after.WaitForText(frame(second))) << after.text();
  EXPECT_THAT(after.text(), Not(HasSubstr(frame(first))));

  server_->Stop();
  EXPECT_TRUE(resumed.WaitEnded());
  EXPECT_TRUE(after.WaitEnded());
  EXPECT_EQ(resumed.status(), 200);
}

TEST_F(RoutesTest, EventStreamNeedsAViewerToken) {
  const std::string enver = Issue(access::Principal::Enver("svcA/b..main"));
  auto res = Client()->Get("/api/events",
                           {{"Authorization", "Bearer " + enver}, {"Accept", "text/event-stream"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_THAT(ErrorMessage(res),
              HasSubstr("needs a viewer or admin token, not enver:svcA/b..main"));
}

// ---------------------------------------------------------------------------------------------
// Secrets

TEST_F(RoutesTest, NoRouteReturnsAStoredSecret) {
  PublishSandbox();
  json envers = JsonOf(Call("GET", "/api/envers", viewer_))["envers"];
  ASSERT_FALSE(envers.empty());
  const std::string owner = envers[0]["id"];
  constexpr char kPlain[] = "pa55-w0rd-that-must-never-leave";
  Result<access::AccessPolicy> policy = access::AccessPolicy::Load(*store_);
  ASSERT_TRUE(policy.ok()) << policy.status();
  access::SecretStore secret_store(*store_, *secrets_, *policy);
  auto put = secret_store.Put(access::Principal::Admin(), owner, "DB_PASSWORD", kPlain);
  ASSERT_TRUE(put.ok()) << put.status();

  // Everything the viewer can list, and each enver, deployment and contracts version.
  std::vector<std::string> targets;
  for (const Route& route : table_->routes()) {
    if (route.method == "GET" && route.openapi_path.find('{') == std::string::npos &&
        route.access != Access::kAdmin) {
      targets.push_back(route.openapi_path);
    }
  }
  for (const json& e : envers) {
    targets.push_back("/api/envers/" + e["id"].get<std::string>());
    targets.push_back("/api/impact?enver=" + e["id"].get<std::string>());
  }
  json deployments = JsonOf(Call("GET", "/api/deployments", viewer_))["deployments"];
  for (const json& d : deployments) {
    const std::string id = d.value("id", "");
    targets.push_back("/api/deployments/" + id);
    targets.push_back("/api/deployments/" + id + "/log");
  }
  json versions = JsonOf(Call("GET", "/api/contracts", viewer_))["versions"];
  for (const json& v : versions) {
    targets.push_back("/api/contracts/versions/" + v.value("version", ""));
  }
  int answered = 0;
  for (const std::string& target : targets) {
    if (target == "/api/events/stream") continue;
    Reply reply = Call("GET", target, viewer_);
    EXPECT_THAT(reply.body, Not(HasSubstr(kPlain))) << target;
    if (reply.status == 200) ++answered;
  }
  EXPECT_GT(answered, 8);
  // The secret is there to leak: its owner reads it.
  EXPECT_EQ(*secret_store.Get(access::Principal::Enver(owner), owner, "DB_PASSWORD"), kPlain);
}

// Workflow tokens (issue 14 point 4) are for the CI routes of their group's envers only.
TEST_F(RoutesTest, ViewerRoutesRefuseAWorkflowTokenNamingIt) {
  const std::string workflow =
      Issue(access::Principal::Workflow("ODMD_svcA-CdkGithubWFus-west-1-ws"));
  int checked = 0;
  for (const Route& route : table_->routes()) {
    if (route.access != Access::kViewer) continue;
    const std::string path = ExamplePath(route);
    Reply refused = Call(route.method, path, workflow);
    EXPECT_EQ(refused.status, 403) << path;
    EXPECT_THAT(Message(refused), HasSubstr("needs a viewer or admin token, not "
                                            "workflow:ODMD_svcA-CdkGithubWFus-west-1-ws"));
    ++checked;
  }
  EXPECT_GE(checked, 15);
}

TEST_F(RoutesTest, AWorkflowTokenServesItsGroupAndPublishesOnlyForTheContractsEnver) {
  PublishSandbox();
  const std::string manifest = odmd::testing::ReadFileOrFail(
      odmd::testing::SourcePath("examples/sandbox/manifest.golden.json"));
  auto put = [&](const std::string& path, const std::string& token) {
    Request req{.method = "PUT", .path = path, .body = manifest};
    req.headers.emplace("Authorization", "Bearer " + token);
    return Dispatch(*table_, *tokens_, std::move(req));
  };
  const std::string contracts_group = "ODMD_odmd-contracts-sandbox-CmdsGHus-west-1-workspace0";
  const std::string foundation_group = "ODMD_coffeeShopFoundation-CdkGithubWFus-west-1-workspace1";
  const std::string contracts = Issue(access::Principal::Workflow(contracts_group));
  const std::string foundation = Issue(access::Principal::Workflow(foundation_group));
  const std::string main_path = "/api/ci/manifest/odmd-contracts-sandbox/b..main";

  Reply published = put(main_path, contracts);
  EXPECT_EQ(published.status, 200) << published.body;
  // The path names the enver the run publishes for: one of the token's group (contracts
  // envers are never cloned and one per region, so that is the contracts enver alone).
  Reply refused = put("/api/ci/manifest/coffeeShopFoundation/b..main", contracts);
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_THAT(Message(refused), AllOf(HasSubstr("workflow:" + contracts_group),
                                      HasSubstr("coffeeShopFoundation/b..main"),
                                      HasSubstr("workflow:" + foundation_group)));
  refused = put("/api/ci/manifest/coffeeShopFoundation/b..main", foundation);
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_THAT(Message(refused),
              AllOf(HasSubstr("with the token of workflow:" + foundation_group),
                    HasSubstr("the token of odmd-contracts-sandbox/b..main or of its workflow")));
  refused = put(main_path, foundation);
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_THAT(Message(refused), AllOf(HasSubstr("workflow:" + foundation_group),
                                      HasSubstr("workflow:" + contracts_group)));

  // The CI context: every enver of the group, no other group's.
  for (const char* ref : {"refs/heads/dev", "refs/heads/main", "refs/tags/v1.0.0"}) {
    const std::string target = std::string("/api/ci/context?build=coffeeShopFoundation&ref=") + ref;
    Reply context = Call("GET", target, foundation);
    EXPECT_EQ(context.status, 200) << ref << " " << context.body;
    EXPECT_THAT(context.body, HasSubstr("ODMD_build_id=coffeeShopFoundation"));
    Reply other = Call("GET", target, contracts);
    EXPECT_EQ(other.status, 403) << ref;
    EXPECT_THAT(Message(other), AllOf(HasSubstr("workflow:" + contracts_group),
                                      HasSubstr("workflow:" + foundation_group)));
  }
}

// Per-enver configuration: what the run of a workflow gets as ODMD_config, the enver's view,
// and a config of a bad shape refused at its path with nothing published.
TEST_F(RoutesTest, TheConfigReachesTheCiContextAndTheEnverAndABadOneChangesNothing) {
  json doc = json::parse(odmd::testing::ReadFileOrFail(
      odmd::testing::SourcePath("examples/sandbox/manifest.golden.json")));
  doc.erase("digest");
  doc["version"] = "9.0.0";
  ASSERT_EQ(doc["builds"][1]["id"], "coffeeShopFoundation");
  ASSERT_EQ(doc["builds"][1]["envers"][1]["rev"], "b..main");
  doc["builds"][1]["config"] = {{"cluster", "blue"}, {"zone", "z1"}};
  doc["builds"][1]["envers"][1]["config"] = {{"cluster", "green"}};
  auto publish = [&](const json& manifest) {
    Request req{.method = "POST", .path = "/api/contracts", .body = manifest.dump()};
    req.headers.emplace("Authorization", "Bearer " + admin_);
    return Dispatch(*table_, *tokens_, std::move(req));
  };
  Reply published = publish(doc);
  ASSERT_EQ(published.status, 200) << published.body;

  const std::string group = "ODMD_coffeeShopFoundation-CdkGithubWFus-west-1-workspace1";
  const std::string token = Issue(access::Principal::Workflow(group));
  const std::string main = "/api/ci/context?build=coffeeShopFoundation&ref=refs/heads/main";
  const std::string expected = R"(ODMD_config={"cluster":"green","zone":"z1"})";
  Reply context = Call("GET", main, token);
  ASSERT_EQ(context.status, 200) << context.body;
  EXPECT_THAT(context.body, HasSubstr(expected + "\n"));
  Reply dev = Call("GET", "/api/ci/context?build=coffeeShopFoundation&ref=refs/heads/dev", token);
  EXPECT_THAT(dev.body, HasSubstr(R"(ODMD_config={"cluster":"blue","zone":"z1"})"));
  Reply enver = Call("GET", "/api/envers/coffeeShopFoundation/b..main", viewer_);
  ASSERT_EQ(enver.status, 200) << enver.body;
  EXPECT_EQ(JsonOf(enver)["config"], json({{"cluster", "green"}, {"zone", "z1"}}));

  doc["version"] = "9.0.1";
  doc["builds"][1]["envers"][1]["config"] = {{"cluster", "red"}, {"bad key", 1}};
  Reply refused = publish(doc);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_THAT(Message(refused), HasSubstr("R14 /builds/1/envers/1/config/bad key"));
  EXPECT_THAT(Call("GET", main, token).body, HasSubstr(expected + "\n"));
  EXPECT_EQ(JsonOf(Call("GET", "/api/envers/coffeeShopFoundation/b..main", viewer_))["config"],
            json({{"cluster", "green"}, {"zone", "z1"}}));
}

}  // namespace
}  // namespace odmd::api
