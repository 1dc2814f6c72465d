#include "odmd/model/plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "graph_test_util.h"

namespace odmd::model {
namespace {

using graph_test::OrgFromText;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// "<wave> <kind> <enver>[ [placeholder,...]]".
std::vector<std::string> StepTexts(const Plan& plan) {
  std::vector<std::string> out;
  for (const PlanStep& s : plan.steps) {
    std::string text =
        std::to_string(s.wave) + " " + std::string(StepKindName(s.kind)) + " " + s.enver_id;
    if (!s.placeholders.empty()) {
      text += " [";
      for (size_t i = 0; i < s.placeholders.size(); ++i) {
        text += (i > 0 ? "," : "") + s.placeholders[i];
      }
      text += "]";
    }
    out.push_back(text);
  }
  return out;
}

const PlanStep* FindStep(const Plan& plan, std::string_view enver, StepKind kind) {
  for (const PlanStep& s : plan.steps) {
    if (s.enver_id == enver && s.kind == kind) return &s;
  }
  return nullptr;
}

// The explanation of the step of `enver` of `kind`, or "no such step".
std::string Why(const Graph& g, const Plan& plan, std::string_view enver, StepKind kind) {
  const PlanStep* step = FindStep(plan, enver, kind);
  return step == nullptr ? "no such step" : PlanExplainer(g, plan).Explain(*step);
}

// The brief's example: networking provides a hosted zone and consumes central logging with a
// placeholder; logging consumes the hosted zone.
constexpr const char* kNetworkingLogging = R"(
  networking/b..main      +hostedZoneId  logBucket=central-logging/b..main/logBucketArn?none
  central-logging/b..main +logBucketArn  zone=networking/b..main/hostedZoneId
)";

struct PlanCase {
  const char* name;
  const char* org;
  std::vector<std::string> steps;
  std::vector<std::string> unconverged;
};

TEST(PlanTest, WavesForTypicalShapes) {
  for (const PlanCase& c : std::vector<PlanCase>{
           {"empty org", "", {}, {}},
           {"chain",
            R"(
              c/b..main  in=b/b..main/x
              b/b..main  +x  in=a/b..main/x
              a/b..main  +x
            )",
            {"1 deploy a/b..main", "2 deploy b/b..main", "3 deploy c/b..main"},
            {}},
           {"diamond",
            R"(
              top/b..main    l=left/b..main/x  r=right/b..main/x
              right/b..main  +x  in=base/b..main/x
              left/b..main   +x  in=base/b..main/x
              base/b..main   +x
              lone/b..main   +x
            )",
            {"1 deploy base/b..main", "1 deploy lone/b..main", "2 deploy left/b..main",
             "2 deploy right/b..main", "3 deploy top/b..main"},
            {}},
           {"networking and logging",
            kNetworkingLogging,
            {"1 deploy-with-placeholders networking/b..main [logBucket]",
             "2 deploy central-logging/b..main", "3 redeploy networking/b..main"},
            {}},
           {"three-cycle",
            R"(
              a/b..main  +x  in=b/b..main/x?p
              b/b..main  +x  in=c/b..main/x
              c/b..main  +x  in=a/b..main/x
            )",
            {"1 deploy-with-placeholders a/b..main [in]", "2 deploy c/b..main",
             "3 deploy b/b..main", "4 redeploy a/b..main"},
            {}},
           {"cycle of placeholders only: both first, both again",
            R"(
              a/b..main  +x  in=b/b..main/x?p
              b/b..main  +x  in=a/b..main/x?q
            )",
            {"1 deploy-with-placeholders a/b..main [in]",
             "1 deploy-with-placeholders b/b..main [in]", "2 redeploy a/b..main",
             "2 redeploy b/b..main"},
            {}},
           {"placeholder whose producer is deployed earlier is not used",
            R"(
              a/b..main  +x  in=b/b..main/x?p  dep=c/b..main/x
              b/b..main  +x  in=a/b..main/x
              c/b..main  +x  in=a/b..main/x?q
            )",
            // c (level 0) uses q; a (level 1) gets c's real value and still waits for b.
            {"1 deploy-with-placeholders c/b..main [in]",
             "2 deploy-with-placeholders a/b..main [in]", "3 deploy b/b..main",
             "3 redeploy c/b..main", "4 redeploy a/b..main"},
            {}},
           {"two independent cycles",
            R"(
              x/b..main  +o  in=y/b..main/o?p
              y/b..main  +o  in=x/b..main/o
              a/b..main  +o  in=b/b..main/o?p
              b/b..main  +o  in=a/b..main/o
            )",
            {"1 deploy-with-placeholders a/b..main [in]",
             "1 deploy-with-placeholders x/b..main [in]", "2 deploy b/b..main",
             "2 deploy y/b..main", "3 redeploy a/b..main", "3 redeploy x/b..main"},
            {}},
           {"consumer of a cycle member waits for the redeploy",
            R"(
              app/b..main  zone=networking/b..main/hostedZoneId
              networking/b..main      +hostedZoneId  logBucket=central-logging/b..main/logBucketArn?none
              central-logging/b..main +logBucketArn  zone=networking/b..main/hostedZoneId
            )",
            {"1 deploy-with-placeholders networking/b..main [logBucket]",
             "2 deploy central-logging/b..main", "3 redeploy networking/b..main",
             "4 deploy app/b..main"},
            {}},
           {"cycle starts after its producers",
            R"(
              base/b..main  +x
              a/b..main  +x  in=b/b..main/x?p  base=base/b..main/x
              b/b..main  +x  in=a/b..main/x
            )",
            {"1 deploy base/b..main", "2 deploy-with-placeholders a/b..main [in]",
             "3 deploy b/b..main", "4 redeploy a/b..main"},
            {}},
           {"cycle without placeholder is reported with its dependents, not planned",
            R"(
              base/b..main  +x
              a/b..main  +x  in=b/b..main/x  base=base/b..main/x
              b/b..main  +x  in=a/b..main/x
              after/b..main  +x  in=a/b..main/x
              later/b..main  in=after/b..main/x
              fine/b..main  in=base/b..main/x
            )",
            {"1 deploy base/b..main", "2 deploy fine/b..main"},
            {"a/b..main", "after/b..main", "b/b..main", "later/b..main"}},
           {"cycle with a placeholder elsewhere but a strict inner loop is still blocked",
            R"(
              a/b..main  +x  in=b/b..main/x  out=c/b..main/x?p
              b/b..main  +x  in=a/b..main/x
              c/b..main  +x  in=a/b..main/x
            )",
            {},
            {"a/b..main", "b/b..main", "c/b..main"}},
       }) {
    Org org = OrgFromText(c.org);
    Graph g(org);
    Plan plan = ComputeBootstrapPlan(g);
    EXPECT_EQ(StepTexts(plan), c.steps) << c.name;
    EXPECT_EQ(plan.unconverged, c.unconverged) << c.name;
    EXPECT_EQ(plan.converged, c.unconverged.empty()) << c.name;
    int waves = plan.steps.empty() ? 0 : plan.steps.back().wave;
    EXPECT_EQ(plan.wave_count, waves) << c.name;
  }
}

