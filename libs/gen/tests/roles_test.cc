// GenerateRoles: golden files for the sample org, determinism, the shape of the templates,
// and every input the generator refuses.

#include "odmd/gen/roles.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "odmd/model/naming.h"
#include "odmd/testing/status_matchers.h"
#include "odmd/testing/testdata.h"
#include "role_test_util.h"

namespace odmd::gen {
namespace {

using model::Enver;
using model::Org;
using model::RevRef;
using nlohmann::json;
using odmd::testing::StatusIs;
using role_test::FindFile;
using role_test::ReadGrants;
using role_test::SampleOrg;
using role_test::SmallOrg;
using role_test::TemplateGrants;
using ::testing::AllOf;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kGoldenDir[] = "libs/gen/testdata/";

std::vector<GeneratedFile> GenerateOrFail(const Org& org) {
  Result<std::vector<GeneratedFile>> files = GenerateRoles(org);
  EXPECT_TRUE(files.ok()) << files.status();
  return files.ok() ? *std::move(files) : std::vector<GeneratedFile>{};
}

TemplateGrants GrantsOf(const std::vector<GeneratedFile>& files, std::string_view path) {
  const GeneratedFile* file = FindFile(files, path);
  if (file == nullptr) return {};
  return ReadGrants(json::parse(file->content));
}

// --- golden files -------------------------------------------------------------------------

TEST(RolesGoldenTest, EveryTemplateOfTheSampleOrgMatchesItsGoldenFile) {
  std::vector<GeneratedFile> files = GenerateOrFail(SampleOrg());
  ASSERT_FALSE(files.empty());
  for (const GeneratedFile& file : files) {
    std::string relative = kGoldenDir + file.path;
    if (odmd::testing::UpdateGoldenRequested()) {
      std::filesystem::create_directories(
          std::filesystem::path(odmd::testing::SourcePath(relative)).parent_path());
    }
    odmd::testing::ExpectMatchesGolden(file.content, relative);
  }
}

// A template the generator no longer writes must not linger as a golden file.
TEST(RolesGoldenTest, NoGoldenFileWithoutATemplate) {
  std::set<std::string> generated;
  for (const GeneratedFile& file : GenerateOrFail(SampleOrg())) generated.insert(file.path);
  std::filesystem::path root = odmd::testing::SourcePath(kGoldenDir);
  std::set<std::string> golden;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root / "roles")) {
    if (entry.is_regular_file()) {
      golden.insert(std::filesystem::relative(entry.path(), root).generic_string());
    }
  }
  EXPECT_EQ(golden, generated);
}

// --- determinism and shape ----------------------------------------------------------------

TEST(GenerateRolesTest, TwoRunsGiveTheSameBytes) {
  Org org = SampleOrg();
  EXPECT_EQ(GenerateOrFail(org), GenerateOrFail(org));
}

TEST(GenerateRolesTest, DeclarationOrderDoesNotMatter) {
  Org org = SampleOrg();
  std::vector<GeneratedFile> expected = GenerateOrFail(org);
  std::mt19937 rng(7);
  for (int round = 0; round < 5; ++round) {
    std::shuffle(org.builds.begin(), org.builds.end(), rng);
    std::shuffle(org.accounts.begin(), org.accounts.end(), rng);
    for (model::Build& build : org.builds) {
      std::shuffle(build.envers.begin(), build.envers.end(), rng);
      for (Enver& enver : build.envers) {
        std::shuffle(enver.products.begin(), enver.products.end(), rng);
        std::shuffle(enver.consumers.begin(), enver.consumers.end(), rng);
      }
    }
    EXPECT_EQ(GenerateOrFail(org), expected) << "round " << round;
  }
}

TEST(GenerateRolesTest, TwoTemplatesPerBuildAccountAndRegionSortedByPath) {
  std::vector<GeneratedFile> files = GenerateOrFail(SampleOrg());
  std::vector<std::string> paths;
  for (const GeneratedFile& f : files) {
    paths.push_back(f.path);
    EXPECT_EQ(f.build_id, "");
    EXPECT_FALSE(f.user_owned);
  }
  EXPECT_TRUE(std::is_sorted(paths.begin(), paths.end()));
  // 10 builds; eksCluster, networking and the contracts build have envers in two regions.
  EXPECT_EQ(files.size(), 2u * 13);
  EXPECT_THAT(paths, ::testing::Contains("roles/eksCluster/workspace0-us-east-1-build-role.json"));
  EXPECT_THAT(paths,
              ::testing::Contains("roles/eksCluster/workspace0-us-west-1-central-role.json"));
}

