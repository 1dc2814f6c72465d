#include "graph_format.h"

#include <map>
#include <sstream>

#include "odmd/base/strings.h"
#include "odmd/model/types.h"

namespace odmd::cli {
namespace {

using model::Edge;
using model::EnverIndex;
using model::Graph;

// Envers grouped by build, in build order.
std::map<std::uint32_t, std::vector<EnverIndex>> ByBuild(const Graph& g) {
  std::map<std::uint32_t, std::vector<EnverIndex>> groups;
  for (EnverIndex i = 0; i < g.enver_count(); ++i) groups[g.node(i).build_index].push_back(i);
  return groups;
}

std::string EdgeLabel(const Graph& g, const Edge& e) {
  const model::Consumer& c = g.consumer(e);
  std::string label = c.product;
  if (c.name != c.product) label = c.name + ": " + c.product;
  if (c.reaction != model::Reaction::kRedeploy) {
    label += " [" + std::string(model::ReactionName(c.reaction)) + "]";
  }
  return label;
}

std::string NodeStyle(const model::Enver& e) {
  if (e.rev.is_clone()) return "shape=box, style=\"rounded,dotted\"";
  if (e.rev.IsImmutable()) return "shape=box, style=\"filled\", fillcolor=\"#e8e8e8\"";
  return "shape=box, style=\"rounded\"";
}

// Mermaid labels may not contain double quotes.
std::string MermaidText(std::string s) {
  for (char& c : s) {
    if (c == '"') c = '\'';
  }
  return s;
}

}  // namespace

std::string GraphToDot(const Graph& g) {
  std::ostringstream out;
  out << "digraph odmd {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n";
  for (const auto& [build_index, envers] : ByBuild(g)) {
    const model::Build& b = g.org().builds[build_index];
    out << "  subgraph \"cluster_" << b.id << "\" {\n    label="
        << Quote(b.id + " (" + std::string(model::BuildKindName(b.kind)) + ")") << ";\n";
    for (EnverIndex i : envers) {
      out << "    " << Quote(g.node(i).id) << " [label=" << Quote(g.enver(i).rev.str()) << ", "
          << NodeStyle(g.enver(i)) << "];\n";
    }
    out << "  }\n";
  }
  for (const Edge& e : g.edges()) {
    out << "  " << Quote(g.node(e.producer).id) << " -> " << Quote(g.node(e.consumer).id)
        << " [label=" << Quote(EdgeLabel(g, e)) << (e.has_placeholder ? ", style=dashed" : "")
        << "];\n";
  }
  out << "}\n";
  return out.str();
}

std::string GraphToMermaid(const Graph& g) {
  std::ostringstream out;
  out << "flowchart LR\n";
  for (const auto& [build_index, envers] : ByBuild(g)) {
    const model::Build& b = g.org().builds[build_index];
    out << "  subgraph b" << build_index << "[\"" << MermaidText(b.id) << " ("
        << model::BuildKindName(b.kind) << ")\"]\n";
    for (EnverIndex i : envers) {
      const model::Enver& e = g.enver(i);
      const char* open = e.rev.IsImmutable() ? "[[\"" : "(\"";
      const char* close = e.rev.IsImmutable() ? "\"]]" : "\")";
      out << "    n" << i << open << MermaidText(e.rev.str()) << close << "\n";
    }
    out << "  end\n";
  }
  for (const Edge& e : g.edges()) {
    out << "  n" << e.producer << (e.has_placeholder ? " -. \"" : " -- \"")
        << MermaidText(EdgeLabel(g, e)) << (e.has_placeholder ? "\" .-> n" : "\" --> n")
        << e.consumer << "\n";
  }
  return out.str();
}

nlohmann::json GraphToJson(const Graph& g) {
  nlohmann::json nodes = nlohmann::json::array();
  for (EnverIndex i = 0; i < g.enver_count(); ++i) {
    const model::Build& b = g.build(i);
    const model::Enver& e = g.enver(i);
    nodes.push_back({{"id", g.node(i).id},
                     {"build", b.id},
                     {"kind", model::BuildKindName(b.kind)},
                     {"rev", e.rev.str()},
                     {"account", e.account},
                     {"region", e.region},
                     {"immutable", e.rev.IsImmutable()},
                     {"clone", e.rev.is_clone()}});
  }
  nlohmann::json edges = nlohmann::json::array();
  for (const Edge& e : g.edges()) {
    const model::Consumer& c = g.consumer(e);
    edges.push_back({{"producer", g.node(e.producer).id},
                     {"product", c.product},
                     {"consumer", g.node(e.consumer).id},
                     {"consumerName", c.name},
                     {"placeholder", e.has_placeholder},
                     {"reaction", model::ReactionName(c.reaction)}});
  }
  return {{"nodes", std::move(nodes)}, {"edges", std::move(edges)}};
}

}  // namespace odmd::cli
