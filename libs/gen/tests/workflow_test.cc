// GenerateWorkflows: golden files for the sample org, the grouping and ownership rules, the
// issue's structural points on the parsed YAML, determinism and bad names.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "odmd/gen/workflows.h"
#include "odmd/model/contracts.h"
#include "odmd/model/manifest.h"
#include "odmd/model/naming.h"
#include "odmd/testing/status_matchers.h"
#include "odmd/testing/testdata.h"
#include "workflow_yaml.h"

namespace odmd::gen {
namespace {

using ::odmd::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;

constexpr char kSampleManifest[] = "examples/sandbox/manifest.golden.json";
constexpr char kGoldenDir[] = "libs/gen/testdata/workflows";

model::Org SampleOrg() {
  std::string text = odmd::testing::ReadFileOrFail(odmd::testing::SourcePath(kSampleManifest));
  Result<model::Org> org = model::ReadManifest(text, nullptr);
  EXPECT_TRUE(org.ok()) << org.status().ToString();
  return org.ok() ? *std::move(org) : model::Org{};
}

std::vector<GeneratedFile> Generate(const model::Org& org) {
  Result<std::vector<GeneratedFile>> files = GenerateWorkflows(org);
  EXPECT_TRUE(files.ok()) << files.status().ToString();
  return files.ok() ? *std::move(files) : std::vector<GeneratedFile>{};
}

nlohmann::json ParseYaml(const GeneratedFile& file) {
  testing::YamlToJson parser;
  std::optional<nlohmann::json> doc = parser.Parse(file.content);
  EXPECT_TRUE(doc.has_value()) << file.path << ": " << parser.error();
  return doc.value_or(nlohmann::json::object());
}

std::string FileName(const GeneratedFile& file) {
  return std::filesystem::path(file.path).filename().string();
}

// "<golden dir>/<build>/<file name>", relative to the source root.
std::string GoldenPath(const GeneratedFile& file) {
  return std::string(kGoldenDir) + "/" + file.build_id + "/" + FileName(file);
}

// A small org: one cdk build with envers in two regions and two accounts, a contracts
// enver per region, a cmd build, an image build.
model::Contracts SmallContracts() {
  model::Contracts c("demo", "1.0.0");
  c.AddAccount("central", "111111111111");
  auto ws0 = c.AddAccount("workspace0", "222222222222");
  auto ws1 = c.AddAccount("workspace1", "333333333333");
  auto repo = c.AddRepo("acme", "repo", 7);
  auto contracts = c.AddBuild("contracts", model::BuildKind::kContracts, repo);
  contracts.Branch("main", ws0, "us-west-1");
  contracts.Branch("main-east", ws0, "us-east-1");
  auto svc = c.AddBuild("svc", model::BuildKind::kCdk, repo);
  svc.Branch("main", ws1, "us-west-1");
  svc.Branch("dev", ws1, "us-west-1");
  svc.Branch("east", ws1, "us-east-1");
  svc.Branch("other", ws0, "us-west-1");
  c.AddBuild("tool", model::BuildKind::kCmd, repo).Branch("main", ws0, "us-west-1");
  c.AddBuild("img", model::BuildKind::kImage, repo).Branch("main", ws1, "us-west-1");
  return c;
}

model::Enver& EnverOf(model::Org& org, std::string_view build, std::string_view rev) {
  for (model::Enver& enver : org.FindBuild(build)->envers) {
    if (enver.rev.str() == rev) return enver;
  }
  ADD_FAILURE() << "no enver " << build << "/" << rev;
  return org.builds.front().envers.front();
}

const GeneratedFile* Find(const std::vector<GeneratedFile>& files, std::string_view build,
                          std::string_view path) {
  for (const GeneratedFile& f : files) {
    if (f.build_id == build && f.path == path) return &f;
  }
  return nullptr;
}

// --- Golden files -------------------------------------------------------------------------

TEST(WorkflowGoldenTest, EveryWorkflowOfTheSampleOrgMatchesItsGoldenFile) {
  std::vector<GeneratedFile> files = Generate(SampleOrg());
  ASSERT_FALSE(files.empty());
  for (const GeneratedFile& file : files) {
    SCOPED_TRACE(file.build_id + ": " + file.path);
    if (odmd::testing::UpdateGoldenRequested()) {
      std::filesystem::create_directories(
          std::filesystem::path(odmd::testing::SourcePath(GoldenPath(file))).parent_path());
    }
    odmd::testing::ExpectMatchesGolden(file.content, GoldenPath(file));
  }
}

TEST(WorkflowGoldenTest, NoGoldenFileIsLeftOverFromAnEarlierGeneration) {
  std::set<std::string> expected;
  for (const GeneratedFile& file : Generate(SampleOrg())) expected.insert(GoldenPath(file));
  std::set<std::string> present;
  std::filesystem::path root = odmd::testing::SourcePath("");
  std::filesystem::path dir = odmd::testing::SourcePath(kGoldenDir);
  if (!std::filesystem::exists(dir)) return;  // the golden test reports the missing files
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      present.insert(std::filesystem::relative(entry.path(), root).generic_string());
    }
  }
  std::vector<std::string> stale;
  std::set_difference(present.begin(), present.end(), expected.begin(), expected.end(),
                      std::back_inserter(stale));
  if (odmd::testing::UpdateGoldenRequested()) {
    for (const std::string& path : stale) std::filesystem::remove(root / path);
    return;
  }
  EXPECT_THAT(stale, IsEmpty()) << "golden files no generation produces; "
                                   "tools/update-golden.sh deletes them";
}

