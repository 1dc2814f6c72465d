// The enver context of GET /api/ci/context per kind (CiContextVariables): only the keys the
// kind's workflow needs, and ODMD_image_repo for image builds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "odmd/model/naming.h"
#include "odmd/reconcile/deployer.h"

namespace odmd::reconcile {
namespace {

std::map<std::string, std::string> AsMap(
    const std::vector<std::pair<std::string, std::string>>& vars) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : vars) {
    EXPECT_TRUE(out.emplace(k, v).second) << k << " is set twice";
  }
  return out;
}

struct Fixture {
  model::Account account{"workspace", "222222222222"};
  model::Build build;
  model::Enver enver;
  explicit Fixture(model::BuildKind kind, model::RevRef rev = model::RevRef::Branch("main")) {
    build.id = "Order_Img";
    build.kind = kind;
    enver.rev = std::move(rev);
    enver.account = "workspace";
    enver.region = "us-east-1";
    enver.products = {{"imageUri"}, {"imageDigest"}};
  }
  std::map<std::string, std::string> Context() const {
    return AsMap(CiContextVariables(build, enver, account));
  }
};

TEST(CiContextTest, AnImageEnverGetsItsRepositoryAndNoStackNames) {
  const auto vars = Fixture(model::BuildKind::kImage).Context();
  ASSERT_TRUE(vars.contains("ODMD_image_repo"));
  EXPECT_EQ(vars.at("ODMD_image_repo"), "orderimg/bmain/orderimg");
  EXPECT_FALSE(vars.contains("ODMD_stack_names"));
  EXPECT_EQ(vars.at("ODMD_products"), "imageUri imageDigest");
  EXPECT_EQ(vars.at("ODMD_build_id"), "Order_Img");
}

TEST(CiContextTest, AnImageCloneGetsItsOwnRepository) {
  const auto vars =
      Fixture(model::BuildKind::kImage, model::RevRef::CloneOf(model::RevRef::Branch("main"),
                                                               model::RevType::kBranch, "feat1"))
          .Context();
  EXPECT_EQ(vars.at("ODMD_image_repo"), "orderimg/bmain-bfeat1/orderimg");
}

TEST(CiContextTest, CdkKindsGetStackNamesAndNoImageRepository) {
  for (model::BuildKind kind : {model::BuildKind::kCdk, model::BuildKind::kNetworking,
                                model::BuildKind::kEksCluster, model::BuildKind::kUserAuth}) {
    const auto vars = Fixture(kind).Context();
    ASSERT_TRUE(vars.contains("ODMD_stack_names")) << model::CiType(kind);
    EXPECT_EQ(vars.at("ODMD_stack_names"), "Order-Img--main");  // model::StackName
    EXPECT_FALSE(vars.contains("ODMD_image_repo"));
  }
}

TEST(CiContextTest, CommandAndContractsBuildsGetOnlyTheCommonKeys) {
  for (model::BuildKind kind : {model::BuildKind::kCmd, model::BuildKind::kContracts}) {
    const auto vars = Fixture(kind).Context();
    EXPECT_FALSE(vars.contains("ODMD_stack_names"));
    EXPECT_FALSE(vars.contains("ODMD_image_repo"));
    for (const char* key : {"ODMD_build_id", "ODMD_rev_ref", "ODMD_awsRegion", "ODMD_awsAccount",
                            "ODMD_work_dir", "ODMD_build_script", "ODMD_products"}) {
      EXPECT_TRUE(vars.contains(key)) << key;
    }
  }
}

TEST(CiContextTest, EveryKindGetsTheConfigAndALocalRunTheSame) {
  for (model::BuildKind kind : {model::BuildKind::kCmd, model::BuildKind::kCdk,
                                model::BuildKind::kImage, model::BuildKind::kContracts}) {
    Fixture f(kind);
    EXPECT_EQ(f.Context().at("ODMD_config"), "{}") << model::CiType(kind);  // none declared
    f.build.config = R"({"cluster":"blue","zone":"z1"})";
    f.enver.config = R"({"cluster":"green"})";
    EXPECT_EQ(f.Context().at("ODMD_config"), R"({"cluster":"green","zone":"z1"})");
    EXPECT_EQ(AsMap(EnverVariables(f.build, f.enver, f.account)).at("ODMD_config"),
              R"({"cluster":"green","zone":"z1"})");
  }
}

TEST(CiContextTest, ALocalRunOfAnImageEnverGetsTheSameRepository) {
  Fixture f(model::BuildKind::kImage);
  const auto vars = AsMap(EnverVariables(f.build, f.enver, f.account));
  EXPECT_EQ(vars.at("ODMD_image_repo"), "orderimg/bmain/orderimg");
}

}  // namespace
}  // namespace odmd::reconcile
