// sandbox_synth: prints the sandbox org's manifest to stdout. If the contracts break a
// rule it prints every violation to stderr instead and exits 1, so CI never publishes an
// invalid manifest.

#include <iostream>
#include <vector>

#include "odmd/model/manifest.h"
#include "odmd/model/violation.h"
#include "sandbox/contracts.h"

int main() {
  const odmd::model::Contracts contracts = sandbox::BuildSandboxContracts();
  const std::vector<odmd::model::Violation> violations = contracts.Validate();
  if (!violations.empty()) {
    for (const odmd::model::Violation& v : violations) std::cerr << v.ToString() << "\n";
    std::cerr << violations.size() << " violation(s); no manifest written\n";
    return 1;
  }
  std::cout << odmd::model::WriteManifest(contracts.Finish());
  return std::cout.good() ? 0 : 1;
}
