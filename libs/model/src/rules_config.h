#pragma once

// Private to validation: rule R14, the settings a build and an enver carry for their own
// use: the shape of their configuration (config.h) and the form of their doc paths (docs.h).

#include <vector>

#include "odmd/model/validate.h"
#include "odmd/model/violation.h"

namespace odmd::model::rules {

// R14: every build's and enver's config is a JSON object whose keys (at every level) are 1
// to 64 characters of [A-Za-z0-9_.-], nested at most kMaxConfigDepth levels and at most
// kMaxConfigBytes serialized. Each problem is reported at its JSON Pointer inside the
// config, e.g. "/builds/2/envers/0/config/domains/0". Every declared doc path
// (serviceOverviewMd, serviceContextMd, enverContextMd) is a relative repository path
// (DocPathProblem), reported at its member, e.g. "/builds/2/envers/0/enverContextMd".
void CheckConfigs(const RuleInput& in, std::vector<Violation>* out);

}  // namespace odmd::model::rules
