#pragma once

// Private to the model: the config checks on a parsed value, shared by rule R14 (which has
// the model's text) and the manifest reader (which has the parsed document).

#include <nlohmann/json.hpp>
#include <vector>

#include "odmd/model/config.h"

namespace odmd::model::internal {

// CheckConfigShape on a parsed value.
std::vector<ConfigProblem> CheckConfigJson(const nlohmann::json& config);

// True when `j` nests deeper than kMaxConfigDepth. nlohmann's dump() and copies recurse once
// per level, so a value for which this is true is never dumped or copied (a hostile
// manifest could nest a million levels). The check itself stops at the limit.
bool NestsTooDeep(const nlohmann::json& j);

}  // namespace odmd::model::internal
