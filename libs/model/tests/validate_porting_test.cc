// Moving an ondemandenv org over: R8's message says which consumer needs a placeholder and
// the manifest member to add; R13 keeps the original's rule that the networking build and the
// networking account are declared together or not at all; the example orgs still validate.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "odmd/model/manifest.h"
#include "odmd/model/validate.h"
#include "odmd/testing/testdata.h"
#include "validate_test_util.h"

namespace odmd::model {
namespace {

using fixtures::IsViolation;
using fixtures::MakeBuild;
using fixtures::MakeConsumer;
using fixtures::MakeEnver;
using fixtures::OfRule;
using fixtures::ValidOrg;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// ValidOrg with foundation/b..main consuming orderSvc's apiBaseUrl: the cycle
// foundation -> orderSvc -> foundation, as a ported org has it (no placeholder anywhere).
Org CycleOrg() {
  Org org = ValidOrg();
  org.builds[1].envers[0].consumers.push_back(
      MakeConsumer("api", "orderSvc/b..main", "apiBaseUrl"));
  return org;
}

// --- R8 when porting ---------------------------------------------------------------------

TEST(PortingR8Test, TheMessageNamesTheConsumerAndTheMemberToAddAtItsPath) {
  std::vector<Violation> found = Validate(CycleOrg());
  ASSERT_THAT(found, ElementsAre(IsViolation("R8", "/builds/1/envers/0/consumers/0",
                                             "foundation/b..main -> orderSvc/b..main -> "
                                             "foundation/b..main")));
  EXPECT_EQ(found[0].message,
            "cycle without placeholder: foundation/b..main -> orderSvc/b..main -> "
            "foundation/b..main; give consumer \"api\" of enver \"foundation/b..main\" a "
            "placeholder (the value it deploys with until \"orderSvc/b..main\" publishes "
            "\"apiBaseUrl\"): add \"placeholder\": \"\" to /builds/1/envers/0/consumers/0");
}

// Doing exactly what the message says, in the manifest text, makes the org valid.
TEST(PortingR8Test, AddingTheSuggestedMemberAtTheSuggestedPathBreaksTheCycle) {
  std::vector<Violation> violations;
  ASSERT_FALSE(ReadManifest(WriteManifest(CycleOrg()), &violations).ok());
  ASSERT_THAT(violations, ElementsAre(Field(&Violation::rule, "R8")));
  const std::string& message = violations[0].message;
  const std::string marker = "add \"placeholder\": \"\" to ";
  size_t at = message.find(marker);
  ASSERT_NE(at, std::string::npos) << message;
  std::string pointer = message.substr(at + marker.size());
  EXPECT_EQ(pointer, violations[0].path);

  nlohmann::json doc = nlohmann::json::parse(WriteManifest(CycleOrg()));
  doc.erase("digest");  // hand-edited: the digest no longer matches (M5)
  ASSERT_TRUE(doc.contains(nlohmann::json::json_pointer(pointer))) << pointer;
  doc[nlohmann::json::json_pointer(pointer)]["placeholder"] = "";
  violations.clear();
  Result<Org> fixed = ReadManifest(doc.dump(2), &violations);
  ASSERT_TRUE(fixed.ok()) << fixed.status().ToString();
  EXPECT_THAT(violations, IsEmpty());
}

TEST(PortingR8Test, ACycleOfThreeNamesItsFirstStepsConsumer) {
  Org org = ValidOrg();
  Build billing = MakeBuild("billing", BuildKind::kCdk);
  billing.envers.push_back(MakeEnver(RevRef::Branch("main"), "workspace1"));
  billing.envers[0].products.push_back({"invoiceTopic"});
  billing.envers[0].consumers.push_back(MakeConsumer("orders", "orderSvc/b..main", "apiBaseUrl"));
  org.builds.push_back(billing);
  org.builds[1].envers[0].consumers.push_back(
      MakeConsumer("invoices", "billing/b..main", "invoiceTopic"));
  EXPECT_THAT(OfRule(Validate(org), "R8"),
              ElementsAre(AllOf(
                  IsViolation("R8", "/builds/3/envers/0/consumers/0",
                              "billing/b..main -> orderSvc/b..main -> foundation/b..main -> "
                              "billing/b..main"),
                  Field(&Violation::message,
                        HasSubstr("give consumer \"orders\" of enver \"billing/b..main\" a "
                                  "placeholder (the value it deploys with until "
                                  "\"orderSvc/b..main\" publishes \"apiBaseUrl\"): add "
                                  "\"placeholder\": \"\" to /builds/3/envers/0/consumers/0")))));
}

// --- R13 ---------------------------------------------------------------------------------

Build NetworkingBuild(std::string account) {
  Build b = MakeBuild("networking", BuildKind::kNetworking);
  b.envers.push_back(MakeEnver(RevRef::Branch("main"), std::move(account)));
  b.envers[0].products.push_back({"vpcId"});
  return b;
}

TEST(ValidateR13Test, TheNetworkingBuildAndAccountTogetherAreValid) {
  Org org = ValidOrg();
  org.accounts.push_back({std::string(kNetworkingAccount), "222222222222"});
  org.builds.push_back(NetworkingBuild("networking"));
  EXPECT_THAT(Validate(org), IsEmpty());
}

TEST(ValidateR13Test, ANetworkingBuildWithoutTheNetworkingAccountIsReportedAtItsKind) {
  Org org = ValidOrg();
  org.builds.push_back(NetworkingBuild("workspace1"));
  EXPECT_THAT(Validate(org),
              ElementsAre(AllOf(
                  IsViolation("R13", "/builds/3/kind", "networking"),
                  Field(&Violation::subject, "build \"networking\""),
                  Field(&Violation::message,
                        "a build of kind \"networking\" needs the account \"networking\", which is "
                        "not declared: add {\"name\": \"networking\", \"id\": \"<12 digits>\"} to "
                        "/accounts (the networking build and the networking account are declared "
                        "together or not at all)"))));
}

TEST(ValidateR13Test, TheNetworkingAccountWithoutANetworkingBuildIsReportedAtItsName) {
  Org org = ValidOrg();
  org.accounts.push_back({std::string(kNetworkingAccount), "222222222222"});
  EXPECT_THAT(Validate(org),
              ElementsAre(AllOf(
                  IsViolation("R13", "/accounts/2/name", "networking"),
                  Field(&Violation::subject, "account \"networking\""),
                  Field(&Violation::message,
                        HasSubstr("account \"networking\" is declared but no build is of kind "
                                  "\"networking\": add the networking build to /builds or remove "
                                  "the account")))));
}

// A build merely named "networking" is not the networking build: its kind decides.
TEST(ValidateR13Test, ABuildNamedNetworkingOfAnotherKindNeedsNoAccount) {
  Org org = ValidOrg();
  Build named = NetworkingBuild("workspace1");
  named.kind = BuildKind::kCdk;
  org.builds.push_back(named);
  EXPECT_THAT(Validate(org), IsEmpty());
}

TEST(ValidateR13Test, EveryNetworkingBuildWithoutTheAccountIsReported) {
  Org org = ValidOrg();
  org.builds.push_back(NetworkingBuild("workspace1"));
  Build second = NetworkingBuild("workspace1");
  second.id = "networking2";
  org.builds.push_back(second);
  EXPECT_THAT(OfRule(Validate(org), "R13"),
              ElementsAre(IsViolation("R13", "/builds/3/kind", "networking"),
                          IsViolation("R13", "/builds/4/kind", "networking")));
}

// The example orgs shipped in the tree keep validating (the sandbox declares both, the
// others neither).
TEST(ValidateR13Test, TheExampleOrgsValidate) {
  for (const char* path :
       {"examples/sandbox/manifest.golden.json", "examples/platform/contracts/manifest.json",
        "examples/aws/contracts/manifest.json"}) {
    std::string text = testing::ReadFileOrFail(testing::SourcePath(path));
    ASSERT_FALSE(text.empty()) << path;
    std::vector<Violation> violations;
    Result<Org> org = ReadManifest(text, &violations);
    EXPECT_TRUE(org.ok()) << path << ": " << org.status().ToString();
  }
}

}  // namespace
}  // namespace odmd::model
