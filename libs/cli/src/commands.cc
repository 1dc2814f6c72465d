#include <array>

#include "command.h"

namespace odmd::cli {

std::span<const Command> Commands() {
  static constexpr std::array<Command, 9> kCommands = {{
      {"validate", "Validate a manifest against every rule (R1-R12, M1-M6)", false, SetupValidate},
      {"graph", "Print the consumer graph as dot, mermaid or json", false, SetupGraph},
      {"show", "Print every derived name of one enver", false, SetupShow},
      {"plan", "Print the bootstrap plan: deployment waves with explanations", false, SetupPlan},
      {"impact", "List every transitive consumer of a product or enver", false, SetupImpact},
      {"diff", "List what changed between two manifests and its impact", false, SetupDiff},
      {"clone-preview", "Show the dynamic enver a clone command would create", false,
       SetupClonePreview},
      {"parse-commit", "Parse the odmd: commands of a commit message", false, SetupParseCommit},
      {"gen", "Write the generated workflows and role templates, or diff them", false, SetupGen},
  }};
  return kCommands;
}

}  // namespace odmd::cli
