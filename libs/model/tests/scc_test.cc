#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "graph_test_util.h"
#include "odmd/model/graph.h"

namespace odmd::model {
namespace {

using graph_test::ChainOrg;
using graph_test::Ids;
using graph_test::OrgFromText;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Components as lists of enver ids, in the order returned.
std::vector<std::vector<std::string>> ComponentIds(const Graph& g, const Components& c) {
  std::vector<std::vector<std::string>> out;
  for (std::uint32_t i = 0; i < c.members.size(); ++i) out.push_back(Ids(g, c.members[i]));
  return out;
}

std::vector<std::string> CycleTexts(const Graph& g) {
  std::vector<std::string> out;
  for (const CyclePath& c : FindCyclesWithoutPlaceholder(g)) out.push_back(c.ToString());
  return out;
}

using Group = std::vector<std::string>;

TEST(SccTest, EmptyGraphHasNoComponents) {
  Org org;
  Graph g(org);
  Components c = StronglyConnectedComponents(g);
  EXPECT_THAT(c.members, IsEmpty());
  EXPECT_THAT(c.component_of, IsEmpty());
  EXPECT_THAT(FindCyclesWithoutPlaceholder(g), IsEmpty());
}

TEST(SccTest, ChainComponentsComeProducersFirst) {
  // Declared consumers first, so index order is the reverse of dependency order.
  Org org = OrgFromText(R"(
    c/b..main  in=b/b..main/x
    b/b..main  +x  in=a/b..main/x
    a/b..main  +x
  )");
  Graph g(org);
  Components c = StronglyConnectedComponents(g);
  EXPECT_THAT(ComponentIds(g, c),
              ElementsAre(Group{"a/b..main"}, Group{"b/b..main"}, Group{"c/b..main"}));
  EXPECT_FALSE(c.IsCycle(0));
  EXPECT_EQ(c.component_of[0], 2u);
  EXPECT_EQ(c.component_of[2], 0u);
}

// log and net consume each other (net through a placeholder); top consumes net.
constexpr const char* kCycleThroughAPlaceholder = R"(
    top/b..main   in=net/b..main/zone
    log/b..main   +bucket  zone=net/b..main/zone
    net/b..main   +zone  bucket=log/b..main/bucket?none
    base/b..main  +x
  )";

TEST(SccTest, CycleIsOneComponentWithSortedMembers) {
  Org org = OrgFromText(kCycleThroughAPlaceholder);
  Graph g(org);
  Components c = StronglyConnectedComponents(g);
  ASSERT_EQ(c.members.size(), 3u);
  std::uint32_t cycle = c.component_of[*g.FindEnver("net/b..main")];
  EXPECT_TRUE(c.IsCycle(cycle));
  EXPECT_THAT(c.members[cycle], ElementsAre(1u, 2u));  // sorted by index
  EXPECT_EQ(c.component_of[*g.FindEnver("log/b..main")], cycle);
  // top consumes the cycle, so it comes after it.
  EXPECT_GT(c.component_of[0], cycle);
}

// The graph keeps its components from the first call (rule R8 and the planner share them):
// the same object each time, equal to a fresh computation over every edge (a cycle through a
// placeholder is one), the same from threads calling at once, and kept by a moved graph.
TEST(SccTest, GraphKeepsTheComponentsOfEveryEdgeFromFirstUse) {
  Org org = OrgFromText(kCycleThroughAPlaceholder);
  Graph g(org);
  std::vector<const Components*> seen(4, nullptr);
  {
    std::vector<std::jthread> threads;
    for (size_t t = 0; t < seen.size(); ++t) {
      threads.emplace_back([&g, &seen, t] { seen[t] = &g.components(); });
    }
  }
  Components fresh = StronglyConnectedComponents(g);
  for (const Components* c : seen) {
    ASSERT_EQ(c, &g.components());
    EXPECT_EQ(ComponentIds(g, *c), ComponentIds(g, fresh));
    EXPECT_EQ(c->component_of, fresh.component_of);
  }
  EXPECT_TRUE(g.components().IsCycle(g.components().component_of[1]));
  EXPECT_THAT(FindCyclesWithoutPlaceholder(g), IsEmpty());
  Graph moved = std::move(g);
  EXPECT_EQ(&moved.components(), seen[0]);
}

TEST(SccTest, EveryComponentComesAfterWhatItDependsOn) {
  Org org = OrgFromText(R"(
    app/b..main   one=left/b..main/x  two=right/b..main/x
    left/b..main  +x  in=base/b..main/x
    right/b..main +x  in=base/b..main/x  back=loop/b..main/x?p
    loop/b..main  +x  in=right/b..main/x
    base/b..main  +x
    lone/b..main  +x
  )");
  Graph g(org);
  Components c = StronglyConnectedComponents(g);
  for (const Edge& e : g.edges()) {
    std::uint32_t from = c.component_of[e.consumer], to = c.component_of[e.producer];
    if (from != to) {
      EXPECT_LT(to, from) << g.node(e.consumer).id << " -> " << g.node(e.producer).id;
    }
  }
  EXPECT_EQ(c.members.size(), 5u);
  std::uint32_t cycle = c.component_of[*g.FindEnver("loop/b..main")];
  EXPECT_EQ(Ids(g, c.members[cycle]), (Group{"right/b..main", "loop/b..main"}));
}

TEST(SccTest, FiftyThousandChainDoesNotOverflowTheStack) {
  constexpr int kN = 50000;
  Org org = ChainOrg(kN);
  Graph g(org);
  Components c = StronglyConnectedComponents(g);
  ASSERT_EQ(c.members.size(), static_cast<size_t>(kN));
  for (int i = 0; i < kN; ++i) ASSERT_EQ(c.component_of[i], static_cast<std::uint32_t>(i));
  EXPECT_THAT(FindCyclesWithoutPlaceholder(g), IsEmpty());
}

TEST(SccTest, FiftyThousandCycleIsOneComponentAndOneCyclePath) {
  constexpr int kN = 50000;
  Org org = ChainOrg(kN);
  // Close the chain: c0 consumes the last link, without a placeholder.
  org.builds[0].envers[0].consumers.push_back({"loop", "c" + std::to_string(kN - 1) + "/b..main",
                                               "out", std::nullopt, Reaction::kRedeploy});
  Graph g(org);
  Components c = StronglyConnectedComponents(g);
  ASSERT_EQ(c.members.size(), 1u);
  EXPECT_EQ(c.members[0].size(), static_cast<size_t>(kN));
  std::vector<CyclePath> cycles = FindCyclesWithoutPlaceholder(g);
  ASSERT_EQ(cycles.size(), 1u);
  ASSERT_EQ(cycles[0].envers.size(), static_cast<size_t>(kN + 1));
  EXPECT_EQ(cycles[0].envers.front(), "c0/b..main");  // the smallest id
  EXPECT_EQ(cycles[0].envers[1], "c" + std::to_string(kN - 1) + "/b..main");
  EXPECT_EQ(cycles[0].envers.back(), "c0/b..main");
}

TEST(SccTest, CyclePathToStringJoinsWithArrows) {
  EXPECT_EQ((CyclePath{{"a/b..main", "b/b..main", "a/b..main"}}.ToString()),
            "a/b..main -> b/b..main -> a/b..main");
  EXPECT_EQ(CyclePath{}.ToString(), "");
}

TEST(SccTest, CyclesFoundOnlyWithoutPlaceholders) {
  struct Case {
    const char* name;
    const char* org;
    std::vector<std::string> cycles;
  };
  for (const Case& c : std::vector<Case>{
           {"a chain has no cycle",
            R"(
              a/b..main +x
              b/b..main +x in=a/b..main/x
            )",
            {}},
           {"two-cycle without placeholder",
            R"(
              b/b..main +x in=a/b..main/x
              a/b..main +x in=b/b..main/x
            )",
            {"a/b..main -> b/b..main -> a/b..main"}},
           {"two-cycle broken by a placeholder",
            R"(
              a/b..main +x in=b/b..main/x?none
              b/b..main +x in=a/b..main/x
            )",
            {}},
           {"three-cycle starts at the smallest id",
            R"(
              m/b..main +x in=z/b..main/x
              z/b..main +x in=k/b..main/x
              k/b..main +x in=m/b..main/x
            )",
            {"k/b..main -> m/b..main -> z/b..main -> k/b..main"}},
           {"shortest way back, smallest ids first",
            R"(
              a/b..main +x to-d=d/b..main/x to-b=b/b..main/x to-c=c/b..main/x
              b/b..main +x in=e/b..main/x
              c/b..main +x in=a/b..main/x
              d/b..main +x in=a/b..main/x
              e/b..main +x in=a/b..main/x
            )",
            {"a/b..main -> c/b..main -> a/b..main"}},
           {"placeholder breaks one of two loops",
            R"(
              a/b..main +x one=b/b..main/x?p two=c/b..main/x
              b/b..main +x in=a/b..main/x
              c/b..main +x in=a/b..main/x
            )",
            {"a/b..main -> c/b..main -> a/b..main"}},
           {"two independent cycles, sorted",
            R"(
              y/b..main +x in=x/b..main/x
              x/b..main +x in=y/b..main/x
              b/b..main +x in=a/b..main/x
              a/b..main +x in=b/b..main/x
            )",
            {"a/b..main -> b/b..main -> a/b..main", "x/b..main -> y/b..main -> x/b..main"}},
           {"placeholder on a parallel edge does not break the cycle",
            R"(
              a/b..main +x +y one=b/b..main/x?p two=b/b..main/y
              b/b..main +x +y in=a/b..main/x
            )",
            {"a/b..main -> b/b..main -> a/b..main"}},
       }) {
    Org org = OrgFromText(c.org);
    Graph g(org);
    EXPECT_EQ(CycleTexts(g), c.cycles) << c.name;
  }
}

}  // namespace
}  // namespace odmd::model
