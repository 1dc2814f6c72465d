#include "config_output.h"

#include <string>

#include "odmd/model/config.h"

namespace odmd::cli {

void PrintEnverConfig(Io& io, const model::Build& build, const model::Enver& enver) {
  const std::string config = model::EffectiveConfig(build, enver);
  io.out << "config:                " << config << (config == "{}" ? " (none)" : "") << "\n";
}

nlohmann::json EnverConfigJson(const model::Build& build, const model::Enver& enver) {
  // EffectiveConfig is always a JSON object's text.
  return {{"config", nlohmann::json::parse(model::EffectiveConfig(build, enver))}};
}

}  // namespace odmd::cli
