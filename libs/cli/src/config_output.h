#pragma once

// `odmd show`'s config line: what the enver's build script gets as ODMD_config (the build's
// config under the enver's top-level keys, model/config.h).

#include <nlohmann/json.hpp>

#include "command.h"
#include "odmd/model/org.h"

namespace odmd::cli {

// "config:                {...}" (compact JSON), " (none)" after "{}".
void PrintEnverConfig(Io& io, const model::Build& build, const model::Enver& enver);
// {"config": <the object>} to merge into the show JSON.
nlohmann::json EnverConfigJson(const model::Build& build, const model::Enver& enver);

}  // namespace odmd::cli
