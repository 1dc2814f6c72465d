#include "odmd/model/diff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "graph_test_util.h"

namespace odmd::model {
namespace {

using graph_test::OrgFromText;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// "<kind> <object> <id>[: <detail>]".
std::vector<std::string> ChangeTexts(const ManifestDiff& diff) {
  std::vector<std::string> out;
  for (const Change& c : diff.changes) {
    std::string text = std::string(ChangeKindName(c.kind)) + " " + c.object + " " + c.id;
    if (!c.detail.empty()) text += ": " + c.detail;
    out.push_back(text);
  }
  return out;
}

// "<depth> <enver>[ via <product> as <consumer>]".
std::vector<std::string> ImpactTexts(const std::vector<ImpactedEnver>& impact) {
  std::vector<std::string> out;
  for (const ImpactedEnver& e : impact) {
    std::string text = std::to_string(e.depth) + " " + e.enver_id;
    if (!e.via_product.empty()) text += " via " + e.via_product + " as " + e.via_consumer;
    out.push_back(text);
  }
  return out;
}

constexpr const char* kBefore = R"(
  base/b..main  +vpc  +zone
  svc/b..main   +api  vpc=base/b..main/vpc  zone=base/b..main/zone?none
  web/b..main   +api  api=svc/b..main/api
  edge/b..main  web=web/b..main/api
)";

TEST(DiffTest, IdenticalOrgsHaveNoChanges) {
  Org a = OrgFromText(kBefore), b = OrgFromText(kBefore);
  ManifestDiff diff = DiffOrgs(a, b);
  EXPECT_TRUE(diff.empty());
  EXPECT_THAT(DiffImpact(a, b, diff), IsEmpty());
  Org empty;
  EXPECT_TRUE(DiffOrgs(empty, empty).empty());
}

TEST(DiffTest, OrgAndAccountChanges) {
  Org a = OrgFromText(kBefore), b = OrgFromText(kBefore);
  b.version = "1.1.0";
  b.central_account = "ws";
  b.accounts[0].id = "999999999999";  // central
  b.accounts.push_back({"extra", "444444444444"});
  a.accounts.push_back({"old", "555555555555"});
  EXPECT_THAT(ChangeTexts(DiffOrgs(a, b)),
              ElementsAre("changed org test: version \"1.0.0\" -> \"1.1.0\", "
                          "centralAccount \"central\" -> \"ws\"",
                          "changed account central: id \"111111111111\" -> \"999999999999\"",
                          "added account extra", "removed account old"));
}

TEST(DiffTest, BuildAndEnverFieldChangesListOldAndNew) {
  Org a = OrgFromText(kBefore), b = OrgFromText(kBefore);
  Build& build = *b.FindBuild("svc");
  build.kind = BuildKind::kCmd;
  build.repo.owner = "other";
  build.repo.installation_id = 9;
  Enver& e = build.envers[0];
  e.account = "central";
  e.region = "eu-west-1";
  e.build_script = "run.sh";
  e.work_dir = "svc";
  e.ephemeral = false;
  e.clone_limit = 5;
  e.overwrite_workflow = true;
  EXPECT_THAT(ChangeTexts(DiffOrgs(a, b)),
              ElementsAre("changed build svc: kind \"cdk\" -> \"cmd\", repo \"acme/svc\" -> "
                          "\"other/svc\", installationId 1 -> 9",
                          "changed enver svc/b..main: account \"ws\" -> \"central\", region "
                          "\"us-west-1\" -> \"eu-west-1\", buildScript \".scripts/build.sh\" -> "
                          "\"run.sh\", workDir \"\" -> \"svc\", ephemeral true -> false, "
                          "cloneLimit 20 -> 5, overwriteWorkflow false -> true"));
}

TEST(DiffTest, ProductAndConsumerChanges) {
  Org a = OrgFromText(kBefore);
  Org b = OrgFromText(R"(
    base/b..main  +vpc  +zone  +cidr
    svc/b..main   +api  vpc=base/b..main/vpc?none!notify  zone=base/b..main/zone
    web/b..main   +api  api=svc/b..main/api  cidr=base/b..main/cidr
    edge/b..main
  )");
  EXPECT_THAT(ChangeTexts(DiffOrgs(a, b)),
              ElementsAre("added product base/b..main/cidr", "removed consumer edge/b..main/web",
                          "changed consumer svc/b..main/vpc: placeholder none -> \"none\", "
                          "reaction \"redeploy\" -> \"notify\"",
                          "changed consumer svc/b..main/zone: placeholder \"none\" -> none",
                          "added consumer web/b..main/cidr"));
}

TEST(DiffTest, ConsumerRetargetedShowsProducerAndProduct) {
  Org a = OrgFromText(kBefore);
  Org b = OrgFromText(R"(
    base/b..main  +vpc  +zone
    svc/b..main   +api  vpc=base/b..main/zone  zone=base/b..main/zone?none
    web/b..main   +api  api=base/b..main/vpc
    edge/b..main  web=web/b..main/api
  )");
  EXPECT_THAT(ChangeTexts(DiffOrgs(a, b)),
              ElementsAre("changed consumer svc/b..main/vpc: product \"vpc\" -> \"zone\"",
                          "changed consumer web/b..main/api: producer \"svc/b..main\" -> "
                          "\"base/b..main\", product \"api\" -> \"vpc\""));
}

TEST(DiffTest, AddedAndRemovedBuildsListEverythingTheyHold) {
  Org a = OrgFromText(kBefore);
  Org b = OrgFromText(std::string(kBefore) + "new/b..main +p in=svc/b..main/api\n");
  EXPECT_THAT(ChangeTexts(DiffOrgs(a, b)),
              ElementsAre("added build new", "added enver new/b..main",
                          "added product new/b..main/p", "added consumer new/b..main/in"));
  EXPECT_THAT(ChangeTexts(DiffOrgs(b, a)),
              ElementsAre("removed build new", "removed enver new/b..main",
                          "removed product new/b..main/p", "removed consumer new/b..main/in"));
}

TEST(DiffTest, RenamedRevIsRemovalPlusAddition) {
  Org a = OrgFromText("x/b..main +p");
  Org b = OrgFromText("x/b..dev +p");
  EXPECT_THAT(ChangeTexts(DiffOrgs(a, b)),
              ElementsAre("added enver x/b..dev", "removed enver x/b..main",
                          "added product x/b..dev/p", "removed product x/b..main/p"));
}

TEST(DiffTest, DuplicateIdsCompareTheirFirstOccurrence) {
  Org a = OrgFromText("x/b..main +p\nx/b..main +q");
  Org b = OrgFromText("x/b..main +p");
  b.FindBuild("x")->envers.push_back(b.FindBuild("x")->envers[0]);
  b.FindBuild("x")->envers[1].region = "eu-west-1";
  EXPECT_TRUE(DiffOrgs(a, b).empty());
}

TEST(DiffTest, ChangeKindNames) {
  EXPECT_EQ(ChangeKindName(ChangeKind::kAdded), "added");
  EXPECT_EQ(ChangeKindName(ChangeKind::kRemoved), "removed");
  EXPECT_EQ(ChangeKindName(ChangeKind::kChanged), "changed");
}

TEST(DiffImpactTest, ChangedEnverAndItsTransitiveConsumers) {
  Org a = OrgFromText(kBefore), b = OrgFromText(kBefore);
  b.FindBuild("svc")->envers[0].region = "eu-west-1";
  EXPECT_THAT(ImpactTexts(DiffImpact(a, b, DiffOrgs(a, b))),
              ElementsAre("0 svc/b..main", "1 web/b..main via svc/b..main/api as api",
                          "2 edge/b..main via web/b..main/api as web"));
}

TEST(DiffImpactTest, AddedEnverIsDepthZero) {
  Org a = OrgFromText(kBefore);
  Org b = OrgFromText(std::string(kBefore) + "new/b..main +p\n");
  EXPECT_THAT(ImpactTexts(DiffImpact(a, b, DiffOrgs(a, b))), ElementsAre("0 new/b..main"));
}

TEST(DiffImpactTest, ConsumerChangesImpactTheirOwners) {
  Org a = OrgFromText(kBefore);
  Org b = OrgFromText(R"(
    base/b..main  +vpc  +zone
    svc/b..main   +api  vpc=base/b..main/vpc!ignore  zone=base/b..main/zone?none
    web/b..main   +api  api=svc/b..main/api  zone=base/b..main/zone
    edge/b..main
  )");
  // svc (changed consumer), web (added consumer), edge (removed consumer).
  EXPECT_THAT(ImpactTexts(DiffImpact(a, b, DiffOrgs(a, b))),
              ElementsAre("0 edge/b..main", "0 svc/b..main", "0 web/b..main"));
}

TEST(DiffImpactTest, RemovedProductImpactsItsFormerConsumers) {
  Org a = OrgFromText(kBefore);
  Org b = OrgFromText(kBefore);
  b.FindBuild("svc")->envers[0].products.clear();
  // web's consumer of the removed product is still declared; edge consumes web.
  EXPECT_THAT(ImpactTexts(DiffImpact(a, b, DiffOrgs(a, b))),
              ElementsAre("1 web/b..main via svc/b..main/api as api",
                          "2 edge/b..main via web/b..main/api as web"));
}

TEST(DiffImpactTest, RemovedEnverImpactsConsumersDeclaredBefore) {
  Org a = OrgFromText(kBefore);
  Org b = OrgFromText(R"(
    base/b..main  +vpc  +zone
    web/b..main
    edge/b..main  web=web/b..main/api
  )");
  // web dropped its consumer of svc (depth 0) and its product api, whose consumer edge is
  // impacted as declared before.
  EXPECT_THAT(ImpactTexts(DiffImpact(a, b, DiffOrgs(a, b))),
              ElementsAre("0 web/b..main", "1 edge/b..main via web/b..main/api as web"));

  Org c = OrgFromText(R"(
    base/b..main  +vpc  +zone
    web/b..main   +api  api=svc/b..main/api
    edge/b..main  web=web/b..main/api
  )");
  // Here web still declares its (now dangling) consumer: depth 1 from before's graph, and
  // edge follows in after's graph.
  EXPECT_THAT(ImpactTexts(DiffImpact(a, c, DiffOrgs(a, c))),
              ElementsAre("1 web/b..main via svc/b..main/api as api",
                          "2 edge/b..main via web/b..main/api as web"));
}

TEST(DiffImpactTest, EachEnverOnceAtItsSmallestDepth) {
  Org a = OrgFromText(kBefore), b = OrgFromText(kBefore);
  b.FindBuild("base")->envers[0].clone_limit = 1;  // base changed
  b.FindBuild("web")->envers[0].work_dir = "w";    // web changed too
  EXPECT_THAT(
      ImpactTexts(DiffImpact(a, b, DiffOrgs(a, b))),
      ElementsAre("0 base/b..main", "0 web/b..main", "1 edge/b..main via web/b..main/api as web",
                  "1 svc/b..main via base/b..main/vpc as vpc"));
}

TEST(DiffImpactTest, ImpactedEnversCarryTagAndCloneFlags) {
  Org a = OrgFromText("base/t..v1 +x\nc/b..main-_t..v2 in=base/t..v1/x");
  Org b = OrgFromText("base/t..v1 +x\nc/b..main-_t..v2 in=base/t..v1/x");
  b.builds[0].envers[0].region = "eu-west-1";
  std::vector<ImpactedEnver> impact = DiffImpact(a, b, DiffOrgs(a, b));
  ASSERT_EQ(impact.size(), 2u);
  EXPECT_TRUE(impact[0].is_tag);
  EXPECT_FALSE(impact[0].is_clone);
  EXPECT_TRUE(impact[1].is_tag);
  EXPECT_TRUE(impact[1].is_clone);
  EXPECT_EQ(impact[1].reaction, Reaction::kRedeploy);
}

}  // namespace
}  // namespace odmd::model
