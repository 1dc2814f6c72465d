// GET /api/health with the replicas' leader lease (docs/platform.md, "Replicas"): who leads,
// at which epoch and since when, and each replica's heartbeat; without a lease, only
// {"ok": true} (RoutesTest.DispatchesWithoutASocket).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "api_test_fixture.h"
#include "odmd/api/routes.h"
#include "odmd/store/leader_lease.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::api {
namespace {

using nlohmann::json;

class HealthTest : public ApiFixture {};

TEST_F(HealthTest, SaysWhoLeadsAndTheReplicasHeartbeats) {
  store::LeaseOptions lease_options;
  lease_options.replica_id = "host-a:42:1";
  lease_options.address = "http://127.0.0.1:7780";
  Result<store::LeaderLeasePtr> lease = store_->NewLeaderLease(lease_options);
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  Result<std::optional<store::Epoch>> granted = (*lease)->Acquire();
  ASSERT_TRUE(granted.ok() && granted->has_value()) << granted.status().ToString();

  ApiOptions options;
  options.lease = lease->get();
  options.replica_id = "host-a:42:1";
  RouteTable table(BuildRoutes(*platform_, options));
  Reply reply = Dispatch(table, *tokens_, Request{.method = "GET", .path = "/api/health"});
  ASSERT_EQ(reply.status, 200) << reply.body;
  const json health = json::parse(reply.body);
  EXPECT_EQ(health["ok"], true);
  EXPECT_EQ(health["replica"], "host-a:42:1");
  EXPECT_EQ(health["leader"]["replica"], "host-a:42:1");
  EXPECT_EQ(health["leader"]["address"], "http://127.0.0.1:7780");
  EXPECT_EQ(health["leader"]["epoch"], 1);
  EXPECT_EQ(health["leader"]["is_this_replica"], true);
  EXPECT_GT(health["leader"]["since_ms"].get<std::int64_t>(), 0);
  ASSERT_EQ(health["replicas"].size(), 1u) << reply.body;
  EXPECT_EQ(health["replicas"][0]["id"], "host-a:42:1");
  EXPECT_GE(health["replicas"][0]["heartbeat_age_ms"].get<std::int64_t>(), 0);

  ODMD_ASSERT_OK((*lease)->Release(1));
  reply = Dispatch(table, *tokens_, Request{.method = "GET", .path = "/api/health"});
  EXPECT_TRUE(json::parse(reply.body)["leader"].is_null()) << reply.body;
}

}  // namespace
}  // namespace odmd::api
