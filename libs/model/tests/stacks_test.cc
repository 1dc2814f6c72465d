// Several stacks per enver (Enver::stacks): derived names, rule R10, manifest form, the
// contracts API and clones.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "odmd/model/clone.h"
#include "odmd/model/contracts.h"
#include "odmd/model/manifest.h"
#include "odmd/model/naming.h"
#include "odmd/model/validate.h"
#include "odmd/testing/status_matchers.h"
#include "validate_test_util.h"

namespace odmd::model {
namespace {

using fixtures::IsViolation;
using fixtures::OfRule;
using fixtures::ValidOrg;
using ::odmd::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// ValidOrg's orderSvc/b..main, with the original networking enver's two stacks.
Org TwoStackOrg() {
  Org org = ValidOrg();
  org.builds[2].envers[0].stacks = {"orderSvc", "orderSvc-share-nat"};
  return org;
}

TEST(StackNamesTest, DefaultIsTheOneStackNamedAfterTheBuild) {
  Org org = ValidOrg();
  EXPECT_THAT(StackNames(org.builds[2], org.builds[2].envers[0]), ElementsAre("orderSvc--main"));
  EXPECT_THAT(StackNames(org.builds[1], org.builds[1].envers[1]), ElementsAre("foundation--t--v1"));
}

TEST(StackNamesTest, DeclaredBasesGiveNamesInOrderLikeTheOriginalsNetworkingEnver) {
  Build networking;
  networking.id = "networking";
  Enver e;
  e.rev = RevRef::Branch("main");
  e.stacks = {"networking", "networking-share-nat"};
  EXPECT_THAT(StackNames(networking, e),
              ElementsAre("networking--main", "networking-share-nat--main"));
  e.stacks = {"networking-share-nat", "networking"};  // order is the declared order
  EXPECT_THAT(StackNames(networking, e),
              ElementsAre("networking-share-nat--main", "networking--main"));
  e.rev = RevRef::Tag("v1.0.0");
  EXPECT_THAT(StackNames(networking, e),
              ElementsAre("networking-share-nat--t--v1-0-0", "networking--t--v1-0-0"));
}

TEST(StackNamesTest, ClonesDeriveFromTheirOwnRev) {
  Build b;
  b.id = "svcA";
  Enver e;
  e.stacks = {"svcA", "svcA-bdd"};
  e.rev = RevRef::CloneOf(RevRef::Branch("master"), RevType::kBranch, "feat1");
  EXPECT_THAT(StackNames(b, e), ElementsAre("svcA--feat1", "svcA-bdd--feat1"));
  e.rev = RevRef::CloneOf(RevRef::Branch("master"), RevType::kTag, "v9");
  EXPECT_THAT(StackNames(b, e),
              ElementsAre("svcA--b--master--t--v9", "svcA-bdd--b--master--t--v9"));
}

TEST(StackNamesTest, DerivedNamesListEveryStack) {
  Org org = TwoStackOrg();
  Result<EnverNames> names = DeriveEnverNames(org, org.builds[2], org.builds[2].envers[0]);
  ODMD_ASSERT_OK(names);
  EXPECT_EQ(names->stack_name, "orderSvc--main");
  EXPECT_THAT(names->stack_names, ElementsAre("orderSvc--main", "orderSvc-share-nat--main"));
}

TEST(ValidateStacksTest, DeclaredStacksPass) { EXPECT_THAT(Validate(TwoStackOrg()), IsEmpty()); }

struct BadBase {
  std::string base;
  std::string reason;
};

class StackBaseTest : public ::testing::TestWithParam<BadBase> {};

TEST_P(StackBaseTest, IllegalBaseIsReportedNamingTheEnverAndTheStack) {
  Org org = TwoStackOrg();
  org.builds[2].envers[0].stacks[1] = GetParam().base;
  EXPECT_THAT(Validate(org),
              ElementsAre(AllOf(IsViolation("R10", "/builds/2/envers/0/stacks/1", GetParam().base),
                                Field(&Violation::subject, "enver \"orderSvc/b..main\": stack \"" +
                                                               GetParam().base + "\""),
                                Field(&Violation::message, HasSubstr(GetParam().reason)))));
}

INSTANTIATE_TEST_SUITE_P(
    ValidateStacks, StackBaseTest,
    ::testing::Values(BadBase{"", "stack base name is empty"},
                      BadBase{"orderSvc nat", "character \" \" outside [A-Za-z0-9_-]"},
                      BadBase{"orderSvc/nat", "character \"/\""},
                      BadBase{"foundation",
                              "must be the build id \"orderSvc\" or start with "
                              "\"orderSvc-\""},
                      BadBase{"orderSvcX", "start with \"orderSvc-\""},
                      BadBase{"orderSvc-" + std::string(120, 'n'),
                              "characters; the limit is 128"}));

TEST(ValidateStacksTest, DuplicateStackIsReportedAtTheLaterOne) {
  Org org = TwoStackOrg();
  org.builds[2].envers[0].stacks = {"orderSvc", "orderSvc-nat", "orderSvc-nat"};
  EXPECT_THAT(Validate(org),
              ElementsAre(AllOf(
                  IsViolation("R10", "/builds/2/envers/0/stacks/2", "orderSvc-nat"),
                  Field(&Violation::subject, "enver \"orderSvc/b..main\": stack \"orderSvc-nat\""),
                  Field(&Violation::message,
                        "duplicate stack \"orderSvc-nat--main\" (first at "
                        "/builds/2/envers/0/stacks/1)"))));
}

TEST(ValidateStacksTest, BasesThatSanitizeAlikeAreDuplicates) {
  Org org = TwoStackOrg();
  org.builds[2].envers[0].stacks = {"orderSvc-a_b", "orderSvc-a-b"};
  EXPECT_THAT(OfRule(Validate(org), "R10"),
              ElementsAre(IsViolation("R10", "/builds/2/envers/0/stacks/1", "orderSvc-a-b")));
}

TEST(StacksManifestTest, RoundTripKeepsTheOrderAndDefaultIsOmitted) {
  Org org = TwoStackOrg();
  org.builds[2].envers[0].stacks = {"orderSvc-z", "orderSvc"};
  std::string text = WriteManifest(org);
  EXPECT_THAT(text, HasSubstr("\"overwriteWorkflow\": false,\n"
                              "          \"stacks\": [\n"
                              "            \"orderSvc-z\",\n"
                              "            \"orderSvc\"\n"
                              "          ],\n"));
  Result<Org> read = ReadManifest(text, nullptr);
  ODMD_ASSERT_OK(read);
  EXPECT_THAT(read->FindBuild("orderSvc")->envers[0].stacks, ElementsAre("orderSvc-z", "orderSvc"));
  EXPECT_EQ(WriteManifest(*read), text);
  // Builds without declared stacks write nothing new: old manifests keep their bytes.
  EXPECT_EQ(WriteManifest(ValidOrg()).find("\"stacks\""), std::string::npos);
}

TEST(StacksManifestTest, ExplicitDefaultIsCanonicallyAbsent) {
  Org explicit_default = ValidOrg();
  explicit_default.builds[2].envers[0].stacks = {"orderSvc"};
  EXPECT_EQ(WriteManifest(explicit_default), WriteManifest(ValidOrg()));
}

TEST(StacksManifestTest, WrongTypesAreM3WithTheirPath) {
  Org org = TwoStackOrg();
  std::string text = WriteManifest(org);
  std::string bad = text;
  bad.replace(bad.find("\"orderSvc-share-nat\""), 20, "7");
  std::vector<Violation> violations;
  EXPECT_THAT(ReadManifest(bad, &violations), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(violations, ElementsAre(IsViolation("M3", "/builds/2/envers/0/stacks/1", "7")));

  std::string not_array = text;
  size_t at = not_array.find("\"stacks\": [");
  not_array.replace(at, not_array.find(']', at) - at + 1, "\"stacks\": \"orderSvc\"");
  violations.clear();
  EXPECT_THAT(ReadManifest(not_array, &violations), Not(StatusIs(StatusCode::kOk)));
  EXPECT_THAT(violations, ElementsAre(IsViolation("M3", "/builds/2/envers/0/stacks", "orderSvc")));
}

TEST(StacksManifestTest, BadBaseInAManifestIsRefusedNamingEnverAndStack) {
  Org org = TwoStackOrg();
  org.builds[2].envers[0].stacks[1] = "foundation-nat";
  std::vector<Violation> violations;
  EXPECT_THAT(ReadManifest(WriteManifest(org), &violations),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("orderSvc/b..main"), HasSubstr("foundation-nat"))));
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].rule, "R10");
}

