#include "odmd/model/impact.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "graph_test_util.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::model {
namespace {

using graph_test::OrgFromText;
using ::odmd::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// "depth id via=<product> as=<consumer> reaction [tag] [clone]".
std::string Describe(const ImpactedEnver& e) {
  std::string s = std::to_string(e.depth) + " " + e.enver_id + " via=" + e.via_product +
                  " as=" + e.via_consumer + " " + std::string(ReactionName(e.reaction));
  if (e.is_tag) s += " tag";
  if (e.is_clone) s += " clone";
  return s;
}

std::vector<std::string> Describe(const std::vector<ImpactedEnver>& list) {
  std::vector<std::string> out;
  for (const ImpactedEnver& e : list) out.push_back(Describe(e));
  return out;
}

std::vector<std::string> ImpactOf(const Graph& g, std::string_view target) {
  Result<std::vector<ImpactedEnver>> r = ComputeImpact(g, target);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? Describe(*r) : std::vector<std::string>{};
}

// base produces x and y; a consumes x, b consumes y, top consumes a and b (a diamond).
constexpr const char* kDiamond = R"(
  base/b..main  +x  +y
  a/b..main     +out  in=base/b..main/x
  b/b..main     +out  in=base/b..main/y!notify
  top/b..main   left=a/b..main/out  right=b/b..main/out
  other/b..main +z
)";

TEST(ImpactTest, ProductImpactStartsWithConsumersOfThatProductOnly) {
  Org org = OrgFromText(kDiamond);
  Graph g(org);
  EXPECT_THAT(ImpactOf(g, "base/b..main/x"),
              ElementsAre("1 a/b..main via=base/b..main/x as=in redeploy",
                          "2 top/b..main via=a/b..main/out as=left redeploy"));
  EXPECT_THAT(ImpactOf(g, "base/b..main/y"),
              ElementsAre("1 b/b..main via=base/b..main/y as=in notify",
                          "2 top/b..main via=b/b..main/out as=right redeploy"));
}

TEST(ImpactTest, ProductMayBeNamedByPath) {
  Org org = OrgFromText(kDiamond);
  Graph g(org);
  EXPECT_EQ(ImpactOf(g, "/odmd-share/base/b..main/x"), ImpactOf(g, "base/b..main/x"));
}

TEST(ImpactTest, EnverImpactCoversAllItsProductsEachEnverOnceAtSmallestDepth) {
  Org org = OrgFromText(kDiamond);
  Graph g(org);
  // top is reached through a first (smaller enver id), at depth 2 only once.
  EXPECT_THAT(ImpactOf(g, "base/b..main"),
              ElementsAre("1 a/b..main via=base/b..main/x as=in redeploy",
                          "1 b/b..main via=base/b..main/y as=in notify",
                          "2 top/b..main via=a/b..main/out as=left redeploy"));
}

TEST(ImpactTest, OrderedByDepthThenId) {
  Org org = OrgFromText(R"(
    root/b..main  +x
    zeta/b..main  +x  in=root/b..main/x
    alpha/b..main +x  in=zeta/b..main/x
    mid/b..main   +x  in=root/b..main/x
  )");
  Graph g(org);
  Result<std::vector<ImpactedEnver>> r = ComputeImpact(g, "root/b..main");
  ODMD_ASSERT_OK(r);
  std::vector<std::pair<int, std::string>> order;
  for (const ImpactedEnver& e : *r) order.emplace_back(e.depth, e.enver_id);
  EXPECT_THAT(order, ElementsAre(std::pair<int, std::string>{1, "mid/b..main"},
                                 std::pair<int, std::string>{1, "zeta/b..main"},
                                 std::pair<int, std::string>{2, "alpha/b..main"}));
}

TEST(ImpactTest, NothingConsumesGivesEmptyImpact) {
  Org org = OrgFromText(kDiamond);
  Graph g(org);
  EXPECT_THAT(ImpactOf(g, "other/b..main"), IsEmpty());
  EXPECT_THAT(ImpactOf(g, "other/b..main/z"), IsEmpty());
  EXPECT_THAT(ImpactOf(g, "top/b..main"), IsEmpty());
}

