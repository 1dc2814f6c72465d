// Rules about the org as a whole: R7 singletons, R9 clones, R11 accounts and regions, R12
// builds without envers.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "odmd/model/validate.h"
#include "validate_test_util.h"

namespace odmd::model {
namespace {

using fixtures::IsViolation;
using fixtures::MakeBuild;
using fixtures::MakeEnver;
using fixtures::OfRule;
using fixtures::ValidOrg;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

Build SingletonBuild(std::string id, BuildKind kind) {
  Build b = MakeBuild(std::move(id), kind);
  b.envers.push_back(MakeEnver(RevRef::Branch("main"), "central"));
  return b;
}

RevRef CloneOfMain(std::string value) {
  return RevRef::CloneOf(RevRef::Branch("main"), RevType::kBranch, std::move(value));
}

// --- R7 ---------------------------------------------------------------------------------

TEST(ValidateR7Test, MissingContractsBuildIsReported) {
  Org org = ValidOrg();
  org.builds.erase(org.builds.begin());

  EXPECT_THAT(OfRule(Validate(org), "R7"),
              ElementsAre(AllOf(IsViolation("R7", "/builds", ""),
                                Field(&Violation::subject, "org \"sandbox\""),
                                Field(&Violation::message,
                                      "no build of kind \"contracts\"; exactly one is "
                                      "required"))));
}

TEST(ValidateR7Test, SecondContractsBuildIsReported) {
  Org org = ValidOrg();
  org.builds.push_back(SingletonBuild("contracts2", BuildKind::kContracts));

  EXPECT_THAT(Validate(org), ElementsAre(AllOf(IsViolation("R7", "/builds/3/kind", "contracts"),
                                               Field(&Violation::message,
                                                     "second build of kind \"contracts\" (first is "
                                                     "\"contracts\"); it is a singleton"))));
}

TEST(ValidateR7Test, OneUserAuthBuildWithOneEnverPasses) {
  Org org = ValidOrg();
  org.builds.push_back(SingletonBuild("auth", BuildKind::kUserAuth));
  EXPECT_THAT(Validate(org), IsEmpty());
}

TEST(ValidateR7Test, SecondUserAuthBuildIsReported) {
  Org org = ValidOrg();
  org.builds.push_back(SingletonBuild("auth", BuildKind::kUserAuth));
  org.builds.push_back(SingletonBuild("auth2", BuildKind::kUserAuth));

  EXPECT_THAT(Validate(org), ElementsAre(IsViolation("R7", "/builds/4/kind", "user-auth")));
}

TEST(ValidateR7Test, UserAuthBuildWithTwoEnversIsReported) {
  Org org = ValidOrg();
  org.builds.push_back(SingletonBuild("auth", BuildKind::kUserAuth));
  org.builds[3].envers.push_back(MakeEnver(RevRef::Branch("dev"), "central"));

  EXPECT_THAT(Validate(org),
              ElementsAre(AllOf(IsViolation("R7", "/builds/3/envers/1", "b..dev"),
                                Field(&Violation::message, HasSubstr("exactly one enver")))));
}

TEST(ValidateR7Test, SecondContractsEnverInARegionIsReported) {
  Org org = ValidOrg();
  org.builds[0].envers.push_back(MakeEnver(RevRef::Branch("dev"), "central"));

  EXPECT_THAT(Validate(org),
              ElementsAre(AllOf(IsViolation("R7", "/builds/0/envers/1/region", "us-west-1"),
                                Field(&Violation::message,
                                      "second contracts enver in region \"us-west-1\" (first "
                                      "is \"contracts/b..main\")"))));
}

TEST(ValidateR7Test, OneContractsEnverPerRegionPasses) {
  Org org = ValidOrg();
  org.builds[0].envers.push_back(MakeEnver(RevRef::Branch("east"), "central", "us-east-1"));
  EXPECT_THAT(Validate(org), IsEmpty());
}

TEST(ValidateR7Test, SingletonEnversAreNeverCloned) {
  Org org = ValidOrg();
  org.builds[0].envers.push_back(MakeEnver(CloneOfMain("feat"), "central", "us-east-1"));
  org.builds.push_back(SingletonBuild("auth", BuildKind::kUserAuth));
  org.builds[3].envers[0].rev = CloneOfMain("feat");

  EXPECT_THAT(
      OfRule(Validate(org), "R7"),
      ElementsAre(AllOf(IsViolation("R7", "/builds/0/envers/1/rev", "b..main-_b..feat"),
                        Field(&Violation::message, "a contracts enver may never be cloned")),
                  AllOf(IsViolation("R7", "/builds/3/envers/0/rev", "b..main-_b..feat"),
                        Field(&Violation::message, "a user-auth enver may never be cloned"))));
}

// --- R9 ---------------------------------------------------------------------------------

TEST(ValidateR9Test, CloneBesideItsOriginPasses) {
  Org org = ValidOrg();
  Enver clone = org.builds[2].envers[0];
  clone.rev = CloneOfMain("feat1");
  org.builds[2].envers.push_back(clone);
  EXPECT_THAT(Validate(org), IsEmpty());
}

TEST(ValidateR9Test, CloneWithoutItsOriginIsReported) {
  Org org = ValidOrg();
  org.builds[2].envers.push_back(
      MakeEnver(RevRef::CloneOf(RevRef::Branch("dev"), RevType::kBranch, "feat1"), "workspace1"));

  EXPECT_THAT(Validate(org),
              ElementsAre(AllOf(IsViolation("R9", "/builds/2/envers/1/rev", "b..dev-_b..feat1"),
                                Field(&Violation::message,
                                      "origin \"b..dev\" is not a static enver of build "
                                      "\"orderSvc\""))));
}

TEST(ValidateR9Test, CloneInAnotherAccountOrRegionIsReported) {
  Org org = ValidOrg();
  org.builds[2].envers.push_back(MakeEnver(CloneOfMain("feat1"), "central", "us-east-1"));

  EXPECT_THAT(OfRule(Validate(org), "R9"),
              ElementsAre(AllOf(IsViolation("R9", "/builds/2/envers/1/account", "central"),
                                Field(&Violation::message,
                                      "clone account \"central\" differs from origin \"b..main\"'s "
                                      "\"workspace1\"")),
                          IsViolation("R9", "/builds/2/envers/1/region", "us-east-1")));
}

TEST(ValidateR9Test, CloneEqualToItsOriginIsReported) {
  Org org = ValidOrg();
  org.builds[2].envers.push_back(MakeEnver(CloneOfMain("main"), "workspace1"));

  EXPECT_THAT(Validate(org),
              ElementsAre(AllOf(
                  IsViolation("R9", "/builds/2/envers/1/rev", "b..main-_b..main"),
                  Field(&Violation::message, "a clone must differ from its origin \"b..main\""))));
}

TEST(ValidateR9Test, ClonesBeyondTheOriginsLimitAreReported) {
  Org org = ValidOrg();
  org.builds[2].envers[0].clone_limit = 1;
  org.builds[2].envers.push_back(MakeEnver(CloneOfMain("a"), "workspace1"));
  org.builds[2].envers.push_back(MakeEnver(CloneOfMain("b"), "workspace1"));

  EXPECT_THAT(Validate(org),
              ElementsAre(AllOf(IsViolation("R9", "/builds/2/envers/2/rev", "b..main-_b..b"),
                                Field(&Violation::message,
                                      "origin \"b..main\" allows 1 clones; this is clone 2"))));

  org.builds[2].envers[0].clone_limit = 0;
  EXPECT_THAT(Validate(org),
              ElementsAre(IsViolation("R9", "/builds/2/envers/1/rev", "b..main-_b..a"),
                          IsViolation("R9", "/builds/2/envers/2/rev", "b..main-_b..b")));
}

TEST(ValidateR9Test, NegativeCloneLimitIsReported) {
  Org org = ValidOrg();
  org.builds[1].envers[1].clone_limit = -1;

  EXPECT_THAT(Validate(org),
              ElementsAre(AllOf(IsViolation("R9", "/builds/1/envers/1/cloneLimit", "-1"),
                                Field(&Violation::message, "clone limit -1 is negative"))));
}

// --- R11 --------------------------------------------------------------------------------

class AccountIdTest : public ::testing::TestWithParam<std::string> {};

TEST_P(AccountIdTest, IdThatIsNotTwelveDigitsIsReported) {
  Org org = ValidOrg();
  org.accounts[1].id = GetParam();

  EXPECT_THAT(Validate(org),
              ElementsAre(AllOf(IsViolation("R11", "/accounts/1/id", GetParam()),
                                Field(&Violation::subject, "account \"workspace1\""),
                                Field(&Violation::message, HasSubstr("exactly 12 digits")))));
}

INSTANTIATE_TEST_SUITE_P(ValidateR11, AccountIdTest,
                         ::testing::Values("", "12345678901", "1234567890123", "12345678901a",
                                           " 12345678901", "１２３"));

TEST(ValidateR11Test, DuplicateAccountNameIsReported) {
  Org org = ValidOrg();
  org.accounts.push_back({"central", "222222222222"});

  EXPECT_THAT(Validate(org), ElementsAre(AllOf(IsViolation("R11", "/accounts/2/name", "central"),
                                               Field(&Violation::message,
                                                     "duplicate account name \"central\" (first at "
                                                     "/accounts/0)"))));
}

TEST(ValidateR11Test, UnknownEnverAccountIsReportedWithASuggestion) {
  Org org = ValidOrg();
  org.builds[2].envers[0].account = "workspace2";

  EXPECT_THAT(Validate(org),
              ElementsAre(AllOf(IsViolation("R11", "/builds/2/envers/0/account", "workspace2"),
                                Field(&Violation::message,
                                      "names unknown account \"workspace2\"; did you mean "
                                      "\"workspace1\""))));
}

TEST(ValidateR11Test, UndeclaredCentralAccountIsReported) {
  Org org = ValidOrg();
  org.central_account = "centrl";

  EXPECT_THAT(Validate(org),
              ElementsAre(AllOf(IsViolation("R11", "/centralAccount", "centrl"),
                                Field(&Violation::message,
                                      "central account \"centrl\" is not declared; did you "
                                      "mean \"central\""))));
}

TEST(ValidateR11Test, RegionWithoutContractsEnverIsReportedOnce) {
  Org org = ValidOrg();
  org.builds[1].envers[1].region = "eu-west-1";
  org.builds[2].envers.push_back(MakeEnver(RevRef::Branch("eu"), "workspace1", "eu-west-1"));

  EXPECT_THAT(Validate(org),
              ElementsAre(AllOf(IsViolation("R11", "/builds/1/envers/1/region", "eu-west-1"),
                                Field(&Violation::message,
                                      "region \"eu-west-1\" hosts envers but has no contracts "
                                      "enver"))));
}

// Neighbouring envers mostly share an account and a region, and each is looked up only when
// it changes: an unknown account is still reported on every enver naming it, a known one
// between them hides nothing, and each region without a contracts enver is reported once.
TEST(ValidateR11Test, AccountsAndRegionsAreJudgedPerEnverWhenNeighboursRepeatThem) {
  Org org = ValidOrg();
  Build& build = org.builds.emplace_back(MakeBuild("mixed", BuildKind::kCdk));
  build.envers.push_back(MakeEnver(RevRef::Branch("a"), "nope", "eu-west-1"));
  build.envers.push_back(MakeEnver(RevRef::Branch("b"), "nope", "eu-west-1"));
  build.envers.push_back(MakeEnver(RevRef::Branch("c"), "workspace1", "us-west-1"));
  build.envers.push_back(MakeEnver(RevRef::Branch("d"), "nope", "eu-west-2"));
  build.envers.push_back(MakeEnver(RevRef::Branch("e"), "workspace1", "eu-west-1"));

  std::vector<std::string> found;
  for (const Violation& v : OfRule(Validate(org), "R11")) found.push_back(v.path + " " + v.value);
  EXPECT_THAT(found,
              ElementsAre("/builds/3/envers/0/account nope", "/builds/3/envers/0/region eu-west-1",
                          "/builds/3/envers/1/account nope", "/builds/3/envers/3/account nope",
                          "/builds/3/envers/3/region eu-west-2"));
}

// --- R12 --------------------------------------------------------------------------------

TEST(ValidateR12Test, BuildWithoutEnversIsReported) {
  Org org = ValidOrg();
  org.builds.push_back(MakeBuild("lonely", BuildKind::kCmd));

  EXPECT_THAT(
      Validate(org),
      ElementsAre(AllOf(IsViolation("R12", "/builds/3/envers", ""),
                        Field(&Violation::subject, "build \"lonely\""),
                        Field(&Violation::message, "build \"lonely\" declares no envers"))));
}

TEST(ValidateR12Test, EmptyUserAuthBuildIsR12NotR7) {
  Org org = ValidOrg();
  org.builds.push_back(MakeBuild("auth", BuildKind::kUserAuth));
  EXPECT_THAT(Validate(org), ElementsAre(IsViolation("R12", "/builds/3/envers", "")));
}

}  // namespace
}  // namespace odmd::model
