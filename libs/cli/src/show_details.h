#pragma once

// What `odmd show` prints beyond the enver's derived names (names_output.h): the original
// platform's names around the enver (artifact bucket parameter, workflow status path,
// platform stacks) and the enver's settings with the defaults they took, so that a user moving
// over sees them without a scratch store.

#include <nlohmann/json.hpp>

#include "command.h"
#include "odmd/model/org.h"

namespace odmd::cli {

// REQUIRES: `build` and `enver` belong to `org`, and the enver's account is declared
// (DeriveEnverNames succeeded).
void PrintEnverDetails(Io& io, const model::Org& org, const model::Build& build,
                       const model::Enver& enver);
// The same as members to merge into the show JSON: artifactBucketPath, workflowStatusPath,
// platformStacks, settings.
nlohmann::json EnverDetailsJson(const model::Org& org, const model::Build& build,
                                const model::Enver& enver);

}  // namespace odmd::cli