// --- Grouping and ownership -----------------------------------------------------------------

TEST(WorkflowsTest, OneFilePerBuildAccountAndRegionOfTheSampleOrg) {
  std::vector<std::pair<std::string, std::string>> got;
  for (const GeneratedFile& f : Generate(SampleOrg())) got.emplace_back(f.build_id, FileName(f));
  EXPECT_THAT(
      got,
      ElementsAre(Pair("centralLogging", "ODMD_centralLogging-CdkGithubWFus-west-1-central.yaml"),
                  Pair("coffeeShopFoundation",
                       "ODMD_coffeeShopFoundation-CdkGithubWFus-west-1-workspace1.yaml"),
                  Pair("coffeeShopOrderManager",
                       "ODMD_coffeeShopOrderManager-CdkGithubWFus-west-1-workspace1.yaml"),
                  Pair("coffeeShopOrderProcessor",
                       "ODMD_coffeeShopOrderProcessor-CdkGithubWFus-west-1-workspace1.yaml"),
                  Pair("eksCluster", "ODMD_eksCluster-CdkGithubWFus-east-1-workspace0.yaml"),
                  Pair("eksCluster", "ODMD_eksCluster-CdkGithubWFus-west-1-workspace0.yaml"),
                  Pair("networking", "ODMD_networking-CdkGithubWFus-east-1-networking.yaml"),
                  Pair("networking", "ODMD_networking-CdkGithubWFus-west-1-networking.yaml"),
                  Pair("odmd-contracts-sandbox",
                       "ODMD_odmd-contracts-sandbox-CmdsGHus-east-1-workspace0.yaml"),
                  Pair("odmd-contracts-sandbox",
                       "ODMD_odmd-contracts-sandbox-CmdsGHus-west-1-workspace0.yaml"),
                  Pair("sampleSpringOpenAPI3cdk",
                       "ODMD_sampleSpringOpenAPI3cdk-CdkGithubWFus-west-1-workspace1.yaml"),
                  Pair("sampleSpringOpenAPI3img",
                       "ODMD_sampleSpringOpenAPI3img-ContainerImageEcrus-west-1-workspace1.yaml"),
                  Pair("userAuth", "ODMD_userAuth-CdkGithubWFus-west-1-workspace0.yaml")));
}

