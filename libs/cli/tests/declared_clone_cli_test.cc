// A clone the contracts declare is a clone for the CLI too: `odmd graph` draws it as one and
// `odmd clone-preview` counts it toward its origin's clone limit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "manifest_cli_fixture.h"
#include "odmd/model/contracts.h"

namespace odmd::cli {
namespace {

using ::testing::HasSubstr;

model::Org DeclaredCloneOrg() {
  model::Contracts c("demo", "1.0.0");
  auto central = c.AddAccount("central", "111111111111");
  auto repo = c.AddRepo("acme", "repo", 7);
  c.AddBuild("contracts", model::BuildKind::kContracts, repo).Branch("main", central, "us-west-1");
  auto svc = c.AddBuild("svcA", model::BuildKind::kCdk, repo);
  auto master = svc.Branch("master", central, "us-west-1").CloneLimit(2);
  svc.Clone(master, "ta");
  return c.Finish();
}

class DeclaredCloneCliTest : public ManifestCliTest {
 protected:
  model::Org TestOrg() override { return DeclaredCloneOrg(); }
};

TEST_F(DeclaredCloneCliTest, GraphDrawsItAsAClone) {
  ASSERT_EQ(Run({"graph", manifest_, "--format", "json"}), 0) << err_;
  const nlohmann::json graph = nlohmann::json::parse(out_);
  int clones = 0;
  for (const auto& n : graph["nodes"]) {
    EXPECT_EQ(n["clone"], n["id"] == "svcA/b..master-_b..ta") << n["id"];
    clones += n["clone"].get<bool>();
  }
  EXPECT_EQ(clones, 1);
  ASSERT_EQ(Run({"graph", manifest_, "--format", "dot"}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("dotted"));  // the clone style
}

TEST_F(DeclaredCloneCliTest, ClonePreviewCountsItTowardTheLimit) {
  // Limit 2, one declared: one more fits, with one live the origin is full.
  ASSERT_EQ(Run({"clone-preview", manifest_, "svcA/b..master", "feat1"}), 0) << err_;
  EXPECT_EQ(Run({"clone-preview", manifest_, "svcA/b..master", "feat1", "--live", "1"}), 1);
  EXPECT_THAT(err_, HasSubstr("already has 2 live clones (1 declared in the contracts); its "
                              "limit is 2"));
}

}  // namespace
}  // namespace odmd::cli
