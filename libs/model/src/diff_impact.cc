// DiffImpact: the envers a manifest change affects, computed on the new org.
//
// Two distances are kept apart: whether an enver is listed at depth 0 (it changed itself)
// and its breadth-first distance from the changed envers and removed producers, which is
// what carries the search on. An enver that is both (a consumer owner that also consumes a
// changed enver) is listed at 0 but still passes the change on to its own consumers.

#include <algorithm>
#include <deque>
#include <limits>

#include "odmd/model/diff.h"
#include "odmd/model/graph.h"

namespace odmd::model {
namespace {

constexpr int kUnreached = std::numeric_limits<int>::max();

// The owner enver id "<build>/<rev>" of a consumer id "<build>/<rev>/<name>".
std::string_view OwnerOf(std::string_view consumer_id) {
  size_t first = consumer_id.find('/');
  if (first == std::string_view::npos) return consumer_id;
  size_t second = consumer_id.find('/', first + 1);
  return second == std::string_view::npos ? consumer_id : consumer_id.substr(0, second);
}

class DiffImpactSearch {
 public:
  DiffImpactSearch(const Org& before, const Org& after)
      : before_(before),
        after_(after),
        changed_(after_.enver_count(), 0),
        distance_(after_.enver_count(), kUnreached),
        via_(after_.enver_count()) {}

  // Added and changed envers, and owners of changed consumers: depth 0.
  void ApplyChanged(const Change& c) {
    if (c.object == "enver" && c.kind != ChangeKind::kRemoved) {
      if (std::optional<EnverIndex> v = after_.FindEnver(c.id)) {
        changed_[*v] = 1;
        if (c.kind == ChangeKind::kChanged) Reach(*v, 0, {});
      }
    } else if (c.object == "consumer") {
      if (std::optional<EnverIndex> v = after_.FindEnver(OwnerOf(c.id))) changed_[*v] = 1;
    }
  }

  // Consumers of removed envers and products: depth 1. After every ApplyChanged, so the
  // queue stays in distance order.
  void ApplyRemoved(const Change& c) {
    if (c.kind != ChangeKind::kRemoved) return;
    if (c.object == "enver") SeedConsumersOfEnver(c.id);
    if (c.object == "product") SeedConsumersOfProduct(c.id);
  }

  std::vector<ImpactedEnver> Run() && {
    while (!queue_.empty()) {
      EnverIndex v = queue_.front();
      queue_.pop_front();
      for (EdgeIndex e : after_.dependents(v)) {
        const Edge& edge = after_.edge(e);
        const Consumer& consumer = after_.consumer(edge);
        Reach(edge.consumer, distance_[v] + 1,
              {after_.ProductId({edge.producer, edge.product_index}), consumer.name,
               consumer.reaction});
      }
    }
    return Collect();
  }

 private:
  struct Via {
    std::string product;
    std::string consumer;
    Reaction reaction = Reaction::kRedeploy;
  };

  void Reach(EnverIndex v, int distance, Via via) {
    if (distance_[v] != kUnreached) return;
    distance_[v] = distance;
    via_[v] = std::move(via);
    queue_.push_back(v);
  }

  // Direct consumers as declared in `before`, reached in `after` at depth 1.
  void SeedConsumersOfEnver(std::string_view id) {
    std::optional<EnverIndex> gone = before_.FindEnver(id);
    if (!gone) return;
    for (EdgeIndex e : before_.dependents(*gone)) SeedFromBefore(before_.edge(e));
  }

  void SeedConsumersOfProduct(std::string_view id) {
    std::optional<ProductLocation> gone = before_.FindProduct(id);
    if (!gone) return;
    for (EdgeIndex e : before_.dependents(gone->enver)) {
      const Edge& edge = before_.edge(e);
      if (edge.product_index == gone->product_index) SeedFromBefore(edge);
    }
  }

  void SeedFromBefore(const Edge& edge) {
    std::optional<EnverIndex> v = after_.FindEnver(before_.node(edge.consumer).id);
    if (!v) return;  // the consumer is gone too
    const Consumer& consumer = before_.consumer(edge);
    Reach(
        *v, 1,
        {before_.ProductId({edge.producer, edge.product_index}), consumer.name, consumer.reaction});
  }

  std::vector<ImpactedEnver> Collect() const {
    std::vector<ImpactedEnver> out;
    for (EnverIndex v = 0; v < after_.enver_count(); ++v) {
      if (!changed_[v] && distance_[v] == kUnreached) continue;
      const RevRef& rev = after_.enver(v).rev;
      ImpactedEnver& e = out.emplace_back();
      e.enver_id = after_.node(v).id;
      e.is_tag = rev.IsImmutable();
      e.is_clone = rev.is_clone();
      if (changed_[v]) continue;  // depth 0: it changed itself
      e.depth = distance_[v];
      e.via_product = via_[v].product;
      e.via_consumer = via_[v].consumer;
      e.reaction = via_[v].reaction;
    }
    std::sort(out.begin(), out.end(), [](const ImpactedEnver& a, const ImpactedEnver& b) {
      return a.depth != b.depth ? a.depth < b.depth : a.enver_id < b.enver_id;
    });
    return out;
  }

  Graph before_, after_;
  std::vector<char> changed_;
  std::vector<int> distance_;
  std::vector<Via> via_;
  std::deque<EnverIndex> queue_;
};

}  // namespace

std::vector<ImpactedEnver> DiffImpact(const Org& before, const Org& after,
                                      const ManifestDiff& diff) {
  DiffImpactSearch search(before, after);
  for (const Change& c : diff.changes) search.ApplyChanged(c);
  for (const Change& c : diff.changes) search.ApplyRemoved(c);
  return std::move(search).Run();
}

}  // namespace odmd::model