TEST(StacksContractsTest, SetterDeclaresTheStacksAndClonesInheritThem) {
  Contracts c("sandbox", "1.0.0");
  auto central = c.AddAccount("central", "111111111111");
  auto net_acct = c.AddAccount("networking", "222222222222");
  auto repo = c.AddRepo("acme", "repo", 1);
  c.AddBuild("contracts", BuildKind::kContracts, repo).Branch("main", central, "us-west-1");
  auto net = c.AddBuild("networking", BuildKind::kNetworking, repo);
  net.Branch("main", net_acct, "us-west-1").Stacks({"networking", "networking-share-nat"});
  EXPECT_THAT(c.Validate(), IsEmpty());
  Org org = c.Finish();
  EXPECT_THAT(org.FindBuild("networking")->envers[0].stacks,
              ElementsAre("networking", "networking-share-nat"));

  Result<DerivedClone> clone =
      DeriveClone(org, CloneRequest{"networking/b..main", "feat1", RevType::kBranch, 0});
  ODMD_ASSERT_OK(clone);
  EXPECT_THAT(clone->enver.stacks, ElementsAre("networking", "networking-share-nat"));
  EXPECT_THAT(clone->names.stack_names,
              ElementsAre("networking--feat1", "networking-share-nat--feat1"));
}

TEST(StacksCloneTest, ACloneStackBeyondTheLimitIsR10) {
  Org org = TwoStackOrg();
  org.builds[2].envers[0].stacks[1] = "orderSvc-" + std::string(110, 'n');
  ASSERT_THAT(Validate(org), IsEmpty());
  Result<DerivedClone> clone =
      DeriveClone(org, CloneRequest{"orderSvc/b..main", std::string(30, 'f'), RevType::kBranch, 0});
  EXPECT_THAT(clone, StatusIs(StatusCode::kInvalidArgument, HasSubstr("R10: stack name")));
}

}  // namespace
}  // namespace odmd::model
