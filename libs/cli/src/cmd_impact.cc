// odmd impact <manifest> <product-or-enver>: every transitive consumer.
#include <memory>

#include "command.h"
#include "common.h"
#include "impact_output.h"

namespace odmd::cli {

RunFn SetupImpact(CLI::App& sub, Io& io) {
  struct Opts {
    std::string manifest, target;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  AddManifestArgument(sub, o->manifest);
  sub.add_option("target", o->target,
                 "Product (build/rev/name or /odmd-share/... path) or enver (build/rev)")
      ->required();
  AddJsonFlag(sub, o->json);
  return [o, &io]() {
    auto org = LoadManifestOrReport(io, o->json, o->manifest);
    if (!org) return kExitFailure;
    model::Graph graph(*org);
    auto impact = model::ComputeImpact(graph, o->target);
    if (!impact.ok()) return ReportFailure(io, o->json, impact.status());
    if (o->json) {
      PrintJson(io, {{"target", o->target}, {"impacted", ImpactJson(*impact)}});
    } else {
      io.out << impact->size() << " enver(s) impacted by " << o->target << ":\n";
      PrintImpact(io, *impact);
    }
    return kExitOk;
  };
}

}  // namespace odmd::cli
