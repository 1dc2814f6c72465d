#include "odmd/model/naming.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "odmd/base/strings.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::model {
namespace {

using ::odmd::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

RevRef Rev(std::string_view text) {
  Result<RevRef> rev = RevRef::Parse(text);
  EXPECT_TRUE(rev.ok()) << rev.status();
  return rev.ok() ? *rev : RevRef();
}

TEST(NamingTest, EnverIdAndCloneRev) {
  EXPECT_EQ(EnverId("orderSvc", Rev("b..main")), "orderSvc/b..main");
  EXPECT_EQ(EnverId("svcA", Rev("b..master-_b..feat1")), "svcA/b..master-_b..feat1");
  EXPECT_EQ(CloneRev(Rev("b..master"), RevType::kBranch, "feat1"), "b..master-_b..feat1");
  EXPECT_EQ(CloneRev(Rev("b..master"), RevType::kTag, "v9"), "b..master-_t..v9");
}

TEST(NamingTest, StorePaths) {
  RevRef main = Rev("b..main");
  EXPECT_EQ(ProductPath("orderSvc", main, "apiBaseUrl"), "/odmd-share/orderSvc/b..main/apiBaseUrl");
  EXPECT_EQ(ProductPath("orderSvc", main, "apiBaseUrl/schema-url"),
            "/odmd-share/orderSvc/b..main/apiBaseUrl/schema-url");
  EXPECT_EQ(ConsumedVersionsPath("orderSvc", main), "/odmd-share/orderSvc/b..main/share..version");
  EXPECT_EQ(EnverConfigPath("orderSvc", main), "/odmd-orderSvc/b..main/enver_config");
  EXPECT_EQ(EnverConfigPath("svcA", Rev("b..master-_b..feat1")),
            "/odmd-svcA/b..master-_b..feat1/enver_config");
}

TEST(NamingTest, SanitizeReplacesNonAlnumAndProtectsEnds) {
  EXPECT_EQ(Sanitize("-abc-"), "AabcZ");
  EXPECT_EQ(Sanitize("a.b_c/d"), "a-b-c-d");
  EXPECT_EQ(Sanitize("--x--"), "A-x-Z");  // only the very first and last character change
  EXPECT_EQ(Sanitize("abc"), "abc");
  EXPECT_EQ(Sanitize(""), "");
  EXPECT_EQ(Sanitize("-"), "A");  // the leading rule turns the only '-' into 'A' first
  EXPECT_EQ(Sanitize("caf\xc3\xa9"), "caf-Z");  // bytewise: two bytes, two '-'
}

TEST(NamingTest, StackNameWorkedExamples) {
  EXPECT_EQ(StackName("orderSvc", Rev("b..main")), "orderSvc--main");
  EXPECT_EQ(StackName("orderSvc", Rev("t..v1.0.0")), "orderSvc--t--v1-0-0");
  EXPECT_EQ(StackName("orderSvc", Rev("b..feature_x.y")), "orderSvc--feature-x-y");
  // Branch clone: its own value only. Tag clone: the full rev text.
  EXPECT_EQ(StackName("svcA", Rev("b..master-_b..feat1")), "svcA--feat1");
  EXPECT_EQ(StackName("svcA", Rev("b..master-_t..v9")), "svcA--b--master--t--v9");
  // A branch clone of a tag is named like a branch.
  EXPECT_EQ(StackName("svcA", Rev("t..v1-_b..hotfix")), "svcA--hotfix");
  EXPECT_EQ(StackName("svcA", Rev("b..x-")), "svcA--xZ");
}

TEST(NamingTest, EnverSecretNameIsTheBuildAndTheRevAsInEnverIds) {
  EXPECT_EQ(EnverSecretName("orderSvc", Rev("b..main")), "odmd/orderSvc/b..main");
  EXPECT_EQ(EnverSecretName("svcA", Rev("b..master-_b..feat1")), "odmd/svcA/b..master-_b..feat1");
  EXPECT_EQ(EnverSecretName("svcA", Rev("t..v1.0.0")), "odmd/svcA/t..v1.0.0");
  EXPECT_EQ(EnverSecretPrefix("svcA"), "odmd/svcA/");
}

TEST(NamingTest, RoleNamesAndArns) {
  std::string role = BuildRoleName("orderSvc", "us-west-1", "333333333333");
  EXPECT_EQ(role, "orderSvc-us-west-1333333333333-buildRole");
  EXPECT_EQ(RolePath("orderSvc"), "/orderSvc/");
  EXPECT_EQ(RoleArn("333333333333", "orderSvc", role),
            "arn:aws:iam::333333333333:role/orderSvc/orderSvc-us-west-1333333333333-buildRole");
  EXPECT_EQ(CentralRoleName("orderSvc", "us-west-1", "333333333333"),
            "orderSvc-us-west-1333333333333-centerRole");
}

TEST(NamingTest, CiTypePerKind) {
  EXPECT_EQ(CiType(BuildKind::kContracts), "CmdsGH");
  EXPECT_EQ(CiType(BuildKind::kCmd), "CmdsGH");
  EXPECT_EQ(CiType(BuildKind::kCdk), "CdkGithubWF");
  EXPECT_EQ(CiType(BuildKind::kNetworking), "CdkGithubWF");
  EXPECT_EQ(CiType(BuildKind::kEksCluster), "CdkGithubWF");
  EXPECT_EQ(CiType(BuildKind::kUserAuth), "CdkGithubWF");
  EXPECT_EQ(CiType(BuildKind::kImage), "ContainerImageEcr");
}

TEST(NamingTest, WorkflowFile) {
  EXPECT_EQ(WorkflowFileName("coffeeShopOrderManager", BuildKind::kCdk, "us-west-1", "workspace1"),
            "ODMD_coffeeShopOrderManager-CdkGithubWFus-west-1-workspace1.yaml");
  EXPECT_EQ(WorkflowFilePath("contracts", BuildKind::kContracts, "us-east-1", "central"),
            ".github/workflows/ODMD_contracts-CmdsGHus-east-1-central.yaml");
  EXPECT_EQ(WorkflowFileName("img", BuildKind::kImage, "eu-west-1", "ws0"),
            "ODMD_img-ContainerImageEcreu-west-1-ws0.yaml");
}

TEST(NamingTest, EnverSubdomain) {
  EXPECT_EQ(EnverSubdomain("orderSvc", Rev("b..main")), "bmain.ordersvc");
  EXPECT_EQ(EnverSubdomain("svcA", Rev("b..master-_b..feat1")), "bmaster-bfeat1.svca");
  EXPECT_EQ(EnverSubdomain("svcA", Rev("t..V1.0_rc")), "tv10rc.svca");
  // Leading and trailing '-' of the rev part are trimmed.
  EXPECT_EQ(EnverSubdomain("svcA", Rev("b..x-")), "bx.svca");
}

TEST(NamingTest, ImageRepoNameIsTheOriginalsRule) {
  EXPECT_EQ(ImageRepoName("orderSvc", Rev("b..main"), "orderSvc"), "ordersvc/bmain/ordersvc");
  EXPECT_EQ(ImageRepoName("svcA", Rev("b..master-_b..feat1"), "api_v2"),
            "svca/bmaster-bfeat1/apiv2");
  EXPECT_EQ(ImageRepoName("Img_Svc", Rev("t..V1.0_rc"), "Web.App"), "imgsvc/tv10rc/webapp");
}

TEST(NamingTest, EnverImageRepoUsesTheBuildIdAsTheImagePart) {
  EXPECT_EQ(EnverImageRepo("orderSvc", Rev("b..main")), "ordersvc/bmain/ordersvc");
  EXPECT_EQ(EnverImageRepo("svcA", Rev("b..master-_b..feat1")), "svca/bmaster-bfeat1/svca");
}

TEST(NamingTest, KubernetesNamespace) {
  EXPECT_EQ(KubernetesNamespace("orderSvc", Rev("b..main")), "ordersvc-b-main");
  EXPECT_EQ(KubernetesNamespace("svcA", Rev("b..master-_b..feat1")), "svca-b-master-b-feat1");
  EXPECT_EQ(KubernetesNamespace("_svc_", Rev("b..x--")), "svc-b-x");
}

TEST(NamingTest, KubernetesNamespaceIsCutTo63AndNeverEndsInDash) {
  std::string build(60, 'a');
  // "aaa...a-b-x": the cut at 63 would end on the '-' after "b", which is trimmed.
  std::string ns = KubernetesNamespace(build, Rev("b..xyz"));
  EXPECT_EQ(ns, build + "-b");
  EXPECT_LE(ns.size(), 63u);
  std::string ns2 = KubernetesNamespace(std::string(62, 'a'), Rev("b..xyz"));
  EXPECT_EQ(ns2, std::string(62, 'a'));
  std::string ns3 = KubernetesNamespace(std::string(100, 'a'), Rev("b..xyz"));
  EXPECT_EQ(ns3, std::string(63, 'a'));
}

TEST(GitRefToRevTest, MapsHeadsAndTags) {
  Result<RevRef> branch = GitRefToRev("refs/heads/feature/login");
  ODMD_ASSERT_OK(branch);
  EXPECT_EQ(branch->str(), "b..feature-login");
  Result<RevRef> tag = GitRefToRev("refs/tags/v1.0.0");
  ODMD_ASSERT_OK(tag);
  EXPECT_EQ(tag->str(), "t..v1.0.0");
  EXPECT_EQ(GitRefToRev("refs/heads/main")->str(), "b..main");
  EXPECT_EQ(GitRefToRev("refs/heads/v2-work")->str(), "b..b-v2-work");
}

TEST(GitRefToRevTest, RejectsOtherRefsNamingThem) {
  for (const char* ref : {"refs/remotes/x", "main", "", "refs/heads", "HEAD", "refs/pull/1/head",
                          "Refs/heads/main"}) {
    EXPECT_THAT(GitRefToRev(ref),
                StatusIs(StatusCode::kInvalidArgument,
                         HasSubstr("git ref \"" + std::string(ref) + "\" is neither")))
        << ref;
  }
}

TEST(GitRefToRevTest, RejectsNamesThatMapToNothing) {
  EXPECT_THAT(GitRefToRev("refs/heads/"),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("git ref \"refs/heads/\": branch name is empty")));
  EXPECT_THAT(GitRefToRev("refs/tags/"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("tag name is empty")));
  EXPECT_THAT(GitRefToRev("refs/heads/--/"),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("git ref \"refs/heads/--/\": branch name \"--/\" has no letter "
                                 "or digit")));
}