TEST(GenerateRolesTest, EveryTemplateIsJsonWithTwoSpaceIndentAndATrailingNewline) {
  for (const GeneratedFile& f : GenerateOrFail(SampleOrg())) {
    SCOPED_TRACE(f.path);
    ASSERT_TRUE(json::accept(f.content));
    json doc = json::parse(f.content);
    EXPECT_EQ(f.content, doc.dump(2) + "\n");
    EXPECT_EQ(doc.at("AWSTemplateFormatVersion"), "2010-09-09");
    EXPECT_EQ(doc.at("Resources").begin()->at("Type"), "AWS::IAM::Role");
  }
}

TEST(GenerateRolesTest, NoWildcardActionOrResource) {
  for (const GeneratedFile& f : GenerateOrFail(SampleOrg())) {
    SCOPED_TRACE(f.path);
    TemplateGrants g = ReadGrants(json::parse(f.content));
    EXPECT_THAT(g.actions, Each(Not(HasSubstr("*"))));
    EXPECT_THAT(g.all_resources, Each(Not(::testing::Eq("*"))));
    // The one "*" IAM forces (ECR login, image builds) is counted apart; nothing else.
    const size_t stars = static_cast<size_t>(
        std::count_if(g.all_resources.begin(), g.all_resources.end(), [](const std::string& r) {
          return r.find('*') != std::string::npos && r.find(":repository/") == std::string::npos &&
                 r.find(":stack/") == std::string::npos &&
                 r.find(":parameter/") == std::string::npos;
        }));
    EXPECT_EQ(stars, 0u);
  }
}

TEST(GenerateRolesTest, ImageBuildRoleMayLogInAndPushOnlyToItsOwnRepositories) {
  for (const GeneratedFile& f : GenerateOrFail(SampleOrg())) {
    if (!f.path.ends_with("-build-role.json")) continue;
    SCOPED_TRACE(f.path);
    TemplateGrants g = ReadGrants(json::parse(f.content));
    if (f.path.starts_with("roles/sampleSpringOpenAPI3img/")) {
      EXPECT_EQ(g.registry_logins, 1);
      EXPECT_THAT(g.image_push,
                  ::testing::ElementsAre(
                      "arn:aws:ecr:us-west-1:366920167720:repository/samplespringopenapi3img/*"));
      EXPECT_THAT(g.actions, ::testing::Contains("ecr:PutImage"));
    } else {
      // Only image builds push images.
      EXPECT_EQ(g.registry_logins, 0);
      EXPECT_THAT(g.image_push, ::testing::IsEmpty());
    }
  }
}

TEST(GenerateRolesTest, BuildRoleNamesAndTrustsTheDerivedNames) {
  Org org = SmallOrg();
  std::vector<GeneratedFile> files = GenerateOrFail(org);
  const GeneratedFile* file = FindFile(files, "roles/svc/workspace-us-west-1-build-role.json");
  ASSERT_NE(file, nullptr);
  json doc = json::parse(file->content);
  const json& props = doc.at("Resources").at("BuildRole").at("Properties");
  EXPECT_EQ(props.at("RoleName"), model::BuildRoleName("svc", "us-west-1", "222222222222"));
  EXPECT_EQ(props.at("Path"), model::RolePath("svc"));
  const json& trust = props.at("AssumeRolePolicyDocument").at("Statement").at(0);
  EXPECT_EQ(trust.at("Principal").at("Federated"),
            "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com");
  EXPECT_EQ(trust.at("Action"), "sts:AssumeRoleWithWebIdentity");
  EXPECT_EQ(trust.at("Condition").at("StringEquals"),
            json({{"token.actions.githubusercontent.com:aud", "sts.amazonaws.com"}}));
  TemplateGrants g = ReadGrants(doc);
  // Clones live on any branch or tag; the exact refs (main, v1.0) and stacks (svc--main,
  // svc--t--v1-0) are matched by the wildcard values and left out.
  EXPECT_THAT(g.trusted_subs, ElementsAre("repo:acme/svc-repo:ref:refs/heads/*",
                                          "repo:acme/svc-repo:ref:refs/tags/*"));
  EXPECT_THAT(g.stack_allowed,
              ElementsAre("arn:aws:cloudformation:us-west-1:222222222222:stack/svc--*/*"));
  EXPECT_THAT(g.stack_denied, IsEmpty());
  EXPECT_THAT(g.assumable, ElementsAre(model::RoleArn(
                               "111111111111", "svc",
                               model::CentralRoleName("svc", "us-west-1", "222222222222"))));
  EXPECT_THAT(g.ssm_read, IsEmpty());
  EXPECT_THAT(g.ssm_write, IsEmpty());
}

