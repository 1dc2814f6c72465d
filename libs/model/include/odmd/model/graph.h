#pragma once

// The consumer graph of an Org (ninja's State: one object owns the nodes and edges).
// Nodes are envers; an edge runs from a consumer enver to the producer enver of the
// product it consumes. Lookups by enver id and by product path are O(1) (hash maps);
// adjacency is stored in compressed arrays so 1M edges stay compact.
//
// The graph tolerates invalid orgs: a consumer naming an unknown enver or product adds no
// edge, nor does a consumer of its own enver (rule R4 reports both); of envers sharing an
// id only the first becomes a node (R2 reports the others); of products sharing an id the
// first is found.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "odmd/model/org.h"

namespace odmd::model {

using EnverIndex = std::uint32_t;
using EdgeIndex = std::uint32_t;

struct EnverNode {
  std::string id;                 // "<build>/<rev>"
  std::uint32_t build_index = 0;  // into Org::builds
  std::uint32_t enver_index = 0;  // into Build::envers
};

// One consumer -> product dependency.
struct Edge {
  EnverIndex consumer = 0;           // the consuming enver
  std::uint32_t consumer_index = 0;  // into the consuming Enver::consumers
  EnverIndex producer = 0;           // the producing enver
  std::uint32_t product_index = 0;   // into the producing Enver::products
  bool has_placeholder = false;
};

// Where a product lives.
struct ProductLocation {
  EnverIndex enver = 0;
  std::uint32_t product_index = 0;
};

// Nodes are numbered in org order (builds, then envers), skipping duplicate ids; edges are
// ordered by (consumer node, consumer index). Construction is O(envers + products +
// consumers). Immutable after construction; thread-compatible (concurrent const use is
// safe).
class Graph {
 public:
  // REQUIRES: `org` outlives the graph and is not modified while the graph is used.
  explicit Graph(const Org& org);

  const Org& org() const { return *org_; }
  size_t enver_count() const { return nodes_.size(); }
  const EnverNode& node(EnverIndex i) const { return nodes_[i]; }
  const Build& build(EnverIndex i) const;
  const Enver& enver(EnverIndex i) const;

  std::span<const Edge> edges() const { return edges_; }
  const Edge& edge(EdgeIndex e) const { return edges_[e]; }
  const Consumer& consumer(const Edge& e) const;
  const Product& product(const Edge& e) const;

  // Edges whose consumer is `i` (what `i` depends on), in consumer order.
  std::span<const EdgeIndex> dependencies(EnverIndex i) const;
  // Edges whose producer is `i` (who consumes `i`'s products).
  std::span<const EdgeIndex> dependents(EnverIndex i) const;

  // By enver id "<build>/<rev>".
  std::optional<EnverIndex> FindEnver(std::string_view id) const;
  // By product id "<build>/<rev>/<name>" or product path "/odmd-share/<build>/<rev>/<name>".
  std::optional<ProductLocation> FindProduct(std::string_view id_or_path) const;

  // "<build>/<rev>/<name>" of a product.
  std::string ProductId(ProductLocation p) const;

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  void AddNodes();
  void AddEdges();
  void IndexDependents();
  // The index of product `name` on `producer`, first match; `scratch` is reused key space.
  std::optional<std::uint32_t> ProductIndexOf(EnverIndex producer, std::string_view name,
                                              std::string& scratch) const;

  const Org* org_;
  std::vector<EnverNode> nodes_;
  std::vector<Edge> edges_;
  // CSR adjacency: dep_edges_[dep_start_[i] .. dep_start_[i+1]) etc.
  std::vector<std::uint32_t> dep_start_, dep_edges_, rdep_start_, rdep_edges_;
  std::unordered_map<std::string, EnverIndex, StringHash, std::equal_to<>> enver_by_id_;
  // Key: product id "<build>/<rev>/<name>".
  std::unordered_map<std::string, ProductLocation, StringHash, std::equal_to<>> product_by_id_;
};

// Strongly connected components in dependency order: every component comes after the
// components it depends on (producers before consumers). Members are sorted by index.
struct Components {
  std::vector<std::uint32_t> component_of;       // per enver
  std::vector<std::vector<EnverIndex>> members;  // per component
  // True if the component has more than one enver (a self-loop cannot exist: R4).
  bool IsCycle(std::uint32_t c) const { return members[c].size() > 1; }
};
Components StronglyConnectedComponents(const Graph& graph);

// A dependency cycle as a path of enver ids whose first and last element are equal.
struct CyclePath {
  std::vector<std::string> envers;
  // "a/b..main -> b/b..main -> a/b..main".
  std::string ToString() const;
};

// One cycle per group of envers whose dependencies form a cycle in which no consumer has a
// placeholder (rule R8). Deterministic: each path starts at the smallest enver id of its
// group. Empty when every cycle is broken by a placeholder.
std::vector<CyclePath> FindCyclesWithoutPlaceholder(const Graph& graph);

}  // namespace odmd::model
