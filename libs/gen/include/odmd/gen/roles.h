#pragma once

// Least-privilege IAM role templates (issue 4): for every (build, account, region) group of
// a build's envers, one CloudFormation JSON template for the build role (target account)
// and one for the central role (central account). docs/roles.md explains every grant.

#include <vector>

#include "odmd/base/status.h"
#include "odmd/gen/generated_file.h"
#include "odmd/model/org.h"

namespace odmd::gen {

// One or more CloudFormation JSON templates per (build, account, region).
Result<std::vector<GeneratedFile>> GenerateRoles(const model::Org& org);

}  // namespace odmd::gen
