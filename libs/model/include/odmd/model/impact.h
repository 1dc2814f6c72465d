#pragma once

// Impact queries: who is affected, transitively, when a product or an enver changes.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "odmd/base/status.h"
#include "odmd/model/graph.h"

namespace odmd::model {

struct ImpactedEnver {
  std::string enver_id;
  // 1 for a direct consumer, 2 for a consumer of a direct consumer, ...
  int depth = 0;
  bool is_tag = false;    // immutable: will never react
  bool is_clone = false;  // a dynamic enver
  // The product id (build/rev/name) through which this enver is first reached, and the
  // consumer's reaction to it.
  std::string via_product;
  std::string via_consumer;
  Reaction reaction = Reaction::kRedeploy;
};

// Every transitive consumer of `product_or_enver` (a product id/path or an enver id),
// ordered by depth then enver id; breadth-first, each enver once. For a product, depth 1
// holds the consumers of that product only, and its producer is listed too when a cycle
// leads back to it; for an enver, see ComputeImpactOfEnvers. kNotFound (with a did-you-mean
// when one is close) if it names neither a product nor an enver of the graph.
Result<std::vector<ImpactedEnver>> ComputeImpact(const Graph& graph,
                                                 std::string_view product_or_enver);

// Every transitive consumer of any of `roots` (enver indices); the roots themselves are
// not listed unless reached from another root.
std::vector<ImpactedEnver> ComputeImpactOfEnvers(const Graph& graph,
                                                 std::span<const EnverIndex> roots);

}  // namespace odmd::model
