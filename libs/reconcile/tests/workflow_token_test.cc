// Workflow tokens through the platform (issue 14 point 4): one token per workflow group,
// issued at publish, good for the CI context and the products of every enver and clone of
// the group, refused for other groups, rotated keeping the previous one, revoked when a
// publish removes the group.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "odmd/access/policy.h"
#include "odmd/access/tokens.h"
#include "platform_fixture.h"

namespace odmd::reconcile {
namespace {

using ::odmd::testing::IsOk;
using ::odmd::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kApp[] = "ODMD_app-CmdsGHus-east-1-workspace";
constexpr char kLib[] = "ODMD_lib-CmdsGHus-east-1-workspace";
constexpr char kContracts[] = "ODMD_contracts-CmdsGHus-east-1-central";
constexpr char kSealedPrefix[] = "/odmd/workflow-tokens/";

// contracts/b..main (central); app/b..main and app/b..dev, which consume lib's url; lib/b..main.
model::Org SmallOrg(std::string version = "1.0.0", bool with_lib = true) {
  model::Org org;
  org.name = "acme";
  org.version = std::move(version);
  org.accounts = {{"central", "111111111111"}, {"workspace", "222222222222"}};
  model::Enver contracts = MakeEnver(model::RevRef::Branch("main"), {}, {});
  contracts.account = "central";
  org.builds.push_back(
      MakeBuild("contracts", "contracts", {contracts}, model::BuildKind::kContracts));
  std::vector<model::Consumer> uses_lib;
  if (with_lib) uses_lib.push_back(Consume("lib", "lib/b..main", "url"));
  org.builds.push_back(MakeBuild("app", "app",
                                 {MakeEnver(model::RevRef::Branch("main"), {"url"}, uses_lib),
                                  MakeEnver(model::RevRef::Branch("dev"), {"url"}, uses_lib)}));
  if (with_lib) {
    org.builds.push_back(
        MakeBuild("lib", "lib", {MakeEnver(model::RevRef::Branch("main"), {"url"}, {})}));
  }
  model::Canonicalize(org);
  return org;
}

class WorkflowTokenTest : public PlatformFixture {
 protected:
  void SetUp() override {
    PlatformFixture::SetUp();
    NewServiceRepo("acme/app");
    Push("acme/app", "dev", {}, "dev");
    NewServiceRepo("acme/lib");
    StartPlatform(Options());
    ODMD_ASSERT_OK(
        platform_->PublishManifest(access::Principal::Admin(), model::WriteManifest(SmallOrg())));
  }

  // A clone of app/b..main on branch feature-x, made by a commit command.
  void CloneApp() {
    Sh("git -C " + Q(Work("acme/app")) + " checkout -q main");
    Push("acme/app", "feature-x", {}, "try x\n\nodmd: create@main");
    ODMD_ASSERT_OK(platform_->Scan(""));
  }

  std::string MustToken(const char* workflow) {
    Result<std::string> token = platform_->WorkflowToken(workflow);
    EXPECT_THAT(token, IsOk()) << workflow;
    return token.ok() ? *token : "";
  }

  Result<access::Principal> Authenticate(const std::string& token) {
    access::TokenRegistry registry(*store_, clock_);
    return registry.Authenticate(token);
  }

  std::map<std::string, std::string> Context(const access::Principal& who, const std::string& ref) {
    auto vars = platform_->CiContext(who, "app", ref);
    EXPECT_THAT(vars, IsOk()) << who.ToString() << " " << ref;
    if (!vars.ok()) return {};
    return {vars->begin(), vars->end()};
  }

