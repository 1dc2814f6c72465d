// The original platform's names around an enver: artifact bucket parameter, workflow status
// path, the platform's stacks.

#include "odmd/model/platform_names.h"

#include <gtest/gtest.h>

#include "odmd/model/naming.h"

namespace odmd::model {
namespace {

RevRef Clone(RevRef origin, RevType type, std::string value) {
  return RevRef::CloneOf(origin, type, std::move(value));
}

TEST(PlatformNamesTest, TheArtifactBucketParameterIsPerBuildAndAccount) {
  EXPECT_EQ(ArtifactBucketPath("orderSvc", "333333333333"),
            "/odmd-config/orderSvc/buildArtifactBucketName/333333333333");
}

TEST(PlatformNamesTest, TheWorkflowStatusPathUsesTheRevsOwnValue) {
  Repo repo{"acme", "order-service", 7};
  std::string file = WorkflowFilePath("orderSvc", BuildKind::kCdk, "us-west-1", "workspace1");
  EXPECT_EQ(WorkflowStatusPath(repo, RevRef::Branch("main"), file),
            "/odmd-github/acme/order-service/main/.github/workflows/"
            "ODMD_orderSvc-CdkGithubWFus-west-1-workspace1.yaml");
  EXPECT_EQ(WorkflowStatusPath(repo, RevRef::Tag("v1.0.0"), file),
            "/odmd-github/acme/order-service/v1.0.0/.github/workflows/"
            "ODMD_orderSvc-CdkGithubWFus-west-1-workspace1.yaml");
  EXPECT_EQ(
      WorkflowStatusPath(repo, Clone(RevRef::Branch("master"), RevType::kBranch, "feat1"), file),
      "/odmd-github/acme/order-service/feat1/.github/workflows/"
      "ODMD_orderSvc-CdkGithubWFus-west-1-workspace1.yaml");
}

TEST(PlatformNamesTest, ThePlatformStacksOfABuildAndOfAnEnver) {
  EXPECT_EQ(PlatformBuildStackName("orderSvc", "333333333333"), "odmd-BUILD-orderSvc-333333333333");
  EXPECT_EQ(PlatformEnverStackName("orderSvc", "333333333333", RevRef::Branch("main")),
            "odmd-ctl-BUILD-orderSvc-333333333333-pp-main");
  // The value keeps only [A-Za-z0-9-]: dots and underscores go.
  EXPECT_EQ(PlatformEnverStackName("orderSvc", "333333333333", RevRef::Tag("v1.0.0")),
            "odmd-ctl-BUILD-orderSvc-333333333333-pp-v100");
  EXPECT_EQ(PlatformEnverStackName("svcA", "333333333333",
                                   Clone(RevRef::Branch("master"), RevType::kBranch, "feat_1")),
            "odmd-ctl-BUILD-svcA-333333333333-pp-feat1");
  EXPECT_EQ(PlatformStackPath("orderSvc", "odmd-BUILD-orderSvc-333333333333"),
            "/odmd-managed-stack/orderSvc/odmd-BUILD-orderSvc-333333333333");
}

}  // namespace
}  // namespace odmd::model
