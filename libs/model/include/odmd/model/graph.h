#pragma once

// The consumer graph of an Org (ninja's State: one object owns the nodes and edges).
// Nodes are envers; an edge runs from a consumer enver to the producer enver of the
// product it consumes. Lookups by enver id and by product path are O(1) (flat open-
// addressing tables of indices, no per-entry allocation; a product is found through its
// enver); adjacency is stored in compressed arrays so 1M edges stay compact (16 bytes each).
//
// The graph tolerates invalid orgs: a consumer naming an unknown enver or product adds no
// edge, nor does a consumer of its own enver (rule R4 reports both); of envers sharing an
// id only the first becomes a node (R2 reports the others); of products sharing an id the
// first is found.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
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

// One consumer -> product dependency (16 bytes: a million edges are 16 MB).
struct Edge {
  EnverIndex consumer = 0;               // the consuming enver
  std::uint32_t consumer_index = 0;      // into the consuming Enver::consumers
  EnverIndex producer = 0;               // the producing enver
  std::uint32_t product_index : 31 = 0;  // into the producing Enver::products
  bool has_placeholder : 1 = false;      // the consumer has a placeholder
};
static_assert(sizeof(Edge) == 16);

// Edge indices [first, last): an enver's dependencies are one contiguous run of edges.
// The edges [first, last) of one enver: a range of consecutive edge indices. (A small class
// rather than std::ranges::iota_view, which clang 14 cannot compile with libstdc++ 12.)
class EdgeRange {
 public:
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = EdgeIndex;
    using difference_type = std::ptrdiff_t;
    using pointer = const EdgeIndex*;
    using reference = EdgeIndex;

    iterator() = default;
    explicit iterator(EdgeIndex e) : e_(e) {}
    EdgeIndex operator*() const { return e_; }
    iterator& operator++() {
      ++e_;
      return *this;
    }
    iterator operator++(int) {
      iterator old = *this;
      ++e_;
      return old;
    }
    friend bool operator==(iterator a, iterator b) { return a.e_ == b.e_; }

   private:
    EdgeIndex e_ = 0;
  };

  EdgeRange(EdgeIndex first, EdgeIndex last) : first_(first), last_(last) {}
  iterator begin() const { return iterator(first_); }
  iterator end() const { return iterator(last_); }
  size_t size() const { return last_ - first_; }
  bool empty() const { return first_ == last_; }
  EdgeIndex operator[](size_t i) const { return first_ + static_cast<EdgeIndex>(i); }

 private:
  EdgeIndex first_, last_;
};

// Where a product lives.
struct ProductLocation {
  EnverIndex enver = 0;
  std::uint32_t product_index = 0;
};

struct Components;

// Nodes are numbered in org order (builds, then envers), skipping duplicate ids; edges are
// ordered by (consumer node, consumer index). Construction is O(envers + products +
// consumers). Immutable after construction; thread-compatible (concurrent const use is
// safe).
class Graph {
 public:
  // REQUIRES: `org` outlives the graph and is not modified while the graph is used.
  explicit Graph(const Org& org);
  ~Graph();
  Graph(Graph&&) noexcept;
  Graph& operator=(Graph&&) noexcept;

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
  EdgeRange dependencies(EnverIndex i) const { return EdgeRange(dep_start_[i], dep_start_[i + 1]); }
  // Edges whose producer is `i` (who consumes `i`'s products), in edge order. The index
  // behind them is built on first use (validation and planning a valid org never need it);
  // safe to call from several threads at once.
  std::span<const EdgeIndex> dependents(EnverIndex i) const;

  // By enver id "<build>/<rev>".
  std::optional<EnverIndex> FindEnver(std::string_view id) const;
  // By product id "<build>/<rev>/<name>" or product path "/odmd-share/<build>/<rev>/<name>".
  std::optional<ProductLocation> FindProduct(std::string_view id_or_path) const;

  // "<build>/<rev>/<name>" of a product.
  std::string ProductId(ProductLocation p) const;

