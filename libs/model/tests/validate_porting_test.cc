// Moving an ondemandenv org over: R8's message says which consumer needs a placeholder and
// the manifest member to add.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "odmd/model/manifest.h"
#include "odmd/model/validate.h"
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

}  // namespace
}  // namespace odmd::model
