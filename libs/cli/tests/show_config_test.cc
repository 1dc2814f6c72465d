// `odmd show` prints the enver's configuration: ODMD_config, the build's config under the
// enver's top-level keys, in the text and the JSON.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "manifest_cli_fixture.h"
#include "odmd/cli/main.h"
#include "odmd/model/contracts.h"
#include "odmd/model/manifest.h"
#include "odmd/testing/fake_clock.h"

namespace odmd::cli {
namespace {

using ::testing::HasSubstr;

model::Org ConfiguredOrg() {
  model::Contracts c("demo", "1.0.0");
  c.AddAccount("central", "111111111111");
  auto ws = c.AddAccount("workspace1", "333333333333");
  auto repo = c.AddRepo("acme", "repo", 7);
  c.AddBuild("contracts", model::BuildKind::kContracts, repo).Branch("main", ws, "us-west-1");
  auto svc = c.AddBuild("svcA", model::BuildKind::kCdk, repo);
  svc.Config(R"({"cluster": "blue", "domains": ["a.example.com"]})");
  svc.Branch("master", ws, "us-west-1").Config(R"({"cluster": "green", "cidr": "10.1.0.0/16"})");
  svc.Branch("dev", ws, "us-west-1");
  return c.Finish();
}

class ShowConfigTest : public ManifestCliTest {
 protected:
  model::Org TestOrg() override { return ConfiguredOrg(); }
};

TEST_F(ShowConfigTest, PrintsTheConfigTheBuildScriptSees) {
  ASSERT_EQ(Run({"show", manifest_, "svcA/b..master"}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("config:                {\"cidr\":\"10.1.0.0/16\",\"cluster\":"
                              "\"green\",\"domains\":[\"a.example.com\"]}\n"));
  ASSERT_EQ(Run({"show", manifest_, "svcA/b..dev"}), 0) << err_;
  EXPECT_THAT(
      out_,
      HasSubstr("config:                {\"cluster\":\"blue\",\"domains\":[\"a.example.com\"]}\n"));
  ASSERT_EQ(Run({"show", manifest_, "contracts/b..main"}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("config:                {} (none)\n"));
}

TEST_F(ShowConfigTest, TheJsonCarriesTheConfigAsAnObject) {
  ASSERT_EQ(Run({"show", manifest_, "svcA/b..master", "--json"}), 0) << err_;
  nlohmann::json j = nlohmann::json::parse(out_);
  EXPECT_EQ(j["config"], nlohmann::json::parse(R"({"cidr": "10.1.0.0/16", "cluster": "green",
                                                   "domains": ["a.example.com"]})"));
  EXPECT_EQ(j["enverId"], "svcA/b..master");  // beside the derived names
  ASSERT_EQ(Run({"show", manifest_, "contracts/b..main", "--json"}), 0) << err_;
  EXPECT_EQ(nlohmann::json::parse(out_)["config"], nlohmann::json::object());
}

}  // namespace
}  // namespace odmd::cli