TEST(GenerateRolesTest, CentralRoleIsTrustedByTheBuildRoleAndGuardsProductPaths) {
  std::vector<GeneratedFile> files = GenerateOrFail(SmallOrg());
  TemplateGrants g = GrantsOf(files, "roles/svc/workspace-us-west-1-central-role.json");
  EXPECT_EQ(g.role_name, "svc-us-west-1222222222222-centerRole");
  EXPECT_THAT(g.trusted_aws, ElementsAre("arn:aws:iam::222222222222:role/svc/"
                                         "svc-us-west-1222222222222-buildRole"));
  std::string ssm = "arn:aws:ssm:us-west-1:111111111111:parameter";
  EXPECT_THAT(g.ssm_read, ElementsAre(ssm + "/odmd-share/db/b..main/dsn"));
  EXPECT_THAT(g.ssm_write, ElementsAre(ssm + "/odmd-share/svc/b..main-_*/apiUrl",
                                       ssm + "/odmd-share/svc/b..main-_*/share..version",
                                       ssm + "/odmd-share/svc/b..main/apiUrl",
                                       ssm + "/odmd-share/svc/b..main/share..version",
                                       ssm + "/odmd-share/svc/t..v1.0-_*/apiUrl",
                                       ssm + "/odmd-share/svc/t..v1.0-_*/share..version",
                                       ssm + "/odmd-share/svc/t..v1.0/apiUrl",
                                       ssm + "/odmd-share/svc/t..v1.0/share..version"));
  EXPECT_THAT(g.stack_allowed, IsEmpty());
}

TEST(GenerateRolesTest, NoCloneGrantsWithoutClones) {
  Org org = SmallOrg();
  for (Enver& e : org.builds[0].envers) e.clone_limit = 0;
  std::vector<GeneratedFile> files = GenerateOrFail(org);
  TemplateGrants build = GrantsOf(files, "roles/svc/workspace-us-west-1-build-role.json");
  TemplateGrants central = GrantsOf(files, "roles/svc/workspace-us-west-1-central-role.json");
  EXPECT_THAT(build.trusted_subs, ElementsAre("repo:acme/svc-repo:ref:refs/heads/main",
                                              "repo:acme/svc-repo:ref:refs/tags/v1.0"));
  EXPECT_THAT(build.stack_allowed,
              ElementsAre("arn:aws:cloudformation:us-west-1:222222222222:stack/svc--main/*",
                          "arn:aws:cloudformation:us-west-1:222222222222:stack/svc--t--v1-0/*"));
  EXPECT_THAT(central.ssm_write, Each(Not(HasSubstr("*"))));
}

TEST(GenerateRolesTest, ContractsAndUserAuthEnversAreNeverCloned) {
  Org org = SmallOrg();
  org.builds[0].kind = model::BuildKind::kUserAuth;  // clone_limit stays 20
  org.builds[1].kind = model::BuildKind::kContracts;
  std::vector<GeneratedFile> files = GenerateOrFail(org);
  ASSERT_EQ(files.size(), 4u);
  for (const GeneratedFile& f : files) {
    SCOPED_TRACE(f.path);
    TemplateGrants g = ReadGrants(json::parse(f.content));
    EXPECT_THAT(g.trusted_subs, Each(Not(HasSubstr("*"))));
    EXPECT_THAT(g.ssm_write, Each(Not(HasSubstr("*"))));
    EXPECT_THAT(g.stack_allowed, Each(Not(HasSubstr("--*"))));
  }
}

TEST(GenerateRolesTest, CloneEnversAddNothing) {
  Org org = SmallOrg();
  std::vector<GeneratedFile> expected = GenerateOrFail(org);
  Enver clone = org.builds[0].envers[0];
  clone.rev = RevRef::CloneOf(clone.rev, model::RevType::kBranch, "feat1");
  clone.products.push_back({"cloneOnly"});
  org.builds[0].envers.push_back(clone);
  EXPECT_EQ(GenerateOrFail(org), expected);
}

