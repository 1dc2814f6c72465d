#pragma once

// Printing impact lists, shared by `impact` and `diff`.

#include <nlohmann/json.hpp>
#include <vector>

#include "command.h"
#include "odmd/model/impact.h"

namespace odmd::cli {

nlohmann::json ImpactJson(const std::vector<model::ImpactedEnver>& impact);
void PrintImpact(Io& io, const std::vector<model::ImpactedEnver>& impact);

}  // namespace odmd::cli
