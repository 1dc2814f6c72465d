#include "odmd/aws/secretsmanager.h"

namespace odmd::aws {
namespace {

constexpr char kSecretsManagerTarget[] = "secretsmanager";

std::string SecretSubject(const std::string& name) { return "secret \"" + name + "\""; }

}  // namespace

Result<std::string> SecretsManagerClient::CreateSecret(const std::string& name,
                                                       const std::string& value) {
  ODMD_ASSIGN_OR_RETURN(
      nlohmann::json j,
      client_.Json(kSecretsManager, kSecretsManagerTarget, "CreateSecret",
                   {{"Name", name}, {"SecretString", value}}, SecretSubject(name)));
  return j.value("ARN", "");
}

Result<std::string> SecretsManagerClient::PutSecretValue(const std::string& name,
                                                         const std::string& value) {
  ODMD_ASSIGN_OR_RETURN(
      nlohmann::json j,
      client_.Json(kSecretsManager, kSecretsManagerTarget, "PutSecretValue",
                   {{"SecretId", name}, {"SecretString", value}}, SecretSubject(name)));
  return j.value("VersionId", "");
}

Result<std::string> SecretsManagerClient::GetSecretValue(const std::string& name) {
  ODMD_ASSIGN_OR_RETURN(nlohmann::json j,
                        client_.Json(kSecretsManager, kSecretsManagerTarget, "GetSecretValue",
                                     {{"SecretId", name}}, SecretSubject(name)));
  if (!j.contains("SecretString")) {
    return FailedPreconditionError("secretsmanager GetSecretValue " + SecretSubject(name) +
                                   ": not a string secret");
  }
  return j.value("SecretString", "");
}

Status SecretsManagerClient::DeleteSecret(const std::string& name, bool force) {
  return client_
      .Json(kSecretsManager, kSecretsManagerTarget, "DeleteSecret",
            {{"SecretId", name}, {"ForceDeleteWithoutRecovery", force}}, SecretSubject(name))
      .status();
}

}  // namespace odmd::aws
