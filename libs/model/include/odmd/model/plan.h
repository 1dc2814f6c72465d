#pragma once

// The bootstrap plan: in which order to deploy every enver of an org from nothing.
//
// Envers are grouped into strongly connected components. A component's consumers start
// only after every component it depends on has converged. Inside a cycle, the
// placeholder consumers are the only edges that may be deployed "early": an enver whose
// producer has not been deployed yet uses the consumer's placeholder. Once real values
// exist, every enver that consumed a placeholder is redeployed, round after round, until
// none does (bounded by PlanOptions::max_rounds). Every step can be explained in one
// sentence, as ninja's -d explain does (PlanExplainer): the plan keeps what the sentence
// needs, and formats it only when asked (formatting every step's sentence cost as much as
// planning, and only `odmd plan` prints them).

#include <cstdint>
#include <string>
#include <vector>

#include "odmd/model/graph.h"

namespace odmd::model {

enum class StepKind {
  kDeploy,                  // first deployment, all consumers resolved to real values
  kDeployWithPlaceholders,  // first deployment, some consumers use their placeholders
  kRedeploy,                // again, now that the placeholders' producers have values
};

// "deploy", "deploy-with-placeholders", "redeploy".
std::string_view StepKindName(StepKind k);

struct PlanStep {
  int wave = 0;  // 1-based; steps of one wave may run in parallel
  EnverIndex enver = 0;
  std::string enver_id;
  StepKind kind = StepKind::kDeploy;
  // Consumer names of this enver that use a placeholder in this step.
  std::vector<std::string> placeholders;
  // The dependency edges of those consumers (graph.h), in the same order.
  std::vector<EdgeIndex> placeholder_edges;
  // kRedeploy: the edges whose placeholders this step replaces by real values.
  std::vector<EdgeIndex> replaced_edges;
};

struct PlanOptions {
  // Redeploy rounds allowed inside one cycle before the plan reports non-convergence.
  int max_rounds = 10;
};

struct Plan {
  // Ordered by wave, then enver id.
  std::vector<PlanStep> steps;
  int wave_count = 0;
  // False when `unconverged` is not empty.
  bool converged = true;
  // Sorted enver ids the plan cannot bring to real values: those still consuming a
  // placeholder when max_rounds ran out (they are planned), and those of a cycle without a
  // placeholder together with every enver consuming from them, directly or not (not
  // planned).
  std::vector<std::string> unconverged;
};

// Meant for graphs where rule R8 holds. Envers of a cycle without a placeholder, and their
// dependents, are reported in Plan::unconverged and not planned. O(V + E log E).
Plan ComputeBootstrapPlan(const Graph& graph, const PlanOptions& options = {});

// Why each step of a plan exists and why it is in its wave, one sentence per step:
//   deploy app/b..main after its producers logging/b..main, networking/b..main (redeployed
//   in wave 3)
// Construction is O(V + E) (the graph's components); each sentence costs its step's edges.
class PlanExplainer {
 public:
  // REQUIRES: `plan` was computed from `graph`; `graph` outlives the explainer.
  PlanExplainer(const Graph& graph, const Plan& plan);

  // REQUIRES: `step` is one of the plan's steps.
  std::string Explain(const PlanStep& step) const;

 private:
  std::string ProducersSentence(const PlanStep& step) const;
  std::string PlaceholderSentence(const PlanStep& step) const;
  std::string RedeploySentence(const PlanStep& step) const;
  std::vector<EnverIndex> SortedById(std::vector<EnverIndex> envers) const;

  const Graph& graph_;
  const Components& components_;     // the graph's
  std::vector<int> first_wave_;      // per enver: its first deployment's wave, 0 if none
  std::vector<int> last_wave_;       // per enver: its last step's wave, 0 if none
  std::vector<std::uint32_t> rank_;  // per enver: position in enver id order
};

}  // namespace odmd::model