TEST(PlanTest, ExplanationsNameTheEnvers) {
  Org org = OrgFromText(std::string(kNetworkingLogging) + R"(
    app/b..main  zone=networking/b..main/hostedZoneId  bucket=central-logging/b..main/logBucketArn
    base/b..main +x
  )");
  Graph g(org);
  Plan plan = ComputeBootstrapPlan(g);
  ASSERT_EQ(plan.steps.size(), 5u);
  EXPECT_EQ(Why(g, plan, "networking/b..main", StepKind::kDeployWithPlaceholders),
            "deploy networking/b..main with placeholder for consumer \"logBucket\" "
            "(central-logging/b..main is not deployed yet; cycle networking/b..main -> "
            "central-logging/b..main -> networking/b..main is broken at this placeholder)");
  EXPECT_EQ(Why(g, plan, "central-logging/b..main", StepKind::kDeploy),
            "deploy central-logging/b..main after its producer networking/b..main");
  EXPECT_EQ(Why(g, plan, "networking/b..main", StepKind::kRedeploy),
            "redeploy networking/b..main: consumer \"logBucket\" now gets the real value of "
            "central-logging/b..main/logBucketArn, deployed in wave 2");
  EXPECT_EQ(Why(g, plan, "app/b..main", StepKind::kDeploy),
            "deploy app/b..main after its producers central-logging/b..main, networking/b..main "
            "(redeployed in wave 3)");
  EXPECT_EQ(Why(g, plan, "base/b..main", StepKind::kDeploy),
            "deploy base/b..main: it consumes no other enver's products");
}

