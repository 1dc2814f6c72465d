// odmd graph <manifest> --format dot|mermaid|json
#include <memory>

#include "command.h"
#include "common.h"
#include "graph_format.h"

namespace odmd::cli {

RunFn SetupGraph(CLI::App& sub, Io& io) {
  struct Opts {
    std::string manifest;
    std::string format = "dot";
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  AddManifestArgument(sub, o->manifest);
  sub.add_option("--format,-f", o->format, "Output format")
      ->check(CLI::IsMember({"dot", "mermaid", "json"}))
      ->capture_default_str();
  sub.add_flag("--json", o->json, "Same as --format json");
  return [o, &io]() {
    bool json = o->json || o->format == "json";
    auto org = LoadManifestOrReport(io, json, o->manifest);
    if (!org) return kExitFailure;
    model::Graph graph(*org);
    if (json) {
      PrintJson(io, GraphToJson(graph));
    } else if (o->format == "mermaid") {
      io.out << GraphToMermaid(graph);
    } else {
      io.out << GraphToDot(graph);
    }
    return kExitOk;
  };
}

}  // namespace odmd::cli
