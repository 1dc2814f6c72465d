#include "impact_output.h"

namespace odmd::cli {

nlohmann::json ImpactJson(const std::vector<model::ImpactedEnver>& impact) {
  nlohmann::json list = nlohmann::json::array();
  for (const model::ImpactedEnver& e : impact) {
    list.push_back({{"enver", e.enver_id},
                    {"depth", e.depth},
                    {"immutable", e.is_tag},
                    {"clone", e.is_clone},
                    {"viaProduct", e.via_product},
                    {"viaConsumer", e.via_consumer},
                    {"reaction", model::ReactionName(e.reaction)}});
  }
  return list;
}

void PrintImpact(Io& io, const std::vector<model::ImpactedEnver>& impact) {
  for (const model::ImpactedEnver& e : impact) {
    io.out << "  " << std::string(static_cast<size_t>(2 * (e.depth > 0 ? e.depth - 1 : 0)), ' ')
           << e.enver_id;
    if (e.is_tag) io.out << " [tag: never reacts]";
    if (e.is_clone) io.out << " [clone]";
    if (!e.via_product.empty()) {
      io.out << "  via " << e.via_product << " as \"" << e.via_consumer << "\" ("
             << model::ReactionName(e.reaction) << ")";
    }
    io.out << "\n";
  }
}

}  // namespace odmd::cli