TEST(PlanTest, ExplanationsDoNotDependOnDeclarationOrder) {
  // The consumer is declared (and indexed) before its producer in the cycle.
  Org org = OrgFromText(R"(
    central-logging/b..main +logBucketArn  zone=networking/b..main/hostedZoneId
    networking/b..main      +hostedZoneId  logBucket=central-logging/b..main/logBucketArn?none
  )");
  Graph g(org);
  Plan plan = ComputeBootstrapPlan(g);
  EXPECT_THAT(StepTexts(plan),
              ElementsAre("1 deploy-with-placeholders networking/b..main [logBucket]",
                          "2 deploy central-logging/b..main", "3 redeploy networking/b..main"));
  EXPECT_EQ(Why(g, plan, "central-logging/b..main", StepKind::kDeploy),
            "deploy central-logging/b..main after its producer networking/b..main");
}

TEST(PlanTest, ExplanationsForSeveralPlaceholders) {
  Org org = OrgFromText(R"(
    a/b..main  +x  +y  one=b/b..main/x?p  two=c/b..main/x?q  three=b/b..main/y?r
    b/b..main  +x  +y  in=a/b..main/x
    c/b..main  +x  in=a/b..main/y
  )");
  Graph g(org);
  Plan plan = ComputeBootstrapPlan(g);
  const PlanStep* first = FindStep(plan, "a/b..main", StepKind::kDeployWithPlaceholders);
  ASSERT_NE(first, nullptr);
  EXPECT_THAT(first->placeholders, ElementsAre("one", "two", "three"));
  ASSERT_EQ(first->placeholder_edges.size(), 3u);  // the edges of those consumers, in order
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(g.consumer(g.edge(first->placeholder_edges[i])).name, first->placeholders[i]);
  }
  EXPECT_THAT(first->replaced_edges, IsEmpty());
  EXPECT_EQ(PlanExplainer(g, plan).Explain(*first),
            "deploy a/b..main with placeholders for consumers \"one\", \"two\", \"three\" "
            "(b/b..main, c/b..main are not deployed yet; cycle a/b..main -> b/b..main -> "
            "a/b..main is broken at placeholder \"one\")");
  const PlanStep* again = FindStep(plan, "a/b..main", StepKind::kRedeploy);
  ASSERT_NE(again, nullptr);
  EXPECT_THAT(again->placeholders, IsEmpty());
  EXPECT_THAT(again->placeholder_edges, IsEmpty());
  EXPECT_EQ(again->replaced_edges, first->placeholder_edges);
  EXPECT_EQ(again->wave, 3);
  EXPECT_EQ(PlanExplainer(g, plan).Explain(*again),
            "redeploy a/b..main: consumers \"one\", \"two\", \"three\" now get the real values "
            "of b/b..main/x, c/b..main/x, b/b..main/y, deployed by wave 2");
}

TEST(PlanTest, LargeCycleIsExplainedBySize) {
  // A 100-enver ring with one placeholder: the path would explain nothing.
  std::string text = "r0/b..main +x in=r99/b..main/x?p\n";
  for (int i = 1; i < 100; ++i) {
    text += "r" + std::to_string(i) + "/b..main +x in=r" + std::to_string(i - 1) + "/b..main/x\n";
  }
  Org org = OrgFromText(text);
  Graph g(org);
  Plan plan = ComputeBootstrapPlan(g);
  EXPECT_TRUE(plan.converged);
  EXPECT_EQ(plan.wave_count, 101);
  const PlanStep* first = FindStep(plan, "r0/b..main", StepKind::kDeployWithPlaceholders);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(PlanExplainer(g, plan).Explain(*first),
            "deploy r0/b..main with placeholder for consumer \"in\" (r99/b..main is not "
            "deployed yet; both are in a dependency cycle of 100 envers, broken at this "
            "placeholder)");
  EXPECT_EQ(FindStep(plan, "r0/b..main", StepKind::kRedeploy)->wave, 101);
}