struct Mapping {
  const char* branch;
  const char* value;
};
void PrintTo(const Mapping& m, std::ostream* os) { *os << Quote(m.branch); }

class BranchToRevValueTest : public ::testing::TestWithParam<Mapping> {};

TEST_P(BranchToRevValueTest, MapsAsDocumented) {
  Result<std::string> value = BranchToRevValue(GetParam().branch);
  ODMD_ASSERT_OK(value);
  EXPECT_EQ(*value, GetParam().value);
  EXPECT_EQ(CheckRevValue(RevType::kBranch, *value), std::nullopt);
}

INSTANTIATE_TEST_SUITE_P(
    Documented, BranchToRevValueTest,
    ::testing::Values(
        // Already legal: unchanged.
        Mapping{"main", "main"}, Mapping{"feature_login", "feature_login"},
        Mapping{"feature-login", "feature-login"}, Mapping{"a.b", "a.b"}, Mapping{"a._b", "a._b"},
        // Step 1: characters outside [A-Za-z0-9_.-] become '-'.
        Mapping{"feature/login", "feature-login"}, Mapping{"feat:x", "feat-x"},
        Mapping{"a/b/c", "a-b-c"}, Mapping{"a b", "a-b"}, Mapping{"caf\xc3\xa9", "caf--"},
        // Step 2: a run with a reserved pair collapses to one '-'.
        Mapping{"a..b", "a-b"}, Mapping{"a_-b", "a-b"}, Mapping{"a-_b", "a-b"},
        Mapping{"feat/_x", "feat-x"}, Mapping{"a.-_b", "a-b"}, Mapping{"a/_b..c", "a-b-c"},
        Mapping{"x_/", "x-"},
        // Step 2 leaves runs without a reserved pair alone.
        Mapping{"a//b", "a--b"}, Mapping{"a/.b", "a-.b"},
        // Step 3: a leading 'v' or 'V' gets "b-".
        Mapping{"v2", "b-v2"}, Mapping{"Version/x", "b-Version-x"}, Mapping{"/v2", "-v2"}));