TEST(GenerateRolesTest, OtherBuildsInsideTheClonePatternAreDenied) {
  Org org = SmallOrg();
  org.builds[1].id = "svc--x";  // its stacks "svc--x--main" match "svc--*"
  org.builds[0].envers[0].consumers[0].producer = "svc--x/b..main";
  std::vector<GeneratedFile> files = GenerateOrFail(org);
  TemplateGrants svc = GrantsOf(files, "roles/svc/workspace-us-west-1-build-role.json");
  EXPECT_THAT(svc.stack_denied,
              ElementsAre("arn:aws:cloudformation:us-west-1:222222222222:stack/svc--x--*/*"));
  TemplateGrants other = GrantsOf(files, "roles/svc--x/workspace-us-west-1-build-role.json");
  EXPECT_THAT(other.stack_denied, IsEmpty());

  // Without clones the stack ARNs are exact: nothing to deny.
  for (Enver& e : org.builds[0].envers) e.clone_limit = 0;
  svc = GrantsOf(GenerateOrFail(org), "roles/svc/workspace-us-west-1-build-role.json");
  EXPECT_THAT(svc.stack_denied, IsEmpty());
  for (Enver& e : org.builds[0].envers) e.clone_limit = 1;

  // In another region the two builds' stacks cannot meet: nothing to deny.
  org.builds[1].envers[0].region = "us-east-1";
  files = GenerateOrFail(org);
  svc = GrantsOf(files, "roles/svc/workspace-us-west-1-build-role.json");
  EXPECT_THAT(svc.stack_denied, IsEmpty());
}

// --- refused input ------------------------------------------------------------------------

TEST(GenerateRolesErrorTest, UndeclaredEnverAccountIsNotFound) {
  Org org = SmallOrg();
  org.builds[0].envers[1].account = "nowhere";
  EXPECT_THAT(GenerateRoles(org),
              StatusIs(StatusCode::kNotFound,
                       AllOf(HasSubstr("\"svc/t..v1.0\""), HasSubstr("\"nowhere\""))));
}

TEST(GenerateRolesErrorTest, UndeclaredCentralAccountIsNotFound) {
  Org org = SmallOrg();
  org.central_account = "hq";
  EXPECT_THAT(GenerateRoles(org),
              StatusIs(StatusCode::kNotFound, HasSubstr("central account \"hq\"")));
}

TEST(GenerateRolesErrorTest, AccountIdThatIsNotTwelveDigits) {
  Org org = SmallOrg();
  org.accounts[1].id = "22222222222*";
  EXPECT_THAT(GenerateRoles(org),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("account \"workspace\": id \"22222222222*\" is not 12 digits")));
  org = SmallOrg();
  org.accounts[0].id = "1111";
  EXPECT_THAT(GenerateRoles(org),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("account \"central\"")));
}

struct BadValue {
  std::string name;
  void (*mutate)(Org&);
  std::string message;
};

void PrintTo(const BadValue& value, std::ostream* os) { *os << value.name; }

class GenerateRolesBadValueTest : public ::testing::TestWithParam<BadValue> {};

TEST_P(GenerateRolesBadValueTest, IsRefusedNamingTheValue) {
  Org org = SmallOrg();
  GetParam().mutate(org);
  EXPECT_THAT(GenerateRoles(org),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr(GetParam().message)));
}

INSTANTIATE_TEST_SUITE_P(
    Wildcards, GenerateRolesBadValueTest,
    ::testing::Values(
        BadValue{"RepoOwner", [](Org& o) { o.builds[0].repo.owner = "ac*"; },
                 "build \"svc\": repo owner \"ac*\" has character \"*\" outside"},
        BadValue{"RepoName", [](Org& o) { o.builds[0].repo.name = "svc?"; },
                 "build \"svc\": repo name \"svc?\" has character \"?\""},
        BadValue{"EmptyRepoName", [](Org& o) { o.builds[0].repo.name = ""; },
                 "build \"svc\": repo name is empty"},
        BadValue{"BuildId", [](Org& o) { o.builds[0].id = "sv*"; },
                 "build \"sv*\": id \"sv*\" has character \"*\""},
        BadValue{"Region",
                 [](Org& o) {
                   for (Enver& e : o.builds[0].envers) e.region = "us-*";
                 },
                 "build \"svc\": region \"us-*\" has character \"*\""},
        BadValue{"ProductName", [](Org& o) { o.builds[0].envers[0].products[0].name = "api*"; },
                 "enver \"svc/b..main\": product path \"/odmd-share/svc/b..main/api*\" has "
                 "character \"*\""},
        BadValue{"ConsumedProduct",
                 [](Org& o) { o.builds[0].envers[0].consumers[0].product = "${aws:username}"; },
                 "enver \"svc/b..main\": consumer \"dsn\" product path "
                 "\"/odmd-share/db/b..main/${aws:username}\" has character \"$\""},
        BadValue{"ConsumedProducer",
                 [](Org& o) { o.builds[0].envers[0].consumers[0].producer = "db/*"; },
                 "consumer \"dsn\" product path \"/odmd-share/db/*/dsn\""},
        BadValue{"RevValueThatIsNoGitName",
                 [](Org& o) { o.builds[0].envers[0].rev = RevRef::Branch("feature/*"); },
                 "enver \"svc/b..feature/*\": rev value \"feature/*\" is not the name of a git "
                 "branch (R2)"},
        BadValue{"TagValueThatIsNoGitName",
                 [](Org& o) { o.builds[0].envers[1].rev = RevRef::Tag("v1..0"); },
                 "rev value \"v1..0\" is not the name of a git tag (R2)"},
        BadValue{"AccountNameInFilePath",
                 [](Org& o) {
                   o.accounts[1].name = "../up";
                   for (Enver& e : o.builds[0].envers) e.account = "../up";
                 },
                 "account name \"../up\" cannot be part of a file name"}),
    [](const ::testing::TestParamInfo<BadValue>& param) { return param.param.name; });

