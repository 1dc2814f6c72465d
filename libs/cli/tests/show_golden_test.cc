// `odmd show`, text and --json, against golden files (libs/cli/testdata/show/): every derived
// name, the original platform's names around the enver (artifact bucket parameter, workflow
// status path, platform stacks) and every setting with the default it took. Regenerate with
// ODMD_UPDATE_GOLDEN=1 (tools/update-golden.sh) and review the diff.

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
#include "odmd/model/naming.h"
#include "odmd/testing/fake_clock.h"
#include "odmd/testing/testdata.h"

namespace odmd::cli {
namespace {

using ::testing::HasSubstr;

// svcA (cdk) with a branch, a tag and a clone of the branch; the networking build (with its
// account, R13) whose enver sets every setting away from its default.
model::Org ShowOrg() {
  model::Contracts c("demo", "1.0.0");
  c.AddAccount("central", "111111111111");
  auto net_acct = c.AddAccount("networking", "222222222222");
  auto ws1 = c.AddAccount("workspace1", "333333333333");
  auto repo = c.AddRepo("acme", "svc-a", 7);
  auto net_repo = c.AddRepo("acme", "networking", 8);
  c.AddBuild("contracts", model::BuildKind::kContracts, repo).Branch("main", ws1, "us-west-1");
  auto net = c.AddBuild("networking", model::BuildKind::kNetworking, net_repo)
                 .ServiceOverviewMd("docs/OVERVIEW.md")
                 .ServiceContextMd("docs/CONTEXT.md")
                 .Branch("main", net_acct, "us-west-1")
                 .EnverContextMd("docs/MAIN_ENVER_CONTEXT.md")
                 .Stacks({"networking", "networking-share-nat"})
                 .Ephemeral(true)
                 .BuildScript(".scripts/deploy.sh")
                 .WorkDir("infra")
                 .CloneLimit(2)
                 .OverwriteWorkflow(!model::Enver{}.overwrite_workflow);
  auto zone = net.Produces("hostedZoneId");
  auto svc = c.AddBuild("svcA", model::BuildKind::kCdk, repo);
  auto master = svc.Branch("master", ws1, "us-west-1");
  master.Produces("apiUrl");
  master.Consumes("zone", zone);
  svc.Tag("v1.0.0", ws1, "us-west-1").Produces("apiUrl");
  model::Org org = c.Finish();
  model::Enver clone = org.FindBuild("svcA")->envers[0];  // b..master (canonical order)
  clone.rev = model::RevRef::CloneOf(clone.rev, model::RevType::kBranch, "feat1");
  org.FindBuild("svcA")->envers.push_back(clone);
  return org;
}

class ShowGoldenTest : public ManifestCliTest {
 protected:
  model::Org TestOrg() override { return ShowOrg(); }

  // Shows `enver` as text and JSON and compares both with libs/cli/testdata/show/<name>.*.
  void ExpectGolden(const std::string& enver, const std::string& name) {
    ASSERT_EQ(Run({"show", manifest_, enver}), 0) << err_;
    testing::ExpectMatchesGolden(out_, "libs/cli/testdata/show/" + name + ".txt");
    ASSERT_EQ(Run({"show", manifest_, enver, "--json"}), 0) << err_;
    testing::ExpectMatchesGolden(out_, "libs/cli/testdata/show/" + name + ".json");
  }
};

TEST_F(ShowGoldenTest, ABranchEnverWithEveryDefault) { ExpectGolden("svcA/b..master", "branch"); }
TEST_F(ShowGoldenTest, ATagEnver) { ExpectGolden("svcA/t..v1.0.0", "tag"); }
TEST_F(ShowGoldenTest, ACloneEnver) { ExpectGolden("svcA/b..master-_b..feat1", "clone"); }
TEST_F(ShowGoldenTest, AnEnverThatSetsEverySetting) {
  ExpectGolden("networking/b..main", "networking");
}

// The lines the issue asks for, independent of the golden files' layout.
TEST_F(ShowGoldenTest, PrintsThePlatformNamesAndTheAppliedDefaults) {
  ASSERT_EQ(Run({"show", manifest_, "svcA/b..master-_b..feat1"}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("artifact bucket:       "
                              "/odmd-config/svcA/buildArtifactBucketName/333333333333\n"));
  EXPECT_THAT(out_, HasSubstr("workflow status:       /odmd-github/acme/svc-a/feat1/.github/"
                              "workflows/ODMD_svcA-CdkGithubWFus-west-1-workspace1.yaml\n"));
  EXPECT_THAT(out_, HasSubstr("platform stacks:       odmd-BUILD-svcA-333333333333 "
                              "odmd-ctl-BUILD-svcA-333333333333-pp-feat1\n"));
  EXPECT_THAT(out_, HasSubstr("  ephemeral           true (default for kind cdk)"));
  EXPECT_THAT(out_, HasSubstr("  build script        \".scripts/build.sh\" (default)\n"));
  EXPECT_THAT(out_, HasSubstr("  clone limit         20 (default)\n"));

  ASSERT_EQ(Run({"show", manifest_, "networking/b..main", "--json"}), 0) << err_;
  nlohmann::json j = nlohmann::json::parse(out_);
  EXPECT_EQ(j["artifactBucketPath"],
            "/odmd-config/networking/buildArtifactBucketName/222222222222");
  EXPECT_EQ(j["platformStacks"]["build"], "odmd-BUILD-networking-222222222222");
  EXPECT_EQ(j["settings"]["ephemeral"],
            nlohmann::json({{"value", true}, {"default", false}, {"isDefault", false}}));
  EXPECT_EQ(j["settings"]["cloneLimit"],
            nlohmann::json({{"value", 2}, {"default", 20}, {"isDefault", false}}));
  // The workflow ownership default is the model's, whatever it is.
  bool default_overwrite = model::Enver{}.overwrite_workflow;
  EXPECT_EQ(j["settings"]["overwriteWorkflow"], nlohmann::json({{"value", !default_overwrite},
                                                                {"default", default_overwrite},
                                                                {"isDefault", false}}));
}

// The doc paths (issue 16): the original's defaults when none is declared, else the path.
TEST_F(ShowGoldenTest, PrintsTheDocPathsWithTheOriginalsDefaults) {
  ASSERT_EQ(Run({"show", manifest_, "svcA/b..master-_b..feat1"}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("  service overview    \".odmd/ONDEMANDENV_PLATFORM.md\" (default)\n"
                              "  service context     "
                              "\".odmd/SERVICE_PHASE_DEVELOPMENT_PATTERN.md\" (default)\n"
                              "  enver context       "
                              "\".odmd/ENVER_BASED_SERVICE_CONTEXT_PATTERN.md\" (default)\n"));

  ASSERT_EQ(Run({"show", manifest_, "networking/b..main", "--json"}), 0) << err_;
  nlohmann::json j = nlohmann::json::parse(out_);
  EXPECT_EQ(j["settings"]["serviceOverviewMd"],
            nlohmann::json({{"value", "docs/OVERVIEW.md"},
                            {"default", ".odmd/ONDEMANDENV_PLATFORM.md"},
                            {"isDefault", false}}));
  EXPECT_EQ(j["settings"]["enverContextMd"]["value"], "docs/MAIN_ENVER_CONTEXT.md");
  ASSERT_EQ(Run({"show", manifest_, "networking/b..main"}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("  service context     \"docs/CONTEXT.md\" (set; default: "
                              "\".odmd/SERVICE_PHASE_DEVELOPMENT_PATTERN.md\")\n"));
}

}  // namespace
}  // namespace odmd::cli