TEST(WorkflowsTest, PathsAreTheDerivedWorkflowPathsOfEveryEnver) {
  model::Org org = SampleOrg();
  std::vector<GeneratedFile> files = Generate(org);
  for (const model::Build& build : org.builds) {
    for (const model::Enver& enver : build.envers) {
      Result<model::EnverNames> names = model::DeriveEnverNames(org, build, enver);
      ODMD_ASSERT_OK(names);
      EXPECT_NE(Find(files, build.id, names->workflow_file), nullptr)
          << model::EnverId(build.id, enver.rev) << " has no workflow " << names->workflow_file;
    }
  }
}

// overwriteWorkflow is false by default (the original's overwriteGhWf): every file keeps its
// users' edits except the sample foundation's, whose envers all set it true.
TEST(WorkflowsTest, EveryFileKeepsItsUsersEditsUnlessAllItsEnversOptIntoOverwriting) {
  for (const GeneratedFile& f : Generate(SampleOrg())) {
    EXPECT_EQ(f.user_owned, f.build_id != "coffeeShopFoundation") << f.path;
    EXPECT_TRUE(IsPristine(f.content)) << f.path;  // its digest line tells edits later
  }
}

model::Org OverwritingEverything(model::Org org) {
  for (model::Build& b : org.builds) {
    for (model::Enver& e : b.envers) e.overwrite_workflow = true;
  }
  return org;
}

TEST(WorkflowsTest, OneEnverKeepingEditsMakesItsWholeGroupUserOwned) {
  model::Contracts c = SmallContracts();
  model::Org org = OverwritingEverything(c.Finish());
  model::Build* svc = org.FindBuild("svc");
  ASSERT_NE(svc, nullptr);
  EnverOf(org, "svc", "b..dev").overwrite_workflow = false;
  std::vector<GeneratedFile> files = Generate(org);
  const GeneratedFile* shared =
      Find(files, "svc",
           model::WorkflowFilePath("svc", model::BuildKind::kCdk, "us-west-1", "workspace1"));
  const GeneratedFile* east =
      Find(files, "svc",
           model::WorkflowFilePath("svc", model::BuildKind::kCdk, "us-east-1", "workspace1"));
  const GeneratedFile* other =
      Find(files, "svc",
           model::WorkflowFilePath("svc", model::BuildKind::kCdk, "us-west-1", "workspace0"));
  ASSERT_NE(shared, nullptr);
  ASSERT_NE(east, nullptr);
  ASSERT_NE(other, nullptr);
  EXPECT_TRUE(shared->user_owned);  // b..main and b..dev share it; b..dev keeps edits
  EXPECT_FALSE(east->user_owned);
  EXPECT_FALSE(other->user_owned);
  // Ownership does not change what odmd would have written.
  std::vector<GeneratedFile> before = Generate(OverwritingEverything(SmallContracts().Finish()));
  EXPECT_EQ(shared->content, Find(before, "svc", shared->path)->content);
}

TEST(WorkflowsTest, ContentNamesNoEnverSoEveryBranchAndCloneSharesTheFile) {
  model::Org org = SmallContracts().Finish();
  std::vector<GeneratedFile> before = Generate(org);
  // Another branch, a tag and a clone in the same account and region: same files, same bytes.
  model::Build* svc = org.FindBuild("svc");
  model::Enver extra = svc->envers.front();
  extra.rev = model::RevRef::Branch("feature-x");
  svc->envers.push_back(extra);
  extra.rev = model::RevRef::Tag("v2.0.0");
  svc->envers.push_back(extra);
  extra.rev =
      model::RevRef::CloneOf(model::RevRef::Branch("main"), model::RevType::kBranch, "feat1");
  svc->envers.push_back(extra);
  EXPECT_EQ(Generate(org), before);
  for (const GeneratedFile& f : before) {
    EXPECT_THAT(f.content, AllOf(Not(HasSubstr("b..")), Not(HasSubstr("t.."))));
  }
}

// --- The issue's structural points, on the parsed YAML --------------------------------------