TEST(GenerateRolesErrorTest, RoleNameOverIamLimitNamesTheDerivedName) {
  Org org = SmallOrg();
  // "<id>-us-west-1222222222222-centerRole" is id + 33 characters: 32 fit for the build
  // role (id + 32), not for the central role.
  std::string id(32, 'a');
  org.builds[0].id = id;
  std::string central = id + "-us-west-1222222222222-centerRole";
  EXPECT_THAT(GenerateRoles(org),
              StatusIs(StatusCode::kInvalidArgument, "R10: central role name \"" + central +
                                                         "\" is 65 characters; the limit is 64"));
  org.builds[0].id = id.substr(1);
  ODMD_EXPECT_OK(GenerateRoles(org));
}

TEST(GenerateRolesErrorTest, StackNameOverLimitNamesTheStack) {
  Org org = SmallOrg();
  std::string value(124, 'x');  // "svc--" + 124 = 129 characters
  org.builds[0].envers[0].rev = RevRef::Branch(value);
  EXPECT_THAT(GenerateRoles(org),
              StatusIs(StatusCode::kInvalidArgument, "R10: stack name \"svc--" + value +
                                                         "\" is 129 characters; the limit is 128"));
  org.builds[0].envers[0].rev = RevRef::Branch(value.substr(1));
  ODMD_EXPECT_OK(GenerateRoles(org));
}

TEST(GenerateRolesErrorTest, TrustPolicyOverIamLimit) {
  Org org = SmallOrg();
  Enver base = org.builds[0].envers[0];
  base.products.clear();
  for (int i = 0; i < 40; ++i) {
    base.rev = RevRef::Branch("release-branch-number-" + std::to_string(i));
    org.builds[0].envers.push_back(base);
  }
  // With clones, "refs/heads/*" stands for all 40 branches.
  ODMD_EXPECT_OK(GenerateRoles(org));
  for (Enver& e : org.builds[0].envers) e.clone_limit = 0;
  EXPECT_THAT(GenerateRoles(org),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("role \"svc-us-west-1222222222222-buildRole\": trust "
                                       "policy is "),
                             HasSubstr("IAM's limit is 2048"))));
}

TEST(GenerateRolesErrorTest, InlinePolicyOverIamLimit) {
  Org org = SmallOrg();
  for (int i = 0; i < 80; ++i) {
    org.builds[0].envers[0].products.push_back({"product-number-" + std::to_string(i)});
  }
  EXPECT_THAT(GenerateRoles(org),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("role \"svc-us-west-1222222222222-centerRole\": inline "
                                       "policy is "),
                             HasSubstr("IAM's limit is 10240"))));
}

TEST(GenerateRolesErrorTest, BuildsSharingAStackPrefixCollide) {
  Org org = SmallOrg();
  org.builds[1].id = "s.vc";  // not a legal build id (R1), but both sanitize to "s-vc--"
  org.builds[0].id = "s_vc";
  org.builds[0].envers[0].consumers.clear();
  EXPECT_THAT(GenerateRoles(org),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("share the stack name prefix \"s-vc--\""),
                             HasSubstr("account \"workspace\" region \"us-west-1\""))));
}

TEST(GenerateRolesErrorTest, StaticStackInsideAnotherBuildsNameSpace) {
  Org org = SmallOrg();
  org.builds[1].id = "svc--x";
  org.builds[0].envers[0].rev = RevRef::Branch("x--main");  // stack "svc--x--main"
  org.builds[0].envers[0].consumers.clear();
  EXPECT_THAT(GenerateRoles(org),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("stack \"svc--x--main\" of build \"svc\" lies in the stack name "
                                 "space \"svc--x--*\" of build \"svc--x\"")));
}

}  // namespace
}  // namespace odmd::gen
