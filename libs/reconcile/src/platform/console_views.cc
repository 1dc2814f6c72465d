// The console's reads (docs/platform.md): the graph, builds, clones, product history,
// contracts versions and their diff, impact. Placeholders until the views land.
#include "impl.h"

namespace odmd::reconcile {

Result<nlohmann::json> Platform::Graph(const GraphQuery&) {
  return UnimplementedError("Platform::Graph is not implemented yet");
}
Result<nlohmann::json> Platform::ListBuilds() {
  return UnimplementedError("Platform::ListBuilds is not implemented yet");
}
Result<nlohmann::json> Platform::ListClones() {
  return UnimplementedError("Platform::ListClones is not implemented yet");
}
Result<nlohmann::json> Platform::ProductHistory(const access::Principal&, std::string_view) {
  return UnimplementedError("Platform::ProductHistory is not implemented yet");
}
Result<nlohmann::json> Platform::ListContractsVersions() {
  return UnimplementedError("Platform::ListContractsVersions is not implemented yet");
}
Result<nlohmann::json> Platform::GetContracts(std::string_view) {
  return UnimplementedError("Platform::GetContracts is not implemented yet");
}
Result<nlohmann::json> Platform::DiffContracts(std::string_view, std::string_view) {
  return UnimplementedError("Platform::DiffContracts is not implemented yet");
}
Result<nlohmann::json> Platform::Impact(std::string_view, std::string_view) {
  return UnimplementedError("Platform::Impact is not implemented yet");
}

}  // namespace odmd::reconcile