TEST(WorkflowsTest, EveryFileIsDispatchOnlyWithAnOptionalMessage) {
  for (const GeneratedFile& f : Generate(SampleOrg())) {
    SCOPED_TRACE(f.path);
    nlohmann::json doc = ParseYaml(f);
    ASSERT_TRUE(doc.contains("on"));
    // No push (or any other) trigger: the platform dispatches every run.
    EXPECT_EQ(doc["on"].size(), 1u) << doc["on"].dump();
    const nlohmann::json& message = doc["on"]["workflow_dispatch"]["inputs"]["message"];
    EXPECT_EQ(message["type"], "string");
    EXPECT_EQ(message["required"], "false");
    EXPECT_TRUE(f.content.starts_with("# Generated by odmd from the contracts. Once edited"));
    EXPECT_TRUE(IsPristine(f.content));
    EXPECT_EQ(doc["name"], FileName(f).substr(0, FileName(f).size() - 5));
  }
}

// ... and a contracts job may also publish the per-org package (packages: write).
TEST(WorkflowsTest, JobMayOnlyGetAnOidcTokenAndReadTheRepo) {
  int contracts = 0;
  for (const GeneratedFile& f : Generate(SampleOrg())) {
    nlohmann::json doc = ParseYaml(f);
    EXPECT_FALSE(doc.contains("permissions")) << f.path;
    ASSERT_EQ(doc["jobs"].size(), 1u) << f.path;
    nlohmann::json want = {{"id-token", "write"}, {"contents", "read"}};
    if (f.content.find("Publish the manifest") != std::string::npos) {
      want["packages"] = "write";
      ++contracts;
    }
    EXPECT_EQ(doc["jobs"]["deploy"]["permissions"], want) << f.path;
  }
  EXPECT_GT(contracts, 0);
}

// Every step that uses an action, by action name (without the version).
std::map<std::string, nlohmann::json> ActionSteps(const nlohmann::json& doc) {
  std::map<std::string, nlohmann::json> out;
  for (const nlohmann::json& step : doc["jobs"]["deploy"]["steps"]) {
    if (!step.contains("uses")) continue;
    std::string uses = step["uses"];
    out[uses.substr(0, uses.find('@'))] = step;
  }
  return out;
}

TEST(WorkflowsTest, EachFileAssumesTheBuildRoleOfItsOwnAccountAndRegion) {
  model::Org org = SampleOrg();
  std::vector<GeneratedFile> files = Generate(org);
  int checked = 0;
  for (const model::Build& build : org.builds) {
    for (const model::Enver& enver : build.envers) {
      Result<model::EnverNames> names = model::DeriveEnverNames(org, build, enver);
      ODMD_ASSERT_OK(names);
      const GeneratedFile* f = Find(files, build.id, names->workflow_file);
      ASSERT_NE(f, nullptr);
      nlohmann::json doc = ParseYaml(*f);
      std::map<std::string, nlohmann::json> actions = ActionSteps(doc);
      const nlohmann::json& aws = actions["aws-actions/configure-aws-credentials"]["with"];
      EXPECT_EQ(aws["role-to-assume"], names->build_role_arn) << f->path;
      EXPECT_EQ(aws["aws-region"], enver.region) << f->path;
      EXPECT_EQ(actions["actions/checkout"]["with"]["ref"], "${{ github.ref }}");
      const nlohmann::json& env = doc["jobs"]["deploy"]["env"];
      EXPECT_EQ(env["ODMD_BUILD"], build.id);
      EXPECT_EQ(env["ODMD_REGION"], enver.region);
      EXPECT_EQ(env["ODMD_ACCOUNT_ID"], org.FindAccount(enver.account)->id);
      ++checked;
    }
  }
  EXPECT_GT(checked, 20);
}

