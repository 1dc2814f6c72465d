#include "synthetic_org.h"

#include <gtest/gtest.h>

#include "odmd/model/graph.h"
#include "odmd/model/plan.h"
#include "odmd/model/validate.h"

namespace odmd::bench {
namespace {

TEST(SyntheticOrgTest, IsValidAndHasCyclesBrokenByPlaceholders) {
  model::Org org = MakeSyntheticOrg({.builds = 120});
  EXPECT_TRUE(model::Validate(org).empty());
  model::Graph graph(org);
  EXPECT_EQ(graph.enver_count(), 120u * 5 + 1);
  model::Components scc = model::StronglyConnectedComponents(graph);
  int cycles = 0;
  for (std::uint32_t c = 0; c < scc.members.size(); ++c) cycles += scc.IsCycle(c) ? 1 : 0;
  EXPECT_GE(cycles, 2);
  EXPECT_TRUE(model::ComputeBootstrapPlan(graph).converged);
}

TEST(SyntheticOrgTest, HasAboutTwentyConsumersPerEnver) {
  model::Org org = MakeSyntheticOrg({.builds = 200});
  model::Graph graph(org);
  double per_enver = static_cast<double>(graph.edges().size()) / graph.enver_count();
  EXPECT_GT(per_enver, 14.0);
  EXPECT_LT(per_enver, 21.0);
}

TEST(SyntheticOrgTest, IsDeterministic) {
  EXPECT_EQ(MakeSyntheticOrg({.builds = 50}), MakeSyntheticOrg({.builds = 50}));
}

}  // namespace
}  // namespace odmd::bench
