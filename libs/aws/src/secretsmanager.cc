#include "odmd/aws/secretsmanager.h"

namespace odmd::aws {
namespace {

constexpr char kTarget[] = "secretsmanager";

std::string Subject(const std::string& name) { return "secret \"" + name + "\""; }

}  // namespace

Result<std::string> SecretsManagerClient::CreateSecret(const std::string& name,
                                                       const std::string& value) {
  ODMD_ASSIGN_OR_RETURN(nlohmann::json j,
                        client_.Json(kSecretsManager, kTarget, "CreateSecret",
                                     {{"Name", name}, {"SecretString", value}}, Subject(name)));
  return j.value("ARN", "");
}

Result<std::string> SecretsManagerClient::PutSecretValue(const std::string& name,
                                                         const std::string& value) {
  ODMD_ASSIGN_OR_RETURN(nlohmann::json j,
                        client_.Json(kSecretsManager, kTarget, "PutSecretValue",
                                     {{"SecretId", name}, {"SecretString", value}}, Subject(name)));
  return j.value("VersionId", "");
}

Result<std::string> SecretsManagerClient::GetSecretValue(const std::string& name) {
  ODMD_ASSIGN_OR_RETURN(nlohmann::json j, client_.Json(kSecretsManager, kTarget, "GetSecretValue",
                                                       {{"SecretId", name}}, Subject(name)));
  if (!j.contains("SecretString")) {
    return FailedPreconditionError("secretsmanager GetSecretValue " + Subject(name) +
                                   ": not a string secret");
  }
  return j.value("SecretString", "");
}

Status SecretsManagerClient::DeleteSecret(const std::string& name, bool force) {
  return client_
      .Json(kSecretsManager, kTarget, "DeleteSecret",
            {{"SecretId", name}, {"ForceDeleteWithoutRecovery", force}}, Subject(name))
      .status();
}

}  // namespace odmd::aws
