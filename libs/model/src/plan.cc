// The bootstrap planner (plan.h). Pure: graph in, steps out (plan_explain.cc explains them).
//
// Waves come from the condensation: a component starts one wave after the last step
// (deploy or redeploy) of every component it consumes from. Inside a cycle the
// non-placeholder edges form a DAG (rule R8), whose Kahn levels order the first
// deployments; an enver whose producer in the cycle has not been deployed at an earlier
// wave deploys with that consumer's placeholder, and is redeployed once the producer has a
// real value:
//
//   networking --logBucket (placeholder)--> logging --zone--> networking
//   wave 1: deploy-with-placeholders networking   (level 0)
//   wave 2: deploy logging                        (level 1, zone is real)
//   wave 3: redeploy networking                   (logBucket is now real)

#include "odmd/model/plan.h"

#include <algorithm>
#include <deque>
#include <limits>

#include "graph_internal.h"
#include "odmd/base/check.h"

namespace odmd::model {
namespace {

using internal::EdgeFilter;

class Planner {
 public:
  Planner(const Graph& graph, const PlanOptions& options)
      : graph_(graph),
        options_(options),
        components_(graph.components()),
        finish_(components_.members.size(), 0),
        first_wave_(graph.enver_count(), 0),
        last_wave_(graph.enver_count(), 0),
        blocked_(graph.enver_count(), 0),
        rank_(internal::RankById(graph)) {}

  Plan Run() && {
    // One step per enver, and usually one redeploy per enver of a cycle: growing the steps
    // past a reservation would copy them all.
    size_t in_cycles = 0;
    for (std::uint32_t c = 0; c < components_.members.size(); ++c) {
      if (components_.IsCycle(c)) in_cycles += components_.members[c].size();
    }
    plan_.steps.reserve(graph_.enver_count() + in_cycles);
    BlockCyclesWithoutPlaceholder();
    for (std::uint32_t c = 0; c < components_.members.size(); ++c) {
      if (blocked_[components_.members[c].front()]) continue;
      int start = StartWave(c);
      if (components_.IsCycle(c)) {
        PlanCycle(c, start);
      } else {
        EnverIndex v = components_.members[c].front();
        AddStep(v, start, StepKind::kDeploy);
        first_wave_[v] = start;
      }
      for (EnverIndex v : components_.members[c]) finish_[c] = std::max(finish_[c], last_wave_[v]);
    }
    Finish();
    return std::move(plan_);
  }

 private:
  // Rule R8: envers of a cycle without a placeholder cannot be deployed, nor can anything
  // that consumes from them, directly or not.
  void BlockCyclesWithoutPlaceholder() {
    bool any_cycle = false;
    for (std::uint32_t c = 0; c < components_.members.size() && !any_cycle; ++c) {
      any_cycle = components_.IsCycle(c);
    }
    if (!any_cycle) return;
    Components strict = internal::ComputeComponentsWithinCycles(
        graph_, EdgeFilter::kWithoutPlaceholder, components_);
    std::deque<EnverIndex> queue;
    for (std::uint32_t c = 0; c < strict.members.size(); ++c) {
      if (!strict.IsCycle(c)) continue;
      for (EnverIndex v : strict.members[c]) {
        blocked_[v] = 1;
        queue.push_back(v);
      }
    }
    while (!queue.empty()) {
      EnverIndex v = queue.front();
      queue.pop_front();
      plan_.unconverged.push_back(graph_.node(v).id);
      for (EdgeIndex e : graph_.dependents(v)) {
        EnverIndex w = graph_.edge(e).consumer;
        if (!blocked_[w]) {
          blocked_[w] = 1;
          queue.push_back(w);
        }
      }
    }
  }

  // One wave after the last step of every component `c` consumes from.
  int StartWave(std::uint32_t c) const {
    int after = 0;
    for (EnverIndex v : components_.members[c]) {
      for (EdgeIndex e : graph_.dependencies(v)) {
        std::uint32_t pc = components_.component_of[graph_.edge(e).producer];
        if (pc != c) after = std::max(after, finish_[pc]);
      }
    }
    return after + 1;
  }

  // `placeholder_edges`: the edges of `v` using their placeholders in this step;
  // `replaced_edges` (a redeploy): those whose placeholders it replaces.
  void AddStep(EnverIndex v, int wave, StepKind kind, std::vector<EdgeIndex> placeholder_edges = {},
               std::vector<EdgeIndex> replaced_edges = {}) {
    plan_.steps.push_back(PlanStep{wave, v, graph_.node(v).id, kind,
                                   ConsumerNames(placeholder_edges), std::move(placeholder_edges),
                                   std::move(replaced_edges)});
    last_wave_[v] = std::max(last_wave_[v], wave);
  }

