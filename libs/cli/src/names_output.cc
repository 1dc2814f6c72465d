#include "names_output.h"

#include "odmd/base/strings.h"

namespace odmd::cli {

namespace {

nlohmann::json PairsJson(const std::vector<std::pair<std::string, std::string>>& pairs) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : pairs) j[k] = v;
  return j;
}

nlohmann::json NamesJson(const model::EnverNames& n) {
  nlohmann::json j = {
      {"enverId", n.enver_id},
      {"rev", n.rev},
      {"stackName", n.stack_name},
      {"stackNames", n.stack_names},
      {"buildRole",
       {{"name", n.build_role_name}, {"path", n.build_role_path}, {"arn", n.build_role_arn}}},
      {"centralRole",
       {{"name", n.central_role_name}, {"path", n.build_role_path}, {"arn", n.central_role_arn}}},
      {"ciType", n.ci_type},
      {"workflowFile", n.workflow_file},
      {"consumedVersionsPath", n.consumed_versions_path},
      {"enverConfigPath", n.enver_config_path},
      {"subdomain", n.subdomain},
      {"kubernetesNamespace", n.kubernetes_namespace},
      {"products", PairsJson(n.product_paths)},
      {"consumers", PairsJson(n.consumer_paths)}};
  if (!n.image_repo.empty()) j["imageRepo"] = n.image_repo;  // image builds only
  return j;
}

void PrintPairs(Io& io, std::string_view title,
                const std::vector<std::pair<std::string, std::string>>& pairs) {
  io.out << title << ":" << (pairs.empty() ? " (none)" : "") << "\n";
  for (const auto& [k, v] : pairs) io.out << "  " << k << "  " << v << "\n";
}

}  // namespace

void PrintEnverNames(Io& io, const model::EnverNames& n) {
  io.out << "enver id:              " << n.enver_id << "\n"
         << "rev:                   " << n.rev << "\n"
         << "stacks:                " << StrJoin(n.stack_names, " ") << "\n"
         << "build role:            " << n.build_role_arn << "\n"
         << "central role:          " << n.central_role_arn << "\n"
         << "ci type:               " << n.ci_type << "\n"
         << "workflow file:         " << n.workflow_file << "\n"
         << "consumed versions:     " << n.consumed_versions_path << "\n"
         << "enver config:          " << n.enver_config_path << "\n"
         << "subdomain:             " << n.subdomain << "\n"
         << "kubernetes namespace:  " << n.kubernetes_namespace << "\n";
  if (!n.image_repo.empty()) io.out << "image repository:      " << n.image_repo << "\n";
  PrintPairs(io, "products", n.product_paths);
  PrintPairs(io, "consumers", n.consumer_paths);
}
nlohmann::json EnverNamesJson(const model::EnverNames& n) { return NamesJson(n); }

}  // namespace odmd::cli