TEST(BranchToRevValueTest, RejectsEmptyAndAlnumFreeNames) {
  EXPECT_THAT(BranchToRevValue(""),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("branch name is empty")));
  for (const char* name : {"-", "/", "..", "_-_", "\xc3\xa9"}) {
    EXPECT_THAT(BranchToRevValue(name),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("has no letter or digit")))
        << name;
  }
}

TEST(TagToRevValueTest, SameMappingWithoutTheVRule) {
  EXPECT_EQ(*TagToRevValue("v1.0.0"), "v1.0.0");
  EXPECT_EQ(*TagToRevValue("release/v1..2"), "release-v1-2");
  EXPECT_THAT(TagToRevValue(""),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("tag name is empty")));
  EXPECT_THAT(TagToRevValue("//"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("tag name \"//\" has no")));
}

// Branch names built from the characters that matter to the mapping, with a fixed seed so
// a failure reproduces.
std::string RandomBranch(std::mt19937& rng) {
  static constexpr std::string_view kAlphabet = "abvV09._-/ :~\x80\xff@";
  std::uniform_int_distribution<size_t> length(1, 12);
  std::uniform_int_distribution<size_t> pick(0, kAlphabet.size() - 1);
  std::string name;
  for (size_t n = length(rng); name.size() < n;) name += kAlphabet[pick(rng)];
  return name;
}

