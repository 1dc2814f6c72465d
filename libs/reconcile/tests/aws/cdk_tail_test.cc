// Unit tests of the CDK tail's pieces and the AWS target's names (no AWS, no cdk).

#include "cdk_tail.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "aws_target.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::reconcile {
namespace {

namespace fs = std::filesystem;
using ::odmd::testing::IsOk;
using ::odmd::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

class CdkTailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("odmd-cdk-tail-test-" + std::to_string(rd()));
    fs::create_directories(dir_ / "cdk.out");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / "cdk.out" / name) << text;
  }
  fs::path dir_;
};

TEST_F(CdkTailTest, FindsTheStackByStackNameAndReadsItsParameters) {
  Write("manifest.json", R"({"version":"55.0.0","artifacts":{
    "Tree":{"type":"cdk:tree","properties":{"file":"tree.json"}},
    "Net":{"type":"aws:cloudformation:stack","displayName":"App/Net",
           "properties":{"templateFile":"Net.template.json","stackName":"net--main"}},
    "svc--main":{"type":"aws:cloudformation:stack","properties":{"templateFile":"s.json"}}}})");
  Write("Net.template.json",
        R"({"Parameters":{"odmdBuildId":{"Type":"String"},"BootstrapVersion":{}},"Resources":{}})");
  Write("s.json", R"({"Resources":{}})");

  Result<AssemblyStack> net = FindAssemblyStack(dir_ / "cdk.out", "net--main");
  ASSERT_THAT(net, IsOk());
  EXPECT_EQ(net->selector, "App/Net");
  EXPECT_EQ(net->template_file, dir_ / "cdk.out" / "Net.template.json");
  EXPECT_THAT(*TemplateParameters(net->template_file),
              ElementsAre("BootstrapVersion", "odmdBuildId"));

  Result<AssemblyStack> svc = FindAssemblyStack(dir_ / "cdk.out", "svc--main");
  ASSERT_THAT(svc, IsOk());
  EXPECT_EQ(svc->selector, "svc--main");
  EXPECT_THAT(*TemplateParameters(svc->template_file), IsEmpty());

  EXPECT_THAT(FindAssemblyStack(dir_ / "cdk.out", "other--main").status(),
              StatusIs(StatusCode::kNotFound, HasSubstr("has no stack \"other--main\"")));
}

TEST_F(CdkTailTest, MissingOrMalformedAssemblyIsNamed) {
  EXPECT_THAT(FindAssemblyStack(dir_ / "nowhere", "s").status(),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("does not exist")));
  EXPECT_THAT(FindAssemblyStack(dir_ / "cdk.out", "s").status(),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("manifest.json")));
  Write("manifest.json", "[1]");
  EXPECT_THAT(FindAssemblyStack(dir_ / "cdk.out", "s").status(),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("is not a JSON object")));
  Write("t.json", R"({"Parameters":[]})");
  EXPECT_THAT(TemplateParameters(dir_ / "cdk.out" / "t.json").status(),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("\"Parameters\"")));
}

TEST(CdkDeployArgvTest, OnlyTheGivenParametersInOrder) {
  EXPECT_THAT(
      CdkDeployArgv({"/x/cdk"}, "/w/cdk.out", "App/Net", "/w/out.json",
                    {{"odmdBuildId", "net"}, {"buildSrcRev", "abc"}}),
      ElementsAre("/x/cdk", "deploy", "App/Net", "--app", "/w/cdk.out", "--exclusively",
                  "--require-approval", "never", "--method=direct", "--no-previous-parameters",
                  "--no-notices", "--outputs-file", "/w/out.json", "--parameters",
                  "buildSrcRev=abc", "--parameters", "odmdBuildId=net"));
}

TEST(DeployParametersTest, TheOriginalsNames) {
  model::Build b;
  b.id = "net";
  b.repo = {"acme", "networking", 0};
  model::Enver e;
  e.rev = model::RevRef::Branch("main");
  EXPECT_THAT(
      DeployParameters(b, e, "0123abc", "dep"),
      UnorderedElementsAre(Pair("odmdBuildId", "net"), Pair("buildSrcRev", "0123abc"),
                           Pair("buildSrcRef", "b..main"), Pair("buildSrcRepo", "acme/networking"),
                           Pair("odmdDepRev", "dep")));
}

TEST(DependencyRevisionTest, ChangesWithAConsumedVersion) {
  EXPECT_EQ(DependencyRevision({}), "none");
  std::vector<ConsumedValue> v = {{"vpc", "/odmd-share/net/b..main/vpcId", 3, false}};
  const std::string a = DependencyRevision(v);
  EXPECT_EQ(a.size(), 16u);
  EXPECT_EQ(DependencyRevision(v), a);
  v[0].version = 4;
  EXPECT_NE(DependencyRevision(v), a);
  v[0].version = 0;
  v[0].placeholder = true;
  EXPECT_NE(DependencyRevision(v), a);
}

TEST(StackProductsTest, ReadsOdmdProductsOfTheStack) {
  const std::string outputs = R"({"svc--main":{"Other":"x",
      "OdmdProducts":"{\"url\":\"https://a\",\"port\":8080,\"db/host\":\"h\"}"},
      "net--main":{"OdmdProducts":"{\"vpc\":\"v\"}"}})";
  EXPECT_THAT(
      *StackProducts(outputs, "svc--main"),
      UnorderedElementsAre(Pair("url", "https://a"), Pair("port", "8080"), Pair("db/host", "h")));
  EXPECT_THAT(*StackProducts(R"({"svc--main":{"Other":"x"}})", "svc--main"), IsEmpty());
  EXPECT_THAT(*StackProducts("{}", "svc--main"), IsEmpty());
  EXPECT_THAT(StackProducts(R"({"s":{"OdmdProducts":"[1]"}})", "s").status(),
              StatusIs(StatusCode::kFailedPrecondition,
                       HasSubstr("output OdmdProducts of stack \"s\" is not a JSON object")));
  EXPECT_THAT(StackProducts("not json", "s").status(),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("stack \"s\"")));
}

TEST(AwsTargetNamesTest, BuildRoleAndSessionName) {
  model::Build b;
  b.id = "orderSvc";
  model::Enver e;
  e.region = "us-west-1";
  EXPECT_EQ(BuildRoleArnOf(b, e, "333333333333"),
            "arn:aws:iam::333333333333:role/orderSvc/orderSvc-us-west-1333333333333-buildRole");
  EXPECT_EQ(RoleSessionName("d-17.a_b"), "odmd-d-17.a_b");
  EXPECT_EQ(RoleSessionName("teardown/1 x"), "odmd-teardown-1-x");
  EXPECT_EQ(RoleSessionName(std::string(100, 'a')).size(), 64u);
}

}  // namespace
}  // namespace odmd::reconcile
