#pragma once

// Renders a Graph as Graphviz dot, Mermaid flowchart or JSON. Edges point from producer to
// consumer (the direction values flow); placeholder consumers are dashed, notify/ignore
// reactions are labelled.

#include <nlohmann/json.hpp>
#include <string>

#include "odmd/model/graph.h"

namespace odmd::cli {

std::string GraphToDot(const model::Graph& graph);
std::string GraphToMermaid(const model::Graph& graph);
nlohmann::json GraphToJson(const model::Graph& graph);

}  // namespace odmd::cli
