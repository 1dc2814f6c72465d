#include "odmd/model/clone.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "graph_test_util.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::model {
namespace {

using graph_test::OrgFromText;
using ::odmd::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

Org SampleOrg() {
  Org org = OrgFromText(R"(
    contracts/b..main  kind=contracts  +contractsLibLatest
    auth/b..main       kind=user-auth  +userPool
    base/b..main       +vpc
    svcA/b..master     +apiUrl  vpc=base/b..main/vpc?none!notify
    svcA/t..v1.0       +apiUrl
    svcA/b..master-_b..old  +apiUrl
  )");
  org.FindBuild("svcA")->envers[0].work_dir = "svc";
  org.FindBuild("svcA")->envers[0].clone_limit = 3;
  return org;
}

CloneRequest Request(std::string origin, std::string git_name, RevType type = RevType::kBranch,
                     int live = 0) {
  return CloneRequest{std::move(origin), std::move(git_name), type, live};
}

TEST(CloneTest, WorkedExampleBranchClone) {
  Org org = SampleOrg();
  Result<DerivedClone> clone = DeriveClone(org, Request("svcA/b..master", "feat1"));
  ODMD_ASSERT_OK(clone);
  EXPECT_EQ(clone->build_id, "svcA");
  EXPECT_EQ(clone->enver.rev.str(), "b..master-_b..feat1");
  EXPECT_FALSE(clone->enver.rev.IsImmutable());
  EXPECT_EQ(clone->names.enver_id, "svcA/b..master-_b..feat1");
  EXPECT_EQ(clone->names.rev, "b..master-_b..feat1");
  EXPECT_EQ(clone->names.stack_name, "svcA--feat1");
  EXPECT_EQ(clone->mapping_note, "");
}

TEST(CloneTest, CloneKeepsOriginsAccountRegionProductsConsumersAndFlags) {
  Org org = SampleOrg();
  Result<DerivedClone> clone = DeriveClone(org, Request("svcA/b..master", "feat1"));
  ODMD_ASSERT_OK(clone);
  const Enver& origin = org.FindBuild("svcA")->envers[0];
  Enver expected = origin;
  expected.rev = clone->enver.rev;
  EXPECT_EQ(clone->enver, expected);
  EXPECT_EQ(clone->enver.consumers[0].producer, "base/b..main");  // same upstream
  ASSERT_EQ(clone->names.product_paths.size(), 1u);
  EXPECT_EQ(clone->names.product_paths[0].second, "/odmd-share/svcA/b..master-_b..feat1/apiUrl");
  EXPECT_EQ(clone->names.consumer_paths[0].second, "/odmd-share/base/b..main/vpc");
}

TEST(CloneTest, GitNameIsMappedWithANote) {
  Org org = SampleOrg();
  Result<DerivedClone> clone = DeriveClone(org, Request("svcA/b..master", "feature/login"));
  ODMD_ASSERT_OK(clone);
  EXPECT_EQ(clone->enver.rev.str(), "b..master-_b..feature-login");
  EXPECT_EQ(clone->names.stack_name, "svcA--feature-login");
  EXPECT_EQ(clone->mapping_note,
            "git branch \"feature/login\" is not a legal rev value; the clone uses "
            "\"feature-login\"");
  Result<DerivedClone> v = DeriveClone(org, Request("svcA/b..master", "v2-work"));
  ODMD_ASSERT_OK(v);
  EXPECT_EQ(v->enver.rev.str(), "b..master-_b..b-v2-work");
  EXPECT_THAT(v->mapping_note, HasSubstr("\"b-v2-work\""));
}

TEST(CloneTest, TagClonesAndClonesOfTagsAreImmutable) {
  Org org = SampleOrg();
  Result<DerivedClone> tag_clone = DeriveClone(org, Request("svcA/b..master", "v9", RevType::kTag));
  ODMD_ASSERT_OK(tag_clone);
  EXPECT_EQ(tag_clone->enver.rev.str(), "b..master-_t..v9");
  EXPECT_TRUE(tag_clone->enver.rev.IsImmutable());
  EXPECT_EQ(tag_clone->names.stack_name, "svcA--b--master--t--v9");
  Result<DerivedClone> of_tag = DeriveClone(org, Request("svcA/t..v1.0", "hotfix"));
  ODMD_ASSERT_OK(of_tag);
  EXPECT_EQ(of_tag->enver.rev.str(), "t..v1.0-_b..hotfix");
  EXPECT_TRUE(of_tag->enver.rev.IsImmutable());
  Result<DerivedClone> tag_mapped =
      DeriveClone(org, Request("svcA/b..master", "release/1.0", RevType::kTag));
  ODMD_ASSERT_OK(tag_mapped);
  EXPECT_EQ(tag_mapped->enver.rev.str(), "b..master-_t..release-1.0");
  EXPECT_THAT(tag_mapped->mapping_note, StartsWith("git tag \"release/1.0\""));
}

TEST(CloneTest, SameValueOfTheOtherTypeIsADifferentClone) {
  Org org = SampleOrg();
  Result<DerivedClone> clone = DeriveClone(org, Request("svcA/b..master", "master", RevType::kTag));
  ODMD_ASSERT_OK(clone);
  EXPECT_EQ(clone->enver.rev.str(), "b..master-_t..master");
}

TEST(CloneTest, UnknownOriginIsNotFound) {
  Org org = SampleOrg();
  struct Case {
    const char* origin;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {"svcA", "origin enver \"svcA\" not found: an enver id is \"<build>/<rev>\""},
           {"", "origin enver \"\" not found"},
           {"svcB/b..master", "origin enver \"svcB/b..master\" not found: no build \"svcB\""},
           {"svca/b..master", "no build \"svca\" (did you mean \"svcA\"?)"},
           {"svcA/b..mastr",
            "origin enver \"svcA/b..mastr\" not found (did you mean \"svcA/b..master\"?)"},
           {"svcA/master", "origin enver \"svcA/master\" not found"},
       }) {
    EXPECT_THAT(DeriveClone(org, Request(c.origin, "feat1")),
                StatusIs(StatusCode::kNotFound, HasSubstr(c.message)))
        << c.origin;
  }
}