  // Kahn levels of the component's non-placeholder edges: 0 for an enver that consumes
  // nothing of the component without a placeholder, else one more than its producers.
  std::vector<int> Levels(std::uint32_t c) const {
    std::span<const EnverIndex> members = components_.members[c];
    std::vector<int> level(members.size(), 0), pending(members.size(), 0);
    auto local = [&members](EnverIndex v) {
      return static_cast<size_t>(std::lower_bound(members.begin(), members.end(), v) -
                                 members.begin());
    };
    // The component's strict edges as (producer, consumer) by local index, grouped by
    // producer: from its members' dependencies, so the graph's index of dependents (built on
    // first use) is not needed.
    std::vector<std::pair<size_t, size_t>> strict;
    std::deque<size_t> ready;
    for (size_t i = 0; i < members.size(); ++i) {
      for (EdgeIndex e : graph_.dependencies(members[i])) {
        const Edge& edge = graph_.edge(e);
        if (!IsStrictInternal(c, edge)) continue;
        ++pending[i];
        strict.emplace_back(local(edge.producer), i);
      }
      if (pending[i] == 0) ready.push_back(i);
    }
    std::sort(strict.begin(), strict.end());
    size_t done = 0;
    while (!ready.empty()) {
      size_t i = ready.front();
      ready.pop_front();
      ++done;
      auto first = std::lower_bound(strict.begin(), strict.end(), std::pair<size_t, size_t>(i, 0));
      for (auto it = first; it != strict.end() && it->first == i; ++it) {
        size_t j = it->second;
        level[j] = std::max(level[j], level[i] + 1);
        if (--pending[j] == 0) ready.push_back(j);
      }
    }
    // Cycles without a placeholder were blocked before planning.
    ODMD_CHECK(done == members.size());
    return level;
  }

  bool IsInternal(std::uint32_t c, const Edge& e) const {
    return components_.component_of[e.producer] == c && components_.component_of[e.consumer] == c;
  }
  bool IsStrictInternal(std::uint32_t c, const Edge& e) const {
    return !e.has_placeholder && IsInternal(c, e);
  }

  // Edges of `v` inside component `c` whose producer has no deployment before `wave`.
  std::vector<EdgeIndex> EarlyEdges(std::uint32_t c, EnverIndex v, int wave) const {
    std::vector<EdgeIndex> out;
    for (EdgeIndex e : graph_.dependencies(v)) {
      const Edge& edge = graph_.edge(e);
      if (IsInternal(c, edge) &&
          (first_wave_[edge.producer] == 0 || first_wave_[edge.producer] >= wave)) {
        out.push_back(e);
      }
    }
    return out;
  }

  std::vector<std::string> ConsumerNames(const std::vector<EdgeIndex>& edges) const {
    std::vector<std::string> names;
    for (EdgeIndex e : edges) names.push_back(graph_.consumer(graph_.edge(e)).name);
    return names;
  }

  void PlanCycle(std::uint32_t c, int start) {
    std::span<const EnverIndex> members = components_.members[c];
    std::vector<int> level = Levels(c);
    for (size_t i = 0; i < members.size(); ++i) first_wave_[members[i]] = start + level[i];
    std::vector<std::pair<EnverIndex, std::vector<EdgeIndex>>> pending;
    for (EnverIndex v : members) {
      std::vector<EdgeIndex> early = EarlyEdges(c, v, first_wave_[v]);
      if (early.empty()) {
        AddStep(v, first_wave_[v], StepKind::kDeploy);
        continue;
      }
      AddStep(v, first_wave_[v], StepKind::kDeployWithPlaceholders, early);
      pending.emplace_back(v, std::move(early));
    }
    Redeploy(c, std::move(pending));
  }

  // Rounds of redeploys until no enver consumes a placeholder, at most max_rounds.
  void Redeploy(std::uint32_t c,
                std::vector<std::pair<EnverIndex, std::vector<EdgeIndex>>> pending) {
    for (int round = 0; !pending.empty(); ++round) {
      if (round >= options_.max_rounds) {
        for (const auto& [v, edges] : pending) plan_.unconverged.push_back(graph_.node(v).id);
        return;
      }
      // Waves of this round depend only on the previous rounds' steps.
      std::vector<int> waves;
      for (const auto& [v, edges] : pending) {
        int after = last_wave_[v];
        for (EdgeIndex e : edges) after = std::max(after, last_wave_[graph_.edge(e).producer]);
        waves.push_back(after + 1);
      }
      std::vector<std::pair<EnverIndex, std::vector<EdgeIndex>>> next;
      for (size_t i = 0; i < pending.size(); ++i) {
        auto& [v, edges] = pending[i];
        std::vector<EdgeIndex> still = EarlyEdges(c, v, waves[i]);
        std::vector<EdgeIndex> replaced;
        for (EdgeIndex e : edges) {
          if (std::find(still.begin(), still.end(), e) == still.end()) replaced.push_back(e);
        }
        AddStep(v, waves[i], StepKind::kRedeploy, still, std::move(replaced));
        if (!still.empty()) next.emplace_back(v, std::move(still));
      }
      pending = std::move(next);
    }
  }