  // Facts of a node's enver, gathered with the nodes so that walks over a million edges
  // read small arrays: whether its rev is immutable (RevRef::IsImmutable), and its region
  // as a number (nodes in one region have the same number, in different ones different).
  bool immutable(EnverIndex i) const { return immutable_[i] != 0; }
  // The names of node i's products as numbers, in product order: equal numbers are equal
  // names, across all nodes.
  std::span<const std::uint32_t> product_name_numbers(EnverIndex i) const {
    return std::span<const std::uint32_t>(product_names_)
        .subspan(product_start_[i], product_start_[i + 1] - product_start_[i]);
  }
  std::uint32_t region_number(EnverIndex i) const { return region_number_[i]; }

  // The strongly connected components of all the edges (StronglyConnectedComponents below),
  // computed on first use and kept: rule R8 and the planner both start from them. Safe to
  // call from several threads at once.
  const Components& components() const;

 private:
  // A product table slot: products of envers with many products, keyed by (enver, name id).
  struct ProductSlot {
    std::uint32_t enver_plus1 = 0;  // 0: empty
    std::uint32_t name = 0;         // the product name's id
    std::uint32_t product_index = 0;
  };
  static constexpr std::uint32_t kNoName = 0xffffffffu;
  void AddNodes();
  void AddEdges();
  // The id of `name` among the org's product names; kNoName when no product has it.
  std::uint32_t NameId(std::string_view name) const;
  std::uint32_t InternName(std::string_view name);
  void GrowNames();
  // The index of the product whose name has id `name` on `producer`, first match.
  std::optional<std::uint32_t> ProductIndexOf(EnverIndex producer, std::uint32_t name) const;
  void IndexProducts(EnverIndex enver);

  const Org* org_;
  std::vector<EnverNode> nodes_;
  std::vector<Edge> edges_;
  // CSR adjacency: edges dep_start_[i] .. dep_start_[i+1] are i's dependencies (its
  // dependents are in lazy_).
  std::vector<std::uint32_t> dep_start_;
  std::vector<char> immutable_;               // per node
  std::vector<std::uint32_t> region_number_;  // per node
  // Open addressing, linear probing, power-of-two sizes. An enver slot is
  // (hash >> 32) << 32 | (node index + 1), 0 when empty; the id lives in nodes_.
  std::vector<std::uint64_t> enver_slots_;
  // Product names, interned: each distinct name of the org's products has an id (names_[id]
  // views the first product's name), and a node's products are their names' ids, contiguous:
  // product_names_[product_start_[i] .. product_start_[i + 1]). A consumer's product is found
  // by comparing numbers in one small array, not names in the producer's products.
  std::vector<std::string_view> names_;
  std::vector<std::uint64_t> name_slots_;  // as enver_slots_, with name id + 1
  std::vector<std::uint32_t> product_start_, product_names_;
  std::vector<ProductSlot> product_slots_;
  struct Lazy;  // what is computed on first use: components(), dependents()
  const Lazy& Dependents() const;
  std::unique_ptr<Lazy> lazy_;
};

// The members of each component, in one array (an org of 50,000 envers has about as many
// components, nearly all of one enver: a vector each was an allocation each).
class ComponentMembers {
 public:
  size_t size() const { return start_.size() - 1; }
  bool empty() const { return size() == 0; }
  // The members of component `c`.
  std::span<const EnverIndex> operator[](std::uint32_t c) const {
    return std::span<const EnverIndex>(envers_).subspan(start_[c], start_[c + 1] - start_[c]);
  }
  // Adds a component of `members`.
  void Add(std::span<const EnverIndex> members) {
    envers_.insert(envers_.end(), members.begin(), members.end());
    start_.push_back(static_cast<std::uint32_t>(envers_.size()));
  }
  void Reserve(size_t envers) { envers_.reserve(envers); }

 private:
  std::vector<std::uint32_t> start_{0};  // component c: envers_[start_[c], start_[c + 1])
  std::vector<EnverIndex> envers_;
};

// Strongly connected components in dependency order: every component comes after the
// components it depends on (producers before consumers). Members are sorted by index.
struct Components {
  std::vector<std::uint32_t> component_of;  // per enver
  ComponentMembers members;                 // per component
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
