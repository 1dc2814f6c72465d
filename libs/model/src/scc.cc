// Strongly connected components (iterative Tarjan) and rule R8's cycle paths.
//
// Recursion is not an option: a 50,000-enver dependency chain would need 50,000 frames.
// The explicit call stack below keeps, per enver, the position in its dependency list.

#include <algorithm>
#include <deque>
#include <limits>
#include <optional>
#include <unordered_map>

#include "graph_internal.h"
#include "odmd/base/strings.h"

namespace odmd::model {
namespace internal {
namespace {

constexpr std::uint32_t kUnvisited = std::numeric_limits<std::uint32_t>::max();

bool Follows(const Edge& e, EdgeFilter filter) {
  return filter == EdgeFilter::kAll || !e.has_placeholder;
}

class Tarjan {
 public:
  // `within`: when not null, only the envers of its cycles are visited and only edges inside
  // their component followed.
  Tarjan(const Graph& graph, EdgeFilter filter, const Components* within = nullptr)
      : graph_(graph),
        filter_(filter),
        within_(within),
        index_(graph.enver_count(), kUnvisited),
        low_(graph.enver_count(), 0),
        on_stack_(graph.enver_count(), 0) {
    out_.component_of.assign(graph.enver_count(), within == nullptr ? 0 : kUnvisited);
    out_.members.Reserve(graph.enver_count());
  }

  Components Run() && {
    for (EnverIndex root = 0; root < graph_.enver_count(); ++root) {
      bool in_scope = within_ == nullptr || within_->IsCycle(within_->component_of[root]);
      if (in_scope && index_[root] == kUnvisited) Visit(root);
    }
    return std::move(out_);
  }

 private:
  struct Frame {
    EnverIndex enver;
    EdgeIndex next, end;  // the enver's dependencies not yet followed
  };

  void Push(EnverIndex v) {
    index_[v] = low_[v] = next_index_++;
    stack_.push_back(v);
    on_stack_[v] = 1;
    EdgeRange deps = graph_.dependencies(v);
    calls_.push_back(Frame{v, *deps.begin(), *deps.end()});
  }

  // The first unvisited producer along the top frame's remaining edges, or nullopt when
  // they are done; lowers the frame's low link on the way.
  std::optional<EnverIndex> NextUnvisited() {
    Frame& f = calls_.back();
    EnverIndex v = f.enver;
    while (f.next < f.end) {
      const Edge& e = graph_.edge(f.next++);
      if (!Follows(e, filter_)) continue;
      if (within_ != nullptr &&
          within_->component_of[e.producer] != within_->component_of[e.consumer]) {
        continue;
      }
      EnverIndex w = e.producer;
      if (index_[w] == kUnvisited) return w;
      if (on_stack_[w]) low_[v] = std::min(low_[v], index_[w]);
    }
    return std::nullopt;
  }

  void Visit(EnverIndex root) {
    Push(root);
    while (!calls_.empty()) {
      if (std::optional<EnverIndex> w = NextUnvisited()) {
        Push(*w);
        continue;
      }
      EnverIndex v = calls_.back().enver;
      calls_.pop_back();
      if (low_[v] == index_[v]) PopComponent(v);
      if (!calls_.empty()) {
        EnverIndex parent = calls_.back().enver;
        low_[parent] = std::min(low_[parent], low_[v]);
      }
    }
  }

  // Everything above `root` on the stack forms one component. Tarjan completes a component
  // only after every component it reaches, i.e. producers before consumers.
  void PopComponent(EnverIndex root) {
    auto id = static_cast<std::uint32_t>(out_.members.size());
    members_.clear();
    EnverIndex w;
    do {
      w = stack_.back();
      stack_.pop_back();
      on_stack_[w] = 0;
      out_.component_of[w] = id;
      members_.push_back(w);
    } while (w != root);
    std::sort(members_.begin(), members_.end());
    out_.members.Add(members_);
  }

