#include "odmd/model/graph.h"

#include <limits>

#include "odmd/base/check.h"

namespace odmd::model {
namespace {

constexpr std::string_view kProductPathPrefix = "/odmd-share/";

// Below this many products a linear scan of names beats hashing "<build>/<rev>/<name>".
constexpr size_t kLinearProductScan = 8;

}  // namespace

Graph::Graph(const Org& org) : org_(&org) {
  AddNodes();
  AddEdges();
  IndexDependents();
}

const Build& Graph::build(EnverIndex i) const { return org_->builds[nodes_[i].build_index]; }

const Enver& Graph::enver(EnverIndex i) const { return build(i).envers[nodes_[i].enver_index]; }

const Consumer& Graph::consumer(const Edge& e) const {
  return enver(e.consumer).consumers[e.consumer_index];
}

const Product& Graph::product(const Edge& e) const {
  return enver(e.producer).products[e.product_index];
}

std::span<const EdgeIndex> Graph::dependencies(EnverIndex i) const {
  return std::span<const EdgeIndex>(dep_edges_)
      .subspan(dep_start_[i], dep_start_[i + 1] - dep_start_[i]);
}

std::span<const EdgeIndex> Graph::dependents(EnverIndex i) const {
  return std::span<const EdgeIndex>(rdep_edges_)
      .subspan(rdep_start_[i], rdep_start_[i + 1] - rdep_start_[i]);
}

std::optional<EnverIndex> Graph::FindEnver(std::string_view id) const {
  auto it = enver_by_id_.find(id);
  if (it == enver_by_id_.end()) return std::nullopt;
  return it->second;
}

std::optional<ProductLocation> Graph::FindProduct(std::string_view id_or_path) const {
  if (id_or_path.starts_with(kProductPathPrefix))
    id_or_path.remove_prefix(kProductPathPrefix.size());
  auto it = product_by_id_.find(id_or_path);
  if (it == product_by_id_.end()) return std::nullopt;
  return it->second;
}

std::string Graph::ProductId(ProductLocation p) const {
  const std::string& name = enver(p.enver).products[p.product_index].name;
  std::string id;
  id.reserve(nodes_[p.enver].id.size() + 1 + name.size());
  id += nodes_[p.enver].id;
  id += '/';
  id += name;
  return id;
}

void Graph::AddNodes() {
  size_t envers = 0, products = 0;
  for (const Build& b : org_->builds) {
    envers += b.envers.size();
    for (const Enver& e : b.envers) products += e.products.size();
  }
  nodes_.reserve(envers);
  enver_by_id_.reserve(envers);
  product_by_id_.reserve(products);
  for (std::uint32_t b = 0; b < org_->builds.size(); ++b) {
    const Build& build = org_->builds[b];
    for (std::uint32_t e = 0; e < build.envers.size(); ++e) {
      const Enver& enver = build.envers[e];
      std::string id;
      id.reserve(build.id.size() + 1 + enver.rev.str().size());
      id += build.id;
      id += '/';
      id += enver.rev.str();
      auto index = static_cast<EnverIndex>(nodes_.size());
      if (!enver_by_id_.try_emplace(id, index).second) continue;  // duplicate: first wins
      for (std::uint32_t p = 0; p < enver.products.size(); ++p) {
        const std::string& name = enver.products[p].name;
        std::string key;
        key.reserve(id.size() + 1 + name.size());
        key += id;
        key += '/';
        key += name;
        product_by_id_.try_emplace(std::move(key), ProductLocation{index, p});
      }
      nodes_.push_back(EnverNode{std::move(id), b, e});
    }
  }
}

std::optional<std::uint32_t> Graph::ProductIndexOf(EnverIndex producer, std::string_view name,
                                                   std::string& scratch) const {
  const std::vector<Product>& products = enver(producer).products;
  if (products.size() <= kLinearProductScan) {
    for (std::uint32_t p = 0; p < products.size(); ++p) {
      if (products[p].name == name) return p;
    }
    return std::nullopt;
  }
  scratch.assign(nodes_[producer].id);
  scratch += '/';
  scratch += name;
  auto it = product_by_id_.find(scratch);
  if (it == product_by_id_.end()) return std::nullopt;
  return it->second.product_index;
}

void Graph::AddEdges() {
  size_t consumers = 0;
  for (EnverIndex i = 0; i < nodes_.size(); ++i) consumers += enver(i).consumers.size();
  ODMD_CHECK(consumers < std::numeric_limits<EdgeIndex>::max());
  edges_.reserve(consumers);
  dep_start_.reserve(nodes_.size() + 1);
  std::string scratch;
  // Consecutive consumers usually name the same producer; remember the last lookup.
  std::string_view last_id;
  std::optional<EnverIndex> last_producer;
  for (EnverIndex i = 0; i < nodes_.size(); ++i) {
    dep_start_.push_back(static_cast<std::uint32_t>(edges_.size()));
    const std::vector<Consumer>& list = enver(i).consumers;
    for (std::uint32_t c = 0; c < list.size(); ++c) {
      const Consumer& consumer = list[c];
      if (consumer.producer != last_id) {
        last_id = consumer.producer;
        last_producer = FindEnver(last_id);
      }
      if (!last_producer || *last_producer == i) continue;  // R4 reports both
      std::optional<std::uint32_t> product =
          ProductIndexOf(*last_producer, consumer.product, scratch);
      if (!product) continue;
      edges_.push_back(Edge{i, c, *last_producer, *product, consumer.placeholder.has_value()});
    }
  }
  dep_start_.push_back(static_cast<std::uint32_t>(edges_.size()));
  // Edges are appended per consumer node, so each node's dependencies are a contiguous run.
  dep_edges_.resize(edges_.size());
  for (EdgeIndex e = 0; e < edges_.size(); ++e) dep_edges_[e] = e;
}

void Graph::IndexDependents() {
  // Counting sort of edge indices by producer; stable, so each run keeps edge order.
  rdep_start_.assign(nodes_.size() + 1, 0);
  for (const Edge& e : edges_) ++rdep_start_[e.producer + 1];
  for (size_t i = 1; i < rdep_start_.size(); ++i) rdep_start_[i] += rdep_start_[i - 1];
  rdep_edges_.resize(edges_.size());
  std::vector<std::uint32_t> next(rdep_start_.begin(), rdep_start_.end() - 1);
  for (EdgeIndex e = 0; e < edges_.size(); ++e) rdep_edges_[next[edges_[e].producer]++] = e;
}

}  // namespace odmd::model