  void Finish() {
    // By wave, then enver id: sort (wave, id rank) keys, then move each step once.
    std::vector<std::pair<std::uint64_t, std::uint32_t>> keys(plan_.steps.size());
    for (std::uint32_t i = 0; i < plan_.steps.size(); ++i) {
      const PlanStep& step = plan_.steps[i];
      keys[i] = {static_cast<std::uint64_t>(step.wave) << 32 | rank_[step.enver], i};
    }
    std::sort(keys.begin(), keys.end());
    // Position p takes the step at keys[p].second: follow each cycle of the permutation.
    for (std::uint32_t p = 0; p < keys.size(); ++p) {
      if (keys[p].second == p) continue;
      PlanStep held = std::move(plan_.steps[p]);
      std::uint32_t at = p;
      while (keys[at].second != p) {
        std::uint32_t from = keys[at].second;
        plan_.steps[at] = std::move(plan_.steps[from]);
        keys[at].second = at;
        at = from;
      }
      plan_.steps[at] = std::move(held);
      keys[at].second = at;
    }
    plan_.wave_count = plan_.steps.empty() ? 0 : plan_.steps.back().wave;
    std::sort(plan_.unconverged.begin(), plan_.unconverged.end());
    plan_.unconverged.erase(std::unique(plan_.unconverged.begin(), plan_.unconverged.end()),
                            plan_.unconverged.end());
    plan_.converged = plan_.unconverged.empty();
  }

  const Graph& graph_;
  PlanOptions options_;
  const Components& components_;  // the graph's
  std::vector<int> finish_;       // per component: its last wave
  std::vector<int> first_wave_;   // per enver: first deployment, 0 if none yet
  std::vector<int> last_wave_;    // per enver: latest step, 0 if none
  std::vector<char> blocked_;
  std::vector<std::uint32_t> rank_;  // per enver: position in enver id order
  Plan plan_;
};

}  // namespace

namespace internal {

// Each enver's position in the order of enver ids, so that sorting by id compares numbers.
// The ids sort by their first 16 bytes as two big-endian words, zero-padded (a prefix
// first), and as strings only where those are equal: most enver ids ("svc1234/b..main")
// fit, and a sort of 50,000 ids by string comparisons was 3% of the pipeline at 10,000
// builds.
std::vector<std::uint32_t> RankById(const Graph& graph) {
  struct Key {
    std::uint64_t high, low;
    EnverIndex enver;
  };
  auto word = [](std::string_view id, size_t at) {
    std::uint64_t w = 0;
    for (size_t i = at; i < at + 8; ++i) {
      w = w << 8 | (i < id.size() ? static_cast<unsigned char>(id[i]) : 0u);
    }
    return w;
  };
  std::vector<Key> keys(graph.enver_count());
  for (EnverIndex i = 0; i < keys.size(); ++i) {
    std::string_view id = graph.node(i).id;
    keys[i] = {word(id, 0), word(id, 8), i};
  }
  // A merge sort: nodes in org order ("svc0", "svc1", ... "svc10", ...) made std::sort's
  // median-of-three pivots poor, and its introsort fell back to heap sort (a fifth of the
  // plan at 10,000 builds). Ids are unique, so the order is the same.
  std::stable_sort(keys.begin(), keys.end(), [&graph](const Key& a, const Key& b) {
    if (a.high != b.high) return a.high < b.high;
    if (a.low != b.low) return a.low < b.low;
    return graph.node(a.enver).id < graph.node(b.enver).id;
  });
  std::vector<std::uint32_t> rank(keys.size());
  for (std::uint32_t r = 0; r < keys.size(); ++r) rank[keys[r].enver] = r;
  return rank;
}

}  // namespace internal

std::string_view StepKindName(StepKind k) {
  switch (k) {
    case StepKind::kDeploy:
      return "deploy";
    case StepKind::kDeployWithPlaceholders:
      return "deploy-with-placeholders";
    case StepKind::kRedeploy:
      return "redeploy";
  }
  return "unknown";
}

Plan ComputeBootstrapPlan(const Graph& graph, const PlanOptions& options) {
  return Planner(graph, options).Run();
}

}  // namespace odmd::model
