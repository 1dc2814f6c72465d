// The sandbox org's own architecture tests: what an org checks in its contracts repo
// before it publishes a manifest. Each test names an architectural decision and fails if
// someone breaks it, even where the platform's rules would still accept the result.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "odmd/model/graph.h"
#include "odmd/model/naming.h"
#include "odmd/model/org.h"
#include "odmd/model/rev_ref.h"
#include "odmd/model/violation.h"
#include "sandbox/contracts.h"

namespace sandbox {
namespace {

using ::odmd::model::Build;
using ::odmd::model::BuildKind;
using ::odmd::model::Consumer;
using ::odmd::model::Enver;
using ::odmd::model::EnverId;
using ::odmd::model::Org;
using ::odmd::model::Reaction;
using ::odmd::model::RevRef;
using ::odmd::model::Violation;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;

std::string Id(std::string_view build, const RevRef& rev) { return EnverId(build, rev); }
std::string BranchId(std::string_view build, std::string_view branch) {
  return Id(build, RevRef::Branch(std::string(branch)));
}
std::string TagId(std::string_view build, std::string_view tag) {
  return Id(build, RevRef::Tag(std::string(tag)));
}

// The rev of the enver that produces what `consumer` consumes.
RevRef ProducerRev(const Consumer& consumer) {
  auto parts = odmd::model::SplitEnverId(consumer.producer);
  if (!parts.has_value()) return RevRef();
  auto rev = RevRef::Parse(parts->second);
  return rev.ok() ? *rev : RevRef();
}

std::string_view ProducerBuild(const Consumer& consumer) {
  auto parts = odmd::model::SplitEnverId(consumer.producer);
  return parts.has_value() ? parts->first : std::string_view();
}

const Enver* FindEnver(const Org& org, std::string_view build, std::string_view rev) {
  const Build* b = org.FindBuild(build);
  if (b == nullptr) return nullptr;
  for (const Enver& e : b->envers) {
    if (e.rev.str() == rev) return &e;
  }
  return nullptr;
}

const Consumer* FindConsumer(const Enver& enver, std::string_view name) {
  for (const Consumer& c : enver.consumers) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

class SandboxContractsTest : public ::testing::Test {
 protected:
  Org org_ = BuildSandboxContracts().Finish();
};

TEST_F(SandboxContractsTest, ValidateFindsNoViolations) {
  std::vector<Violation> violations = BuildSandboxContracts().Validate();
  std::vector<std::string> lines;
  for (const Violation& v : violations) lines.push_back(v.ToString());
  EXPECT_THAT(lines, IsEmpty());
}

TEST_F(SandboxContractsTest, DeclaresTheFourAccountsWithCentralAsCentral) {
  EXPECT_EQ(org_.central_account, kCentralAccount);
  std::set<std::string> ids;
  std::vector<std::string> names;
  for (const auto& a : org_.accounts) {
    names.push_back(a.name);
    ids.insert(a.id);
  }
  EXPECT_THAT(names, ElementsAre(kCentralAccount, kNetworkingAccount, kWorkspace0Account,
                                 kWorkspace1Account));
  EXPECT_EQ(ids.size(), 4u) << "two accounts share an id";
}

TEST_F(SandboxContractsTest, TagEnversAreExactlyTheReleaseChain) {
  std::vector<std::string> tag_envers;
  for (const Build& b : org_.builds) {
    for (const Enver& e : b.envers) {
      if (e.rev.IsImmutable()) tag_envers.push_back(Id(b.id, e.rev));
    }
  }
  EXPECT_THAT(tag_envers, UnorderedElementsAre(TagId(kFoundationBuild, kReleaseTag),
                                               TagId(kOrderManagerBuild, kReleaseTag),
                                               TagId(kOrderProcessorBuild, kReleaseTag),
                                               TagId(kSpringImageBuild, kReleaseTag),
                                               TagId(kSpringCdkBuild, kReleaseTag)));
}

TEST_F(SandboxContractsTest, EveryTagEnverConsumesOnlyTagEnversOfTheSameRelease) {
  int tag_consumers = 0;
  for (const Build& b : org_.builds) {
    for (const Enver& e : b.envers) {
      if (!e.rev.IsImmutable()) continue;
      for (const Consumer& c : e.consumers) {
        ++tag_consumers;
        RevRef producer = ProducerRev(c);
        EXPECT_TRUE(producer.IsImmutable())
            << Id(b.id, e.rev) << " consumer " << c.name << " consumes mutable " << c.producer;
        EXPECT_EQ(producer, e.rev) << Id(b.id, e.rev) << " consumer " << c.name
                                   << " consumes another release: " << c.producer;
      }
    }
  }
  EXPECT_GT(tag_consumers, 0) << "the release chain consumes nothing: the test is vacuous";
}

// The cycle between networking and central logging is on purpose (DESIGN.md §3.7): it is
// one strongly connected component of exactly those two envers, and every other enver is
// outside any cycle.
TEST_F(SandboxContractsTest, NetworkingAndCentralLoggingFormTheOnlyCycle) {
  odmd::model::Graph graph(org_);
  odmd::model::Components components = odmd::model::StronglyConnectedComponents(graph);
  std::vector<std::vector<std::string>> cycles;
  for (std::uint32_t c = 0; c < components.members.size(); ++c) {
    if (!components.IsCycle(c)) continue;
    std::vector<std::string> ids;
    for (auto i : components.members[c]) ids.push_back(graph.node(i).id);
    cycles.push_back(ids);
  }
  ASSERT_EQ(cycles.size(), 1u);
  EXPECT_THAT(cycles[0], UnorderedElementsAre(BranchId(kNetworkingBuild, kMainBranch),
                                              BranchId(kCentralLoggingBuild, kMainBranch)));
}

TEST_F(SandboxContractsTest, NetworkingLoggingCycleIsBrokenByNetworkingsPlaceholder) {
  const std::string logging = BranchId(kCentralLoggingBuild, kMainBranch);
  const Enver* networking = FindEnver(org_, kNetworkingBuild, "b..main");
  ASSERT_NE(networking, nullptr);
  const Consumer* log_bucket = FindConsumer(*networking, "logBucket");
  ASSERT_NE(log_bucket, nullptr);
  EXPECT_EQ(log_bucket->producer, logging);
  EXPECT_EQ(log_bucket->product, "logBucketArn");
  EXPECT_TRUE(log_bucket->placeholder.has_value());

  // Logging consumes the hosted zone for real: it is deployed after networking.
  const Enver* logging_enver = FindEnver(org_, kCentralLoggingBuild, "b..main");
  ASSERT_NE(logging_enver, nullptr);
  const Consumer* hosted_zone = FindConsumer(*logging_enver, "hostedZone");
  ASSERT_NE(hosted_zone, nullptr);
  EXPECT_FALSE(hosted_zone->placeholder.has_value());

  odmd::model::Graph graph(org_);
  EXPECT_THAT(odmd::model::FindCyclesWithoutPlaceholder(graph), IsEmpty());
}

TEST_F(SandboxContractsTest, WithoutThePlaceholderTheCycleIsUnbroken) {
  Org broken = org_;
  Build* networking = broken.FindBuild(kNetworkingBuild);
  ASSERT_NE(networking, nullptr);
  for (Enver& e : networking->envers) {
    for (Consumer& c : e.consumers) c.placeholder.reset();
  }

  odmd::model::Graph graph(broken);
  std::vector<odmd::model::CyclePath> cycles = odmd::model::FindCyclesWithoutPlaceholder(graph);
  ASSERT_EQ(cycles.size(), 1u);
  EXPECT_THAT(cycles[0].envers, ::testing::Contains(BranchId(kNetworkingBuild, kMainBranch)));
  EXPECT_THAT(cycles[0].envers, ::testing::Contains(BranchId(kCentralLoggingBuild, kMainBranch)));
}

// Every order-manager enver (main, dev, and the v1.0.0 release) reads the event bus and
// config table of the foundation enver of its own branch or tag, never another one.
TEST_F(SandboxContractsTest, EachOrderManagerEnverConsumesTheFoundationOfItsOwnRev) {
  const Build* manager = org_.FindBuild(kOrderManagerBuild);
  ASSERT_NE(manager, nullptr);
  std::vector<std::string> revs;
  for (const Enver& e : manager->envers) {
    revs.push_back(e.rev.str());
    std::vector<std::string> from_foundation;
    for (const Consumer& c : e.consumers) {
      if (ProducerBuild(c) != kFoundationBuild) continue;
      EXPECT_EQ(c.producer, Id(kFoundationBuild, e.rev))
          << Id(manager->id, e.rev) << " consumer " << c.name;
      from_foundation.push_back(c.product);
    }
    EXPECT_THAT(from_foundation, ::testing::IsSupersetOf({"eventBusArn", "configTableName"}))
        << Id(manager->id, e.rev);
  }
  EXPECT_THAT(revs, ElementsAre("b..dev", "b..main", "t..v1.0.0"));
}

// The same discipline one step further down the chain, and for the Spring image.
TEST_F(SandboxContractsTest, DownstreamEnversFollowTheirUpstreamOfTheSameRev) {
  struct Row {
    std::string_view consumer_build;
    std::string_view producer_build;
  };
  const Row rows[] = {{kOrderProcessorBuild, kOrderManagerBuild},
                      {kOrderProcessorBuild, kFoundationBuild},
                      {kSpringCdkBuild, kSpringImageBuild}};
  for (const Row& row : rows) {
    const Build* b = org_.FindBuild(row.consumer_build);
    ASSERT_NE(b, nullptr) << row.consumer_build;
    for (const Enver& e : b->envers) {
      int matched = 0;
      for (const Consumer& c : e.consumers) {
        if (ProducerBuild(c) != row.producer_build) continue;
        ++matched;
        EXPECT_EQ(c.producer, Id(row.producer_build, e.rev))
            << Id(b->id, e.rev) << " consumer " << c.name;
      }
      EXPECT_GT(matched, 0) << Id(b->id, e.rev) << " consumes nothing from " << row.producer_build;
    }
  }
}

TEST_F(SandboxContractsTest, ProductionOrderManagerOnlyNotifiesOnANewClusterEndpoint) {
  const Enver* main = FindEnver(org_, kOrderManagerBuild, "b..main");
  const Enver* dev = FindEnver(org_, kOrderManagerBuild, "b..dev");
  ASSERT_NE(main, nullptr);
  ASSERT_NE(dev, nullptr);
  const Consumer* main_cluster = FindConsumer(*main, "clusterEndpoint");
  const Consumer* dev_cluster = FindConsumer(*dev, "clusterEndpoint");
  ASSERT_NE(main_cluster, nullptr);
  ASSERT_NE(dev_cluster, nullptr);
  EXPECT_EQ(main_cluster->producer, BranchId(kEksClusterBuild, kMainBranch));
  EXPECT_EQ(main_cluster->reaction, Reaction::kNotify);
  EXPECT_EQ(dev_cluster->reaction, Reaction::kRedeploy);
  EXPECT_FALSE(main->ephemeral) << "production order manager must not be torn down freely";
}

// R11 requires a contracts enver in every region that hosts envers; the org also relies on
// the us-east-1 cluster using the us-east-1 networking, not a cross-region one.
TEST_F(SandboxContractsTest, UsEast1HostsAContractsNetworkingAndClusterEnver) {
  std::vector<std::string> east;
  for (const Build& b : org_.builds) {
    for (const Enver& e : b.envers) {
      if (e.region == kEast) east.push_back(Id(b.id, e.rev));
    }
  }
  EXPECT_THAT(east, UnorderedElementsAre(BranchId(kContractsBuild, kEastBranch),
                                         BranchId(kEksClusterBuild, kEastBranch),
                                         BranchId(kNetworkingBuild, kEastBranch)));
  const Enver* cluster = FindEnver(org_, kEksClusterBuild, "b..main-east");
  ASSERT_NE(cluster, nullptr);
  EXPECT_THAT(cluster->consumers,
              ::testing::Each(Field(&Consumer::producer, BranchId(kNetworkingBuild, kEastBranch))));
  EXPECT_THAT(cluster->consumers, ::testing::SizeIs(2));
}

TEST_F(SandboxContractsTest, EveryRegionWithEnversHasAContractsEnver) {
  std::set<std::string> regions, contracts_regions;
  for (const Build& b : org_.builds) {
    for (const Enver& e : b.envers) {
      regions.insert(e.region);
      if (b.kind == BuildKind::kContracts) contracts_regions.insert(e.region);
    }
  }
  EXPECT_EQ(contracts_regions, regions);
  EXPECT_THAT(regions, UnorderedElementsAre(std::string(kWest), std::string(kEast)));
}

// The Spring image build keeps the id of the existing ondemandenv repo so that its
// checked-in workflow file keeps working unchanged.
TEST_F(SandboxContractsTest, SpringImageWorkflowIsTheOneInTheExistingRepo) {
  const Build* image = org_.FindBuild(kSpringImageBuild);
  ASSERT_NE(image, nullptr);
  EXPECT_EQ(image->repo.FullName(), "ondemandenv/spring-boot-swagger-3-example");
  for (const Enver& e : image->envers) {
    EXPECT_EQ(odmd::model::WorkflowFileName(image->id, image->kind, e.region, e.account),
              "ODMD_sampleSpringOpenAPI3img-ContainerImageEcrus-west-1-workspace1.yaml");
    EXPECT_THAT(e.consumers, IsEmpty()) << "an image build only produces";
    std::vector<std::string> products;
    for (const auto& p : e.products) products.push_back(p.name);
    EXPECT_THAT(products, ElementsAre("imageDigest", "imageUri"));
  }
}

// Platform builds live in the platform accounts, the applications in workspace1.
TEST_F(SandboxContractsTest, ApplicationsRunInWorkspace1AndThePlatformOutsideIt) {
  std::set<std::string_view> app_builds = {kFoundationBuild, kOrderManagerBuild,
                                           kOrderProcessorBuild, kSpringImageBuild,
                                           kSpringCdkBuild};
  for (const Build& b : org_.builds) {
    for (const Enver& e : b.envers) {
      if (app_builds.contains(b.id)) {
        EXPECT_EQ(e.account, kWorkspace1Account) << Id(b.id, e.rev);
      } else {
        EXPECT_NE(e.account, kWorkspace1Account) << Id(b.id, e.rev);
      }
    }
  }
  const Enver* networking = FindEnver(org_, kNetworkingBuild, "b..main");
  ASSERT_NE(networking, nullptr);
  EXPECT_EQ(networking->account, kNetworkingAccount);
}

TEST_F(SandboxContractsTest, DeclaresEachBuildWithItsKind) {
  std::vector<std::pair<std::string, BuildKind>> builds;
  for (const Build& b : org_.builds) builds.emplace_back(b.id, b.kind);
  using P = std::pair<std::string, BuildKind>;
  EXPECT_THAT(builds, UnorderedElementsAreArray(std::vector<P>{
                          {std::string(kContractsBuild), BuildKind::kContracts},
                          {std::string(kNetworkingBuild), BuildKind::kNetworking},
                          {std::string(kCentralLoggingBuild), BuildKind::kCdk},
                          {std::string(kUserAuthBuild), BuildKind::kUserAuth},
                          {std::string(kEksClusterBuild), BuildKind::kEksCluster},
                          {std::string(kFoundationBuild), BuildKind::kCdk},
                          {std::string(kOrderManagerBuild), BuildKind::kCdk},
                          {std::string(kOrderProcessorBuild), BuildKind::kCdk},
                          {std::string(kSpringImageBuild), BuildKind::kImage},
                          {std::string(kSpringCdkBuild), BuildKind::kCdk},
                      }));
}

}  // namespace
}  // namespace sandbox