TEST(BranchToRevValueTest, PropertyOutputIsLegalAndMappingIsIdempotent) {
  std::mt19937 rng(20240611);
  int mapped = 0;
  for (int i = 0; i < 500; ++i) {
    std::string branch = RandomBranch(rng);
    Result<std::string> value = BranchToRevValue(branch);
    if (!value.ok()) {
      EXPECT_THAT(value, StatusIs(StatusCode::kInvalidArgument)) << branch;
      continue;
    }
    ++mapped;
    EXPECT_EQ(CheckRevValue(RevType::kBranch, *value), std::nullopt)
        << Quote(branch) << " -> " << Quote(*value);
    Result<std::string> again = BranchToRevValue(*value);
    ODMD_ASSERT_OK(again);
    EXPECT_EQ(*again, *value) << Quote(branch);
    if (!CheckRevValue(RevType::kBranch, branch)) {
      EXPECT_EQ(*value, branch);  // legal names map to themselves
    }
    Result<std::string> tag = TagToRevValue(branch);
    ODMD_ASSERT_OK(tag);
    EXPECT_EQ(CheckRevValue(RevType::kTag, *tag), std::nullopt) << Quote(branch);
  }
  EXPECT_GT(mapped, 300);  // the generator must mostly produce mappable names
}

TEST(FindRevValueCollisionsTest, ReportsRealCollisionsInInputOrder) {
  std::vector<std::string> branches = {
      "main",          "feature/login", "feature_login", "feature-login",
      "feature:login", "a..b",          "a/b",           "a-b"};
  std::vector<RevValueCollision> collisions = FindRevValueCollisions(branches);
  ASSERT_EQ(collisions.size(), 2u);
  EXPECT_EQ(collisions[0].value, "feature-login");
  EXPECT_THAT(collisions[0].branches,
              ElementsAre("feature/login", "feature-login", "feature:login"));
  EXPECT_EQ(collisions[1].value, "a-b");
  EXPECT_THAT(collisions[1].branches, ElementsAre("a..b", "a/b", "a-b"));
}

TEST(FindRevValueCollisionsTest, LegalUnderscoreNameDoesNotCollide) {
  std::vector<std::string> branches = {"feature_login", "feature-login"};
  EXPECT_THAT(FindRevValueCollisions(branches), IsEmpty());
}

TEST(FindRevValueCollisionsTest, IgnoresDuplicatesAndUnmappableNames) {
  std::vector<std::string> branches = {"x/y", "x/y", "", "//", "x-y"};
  std::vector<RevValueCollision> collisions = FindRevValueCollisions(branches);
  ASSERT_EQ(collisions.size(), 1u);
  EXPECT_THAT(collisions[0].branches, ElementsAre("x/y", "x-y"));
  std::vector<std::string> same = {"main", "main"};
  EXPECT_THAT(FindRevValueCollisions(same), IsEmpty());
  EXPECT_THAT(FindRevValueCollisions({}), IsEmpty());
}

Org TestOrg() {
  Org org;
  org.name = "sandbox";
  org.central_account = "central";
  org.accounts = {{"central", "111111111111"}, {"workspace1", "333333333333"}};
  Build build;
  build.id = "orderSvc";
  build.kind = BuildKind::kCdk;
  Enver enver;
  enver.rev = RevRef::Branch("main");
  enver.account = "workspace1";
  enver.region = "us-west-1";
  enver.products = {{"apiBaseUrl"}, {"apiBaseUrl/schema-url"}};
  enver.consumers = {
      Consumer{"vpc", "networking/b..main", "vpcId", std::nullopt, Reaction::kRedeploy},
      Consumer{"logs", "logging/t..v1", "bucket", "none", Reaction::kNotify}};
  build.envers = {enver};
  org.builds = {build};
  return org;
}