  const Graph& graph_;
  EdgeFilter filter_;
  const Components* within_;
  std::vector<std::uint32_t> index_, low_;
  std::vector<char> on_stack_;
  std::vector<EnverIndex> stack_;
  std::vector<Frame> calls_;
  std::vector<EnverIndex> members_;  // scratch of PopComponent
  std::uint32_t next_index_ = 0;
  Components out_;
};

// Producers of `v` through `filter` edges inside `component`, by enver id, each once.
std::vector<EnverIndex> SortedNeighbours(const Graph& graph, const Components& components,
                                         std::uint32_t component, EnverIndex v, EdgeFilter filter) {
  std::vector<EnverIndex> out;
  for (EdgeIndex e : graph.dependencies(v)) {
    const Edge& edge = graph.edge(e);
    if (Follows(edge, filter) && components.component_of[edge.producer] == component) {
      out.push_back(edge.producer);
    }
  }
  std::sort(out.begin(), out.end(),
            [&graph](EnverIndex a, EnverIndex b) { return graph.node(a).id < graph.node(b).id; });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

Components ComputeComponents(const Graph& graph, EdgeFilter filter) {
  return Tarjan(graph, filter).Run();
}

Components ComputeComponentsWithinCycles(const Graph& graph, EdgeFilter filter,
                                         const Components& within) {
  return Tarjan(graph, filter, &within).Run();
}

std::vector<EnverIndex> ShortestPathInComponent(const Graph& graph, const Components& components,
                                                std::uint32_t component, EnverIndex from,
                                                EnverIndex to, EdgeFilter filter) {
  // Breadth-first from `from`; the first time `to` appears as a neighbour the path through
  // the current node is a shortest one. Parents live in a map: components are usually tiny
  // compared with the graph.
  std::unordered_map<EnverIndex, EnverIndex> parent{{from, from}};
  std::deque<EnverIndex> queue{from};
  while (!queue.empty()) {
    EnverIndex u = queue.front();
    queue.pop_front();
    for (EnverIndex w : SortedNeighbours(graph, components, component, u, filter)) {
      if (w == to) {
        std::vector<EnverIndex> path{to};
        for (EnverIndex x = u;; x = parent[x]) {
          path.push_back(x);
          if (x == from) break;
        }
        std::reverse(path.begin(), path.end());
        return path;
      }
      if (parent.try_emplace(w, u).second) queue.push_back(w);
    }
  }
  return {};
}

std::string JoinPath(const Graph& graph, const std::vector<EnverIndex>& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (i > 0) out += " -> ";
    out += graph.node(path[i]).id;
  }
  return out;
}

}  // namespace internal

Components StronglyConnectedComponents(const Graph& graph) {
  return internal::ComputeComponents(graph, internal::EdgeFilter::kAll);
}

std::string CyclePath::ToString() const { return StrJoin(envers, " -> "); }

std::vector<CyclePath> FindCyclesWithoutPlaceholder(const Graph& graph) {
  using internal::EdgeFilter;
  // A cycle of edges without placeholders lies inside a cycle of all the edges: only the
  // envers of the graph's cycles are searched (the graph's components are the planner's too).
  Components components = internal::ComputeComponentsWithinCycles(
      graph, EdgeFilter::kWithoutPlaceholder, graph.components());
  std::vector<CyclePath> cycles;
  for (std::uint32_t c = 0; c < components.members.size(); ++c) {
    if (!components.IsCycle(c)) continue;
    std::span<const EnverIndex> members = components.members[c];
    EnverIndex start = *std::min_element(
        members.begin(), members.end(),
        [&graph](EnverIndex a, EnverIndex b) { return graph.node(a).id < graph.node(b).id; });
    std::vector<EnverIndex> path = internal::ShortestPathInComponent(
        graph, components, c, start, start, EdgeFilter::kWithoutPlaceholder);
    CyclePath& cycle = cycles.emplace_back();
    for (EnverIndex v : path) cycle.envers.push_back(graph.node(v).id);
  }
  std::sort(cycles.begin(), cycles.end(),
            [](const CyclePath& a, const CyclePath& b) { return a.envers < b.envers; });
  return cycles;
}

}  // namespace odmd::model
