#include "rules_config.h"

#include "odmd/model/config.h"
#include "rules_common.h"

namespace odmd::model::rules {
namespace {

void CheckOne(const std::string& config, const std::string& path, const std::string& subject,
              std::vector<Violation>* out) {
  for (ConfigProblem& p : CheckConfigShape(config)) {
    Report(out, "R14", path + p.pointer, subject, std::move(p.value), std::move(p.message));
  }
}

}  // namespace

void CheckConfigs(const RuleInput& in, std::vector<Violation>* out) {
  const std::vector<Build>& builds = in.org.builds;
  for (size_t b = 0; b < builds.size(); ++b) {
    const Build& build = builds[b];
    if (!build.config.empty())
      CheckOne(build.config, BuildPath(b) + "/config", BuildSubject(build), out);
    for (size_t e = 0; e < build.envers.size(); ++e) {
      const Enver& enver = build.envers[e];
      if (enver.config.empty()) continue;
      CheckOne(enver.config, EnverPath(b, e) + "/config", EnverSubject(build, enver), out);
    }
  }
}

}  // namespace odmd::model::rules