TEST(DeriveEnverNamesTest, FillsEveryField) {
  Org org = TestOrg();
  const Build& build = org.builds[0];
  Result<EnverNames> names = DeriveEnverNames(org, build, build.envers[0]);
  ODMD_ASSERT_OK(names);
  EXPECT_EQ(names->enver_id, "orderSvc/b..main");
  EXPECT_EQ(names->rev, "b..main");
  EXPECT_EQ(names->stack_name, "orderSvc--main");
  EXPECT_EQ(names->build_role_name, "orderSvc-us-west-1333333333333-buildRole");
  EXPECT_EQ(names->build_role_path, "/orderSvc/");
  EXPECT_EQ(names->build_role_arn,
            "arn:aws:iam::333333333333:role/orderSvc/orderSvc-us-west-1333333333333-buildRole");
  // Named after the target account, living in the central account.
  EXPECT_EQ(names->central_role_name, "orderSvc-us-west-1333333333333-centerRole");
  EXPECT_EQ(names->central_role_arn,
            "arn:aws:iam::111111111111:role/orderSvc/orderSvc-us-west-1333333333333-centerRole");
  EXPECT_EQ(names->ci_type, "CdkGithubWF");
  EXPECT_EQ(names->workflow_file,
            ".github/workflows/ODMD_orderSvc-CdkGithubWFus-west-1-workspace1.yaml");
  EXPECT_EQ(names->consumed_versions_path, "/odmd-share/orderSvc/b..main/share..version");
  EXPECT_EQ(names->enver_config_path, "/odmd-orderSvc/b..main/enver_config");
  EXPECT_EQ(names->subdomain, "bmain.ordersvc");
  EXPECT_EQ(names->kubernetes_namespace, "ordersvc-b-main");
  EXPECT_EQ(names->image_repo, "");  // not an image build
  EXPECT_THAT(names->product_paths,
              ElementsAre(Pair("apiBaseUrl", "/odmd-share/orderSvc/b..main/apiBaseUrl"),
                          Pair("apiBaseUrl/schema-url",
                               "/odmd-share/orderSvc/b..main/apiBaseUrl/schema-url")));
  EXPECT_THAT(names->consumer_paths,
              ElementsAre(Pair("vpc", "/odmd-share/networking/b..main/vpcId"),
                          Pair("logs", "/odmd-share/logging/t..v1/bucket")));
}

TEST(DeriveEnverNamesTest, CloneGetsItsOwnNames) {
  Org org = TestOrg();
  Build& build = org.builds[0];
  build.id = "svcA";
  Enver clone = build.envers[0];
  clone.rev = RevRef::CloneOf(RevRef::Branch("master"), RevType::kBranch, "feat1");
  Result<EnverNames> names = DeriveEnverNames(org, build, clone);
  ODMD_ASSERT_OK(names);
  EXPECT_EQ(names->enver_id, "svcA/b..master-_b..feat1");
  EXPECT_EQ(names->stack_name, "svcA--feat1");
  EXPECT_EQ(names->subdomain, "bmaster-bfeat1.svca");
  // Roles are shared by every enver of a build in one account and region.
  EXPECT_EQ(names->build_role_name, "svcA-us-west-1333333333333-buildRole");
}

TEST(DeriveEnverNamesTest, ImageEnverAndItsCloneGetTheirImageRepository) {
  Org org = TestOrg();
  Build& build = org.builds[0];
  build.kind = BuildKind::kImage;
  Result<EnverNames> names = DeriveEnverNames(org, build, build.envers[0]);
  ODMD_ASSERT_OK(names);
  EXPECT_EQ(names->image_repo, "ordersvc/bmain/ordersvc");
  Enver clone = build.envers[0];
  clone.rev = RevRef::CloneOf(RevRef::Branch("main"), RevType::kBranch, "feat1");
  names = DeriveEnverNames(org, build, clone);
  ODMD_ASSERT_OK(names);
  EXPECT_EQ(names->image_repo, "ordersvc/bmain-bfeat1/ordersvc");
}

TEST(DeriveEnverNamesTest, NotFoundForMissingTargetAccount) {
  Org org = TestOrg();
  Enver enver = org.builds[0].envers[0];
  enver.account = "nowhere";
  EXPECT_THAT(DeriveEnverNames(org, org.builds[0], enver),
              StatusIs(StatusCode::kNotFound,
                       HasSubstr("enver \"orderSvc/b..main\": account \"nowhere\" is not "
                                 "declared")));
}

TEST(DeriveEnverNamesTest, NotFoundForMissingCentralAccount) {
  Org org = TestOrg();
  org.central_account = "hq";
  EXPECT_THAT(DeriveEnverNames(org, org.builds[0], org.builds[0].envers[0]),
              StatusIs(StatusCode::kNotFound, HasSubstr("central account \"hq\" is not declared")));
}

}  // namespace
}  // namespace odmd::model
