#pragma once

// Small vocabulary types of the contracts model: build kinds, reactions, rev types.

#include <cstdint>
#include <optional>
#include <string_view>

namespace odmd::model {

// What a build produces and how it is built. Each kind has its own enver kind and CI
// shape. Stored by name in manifests ("cdk", "eks-cluster", ...), never by number.
enum class BuildKind {
  kContracts,   // the singleton contracts library itself
  kCdk,         // deploys stacks
  kImage,       // builds a container image; producer only
  kCmd,         // runs scripts and publishes what they write
  kNetworking,  // built-in: IPAM, VPC, transit gateway
  kEksCluster,  // built-in: one EKS cluster per enver
  kUserAuth,    // built-in singleton: console user auth
};

// "contracts", "cdk", "image", "cmd", "networking", "eks-cluster", "user-auth".
std::string_view BuildKindName(BuildKind kind);
// The inverse of BuildKindName; nullopt for an unknown name.
std::optional<BuildKind> ParseBuildKind(std::string_view name);
// Envers are ephemeral by default except for contracts, networking and user-auth.
bool DefaultEphemeral(BuildKind kind);

// What happens to a consumer enver when a product it consumes gets a new version.
enum class Reaction : std::uint8_t {  // one byte: a consumer holds one (org.h)
  kRedeploy,                          // queue a deployment (the default)
  kNotify,                            // record an alert event only
  kIgnore,                            // do nothing
};

// "redeploy", "notify", "ignore".
std::string_view ReactionName(Reaction r);
std::optional<Reaction> ParseReaction(std::string_view name);

// A branch enver is mutable; a tag enver is immutable.
enum class RevType { kBranch, kTag };

// "b" or "t": the prefix letter in a RevRef.
char RevTypeLetter(RevType t);

}  // namespace odmd::model