TEST(WorkflowsTest, TokenComesFromTheWorkflowsOwnSecretOnlyInStepsThatCallThePlatform) {
  for (const GeneratedFile& f : Generate(SampleOrg())) {
    nlohmann::json doc = ParseYaml(f);
    std::string secret =
        "${{ secrets." + WorkflowSecretName(doc["name"].get<std::string>()) + " }}";
    EXPECT_FALSE(doc["jobs"]["deploy"]["env"].contains("ODMD_TOKEN")) << f.path;
    int with_token = 0;
    for (const nlohmann::json& step : doc["jobs"]["deploy"]["steps"]) {
      if (!step.contains("env") || !step["env"].contains("ODMD_TOKEN")) continue;
      EXPECT_EQ(step["env"]["ODMD_TOKEN"], secret) << f.path << " step " << step["name"];
      EXPECT_THAT(step["run"].get<std::string>(), HasSubstr("$ODMD_API/api/ci/"));
      ++with_token;
    }
    // Context, products, and the manifest for contracts builds.
    EXPECT_EQ(with_token, f.build_id == "odmd-contracts-sandbox" ? 3 : 2) << f.path;
  }
}

TEST(WorkflowsTest, StepsFollowTheConventionalOrderWithTheKindsTail) {
  auto step_names = [](const GeneratedFile& f) {
    std::vector<std::string> names;
    nlohmann::json doc = ParseYaml(f);
    for (const nlohmann::json& step : doc["jobs"]["deploy"]["steps"]) {
      names.push_back(step["name"]);
    }
    return names;
  };
  std::vector<GeneratedFile> files = Generate(SmallContracts().Finish());
  auto path = [](std::string_view build, model::BuildKind kind) {
    return model::WorkflowFilePath(build, kind, "us-west-1",
                                   build == "svc" || build == "img" ? "workspace1" : "workspace0");
  };
  const std::vector<std::string> head = {"Check out the dispatched ref", "Assume the build role",
                                         "Resolve the enver context", "Run the build script"};
  auto with = [&](std::vector<std::string> tail) {
    std::vector<std::string> all = head;
    all.insert(all.end(), tail.begin(), tail.end());
    all.push_back("Publish the products");
    return all;
  };
  const GeneratedFile* cdk = Find(files, "svc", path("svc", model::BuildKind::kCdk));
  const GeneratedFile* cmd = Find(files, "tool", path("tool", model::BuildKind::kCmd));
  const GeneratedFile* img = Find(files, "img", path("img", model::BuildKind::kImage));
  const GeneratedFile* con =
      Find(files, "contracts", path("contracts", model::BuildKind::kContracts));
  ASSERT_TRUE(cdk && cmd && img && con);
  EXPECT_EQ(step_names(*cdk), with({"Deploy the stacks in order"}));
  EXPECT_EQ(step_names(*cmd), with({}));
  // The image's registry is ready before the build script, which may push it itself.
  EXPECT_EQ(step_names(*img), (std::vector<std::string>{
                                  "Check out the dispatched ref", "Assume the build role",
                                  "Resolve the enver context", "Log in to the container registry",
                                  "Prepare the image repository", "Run the build script",
                                  "Build and push the image", "Publish the products"}));
  EXPECT_EQ(step_names(*con), with({"Publish the manifest", "Publish the per-org package"}));
  EXPECT_THAT(cdk->content, HasSubstr("cdk deploy \"$stack\" --app cdk.out --exclusively"));
  EXPECT_THAT(cdk->content, HasSubstr("buildSrcRepo=$GITHUB_REPOSITORY"));
  EXPECT_THAT(cdk->content, Not(HasSubstr("OdmdSrcRepo")));
  EXPECT_THAT(img->content, AllOf(HasSubstr("docker push"), HasSubstr("amazon-ecr-login")));
  EXPECT_THAT(con->content, HasSubstr("ODMD_MANIFEST_FILE=$RUNNER_TEMP/odmd-manifest.json"));
  EXPECT_THAT(cmd->content, AllOf(Not(HasSubstr("cdk deploy")), Not(HasSubstr("docker"))));
}

// --- Determinism ----------------------------------------------------------------------------

TEST(WorkflowsTest, GeneratingTwiceGivesTheSameBytes) {
  model::Org org = SampleOrg();
  EXPECT_EQ(Generate(org), Generate(org));
}