TEST(ImpactTest, UnknownTargetIsNotFoundWithSuggestion) {
  Org org = OrgFromText(kDiamond);
  Graph g(org);
  EXPECT_THAT(ComputeImpact(g, "base/b..main/q"),
              StatusIs(StatusCode::kNotFound,
                       HasSubstr("no product or enver \"base/b..main/q\" (did you mean "
                                 "\"base/b..main/x\"?)")));
  EXPECT_THAT(ComputeImpact(g, "bsae/b..main"),
              StatusIs(StatusCode::kNotFound, HasSubstr("did you mean \"base/b..main\"?")));
  EXPECT_THAT(ComputeImpact(g, ""), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(ComputeImpact(g, "/odmd-share/"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(ComputeImpact(g, "nothing-like-it/at/all"),
              StatusIs(StatusCode::kNotFound, ::testing::Not(HasSubstr("did you mean"))));
}

TEST(ImpactTest, FlagsTagAndCloneEnvers) {
  Org org = OrgFromText(R"(
    base/t..v1                +x
    tagged/t..v2              in=base/t..v1/x
    cloned/b..main-_b..feat1  in=base/t..v1/x
    tagclone/b..main-_t..v3   in=base/t..v1/x
    plain/b..main             in=base/t..v1/x!ignore
  )");
  Graph g(org);
  EXPECT_THAT(ImpactOf(g, "base/t..v1/x"),
              ElementsAre("1 cloned/b..main-_b..feat1 via=base/t..v1/x as=in redeploy clone",
                          "1 plain/b..main via=base/t..v1/x as=in ignore",
                          "1 tagclone/b..main-_t..v3 via=base/t..v1/x as=in redeploy tag clone",
                          "1 tagged/t..v2 via=base/t..v1/x as=in redeploy tag"));
}

// net consumes log with a placeholder; log consumes net; app consumes log.
constexpr const char* kCycle = R"(
  net/b..main  +zone  bucket=log/b..main/bucket?none
  log/b..main  +bucket  zone=net/b..main/zone
  app/b..main  in=log/b..main/bucket
)";

TEST(ImpactTest, EnverRootIsNotListedWhenOnlyItsOwnCycleReachesIt) {
  Org org = OrgFromText(kCycle);
  Graph g(org);
  EXPECT_THAT(ImpactOf(g, "net/b..main"),
              ElementsAre("1 log/b..main via=net/b..main/zone as=zone redeploy",
                          "2 app/b..main via=log/b..main/bucket as=in redeploy"));
}

TEST(ImpactTest, ProducerInACycleIsListedWhenItsProductComesBackToIt) {
  Org org = OrgFromText(kCycle);
  Graph g(org);
  EXPECT_THAT(ImpactOf(g, "net/b..main/zone"),
              ElementsAre("1 log/b..main via=net/b..main/zone as=zone redeploy",
                          "2 app/b..main via=log/b..main/bucket as=in redeploy",
                          "2 net/b..main via=log/b..main/bucket as=bucket redeploy"));
}

TEST(ImpactTest, OfEnversListsARootOnlyWhenAnotherRootReachesIt) {
  Org org = OrgFromText(R"(
    a/b..main  +x
    b/b..main  +x  in=a/b..main/x
    c/b..main  +x  in=b/b..main/x
    d/b..main  +x
  )");
  Graph g(org);
  EnverIndex a = *g.FindEnver("a/b..main"), c = *g.FindEnver("c/b..main"),
             d = *g.FindEnver("d/b..main");
  std::vector<EnverIndex> roots = {c, a, d, a};
  EXPECT_THAT(Describe(ComputeImpactOfEnvers(g, roots)),
              ElementsAre("1 b/b..main via=a/b..main/x as=in redeploy",
                          "2 c/b..main via=b/b..main/x as=in redeploy"));
  EXPECT_THAT(ComputeImpactOfEnvers(g, {}), IsEmpty());
}

TEST(ImpactTest, OfEnversFindsARootReachedFromAnotherRootThroughACycle) {
  // A root in a cycle: reached from itself does not count, from the other root it does,
  // even when its own search got to the shared enver first.
  Org org = OrgFromText(R"(
    a/b..main  +x  back=x/b..main/x?p
    x/b..main  +x  in=a/b..main/x  more=b/b..main/x
    b/b..main  +x
  )");
  Graph g(org);
  EnverIndex a = *g.FindEnver("a/b..main"), b = *g.FindEnver("b/b..main");
  std::vector<EnverIndex> only_a = {a};
  EXPECT_THAT(Describe(ComputeImpactOfEnvers(g, only_a)),
              ElementsAre("1 x/b..main via=a/b..main/x as=in redeploy"));
  std::vector<EnverIndex> both = {a, b};
  EXPECT_THAT(Describe(ComputeImpactOfEnvers(g, both)),
              ElementsAre("1 x/b..main via=a/b..main/x as=in redeploy",
                          "2 a/b..main via=x/b..main/x as=back redeploy"));
}

TEST(ImpactTest, LongChainImpactIsBreadthFirstWithoutRecursion) {
  constexpr int kN = 50000;
  Org org = graph_test::ChainOrg(kN);
  Graph g(org);
  Result<std::vector<ImpactedEnver>> r = ComputeImpact(g, "c0/b..main/out");
  ODMD_ASSERT_OK(r);
  ASSERT_EQ(r->size(), static_cast<size_t>(kN - 1));
  EXPECT_EQ(r->back().depth, kN - 1);
  EXPECT_EQ(r->back().enver_id, "c" + std::to_string(kN - 1) + "/b..main");
}

}  // namespace
}  // namespace odmd::model
