#pragma once

// The bootstrap plan: in which order to deploy every enver of an org from nothing.
//
// Envers are grouped into strongly connected components. A component's consumers start
// only after every component it depends on has converged. Inside a cycle, the
// placeholder consumers are the only edges that may be deployed "early": an enver whose
// producer has not been deployed yet uses the consumer's placeholder. Once real values
// exist, every enver that consumed a placeholder is redeployed, round after round, until
// none does (bounded by PlanOptions::max_rounds). Every step carries an explanation, as
// ninja's -d explain does.

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
  // Why this step exists and why it is in this wave, one sentence.
  std::string explanation;
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

}  // namespace odmd::model