  const access::Principal app_ = access::Principal::Workflow(kApp);
  const access::Principal lib_ = access::Principal::Workflow(kLib);
};

TEST_F(WorkflowTokenTest, APublishIssuesOneTokenPerWorkflowGroupSealedInTheStore) {
  auto sealed = store_->List(kSealedPrefix);
  ODMD_ASSERT_OK(sealed);
  std::vector<std::string> keys;
  for (const store::Entry& e : *sealed) keys.push_back(e.key);
  EXPECT_THAT(keys, ::testing::ElementsAre(std::string(kSealedPrefix) + kApp,
                                           std::string(kSealedPrefix) + kContracts,
                                           std::string(kSealedPrefix) + kLib));
  for (const char* workflow : {kApp, kLib, kContracts}) {
    const std::string token = MustToken(workflow);
    // Sealed, not in clear text.
    EXPECT_THAT(store_->Get(std::string(kSealedPrefix) + workflow)->value, Not(HasSubstr(token)));
    auto who = Authenticate(token);
    ODMD_ASSERT_OK(who);
    EXPECT_EQ(*who, access::Principal::Workflow(workflow));
    // The same token each time it is read.
    EXPECT_EQ(MustToken(workflow), token);
  }
  // Only the admin reads the sealed tokens: not the viewer, an enver or a workflow.
  auto policy = access::AccessPolicy::Load(*store_);
  ODMD_ASSERT_OK(policy);
  for (const access::Principal& who :
       {access::Principal::Viewer(), access::Principal::Enver("app/b..main"), app_, lib_}) {
    for (const store::Entry& e : *sealed) {
      EXPECT_THAT(policy->Check(who, access::Access::kRead, e.key),
                  StatusIs(StatusCode::kPermissionDenied))
          << who.ToString() << " " << e.key;
    }
  }
  // A second publish of the same groups issues nothing new.
  ODMD_ASSERT_OK(platform_->PublishManifest(access::Principal::Admin(),
                                            model::WriteManifest(SmallOrg("1.0.1"))));
  auto again = store_->List(kSealedPrefix);
  ODMD_ASSERT_OK(again);
  ASSERT_EQ(again->size(), sealed->size());
  for (size_t i = 0; i < again->size(); ++i) {
    EXPECT_EQ((*again)[i].revision, (*sealed)[i].revision) << (*again)[i].key;
  }
}

TEST_F(WorkflowTokenTest, TheGroupTokenReadsTheContextOfEveryEnverAndCloneOfItsGroup) {
  CloneApp();
  EXPECT_EQ(Context(app_, "refs/heads/main")["ODMD_rev_ref"], "b..main");
  EXPECT_EQ(Context(app_, "refs/heads/dev")["ODMD_rev_ref"], "b..dev");
  EXPECT_EQ(Context(app_, "refs/heads/feature-x")["ODMD_rev_ref"], "b..main-_b..feature-x");
  // The enver's own token keeps working (a local run); a sibling's own token does not.
  EXPECT_EQ(Context(access::Principal::Enver("app/b..dev"), "refs/heads/dev")["ODMD_rev_ref"],
            "b..dev");
  EXPECT_THAT(
      platform_->CiContext(access::Principal::Enver("app/b..main"), "app", "refs/heads/dev"),
      StatusIs(StatusCode::kPermissionDenied));
}

TEST_F(WorkflowTokenTest, AnotherGroupsTokenIsRefusedTheContextNamingWorkflowAndEnver) {
  CloneApp();
  for (const char* ref : {"refs/heads/main", "refs/heads/dev", "refs/heads/feature-x"}) {
    EXPECT_THAT(platform_->CiContext(lib_, "app", ref),
                StatusIs(StatusCode::kPermissionDenied,
                         AllOf(HasSubstr("workflow:" + std::string(kLib)),
                               HasSubstr("workflow:" + std::string(kApp)), HasSubstr("app/b.."))))
        << ref;
  }
  EXPECT_THAT(
      platform_->CiContext(access::Principal::Workflow(kContracts), "app", "refs/heads/main"),
      StatusIs(StatusCode::kPermissionDenied));
  EXPECT_THAT(
      platform_->CiContext(access::Principal::Workflow("ODMD_app-CmdsGHus-west-2-workspace"), "app",
                           "refs/heads/main"),
      StatusIs(StatusCode::kPermissionDenied));
}

TEST_F(WorkflowTokenTest, TheGroupTokenPublishesTheProductsOfItsEnversAndClonesOnly) {
  CloneApp();
  for (const char* path : {"/odmd-share/app/b..main/url", "/odmd-share/app/b..dev/url",
                           "/odmd-share/app/b..main-_b..feature-x/url"}) {
    EXPECT_THAT(platform_->PutProduct(app_, path, "from-app"), IsOk()) << path;
    EXPECT_THAT(
        platform_->PutProduct(lib_, path, "from-lib"),
        StatusIs(StatusCode::kPermissionDenied,
                 HasSubstr("principal workflow:" + std::string(kLib) + " may not write " + path)))
        << path;
    EXPECT_EQ(store_->Get(path)->value, "from-app");
  }
  EXPECT_THAT(platform_->PutProduct(app_, "/odmd-share/lib/b..main/url", "x"),
              StatusIs(StatusCode::kPermissionDenied));
  EXPECT_THAT(platform_->CheckProductWrite(app_, "/odmd-share/app/b..main/undeclared"),
              StatusIs(StatusCode::kPermissionDenied));
  // Reads: what the group consumes, not another group's own products.
  ODMD_ASSERT_OK(platform_->PutProduct(lib_, "/odmd-share/lib/b..main/url", "lib-url"));
  auto read = platform_->GetProduct(app_, "/odmd-share/lib/b..main/url");
  ODMD_ASSERT_OK(read);
  EXPECT_EQ(read->value, "lib-url");
  EXPECT_THAT(platform_->GetProduct(lib_, "/odmd-share/app/b..main/url"),
              StatusIs(StatusCode::kPermissionDenied));
}

TEST_F(WorkflowTokenTest, RotationKeepsThePreviousTokenValidAndNotTheOneBefore) {
  const std::string first = MustToken(kApp);
  auto second = platform_->RotateWorkflowToken(kApp);
  ODMD_ASSERT_OK(second);
  EXPECT_NE(*second, first);
  EXPECT_EQ(MustToken(kApp), *second);
  EXPECT_THAT(Authenticate(first), IsOk());
  EXPECT_THAT(Authenticate(*second), IsOk());
  auto third = platform_->RotateWorkflowToken(kApp);
  ODMD_ASSERT_OK(third);
  EXPECT_EQ(MustToken(kApp), *third);
  EXPECT_THAT(Authenticate(first), StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(Authenticate(*second), IsOk());
  EXPECT_THAT(Authenticate(*third), IsOk());
  // Other groups are untouched; the events name the workflow and never the token.
  EXPECT_THAT(Authenticate(MustToken(kLib)), IsOk());
  auto rotated = Events("workflow.token.rotated");
  ASSERT_EQ(rotated.size(), 2u);
  for (const auto& e : rotated) {
    EXPECT_THAT(e.dump(), HasSubstr(kApp));
    for (const std::string& token : {first, *second, *third}) {
      EXPECT_THAT(e.dump(), Not(HasSubstr(token)));
    }
  }
}

TEST_F(WorkflowTokenTest, UnknownOrMalformedGroupsAreRefusedAndChangeNothing) {
  access::TokenRegistry registry(*store_, clock_);
  auto before = registry.List();
  ODMD_ASSERT_OK(before);
  const auto revision = store_->LatestRevision();
  ODMD_ASSERT_OK(revision);
  for (const char* name : {"ODMD_app-CmdsGHus-west-2-workspace", "ODMD_nothing"}) {
    EXPECT_THAT(platform_->RotateWorkflowToken(name),
                StatusIs(StatusCode::kNotFound, HasSubstr(name)));
    EXPECT_THAT(platform_->WorkflowToken(name), StatusIs(StatusCode::kNotFound, HasSubstr(name)));
  }
  for (const char* name : {"app", "ODMD_a/b", ""}) {
    EXPECT_THAT(platform_->RotateWorkflowToken(name),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("workflow name")));
    EXPECT_THAT(platform_->WorkflowToken(name), StatusIs(StatusCode::kInvalidArgument));
  }
  EXPECT_EQ(*store_->LatestRevision(), *revision);
  EXPECT_EQ(registry.List()->size(), before->size());
}

TEST_F(WorkflowTokenTest, AGroupRemovedByAPublishHasItsTokensRevoked) {
  const std::string lib_first = MustToken(kLib);
  auto lib_second = platform_->RotateWorkflowToken(kLib);
  ODMD_ASSERT_OK(lib_second);
  const std::string app = MustToken(kApp);
  ODMD_ASSERT_OK(platform_->PublishManifest(access::Principal::Admin(),
                                            model::WriteManifest(SmallOrg("2.0.0", false))));
  EXPECT_THAT(Authenticate(lib_first), StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(Authenticate(*lib_second), StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(store_->Get(std::string(kSealedPrefix) + kLib), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(platform_->WorkflowToken(kLib), StatusIs(StatusCode::kNotFound));
  // The groups that stay keep their token.
  EXPECT_EQ(MustToken(kApp), app);
  EXPECT_THAT(Authenticate(app), IsOk());
}

TEST_F(WorkflowTokenTest, AGroupWithoutATokenGetsOneWhenAsked) {
  // A store from before workflow tokens: the group's sealed token is missing.
  ODMD_ASSERT_OK(store_->Delete(std::string(kSealedPrefix) + kApp, std::nullopt));
  const std::string token = MustToken(kApp);
  EXPECT_THAT(Authenticate(token), IsOk());
  EXPECT_EQ(MustToken(kApp), token);
}

TEST_F(WorkflowTokenTest, TheContractsGroupsTokenPublishesTheManifest) {
  const access::Principal contracts = access::Principal::Workflow(kContracts);
  ODMD_EXPECT_OK(platform_->CheckPublisher(contracts));
  EXPECT_THAT(platform_->CheckPublisher(app_),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("workflow:" + std::string(kApp))));
  EXPECT_THAT(platform_->PublishManifest(app_, model::WriteManifest(SmallOrg("1.1.0"))),
              StatusIs(StatusCode::kPermissionDenied));
  auto published = platform_->PublishManifest(contracts, model::WriteManifest(SmallOrg("1.1.0")));
  ODMD_ASSERT_OK(published);
  EXPECT_TRUE(published->changed);
  ODMD_EXPECT_OK(platform_->CheckActsFor(contracts, "contracts/b..main"));
  EXPECT_THAT(
      platform_->CheckActsFor(contracts, "app/b..main"),
      StatusIs(StatusCode::kPermissionDenied,
               AllOf(HasSubstr("workflow:" + std::string(kContracts)), HasSubstr("app/b..main"),
                     HasSubstr("workflow:" + std::string(kApp)))));
}

}  // namespace
}  // namespace odmd::reconcile
