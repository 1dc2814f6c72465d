#include <array>
#include <utility>
#include <vector>

#include "command.h"

namespace odmd::cli {

std::span<const Command> Commands() {
  static constexpr std::array<Command, 28> kCommands = {{
      {"validate", "Validate a manifest against every rule (R1-R14, M1-M6)", false, SetupValidate},
      {"fmt", "Rewrite a manifest in canonical form with its digest", false, SetupFmt},
      {"graph", "Print the consumer graph as dot, mermaid or json", false, SetupGraph},
      {"show", "Print every derived name of one enver", false, SetupShow},
      {"plan", "Print the bootstrap plan: deployment waves with explanations", false, SetupPlan},
      {"impact", "List every transitive consumer of a product or enver", false, SetupImpact},
      {"diff", "List what changed between two manifests and its impact", false, SetupDiff},
      {"clone-preview", "Show the dynamic enver a clone command would create", false,
       SetupClonePreview},
      {"parse-commit", "Parse the odmd: commands of a commit message", false, SetupParseCommit},
      {"store", "Read, write, list and watch keys of the config store", true, SetupStore},
      {"secret", "Put, get, list and remove an enver's encrypted secrets", true, SetupSecret},
      {"token", "Issue, list and revoke access tokens (admin)", true, SetupToken},
      {"contracts", "Publish the manifest to the store, or show the published one", true,
       SetupContracts},
      {"gen", "Write the generated workflows and role templates, or diff them", false, SetupGen},
      {"serve", "Run the platform and its HTTP API until interrupted", true, SetupServe},
      {"status", "Show which replica of odmd serve leads and every replica's heartbeat", false,
       SetupStatus},
      {"notify", "Tell odmd serve that a repository's refs moved (git hook)", false, SetupNotify},
      {"repo", "Register and list the local repositories odmd serve watches", false, SetupRepo},
      {"envers", "List the platform's envers and their state", false, SetupEnvers},
      {"enver", "Show one enver: state, names, consumed versions, deployments", false, SetupEnver},
      {"deployments", "List deployments, newest first", false, SetupDeployments},
      {"logs", "Print a deployment's build log", false, SetupLogs},
      {"redeploy", "Queue a deployment of an enver's current commit", false, SetupRedeploy},
      {"teardown", "List, retry or forget teardowns that failed", false, SetupTeardown},
      {"workflow", "Rotate a generated workflow's token and repository secret", false,
       SetupWorkflow},
      {"events", "Print the platform's events, or follow them", false, SetupEvents},
      {"product", "Publish or read a product value through the API (build scripts)", false,
       SetupProduct},
      {"aws", "Deploy the generated IAM roles into the contracts' AWS accounts", false, SetupAws},
  }};
  return kCommands;
}

RunFn SetupGroup(CLI::App& sub, Io& io, std::span<const Subcommand> table) {
  sub.require_subcommand(1);
  std::vector<std::pair<CLI::App*, RunFn>> runs;
  for (const Subcommand& row : table) {
    CLI::App* child = sub.add_subcommand(std::string(row.name), std::string(row.help));
    runs.emplace_back(child, row.setup(*child, io));
  }
  return [runs = std::move(runs)]() {
    for (const auto& run : runs) {
      if (run.first->parsed()) return run.second();
    }
    return kExitUsage;
  };
}

}  // namespace odmd::cli