TEST(CloneTest, InvalidRequestsNameTheirRule) {
  Org org = SampleOrg();
  struct Case {
    const char* name;
    CloneRequest request;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {"clone of a clone", Request("svcA/b..master-_b..old", "x"),
            "R9: origin \"svcA/b..master-_b..old\" is a clone; clones are one level deep "
            "(clone \"svcA/b..master\" instead)"},
           {"clone of an undeclared clone", Request("svcA/b..master-_b..nope", "x"),
            "R9: origin \"svcA/b..master-_b..nope\" is a clone"},
           {"contracts enver", Request("contracts/b..main", "x"),
            "R7: contracts enver \"contracts/b..main\" is a singleton and is never cloned"},
           {"user-auth enver", Request("auth/b..main", "x"),
            "R7: user-auth enver \"auth/b..main\" is a singleton and is never cloned"},
           {"branch maps to nothing", Request("svcA/b..master", "///"),
            "R2: git branch \"///\" maps to no legal rev value"},
           {"empty branch", Request("svcA/b..master", ""), "R2: git branch \"\""},
           {"tag maps to nothing", Request("svcA/b..master", "..", RevType::kTag),
            "R2: git tag \"..\" maps to no legal rev value"},
           {"same value as the origin", Request("svcA/b..master", "master"),
            "R9: the clone's rev value \"master\" equals that of its origin \"svcA/b..master\""},
           {"maps to the origin's value", Request("svcA/t..v1.0", "v1.0", RevType::kTag),
            "R9: the clone's rev value \"v1.0\" equals that of its origin"},
       }) {
    Result<DerivedClone> r = DeriveClone(org, c.request);
    EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument, HasSubstr(c.message))) << c.name;
    EXPECT_THAT(r.status().message(), StartsWith("R")) << c.name;
  }
}

TEST(CloneTest, CloneLimitIsAPreconditionCountingDeclaredClones) {
  // svcA/b..master allows 3 clones, and the contracts declare one (b..master-_b..old).
  Org org = SampleOrg();
  ODMD_EXPECT_OK(DeriveClone(org, Request("svcA/b..master", "f", RevType::kBranch, 1)));
  EXPECT_THAT(DeriveClone(org, Request("svcA/b..master", "f", RevType::kBranch, 2)),
              StatusIs(StatusCode::kFailedPrecondition,
                       "R9: origin \"svcA/b..master\" already has 3 live clones (1 declared in the "
                       "contracts); its limit is 3"));
  EXPECT_THAT(DeriveClone(org, Request("svcA/b..master", "f", RevType::kBranch, 7)),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("already has 8 live clones")));
  // Re-deriving a clone that exists ignores the limit: a clone declared later keeps it.
  CloneRequest existing = Request("svcA/b..master", "f", RevType::kBranch, 7);
  existing.enforce_limit = false;
  ODMD_EXPECT_OK(DeriveClone(org, existing));
  // The default limit is 20; no clone of the tag is declared.
  ODMD_EXPECT_OK(DeriveClone(org, Request("svcA/t..v1.0", "f", RevType::kBranch, 19)));
  EXPECT_THAT(DeriveClone(org, Request("svcA/t..v1.0", "f", RevType::kBranch, 20)),
              StatusIs(StatusCode::kFailedPrecondition,
                       "R9: origin \"svcA/t..v1.0\" already has 20 live clones; its limit is 20"));
}

TEST(CloneTest, DerivedNamesBeyondTheirLimitsAreR10) {
  Org org = SampleOrg();
  // 4 + 2 + 123 = 129 characters: one over the stack name limit.
  std::string branch(123, 'x');
  EXPECT_THAT(
      DeriveClone(org, Request("svcA/b..master", branch)),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("R10: stack name \"svcA--" + branch +
                                                       "\" has 129 characters; the limit is 128")));
  ODMD_EXPECT_OK(DeriveClone(org, Request("svcA/b..master", std::string(122, 'x'))));

  // The build role "<build>-us-west-1333333333333-buildRole" outgrows 64 with a long id.
  std::string long_build(40, 'b');
  Org wide = OrgFromText(long_build + "/b..main +x");
  EXPECT_THAT(DeriveClone(wide, Request(long_build + "/b..main", "f")),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("R10: build role name \"" + long_build + "-us-west-1")));
}

TEST(CloneTest, UndeclaredAccountIsNotFound) {
  Org org = SampleOrg();
  org.FindBuild("svcA")->envers[0].account = "ghost";
  EXPECT_THAT(DeriveClone(org, Request("svcA/b..master", "feat1")),
              StatusIs(StatusCode::kNotFound, HasSubstr("account \"ghost\" is not declared")));
}

TEST(CloneTest, DuplicateOriginIdUsesTheFirstEnver) {
  Org org = SampleOrg();
  Enver second = org.FindBuild("svcA")->envers[0];
  second.region = "eu-west-1";
  org.FindBuild("svcA")->envers.push_back(second);
  Result<DerivedClone> clone = DeriveClone(org, Request("svcA/b..master", "feat1"));
  ODMD_ASSERT_OK(clone);
  EXPECT_EQ(clone->enver.region, "us-west-1");
}

}  // namespace
}  // namespace odmd::model
