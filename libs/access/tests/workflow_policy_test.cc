// Workflow principals (issue 14 point 4): the token of a generated workflow's repository
// secret may do exactly what the envers and live clones of its group (build, account,
// region) may do, and nothing else.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "access_test_util.h"
#include "odmd/access/policy.h"
#include "odmd/access/principal.h"
#include "odmd/access/tokens.h"
#include "odmd/model/naming.h"
#include "odmd/testing/fake_clock.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::access {
namespace {

using ::odmd::testing::IsOk;
using ::odmd::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kSvcA[] = "ODMD_svcA-CdkGithubWFus-west-1-ws";
constexpr char kSvcB[] = "ODMD_svcB-CdkGithubWFus-west-1-ws";
constexpr char kContracts[] = "ODMD_contracts-CmdsGHus-west-1-ws";

std::string Share(std::string_view enver_id, std::string_view rest) {
  return "/odmd-share/" + std::string(enver_id) + "/" + std::string(rest);
}

void ExpectAllowed(const AccessPolicy& policy, const Principal& p, Access access,
                   const std::string& key) {
  EXPECT_THAT(policy.Check(p, access, key), IsOk())
      << p.ToString() << " " << AccessName(access) << " " << key;
}

void ExpectDenied(const AccessPolicy& policy, const Principal& p, Access access,
                  const std::string& key) {
  EXPECT_THAT(policy.Check(p, access, key),
              StatusIs(StatusCode::kPermissionDenied,
                       StartsWith("principal " + p.ToString() + " may not " +
                                  std::string(AccessName(access)) + " " + key)))
      << p.ToString() << " " << AccessName(access) << " " << key;
}

TEST(WorkflowPrincipalTest, ToStringAndParseRoundTrip) {
  const Principal p = Principal::Workflow(kSvcA);
  EXPECT_EQ(p.ToString(), std::string("workflow:") + kSvcA);
  Result<Principal> parsed = Principal::Parse(p.ToString());
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(*parsed, p);
  EXPECT_EQ(parsed->kind, Principal::Kind::kWorkflow);
  EXPECT_NE(Principal::Workflow(kSvcA), Principal::Workflow(kSvcB));
  EXPECT_THAT(Principal::Parse("workflow:ODMD_a.b_c-1"), IsOk());
}

TEST(WorkflowPrincipalTest, ParseRejectsMalformedWorkflowNamesNamingThem) {
  const std::string too_long = "workflow:ODMD_" + std::string(250, 'a');
  for (const std::string& text :
       {std::string("workflow:"), std::string("workflow:ODMD_"), std::string("workflow:svc"),
        std::string("workflow:ODMD_a/b"), std::string("workflow:ODMD_a b"),
        std::string("workflow:ODMD_a:b"), std::string("Workflow:ODMD_a"), too_long}) {
    EXPECT_THAT(Principal::Parse(text),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("\"" + text + "\"")))
        << text;
  }
  EXPECT_THAT(Principal::Parse("workflow:ODMD_a/b"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("[A-Za-z0-9_.-]")));
}

class WorkflowPolicyTest : public ::testing::Test {
 protected:
  model::Org org_ = test::SmallOrg();
  AccessPolicy policy_ = AccessPolicy::FromOrg(org_, test::SmallOrgClones());
  const Principal group_a_ = Principal::Workflow(kSvcA);
  const Principal group_b_ = Principal::Workflow(kSvcB);
  const std::string main_ = "svcA/b..main";
  const std::string dev_ = "svcA/b..dev";
  const std::string feat1_ = "svcA/b..main-_b..feat1";
  const std::string feat2_ = "svcA/b..main-_b..feat2";
};

TEST_F(WorkflowPolicyTest, EveryEnverAndCloneIsInItsBuildAccountAndRegionGroup) {
  EXPECT_THAT(policy_.Workflows(), ElementsAre(kContracts, kSvcA, kSvcB));
  for (const std::string& id : {main_, dev_, feat1_, feat2_}) {
    EXPECT_EQ(policy_.WorkflowOf(id), kSvcA) << id;
  }
  EXPECT_EQ(policy_.WorkflowOf("svcB/b..main"), kSvcB);
  EXPECT_EQ(policy_.WorkflowOf("contracts/b..main"), kContracts);
  EXPECT_EQ(policy_.WorkflowOf("svcA/b..gone"), std::nullopt);
  EXPECT_TRUE(policy_.HasWorkflow(kSvcA));
  EXPECT_FALSE(policy_.HasWorkflow("ODMD_svcA-CdkGithubWFus-east-1-ws"));
  // The same name gen::GenerateWorkflows gives the file (model::WorkflowFileName).
  const model::Build* found = org_.FindBuild("svcA");
  ASSERT_NE(found, nullptr);
  const model::Build& a = *found;
  EXPECT_EQ(WorkflowNameOf(org_, a, a.envers.front()), kSvcA);
  model::Enver stray = a.envers.front();
  stray.account = "nowhere";
  EXPECT_EQ(WorkflowNameOf(org_, a, stray), std::nullopt);
}

