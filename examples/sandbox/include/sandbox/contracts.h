#pragma once

// The sandbox organisation's contracts library: its whole architecture as code, written
// against the odmd contracts base (odmd/model/contracts.h). sandbox_synth prints its
// manifest; tests/ holds the org's own architecture tests. README.md has the picture.
//
// The names below are the org's vocabulary: its tests and tools use them instead of
// repeating string literals, so a rename is one edit here (and a new golden manifest).

#include <string_view>

#include "odmd/model/contracts.h"

namespace sandbox {

inline constexpr std::string_view kOrgName = "sandbox";
// Bump on every change of the declared architecture: the platform refuses a changed
// manifest that kept its version.
inline constexpr std::string_view kContractsVersion = "1.0.0";

// Accounts.
inline constexpr std::string_view kCentralAccount = "central";
inline constexpr std::string_view kWorkspace0Account = "workspace0";
inline constexpr std::string_view kWorkspace1Account = "workspace1";
inline constexpr std::string_view kNetworkingAccount = "networking";

// Regions. us-west-1 hosts everything; us-east-1 hosts a networking + EKS cluster pair.
inline constexpr std::string_view kWest = "us-west-1";
inline constexpr std::string_view kEast = "us-east-1";

// Build ids.
inline constexpr std::string_view kContractsBuild = "odmd-contracts-sandbox";
inline constexpr std::string_view kNetworkingBuild = "networking";
inline constexpr std::string_view kCentralLoggingBuild = "centralLogging";
inline constexpr std::string_view kUserAuthBuild = "userAuth";
inline constexpr std::string_view kEksClusterBuild = "eksCluster";
inline constexpr std::string_view kFoundationBuild = "coffeeShopFoundation";
inline constexpr std::string_view kOrderManagerBuild = "coffeeShopOrderManager";
inline constexpr std::string_view kOrderProcessorBuild = "coffeeShopOrderProcessor";
// The two Spring builds keep the ids of the existing ondemandenv repos, so the generated
// workflow file is the one already checked in there:
// ODMD_sampleSpringOpenAPI3img-ContainerImageEcrus-west-1-workspace1.yaml.
inline constexpr std::string_view kSpringImageBuild = "sampleSpringOpenAPI3img";
inline constexpr std::string_view kSpringCdkBuild = "sampleSpringOpenAPI3cdk";

// Branch values. Envers outside us-west-1 follow their own branch, because a rev value
// is unique per build (rule R2).
inline constexpr std::string_view kMainBranch = "main";
inline constexpr std::string_view kDevBranch = "dev";
inline constexpr std::string_view kEastBranch = "main-east";
// The only tag: the coffee-shop + Spring release chain.
inline constexpr std::string_view kReleaseTag = "v1.0.0";

// Declares the whole org. Valid: Validate() returns no violation (tests/ checks it).
odmd::model::Contracts BuildSandboxContracts();

}  // namespace sandbox
