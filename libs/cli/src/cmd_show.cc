// odmd show <manifest> <enver-id>: every derived name of one enver, the original platform's
// names around it and its settings with their defaults.
#include <memory>

#include "command.h"
#include "common.h"
#include "config_output.h"
#include "names_output.h"
#include "odmd/model/graph.h"
#include "odmd/model/naming.h"
#include "show_details.h"

namespace odmd::cli {

RunFn SetupShow(CLI::App& sub, Io& io) {
  struct Opts {
    std::string manifest, enver;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  AddManifestArgument(sub, o->manifest);
  sub.add_option("enver", o->enver, "Enver id, e.g. orderSvc/b..main")->required();
  AddJsonFlag(sub, o->json);
  return [o, &io]() {
    auto org = LoadManifestOrReport(io, o->json, o->manifest);
    if (!org) return kExitFailure;
    model::Graph graph(*org);
    auto idx = graph.FindEnver(o->enver);
    if (!idx)
      return ReportFailure(io, o->json, NotFoundError("enver \"" + o->enver + "\" not found"));
    Result<model::EnverNames> names =
        model::DeriveEnverNames(*org, graph.build(*idx), graph.enver(*idx));
    if (!names.ok()) return ReportFailure(io, o->json, names.status());
    const model::Build& build = graph.build(*idx);
    const model::Enver& enver = graph.enver(*idx);
    if (o->json) {
      nlohmann::json j = EnverNamesJson(*names);
      j.update(EnverDetailsJson(*org, build, enver));
      j.update(EnverConfigJson(build, enver));
      PrintJson(io, j);
    } else {
      PrintEnverNames(io, *names);
      PrintEnverDetails(io, *org, build, enver);
      PrintEnverConfig(io, build, enver);
    }
    return kExitOk;
  };
}

}  // namespace odmd::cli
