// Impact: breadth-first over dependents.
//
// "The roots are not listed unless reached from another root" needs more than one visited
// bit: with roots A and B where B consumes X and X consumes A, A is impacted (through B),
// but with A alone it is not. So every enver keeps up to two labels, each the nearest
// origin of a distinct root; a root is listed through its second label. Two labels per
// enver keep the search O(envers + edges).

#include "odmd/model/impact.h"

#include <algorithm>
#include <array>
#include <deque>
#include <limits>

#include "odmd/base/strings.h"

namespace odmd::model {
namespace {

constexpr std::uint32_t kProductOrigin = std::numeric_limits<std::uint32_t>::max();
constexpr EdgeIndex kNoEdge = std::numeric_limits<EdgeIndex>::max();

struct Label {
  std::uint32_t origin = 0;  // the root enver index, or kProductOrigin
  int depth = 0;
  EdgeIndex via = kNoEdge;
};

class ImpactSearch {
 public:
  explicit ImpactSearch(const Graph& graph)
      : graph_(graph), labels_(graph.enver_count()), count_(graph.enver_count(), 0) {}

  void AddRoot(EnverIndex root) { Add(root, Label{root, 0, kNoEdge}); }
  // A direct consumer of a product, at depth 1.
  void AddConsumerOf(EdgeIndex e) { Add(graph_.edge(e).consumer, Label{kProductOrigin, 1, e}); }

  std::vector<ImpactedEnver> Run() && {
    while (!queue_.empty()) {
      auto [v, slot] = queue_.front();
      queue_.pop_front();
      Label from = labels_[v][slot];
      for (EdgeIndex e : graph_.dependents(v)) {
        Add(graph_.edge(e).consumer, Label{from.origin, from.depth + 1, e});
      }
    }
    return Collect();
  }

 private:
  void Add(EnverIndex v, Label label) {
    std::uint8_t& n = count_[v];
    if (n == 2 || (n == 1 && labels_[v][0].origin == label.origin)) return;
    labels_[v][n] = label;
    queue_.emplace_back(v, n);
    ++n;
  }

  // The label an enver is listed with: the nearest one not from the enver itself.
  const Label* Listed(EnverIndex v) const {
    for (std::uint8_t s = 0; s < count_[v]; ++s) {
      const Label& l = labels_[v][s];
      if (l.depth > 0 && l.origin != v) return &l;
    }
    return nullptr;
  }

  std::vector<ImpactedEnver> Collect() const {
    std::vector<ImpactedEnver> out;
    for (EnverIndex v = 0; v < graph_.enver_count(); ++v) {
      const Label* l = Listed(v);
      if (l == nullptr) continue;
      const Edge& edge = graph_.edge(l->via);
      const Consumer& consumer = graph_.consumer(edge);
      const RevRef& rev = graph_.enver(v).rev;
      out.push_back(ImpactedEnver{graph_.node(v).id, l->depth, rev.IsImmutable(), rev.is_clone(),
                                  graph_.ProductId({edge.producer, edge.product_index}),
                                  consumer.name, consumer.reaction});
    }
    std::sort(out.begin(), out.end(), [](const ImpactedEnver& a, const ImpactedEnver& b) {
      return a.depth != b.depth ? a.depth < b.depth : a.enver_id < b.enver_id;
    });
    return out;
  }

  const Graph& graph_;
  std::vector<std::array<Label, 2>> labels_;
  std::vector<std::uint8_t> count_;
  std::deque<std::pair<EnverIndex, std::uint8_t>> queue_;
};

// ` (did you mean "x"?)` for a target that names nothing, or "".
std::string Suggestion(const Graph& graph, std::string_view target) {
  std::vector<std::string> candidates;
  size_t slash = target.find('/');
  size_t second = slash == std::string_view::npos ? slash : target.find('/', slash + 1);
  std::optional<EnverIndex> enver;
  if (second != std::string_view::npos) enver = graph.FindEnver(target.substr(0, second));
  if (enver) {
    for (std::uint32_t p = 0; p < graph.enver(*enver).products.size(); ++p) {
      candidates.push_back(graph.ProductId({*enver, p}));
    }
  } else {
    for (EnverIndex i = 0; i < graph.enver_count(); ++i) candidates.push_back(graph.node(i).id);
  }
  std::optional<std::string> match = ClosestMatch(target, candidates);
  return match ? " (did you mean " + Quote(*match) + "?)" : "";
}

}  // namespace

Result<std::vector<ImpactedEnver>> ComputeImpact(const Graph& graph,
                                                 std::string_view product_or_enver) {
  if (std::optional<EnverIndex> enver = graph.FindEnver(product_or_enver)) {
    EnverIndex root = *enver;
    return ComputeImpactOfEnvers(graph, std::span<const EnverIndex>(&root, 1));
  }
  std::optional<ProductLocation> product = graph.FindProduct(product_or_enver);
  if (!product) {
    return NotFoundError("no product or enver " + Quote(product_or_enver) +
                         Suggestion(graph, product_or_enver));
  }
  ImpactSearch search(graph);
  for (EdgeIndex e : graph.dependents(product->enver)) {
    if (graph.edge(e).product_index == product->product_index) search.AddConsumerOf(e);
  }
  return std::move(search).Run();
}

std::vector<ImpactedEnver> ComputeImpactOfEnvers(const Graph& graph,
                                                 std::span<const EnverIndex> roots) {
  ImpactSearch search(graph);
  for (EnverIndex r : roots) search.AddRoot(r);
  return std::move(search).Run();
}

}  // namespace odmd::model
