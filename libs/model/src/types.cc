#include "odmd/model/types.h"

#include <array>
#include <utility>

namespace odmd::model {
namespace {

constexpr std::array<std::pair<BuildKind, std::string_view>, 7> kBuildKinds = {{
    {BuildKind::kContracts, "contracts"},
    {BuildKind::kCdk, "cdk"},
    {BuildKind::kImage, "image"},
    {BuildKind::kCmd, "cmd"},
    {BuildKind::kNetworking, "networking"},
    {BuildKind::kEksCluster, "eks-cluster"},
    {BuildKind::kUserAuth, "user-auth"},
}};

constexpr std::array<std::pair<Reaction, std::string_view>, 3> kReactions = {{
    {Reaction::kRedeploy, "redeploy"},
    {Reaction::kNotify, "notify"},
    {Reaction::kIgnore, "ignore"},
}};

template <typename E, size_t N>
std::string_view NameOf(const std::array<std::pair<E, std::string_view>, N>& table, E e) {
  for (const auto& [value, name] : table) {
    if (value == e) return name;
  }
  return "unknown";
}

template <typename E, size_t N>
std::optional<E> Lookup(const std::array<std::pair<E, std::string_view>, N>& table,
                        std::string_view name) {
  for (const auto& [value, n] : table) {
    if (n == name) return value;
  }
  return std::nullopt;
}

}  // namespace

std::string_view BuildKindName(BuildKind kind) { return NameOf(kBuildKinds, kind); }
std::optional<BuildKind> ParseBuildKind(std::string_view name) { return Lookup(kBuildKinds, name); }

bool DefaultEphemeral(BuildKind kind) {
  return kind != BuildKind::kContracts && kind != BuildKind::kNetworking &&
         kind != BuildKind::kUserAuth;
}

std::string_view ReactionName(Reaction r) { return NameOf(kReactions, r); }
std::optional<Reaction> ParseReaction(std::string_view name) { return Lookup(kReactions, name); }

char RevTypeLetter(RevType t) { return t == RevType::kBranch ? 'b' : 't'; }

}  // namespace odmd::model
