// Validate() as a whole: the rule table, ordering, reporting everything at once. The rules
// themselves are tested per group in validate_{names,deps,org}_test.cc.

#include "odmd/model/validate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "odmd/model/contracts.h"
#include "odmd/model/graph.h"
#include "validate_test_util.h"

namespace odmd::model {
namespace {

using fixtures::IsViolation;
using fixtures::MakeBuild;
using fixtures::ValidOrg;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(ValidateTest, ValidOrgHasNoViolations) { EXPECT_THAT(Validate(ValidOrg()), IsEmpty()); }

TEST(ValidateTest, RuleTableListsR1ToR13InOrder) {
  std::vector<std::string> ids;
  for (const Rule& rule : Rules()) {
    ids.emplace_back(rule.id);
    EXPECT_FALSE(rule.summary.empty()) << rule.id;
    EXPECT_NE(rule.check, nullptr) << rule.id;
  }
  EXPECT_THAT(ids, ElementsAre("R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "R10", "R11",
                               "R12", "R13", "R14"));
}

TEST(ValidateTest, ReportsEveryViolationAtOnceInRuleThenPathOrder) {
  Org org = ValidOrg();
  org.builds[1].envers[1].account = "nobody";                // R11
  org.builds[2].envers[0].consumers[0].product = "missing";  // R4
  org.builds[2].id = "order svc";                            // R1
  org.accounts[0].id = "1";                                  // R11, sorts before the enver

  EXPECT_THAT(Validate(org),
              ElementsAre(IsViolation("R1", "/builds/2/id", "order svc"),
                          IsViolation("R4", "/builds/2/envers/0/consumers/0/product", "missing"),
                          IsViolation("R11", "/accounts/0/id", "1"),
                          IsViolation("R11", "/builds/1/envers/1/account", "nobody")));
}

TEST(ValidateTest, PathsAreOrderedNumericallyNotAsText) {
  Org org = ValidOrg();
  for (int i = 3; i <= 11; ++i)
    org.builds.push_back(MakeBuild("b" + std::to_string(i), BuildKind::kCmd));

  std::vector<Violation> found = Validate(org);

  ASSERT_EQ(found.size(), 9u);
  EXPECT_EQ(found[0].path, "/builds/3/envers");
  EXPECT_EQ(found[6].path, "/builds/9/envers");
  EXPECT_EQ(found[7].path, "/builds/10/envers");
  EXPECT_EQ(found[8].path, "/builds/11/envers");
}

TEST(ValidateTest, SubjectNamesTheOffendingIds) {
  Org org = ValidOrg();
  org.builds[2].envers[0].consumers[0].product = "missing";

  std::vector<Violation> found = Validate(org);

  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].subject, "enver \"orderSvc/b..main\": consumer \"bus\"");
  EXPECT_EQ(found[0].ToString(),
            "R4 /builds/2/envers/0/consumers/0/product: enver \"orderSvc/b..main\": consumer "
            "\"bus\": names unknown product \"missing\" of enver \"foundation/b..main\"");
}

TEST(ValidateTest, ReusingAGraphGivesTheSameAnswer) {
  Org org = ValidOrg();
  org.builds[2].envers[0].consumers[0].producer = "foundation/b..dev";
  org.builds.push_back(MakeBuild("empty", BuildKind::kCmd));
  Graph graph(org);

  EXPECT_EQ(Validate(org, graph), Validate(org));
  EXPECT_EQ(Validate(org).size(), 2u);
}

TEST(ValidateTest, MessagesAreLowercaseWithoutFullStop) {
  Org org = ValidOrg();
  org.builds[2].id = "config";
  org.builds[2].envers[0].consumers[0].producer = "nope";
  org.central_account = "centrl";
  org.builds.push_back(MakeBuild("empty", BuildKind::kCmd));

  std::vector<Violation> found = Validate(org);

  ASSERT_GE(found.size(), 4u);
  for (const Violation& v : found) {
    ASSERT_FALSE(v.message.empty());
    EXPECT_TRUE(v.message[0] < 'A' || v.message[0] > 'Z') << v.message;
    EXPECT_NE(v.message.back(), '.') << v.message;
  }
}

TEST(ValidateTest, ContractsValidateRunsTheSameRules) {
  Contracts c("sandbox", "1.0.0");
  auto central = c.AddAccount("central", "111111111111");
  auto repo = c.AddRepo("acme", "svc", 1);
  c.AddBuild("svc", BuildKind::kCmd, repo).Branch("main", central, "us-west-1");

  // No contracts build: R7, and the region has no contracts enver: R11.
  EXPECT_THAT(c.Validate(),
              ElementsAre(Field(&Violation::rule, "R7"), Field(&Violation::rule, "R11")));
}

}  // namespace
}  // namespace odmd::model