TEST_F(WorkflowPolicyTest, AnotherRegionIsAnotherGroup) {
  model::Org org = test::SmallOrg();
  for (model::Build& b : org.builds) {
    for (model::Enver& e : b.envers) {
      if (model::EnverId(b.id, e.rev) == dev_) e.region = "eu-west-1";
    }
  }
  AccessPolicy policy = AccessPolicy::FromOrg(org, {});
  EXPECT_EQ(policy.WorkflowOf(dev_), "ODMD_svcA-CdkGithubWFeu-west-1-ws");
  EXPECT_EQ(policy.WorkflowOf(main_), kSvcA);
  ExpectDenied(policy, group_a_, Access::kWrite, Share(dev_, "url"));
  ExpectAllowed(policy, Principal::Workflow("ODMD_svcA-CdkGithubWFeu-west-1-ws"), Access::kWrite,
                Share(dev_, "url"));
}

TEST_F(WorkflowPolicyTest, TheGroupTokenDoesWhatItsEnversAndClonesDo) {
  for (const std::string& id : {main_, dev_, feat1_, feat2_}) {
    for (const char* product : {"url", "share..version"}) {
      ExpectAllowed(policy_, group_a_, Access::kWrite, Share(id, product));
      ExpectAllowed(policy_, group_a_, Access::kRead, Share(id, product));
    }
    EXPECT_TRUE(policy_.ActsFor(group_a_, id)) << id;
  }
  // Each enver's products stay its own: svcA/b..dev declares only url.
  for (const std::string& id : {main_, feat1_, feat2_}) {
    ExpectAllowed(policy_, group_a_, Access::kWrite, Share(id, "api/v1"));
    ExpectAllowed(policy_, group_a_, Access::kWrite, Share(id, "api/v1/child"));
  }
  ExpectDenied(policy_, group_a_, Access::kWrite, Share(dev_, "api/v1"));
  ExpectDenied(policy_, group_a_, Access::kWrite, Share(main_, "api"));
  ExpectDenied(policy_, group_a_, Access::kWrite, Share(main_, "undeclared"));
  // What its envers consume it reads, and does not write.
  ExpectAllowed(policy_, group_a_, Access::kRead, "/odmd-share/svcB/b..main/db");
  ExpectDenied(policy_, group_a_, Access::kWrite, "/odmd-share/svcB/b..main/db");
  ExpectDenied(policy_, group_a_, Access::kRead, "/odmd-share/svcB/b..main/share..version");
}

TEST_F(WorkflowPolicyTest, AnotherGroupsTokenIsRefusedNamingPrincipalAccessAndKey) {
  for (const std::string& id : {main_, dev_, feat1_}) {
    ExpectDenied(policy_, group_b_, Access::kWrite, Share(id, "url"));
    ExpectDenied(policy_, group_b_, Access::kRead, Share(id, "url"));
    ExpectDenied(policy_, group_b_, Access::kRead, Share(id, "share..version"));
    EXPECT_FALSE(policy_.ActsFor(group_b_, id)) << id;
  }
  EXPECT_THAT(
      policy_.Check(group_b_, Access::kWrite, Share(main_, "url")),
      StatusIs(StatusCode::kPermissionDenied, "principal workflow:" + std::string(kSvcB) +
                                                  " may not write /odmd-share/svcA/b..main/url"));
  // svcB's own group still works, and svcA's token does not reach it.
  ExpectAllowed(policy_, group_b_, Access::kWrite, "/odmd-share/svcB/b..main/db");
  ExpectDenied(policy_, group_a_, Access::kWrite, "/odmd-share/svcB/b..main/db");
  ExpectDenied(policy_, Principal::Workflow(kContracts), Access::kRead, Share(main_, "url"));
}

TEST_F(WorkflowPolicyTest, AnUnknownWorkflowIsDeniedEverythingSayingSo) {
  const Principal stranger = Principal::Workflow("ODMD_svcA-CdkGithubWFus-east-1-ws");
  EXPECT_THAT(policy_.Check(stranger, Access::kRead, Share(main_, "url")),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr(": unknown workflow")));
  EXPECT_FALSE(policy_.ActsFor(stranger, main_));
  ExpectDenied(AccessPolicy(), group_a_, Access::kRead, Share(main_, "url"));
}

