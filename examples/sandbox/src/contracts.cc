#include "sandbox/contracts.h"

#include <cstdint>
#include <string>

namespace sandbox {
namespace {

using odmd::model::AccountRef;
using odmd::model::BranchEnverRef;
using odmd::model::BuildKind;
using odmd::model::BuildRef;
using odmd::model::Contracts;
using odmd::model::ProductRef;
using odmd::model::Reaction;
using odmd::model::RepoRef;
using odmd::model::RevType;
using odmd::model::TagEnverRef;

using BranchProduct = ProductRef<RevType::kBranch>;
using TagProduct = ProductRef<RevType::kTag>;

// Every repo of the org is reached through the one GitHub App installation on the
// ondemandenv organisation.
constexpr std::int64_t kInstallationId = 41309761;

std::string S(std::string_view s) { return std::string(s); }

struct Accounts {
  AccountRef central, workspace0, workspace1, networking;
};

Accounts DeclareAccounts(Contracts& c) {
  return Accounts{
      .central = c.AddAccount(S(kCentralAccount), "590184031795"),
      .workspace0 = c.AddAccount(S(kWorkspace0Account), "975050243618"),
      .workspace1 = c.AddAccount(S(kWorkspace1Account), "366920167720"),
      .networking = c.AddAccount(S(kNetworkingAccount), "420887418376"),
  };
}

BuildRef AddBuild(Contracts& c, std::string_view id, BuildKind kind, std::string_view repo) {
  RepoRef r = c.AddRepo("ondemandenv", S(repo), kInstallationId);
  return c.AddBuild(S(id), kind, r);
}

// The contracts library itself. It consumes nothing (rule R6). Every region that hosts
// envers needs a contracts enver (rule R11), so us-east-1 gets its own on branch main-east.
void DeclareContracts(Contracts& c, const Accounts& a) {
  BuildRef contracts =
      AddBuild(c, kContractsBuild, BuildKind::kContracts, "odmd-contracts-sandbox");
  contracts.Branch(S(kMainBranch), a.workspace0, S(kWest));
  contracts.Branch(S(kEastBranch), a.workspace0, S(kEast));
}

// What one networking enver publishes for the envers of its region.
struct NetworkProducts {
  BranchProduct ipam_pool, transit_gateway, hosted_zone, vpc_cidrs;
};

NetworkProducts PublishNetwork(BranchEnverRef& enver) {
  return NetworkProducts{
      .ipam_pool = enver.Produces("ipamPoolId"),
      .transit_gateway = enver.Produces("transitGatewayId"),
      .hosted_zone = enver.Produces("hostedZoneId"),
      .vpc_cidrs = enver.Produces("vpcCidrs"),  // JSON: {"<vpc name>": "<cidr>", ...}
  };
}

struct Networking {
  BranchEnverRef west_enver;
  NetworkProducts west, east;
};

Networking DeclareNetworking(Contracts& c, const Accounts& a) {
  BuildRef networking = AddBuild(c, kNetworkingBuild, BuildKind::kNetworking, "odmd-networking");
  BranchEnverRef west = networking.Branch(S(kMainBranch), a.networking, S(kWest));
  BranchEnverRef east = networking.Branch(S(kEastBranch), a.networking, S(kEast));
  NetworkProducts west_products = PublishNetwork(west);
  return Networking{.west_enver = west, .west = west_products, .east = PublishNetwork(east)};
}

// Central logging needs the hosted zone for its ingestion endpoint, and networking ships
// its flow logs to the logging bucket: a cycle. Networking's consumer carries the
// placeholder (rule R8), so the bootstrap deploys networking without flow logs first,
// then logging, then networking again with the real bucket.
void DeclareCentralLogging(Contracts& c, const Accounts& a, Networking& net) {
  BuildRef logging = AddBuild(c, kCentralLoggingBuild, BuildKind::kCdk, "odmd-central-logging");
  BranchEnverRef main = logging.Branch(S(kMainBranch), a.central, S(kWest));
  main.Ephemeral(false);  // holds the org's audit logs
  main.Consumes("hostedZone", net.west.hosted_zone);
  BranchProduct bucket = main.Produces("logBucketArn");
  main.Produces("logGroupName");
  net.west_enver.Consumes("logBucket", bucket)
      .Placeholder("arn:aws:s3:::odmd-placeholder-central-log-bucket");
}

void DeclareUserAuth(Contracts& c, const Accounts& a, const Networking& net) {
  BuildRef auth = AddBuild(c, kUserAuthBuild, BuildKind::kUserAuth, "odmd-user-auth");
  BranchEnverRef main = auth.Branch(S(kMainBranch), a.workspace0, S(kWest));
  // The identity team maintains this workflow by hand (extra approval steps).
  main.OverwriteWorkflow(false);
  main.Consumes("hostedZone", net.west.hosted_zone);
  main.Produces("userPoolId");
  main.Produces("consoleUrl");
}

// Returns the cluster endpoint, which application envers deploy onto.
BranchProduct PublishCluster(BranchEnverRef& enver, const NetworkProducts& net) {
  enver.CloneLimit(5);  // a cluster clone is expensive: keep few alive
  enver.Consumes("ipamPool", net.ipam_pool);
  enver.Consumes("transitGateway", net.transit_gateway);
  enver.Produces("oidcProviderArn");
  enver.Produces("clusterName");
  return enver.Produces("clusterEndpoint");
}

// One cluster per region; returns the us-west-1 endpoint the coffee shop deploys onto.
// The us-east-1 pair (networking + cluster on main-east) is a second, independent region.
BranchProduct DeclareEksCluster(Contracts& c, const Accounts& a, const Networking& net) {
  BuildRef eks = AddBuild(c, kEksClusterBuild, BuildKind::kEksCluster, "odmd-eks");
  BranchEnverRef west = eks.Branch(S(kMainBranch), a.workspace0, S(kWest));
  BranchEnverRef east = eks.Branch(S(kEastBranch), a.workspace0, S(kEast));
  PublishCluster(east, net.east);
  return PublishCluster(west, net.west);
}

// --- The coffee shop: foundation <- order manager <- order processor, on main, dev and the
// v1.0.0 release. Each enver consumes the upstream enver of its own branch or tag.

template <RevType kType>
struct FoundationProducts {
  ProductRef<kType> event_bus, config_table, count_table;
};

template <RevType kType>
FoundationProducts<kType> PublishFoundation(odmd::model::EnverRef<kType>& enver) {
  return FoundationProducts<kType>{
      .event_bus = enver.Produces("eventBusArn"),
      .config_table = enver.Produces("configTableName"),
      .count_table = enver.Produces("countTableName"),
  };
}

struct Foundation {
  FoundationProducts<RevType::kBranch> main, dev;
  FoundationProducts<RevType::kTag> release;
};

// Branch envers attach to the org's VPCs; the release has no tag networking to consume
// (rule R3), so it runs on the default VPC.
Foundation DeclareFoundation(Contracts& c, const Accounts& a, const NetworkProducts& net) {
  BuildRef foundation = AddBuild(c, kFoundationBuild, BuildKind::kCdk, "coffee-shop--foundation");
  BranchEnverRef main = foundation.Branch(S(kMainBranch), a.workspace1, S(kWest));
  BranchEnverRef dev = foundation.Branch(S(kDevBranch), a.workspace1, S(kWest));
  TagEnverRef release = foundation.Tag(S(kReleaseTag), a.workspace1, S(kWest));
  main.Ephemeral(false);  // holds the shop's tables
  // The foundation's workflow is the platform's: edits to it are replaced (every other
  // build keeps its users' edits, the default).
  main.OverwriteWorkflow(true);
  dev.OverwriteWorkflow(true);
  release.OverwriteWorkflow(true);
  main.Consumes("vpcCidrs", net.vpc_cidrs);
  dev.Consumes("vpcCidrs", net.vpc_cidrs);
  FoundationProducts<RevType::kBranch> main_products = PublishFoundation(main);
  FoundationProducts<RevType::kBranch> dev_products = PublishFoundation(dev);
  return Foundation{
      .main = main_products, .dev = dev_products, .release = PublishFoundation(release)};
}

// Returns the enver's order API url, which the order processor calls.
template <RevType kType>
ProductRef<kType> PublishOrderManager(odmd::model::EnverRef<kType>& enver,
                                      const FoundationProducts<kType>& foundation) {
  enver.Consumes("eventBus", foundation.event_bus);
  enver.Consumes("configTable", foundation.config_table);
  enver.Produces("orderTableName");
  return enver.Produces("orderApiUrl");
}

struct OrderManager {
  BranchProduct main, dev;
  TagProduct release;
};

// Reactions: main only notifies on a new cluster endpoint (production moves after a human
// looked), dev redeploys on it; dev ignores the count table name, which it reads at request
// time.
OrderManager DeclareOrderManager(Contracts& c, const Accounts& a, const Foundation& f,
                                 const BranchProduct& cluster_endpoint) {
  BuildRef manager = AddBuild(c, kOrderManagerBuild, BuildKind::kCdk, "coffee-shop--order-manager");
  BranchEnverRef main = manager.Branch(S(kMainBranch), a.workspace1, S(kWest));
  BranchEnverRef dev = manager.Branch(S(kDevBranch), a.workspace1, S(kWest));
  TagEnverRef release = manager.Tag(S(kReleaseTag), a.workspace1, S(kWest));
  main.Ephemeral(false);  // serves the shop's orders
  main.Consumes("clusterEndpoint", cluster_endpoint).OnChange(Reaction::kNotify);
  dev.Consumes("clusterEndpoint", cluster_endpoint);
  dev.Consumes("countTable", f.dev.count_table).OnChange(Reaction::kIgnore);
  BranchProduct main_api = PublishOrderManager(main, f.main);
  BranchProduct dev_api = PublishOrderManager(dev, f.dev);
  return OrderManager{
      .main = main_api, .dev = dev_api, .release = PublishOrderManager(release, f.release)};
}

template <RevType kType>
void ConsumeOrders(odmd::model::EnverRef<kType> enver, const ProductRef<kType>& order_api,
                   const FoundationProducts<kType>& foundation) {
  enver.Consumes("orderApi", order_api);
  enver.Consumes("eventBus", foundation.event_bus);
}

void DeclareOrderProcessor(Contracts& c, const Accounts& a, const Foundation& f,
                           const OrderManager& m) {
  BuildRef processor =
      AddBuild(c, kOrderProcessorBuild, BuildKind::kCdk, "coffee-shop--order-processor");
  ConsumeOrders(processor.Branch(S(kMainBranch), a.workspace1, S(kWest)), m.main, f.main);
  ConsumeOrders(processor.Branch(S(kDevBranch), a.workspace1, S(kWest)), m.dev, f.dev);
  ConsumeOrders(processor.Tag(S(kReleaseTag), a.workspace1, S(kWest)), m.release, f.release);
}

void DeclareCoffeeShop(Contracts& c, const Accounts& a, const NetworkProducts& net,
                       const BranchProduct& cluster_endpoint) {
  Foundation foundation = DeclareFoundation(c, a, net);
  OrderManager manager = DeclareOrderManager(c, a, foundation, cluster_endpoint);
  DeclareOrderProcessor(c, a, foundation, manager);
}

// --- Spring OpenAPI 3 sample: one repo, two builds. The image build only produces (rule
// R6); the CDK app in the repo's cdk/ directory deploys the image of its own branch or tag.

template <RevType kType>
struct Image {
  ProductRef<kType> uri, digest;
};

template <RevType kType>
Image<kType> PublishImage(odmd::model::EnverRef<kType> enver) {
  enver.BuildScript(".scripts/build-image.sh");
  return Image<kType>{.uri = enver.Produces("imageUri"), .digest = enver.Produces("imageDigest")};
}

template <RevType kType>
void DeployImage(odmd::model::EnverRef<kType> enver, const Image<kType>& image) {
  enver.WorkDir("cdk");
  enver.Consumes("imageUri", image.uri);
  enver.Consumes("imageDigest", image.digest);
  enver.Produces("apiBaseUrl");
}

void DeclareSpring(Contracts& c, const Accounts& a) {
  RepoRef repo = c.AddRepo("ondemandenv", "spring-boot-swagger-3-example", kInstallationId);
  BuildRef img = c.AddBuild(S(kSpringImageBuild), BuildKind::kImage, repo);
  BuildRef cdk = c.AddBuild(S(kSpringCdkBuild), BuildKind::kCdk, repo);
  Image<RevType::kBranch> main = PublishImage(img.Branch(S(kMainBranch), a.workspace1, S(kWest)));
  Image<RevType::kTag> release = PublishImage(img.Tag(S(kReleaseTag), a.workspace1, S(kWest)));
  DeployImage(cdk.Branch(S(kMainBranch), a.workspace1, S(kWest)), main);
  DeployImage(cdk.Tag(S(kReleaseTag), a.workspace1, S(kWest)), release);
}

}  // namespace

Contracts BuildSandboxContracts() {
  Contracts c(S(kOrgName), S(kContractsVersion));
  const Accounts accounts = DeclareAccounts(c);
  DeclareContracts(c, accounts);
  Networking networking = DeclareNetworking(c, accounts);
  DeclareCentralLogging(c, accounts, networking);
  DeclareUserAuth(c, accounts, networking);
  BranchProduct cluster_endpoint = DeclareEksCluster(c, accounts, networking);
  DeclareCoffeeShop(c, accounts, networking.west, cluster_endpoint);
  DeclareSpring(c, accounts);
  return c;
}

}  // namespace sandbox