TEST(PlanTest, NoRedeployRoundsAllowedReportsNonConvergence) {
  Org org = OrgFromText(std::string(kNetworkingLogging) +
                        "app/b..main in=networking/b..main/hostedZoneId");
  Graph g(org);
  Plan plan = ComputeBootstrapPlan(g, {.max_rounds = 0});
  EXPECT_FALSE(plan.converged);
  EXPECT_THAT(plan.unconverged, ElementsAre("networking/b..main"));
  // The first deployments still happen; the consumer still waits for the cycle.
  EXPECT_THAT(StepTexts(plan),
              ElementsAre("1 deploy-with-placeholders networking/b..main [logBucket]",
                          "2 deploy central-logging/b..main", "3 deploy app/b..main"));
  Plan one = ComputeBootstrapPlan(g, {.max_rounds = 1});
  EXPECT_TRUE(one.converged);
  EXPECT_THAT(one.unconverged, IsEmpty());
}

TEST(PlanTest, StepKindNames) {
  EXPECT_EQ(StepKindName(StepKind::kDeploy), "deploy");
  EXPECT_EQ(StepKindName(StepKind::kDeployWithPlaceholders), "deploy-with-placeholders");
  EXPECT_EQ(StepKindName(StepKind::kRedeploy), "redeploy");
}

TEST(PlanTest, StepsCarryTheirEnverIndex) {
  Org org = OrgFromText(kNetworkingLogging);
  Graph g(org);
  for (const PlanStep& s : ComputeBootstrapPlan(g).steps) {
    EXPECT_EQ(g.node(s.enver).id, s.enver_id);
  }
}

// Steps of one wave are in enver id order, which the planner sorts by the ids' first 16 bytes
// as numbers and by the strings only where those are equal: ids that are prefixes of others,
// that share their first 16 bytes, end at 8 or 16 bytes, or hold bytes over 0x7f still come
// in string order (an invalid org is planned too).
TEST(PlanTest, StepsOfAWaveFollowTheIdsStringOrder) {
  std::vector<std::string> builds = {"a",
                                     "ab",
                                     "abcdef",
                                     "abcdefg",
                                     "abcdefgh",
                                     "abcdefghijklmno",
                                     "abcdefghijklmnop",
                                     "abcdefghijklmnopq",
                                     "abcdefghijklmnopqr",
                                     "abcdefghijklmnopr",
                                     "abd",
                                     "\xc3\xa9t\xc3\xa9",
                                     "z",
                                     "Z",
                                     "abcdefgh\x80",
                                     "abcdefghijklmnoq"};
  Org org;
  // Each build has envers "b..m", "b..ma", "b..main" and "b..main1": ids that are prefixes of
  // others, ending before, at and after 8 and 16 bytes.
  std::vector<std::string> branches = {"main1", "m", "main", "ma"};
  std::vector<std::string> ids;
  for (auto it = builds.rbegin(); it != builds.rend(); ++it) {  // declared out of order
    Build& b = org.builds.emplace_back();
    b.id = *it;
    for (const std::string& branch : branches) {
      b.envers.emplace_back().rev = RevRef::Branch(branch);
      ids.push_back(*it + "/b.." + branch);
    }
  }
  Graph g(org);
  Plan plan = ComputeBootstrapPlan(g);
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> planned;
  for (const PlanStep& step : plan.steps) planned.push_back(step.enver_id);
  EXPECT_EQ(planned, ids);
}

TEST(PlanTest, FiftyThousandChainPlansOneWavePerLink) {
  constexpr int kN = 50000;
  Org org = graph_test::ChainOrg(kN);
  Graph g(org);
  Plan plan = ComputeBootstrapPlan(g);
  EXPECT_TRUE(plan.converged);
  ASSERT_EQ(plan.steps.size(), static_cast<size_t>(kN));
  EXPECT_EQ(plan.wave_count, kN);
  EXPECT_EQ(plan.steps.back().enver_id, "c" + std::to_string(kN - 1) + "/b..main");
}

}  // namespace
}  // namespace odmd::model
