#pragma once

// Graph algorithms shared by scc.cc, plan.cc, plan_explain.cc and impact.cc; not part of
// the public API.

#include <cstdint>
#include <string>
#include <vector>

#include "odmd/model/graph.h"

namespace odmd::model::internal {

// Which edges a traversal follows.
enum class EdgeFilter {
  kAll,
  kWithoutPlaceholder,  // only edges whose consumer has no placeholder (rule R8)
};

// Strongly connected components of the subgraph of `filter` edges, in dependency order
// (iterative Tarjan; members sorted).
Components ComputeComponents(const Graph& graph, EdgeFilter filter);

// The same, over the envers of the cycles of `within` (components of every edge) only: a
// cycle of `filter` edges lies inside one of those, so these are all of the graph's cycles
// of `filter` edges, found without visiting the rest. Envers outside them are in no
// component (component_of: max).
Components ComputeComponentsWithinCycles(const Graph& graph, EdgeFilter filter,
                                         const Components& within);

// A shortest path of dependency edges of `filter` from `from` to `to` that stays inside
// component `component` of `components`, preferring smaller enver ids at each step; the
// path includes both ends. Empty if there is none. With from == to, a shortest cycle
// through `from` (first and last element equal).
std::vector<EnverIndex> ShortestPathInComponent(const Graph& graph, const Components& components,
                                                std::uint32_t component, EnverIndex from,
                                                EnverIndex to, EdgeFilter filter);

// "a/b..main -> b/b..main -> a/b..main".
std::string JoinPath(const Graph& graph, const std::vector<EnverIndex>& path);

// Each enver's position in the order of enver ids (plan.cc), so that sorting by id compares
// numbers.
std::vector<std::uint32_t> RankById(const Graph& graph);

}  // namespace odmd::model::internal