TEST(WorkflowsTest, DeclarationOrderDoesNotMatter) {
  model::Org org = SampleOrg();
  std::vector<GeneratedFile> expected = Generate(org);
  std::reverse(org.builds.begin(), org.builds.end());
  std::reverse(org.accounts.begin(), org.accounts.end());
  for (model::Build& build : org.builds) std::reverse(build.envers.begin(), build.envers.end());
  EXPECT_EQ(Generate(org), expected);
  model::Canonicalize(org);
  EXPECT_EQ(Generate(org), expected);
}

// --- Names --------------------------------------------------------------------------------

TEST(WorkflowSecretNameTest, ReplacesEveryNonAlphanumericWithUnderscore) {
  EXPECT_EQ(WorkflowSecretName("ODMD_svc-CdkGithubWFus-west-1-workspace1"),
            "ODMD_SECRETS_ODMD_svc_CdkGithubWFus_west_1_workspace1");
  EXPECT_EQ(WorkflowSecretName("ODMD_a.b-c"), "ODMD_SECRETS_ODMD_a_b_c");
}

TEST(WorkflowsTest, RegionThatCouldBreakTheFileIsRejectedNamingTheEnver) {
  model::Org org = SmallContracts().Finish();
  EnverOf(org, "svc", "b..dev").region = "us-west-1'\n  evil: x";
  Result<std::vector<GeneratedFile>> files = GenerateWorkflows(org);
  EXPECT_THAT(files.status(), StatusIs(StatusCode::kInvalidArgument,
                                       AllOf(HasSubstr("svc/b..dev"), HasSubstr("region"),
                                             HasSubstr("outside [a-z0-9-]"))));
}

TEST(WorkflowsTest, EmptyRegionIsRejected) {
  model::Org org = SmallContracts().Finish();
  org.FindBuild("tool")->envers[0].region = "";
  EXPECT_THAT(GenerateWorkflows(org).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("tool/b..main")));
}

TEST(WorkflowsTest, AccountNameWithASlashIsRejected) {
  model::Org org = SmallContracts().Finish();
  for (model::Account& a : org.accounts) {
    if (a.name == "workspace1") a.name = "../ws1";
  }
  for (model::Build& b : org.builds) {
    for (model::Enver& e : b.envers) {
      if (e.account == "workspace1") e.account = "../ws1";
    }
  }
  EXPECT_THAT(GenerateWorkflows(org).status(),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("account name \"../ws1\""), HasSubstr("img/b..main"))));
}

TEST(WorkflowsTest, AccountIdThatIsNotTwelveDigitsIsRejected) {
  model::Org org = SmallContracts().Finish();
  for (model::Account& a : org.accounts) {
    if (a.name == "workspace0") a.id = "2222";
  }
  EXPECT_THAT(GenerateWorkflows(org).status(),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("\"2222\""), HasSubstr("not 12 digits"))));
}

TEST(WorkflowsTest, UndeclaredAccountIsNotFound) {
  model::Org org = SmallContracts().Finish();
  org.FindBuild("img")->envers[0].account = "nowhere";
  EXPECT_THAT(
      GenerateWorkflows(org).status(),
      StatusIs(StatusCode::kNotFound, AllOf(HasSubstr("img/b..main"), HasSubstr("\"nowhere\""))));
}

TEST(WorkflowsTest, FileNameOverTheFileSystemLimitIsRejectedWithTheName) {
  model::Org org = SmallContracts().Finish();
  std::string long_name(250, 'a');
  org.accounts.push_back({long_name, "444444444444"});
  org.FindBuild("tool")->envers[0].account = long_name;
  EXPECT_THAT(GenerateWorkflows(org).status(),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("ODMD_tool-CmdsGHus-west-1-" + long_name + ".yaml"),
                             HasSubstr("the limit is 255"))));
}

TEST(WorkflowsTest, BuildWithoutEnversHasNoWorkflow) {
  model::Org org = SmallContracts().Finish();
  org.FindBuild("tool")->envers.clear();
  for (const GeneratedFile& f : Generate(org)) EXPECT_NE(f.build_id, "tool");
}

}  // namespace
}  // namespace odmd::gen
