// Explanations of the bootstrap plan's steps (plan.h, PlanExplainer): one sentence each,
// formatted only when asked. The plan keeps each step's placeholder edges and the edges a
// redeploy replaces; the waves and components the sentences name are computed here again.

#include <algorithm>

#include "graph_internal.h"
#include "odmd/base/check.h"
#include "odmd/base/strings.h"
#include "odmd/model/plan.h"

namespace odmd::model {
namespace {

// Cycles larger than this are named by size in explanations instead of by path: a path
// through hundreds of envers explains nothing, and searching it per step would cost
// O(component) each time.
constexpr size_t kMaxExplainedCycle = 64;

std::string QuotedList(const std::vector<std::string>& names) {
  std::vector<std::string> quoted;
  quoted.reserve(names.size());
  for (const std::string& n : names) quoted.push_back(Quote(n));
  return StrJoin(quoted, ", ");
}

}  // namespace

PlanExplainer::PlanExplainer(const Graph& graph, const Plan& plan)
    : graph_(graph),
      components_(graph.components()),
      first_wave_(graph.enver_count(), 0),
      last_wave_(graph.enver_count(), 0),
      rank_(internal::RankById(graph)) {
  for (const PlanStep& step : plan.steps) {
    if (step.kind != StepKind::kRedeploy) first_wave_[step.enver] = step.wave;
    last_wave_[step.enver] = std::max(last_wave_[step.enver], step.wave);
  }
}

std::string PlanExplainer::Explain(const PlanStep& step) const {
  switch (step.kind) {
    case StepKind::kDeploy:
      return ProducersSentence(step);
    case StepKind::kDeployWithPlaceholders:
      return PlaceholderSentence(step);
    case StepKind::kRedeploy:
      return RedeploySentence(step);
  }
  return "";
}

std::vector<EnverIndex> PlanExplainer::SortedById(std::vector<EnverIndex> envers) const {
  std::sort(envers.begin(), envers.end(),
            [this](EnverIndex a, EnverIndex b) { return rank_[a] < rank_[b]; });
  envers.erase(std::unique(envers.begin(), envers.end()), envers.end());
  return envers;
}

// "deploy order/b..main after its producers foundation/b..main, cluster/b..main". A producer
// of another component that was redeployed says so; one of the step's own cycle was not yet
// redeployed when the step was planned (its redeploys follow every first deployment).
std::string PlanExplainer::ProducersSentence(const PlanStep& step) const {
  EnverIndex v = step.enver;
  std::vector<EnverIndex> producers;
  for (EdgeIndex e : graph_.dependencies(v)) producers.push_back(graph_.edge(e).producer);
  producers = SortedById(std::move(producers));
  std::string out = "deploy " + graph_.node(v).id;
  if (producers.empty()) return out + ": it consumes no other enver's products";
  out += producers.size() == 1 ? " after its producer " : " after its producers ";
  for (size_t i = 0; i < producers.size(); ++i) {
    EnverIndex p = producers[i];
    if (i > 0) out += ", ";
    out += graph_.node(p).id;
    bool own_cycle = components_.component_of[p] == components_.component_of[v];
    if (!own_cycle && last_wave_[p] > first_wave_[p]) {
      out += " (redeployed in wave " + std::to_string(last_wave_[p]) + ")";
    }
  }
  return out;
}

// `deploy a with placeholder for consumer "x" (b is not deployed yet; cycle a -> b -> a is
// broken at this placeholder)`.
std::string PlanExplainer::PlaceholderSentence(const PlanStep& step) const {
  EnverIndex v = step.enver;
  const std::vector<EdgeIndex>& early = step.placeholder_edges;
  ODMD_CHECK(!early.empty());  // the planner's placeholder steps have placeholder edges
  const std::vector<std::string>& names = step.placeholders;  // the consumers of `early`
  std::vector<EnverIndex> producers;
  for (EdgeIndex e : early) producers.push_back(graph_.edge(e).producer);
  std::vector<std::string> ids;
  for (EnverIndex p : SortedById(std::move(producers))) ids.push_back(graph_.node(p).id);
  std::string out = "deploy " + graph_.node(v).id + " with placeholder" +
                    (names.size() == 1 ? "" : "s") + " for consumer" +
                    (names.size() == 1 ? " " : "s ") + QuotedList(names) + " (" +
                    StrJoin(ids, ", ") + (ids.size() == 1 ? " is" : " are") + " not deployed yet; ";
  EnverIndex first = graph_.edge(early.front()).producer;
  std::string where =
      names.size() == 1 ? "this placeholder" : "placeholder " + Quote(names.front());
  std::uint32_t c = components_.component_of[v];
  std::span<const EnverIndex> members = components_.members[c];
  std::vector<EnverIndex> back;
  if (members.size() <= kMaxExplainedCycle) {
    back = internal::ShortestPathInComponent(graph_, components_, c, first, v,
                                             internal::EdgeFilter::kAll);
  }
  if (back.empty()) {
    return out + "both are in a dependency cycle of " + std::to_string(members.size()) +
           " envers, broken at " + where + ")";
  }
  return out + "cycle " + graph_.node(v).id + " -> " + internal::JoinPath(graph_, back) +
         " is broken at " + where + ")";
}

// `redeploy a: consumer "x" now gets the real value of b/b..main/p, deployed in wave 2`.
std::string PlanExplainer::RedeploySentence(const PlanStep& step) const {
  std::string out = "redeploy " + graph_.node(step.enver).id + ": ";
  std::vector<std::string> names, products;
  int wave = 0;
  for (EdgeIndex e : step.replaced_edges) {
    const Edge& edge = graph_.edge(e);
    names.push_back(graph_.consumer(edge).name);
    products.push_back(graph_.ProductId({edge.producer, edge.product_index}));
    wave = std::max(wave, first_wave_[edge.producer]);
  }
  if (!products.empty()) {
    bool one = products.size() == 1;
    out += (one ? "consumer " : "consumers ") + QuotedList(names) +
           (one ? " now gets the real value of " : " now get the real values of ") +
           StrJoin(products, ", ") + (one ? ", deployed in wave " : ", deployed by wave ") +
           std::to_string(wave);
  }
  const std::vector<EdgeIndex>& still = step.placeholder_edges;
  if (!still.empty()) {
    if (!products.empty()) out += "; ";
    out += "consumer" + std::string(still.size() == 1 ? " " : "s ") +
           QuotedList(step.placeholders) + " still use" + (still.size() == 1 ? "s" : "") +
           " a placeholder";
  }
  return out;
}

}  // namespace odmd::model
