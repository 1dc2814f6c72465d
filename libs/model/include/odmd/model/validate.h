#pragma once

// Validation of an Org against rules R1-R14 (DESIGN.md §4, docs/manifest.md). Every rule is
// a row in a table with a stable id; Validate runs them all and returns every violation at
// once. The same rules run in a contracts library's own tests (Contracts::Validate) and on
// the server for every manifest.

#include <span>
#include <string_view>
#include <vector>

#include "odmd/model/org.h"
#include "odmd/model/violation.h"

namespace odmd::model {

class Graph;

// What a rule check reads.
struct RuleInput {
  const Org& org;
  const Graph& graph;  // built from `org`
};

// One row of the rule table.
struct Rule {
  std::string_view id;       // "R1", "R2", ...; stable, never renumbered
  std::string_view summary;  // one line, as in DESIGN.md §4
  void (*check)(const RuleInput& input, std::vector<Violation>* out);
};

// The account a build of kind networking deploys to, as in the original's
// `accounts.networking`: rule R13 wants it declared exactly when such a build is.
inline constexpr std::string_view kNetworkingAccount = "networking";

// The rule table, in id order.
std::span<const Rule> Rules();

// Runs every rule; violations are ordered by rule (table order), then by path.
std::vector<Violation> Validate(const Org& org);
// The same, reusing a graph already built from `org`.
std::vector<Violation> Validate(const Org& org, const Graph& graph);

}  // namespace odmd::model