TEST_F(WorkflowPolicyTest, ADeletedCloneLeavesTheGroup) {
  AccessPolicy without = AccessPolicy::FromOrg(org_, {{feat1_, main_}});
  ExpectAllowed(without, group_a_, Access::kWrite, Share(feat1_, "url"));
  ExpectDenied(without, group_a_, Access::kWrite, Share(feat2_, "url"));
  ExpectDenied(without, group_a_, Access::kRead, Share(feat2_, "url"));
  EXPECT_FALSE(without.ActsFor(group_a_, feat2_));
}

TEST_F(WorkflowPolicyTest, WorkflowTokensReadNothingOfThePlatform) {
  for (const char* key :
       {"/odmd/contracts/manifest", "/odmd/tokens/abc", "/odmd/enver-tokens/svcA/b..main",
        "/odmd/workflow-tokens/ODMD_svcA-CdkGithubWFus-west-1-ws", "/odmd/secrets/svcA/b..main/x",
        "/odmd/clones/svcA/b..main-_b..feat1", "/odmd-share/svcA", "/odmd-share/svcA/b..main"}) {
    ExpectDenied(policy_, group_a_, Access::kRead, key);
    ExpectDenied(policy_, group_a_, Access::kWrite, key);
  }
}

TEST_F(WorkflowPolicyTest, SealedWorkflowTokensAreReadByTheAdminOnly) {
  const std::string key = std::string("/odmd/workflow-tokens/") + kSvcA;
  ExpectDenied(policy_, Principal::Viewer(), Access::kRead, key);
  ExpectDenied(policy_, Principal::Enver(main_), Access::kRead, key);
  ExpectDenied(policy_, group_a_, Access::kRead, key);
  ExpectAllowed(policy_, Principal::Admin(), Access::kRead, key);
}

TEST_F(WorkflowPolicyTest, ActsForIsTheAdminTheEnverItselfOrItsGroup) {
  EXPECT_TRUE(policy_.ActsFor(Principal::Admin(), main_));
  EXPECT_TRUE(policy_.ActsFor(Principal::Enver(main_), main_));
  EXPECT_FALSE(policy_.ActsFor(Principal::Enver(dev_), main_));
  EXPECT_FALSE(policy_.ActsFor(Principal::Enver(feat1_), main_));
  EXPECT_FALSE(policy_.ActsFor(Principal::Viewer(), main_));
  EXPECT_TRUE(policy_.ActsFor(Principal::Workflow(kContracts), "contracts/b..main"));
}

class WorkflowTokenRegistryTest : public ::testing::Test {
 protected:
  store::ConfigStorePtr store_ = test::OpenStore();
  ::odmd::testing::FakeClock clock_;
  TokenRegistry registry_{*store_, clock_};
};

TEST_F(WorkflowTokenRegistryTest, WorkflowTokensAuthenticateToTheirGroup) {
  Result<std::string> token = registry_.Issue(Principal::Workflow(kSvcA));
  ASSERT_THAT(token, IsOk());
  EXPECT_THAT(registry_.Authenticate(*token), IsOk());
  EXPECT_EQ(*registry_.Authenticate(*token), Principal::Workflow(kSvcA));
  EXPECT_THAT(registry_.Issue(Principal::Workflow("svcA")),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("workflow:svcA")));
}

TEST_F(WorkflowTokenRegistryTest, RevokeAllButKeepsTheNamedTokenOnly) {
  const Principal p = Principal::Workflow(kSvcA);
  Result<std::string> oldest = registry_.Issue(p);
  Result<std::string> previous = registry_.Issue(p);
  Result<std::string> other = registry_.Issue(Principal::Workflow(kSvcB));
  ASSERT_THAT(oldest, IsOk());
  ASSERT_THAT(previous, IsOk());
  ASSERT_THAT(other, IsOk());
  Result<int> revoked = registry_.RevokeAllBut(p, *previous);
  ASSERT_THAT(revoked, IsOk());
  EXPECT_EQ(*revoked, 1);
  EXPECT_THAT(registry_.Authenticate(*oldest), StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(registry_.Authenticate(*previous), IsOk());
  EXPECT_THAT(registry_.Authenticate(*other), IsOk());
  // Another principal's token to keep keeps none of this one's.
  revoked = registry_.RevokeAllBut(p, *other);
  ASSERT_THAT(revoked, IsOk());
  EXPECT_EQ(*revoked, 1);
  EXPECT_THAT(registry_.Authenticate(*previous), StatusIs(StatusCode::kUnauthenticated));
}

}  // namespace
}  // namespace odmd::access
