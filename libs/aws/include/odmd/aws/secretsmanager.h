#pragma once

// Secrets Manager: create/put/get/delete of string secrets (JSON protocol, target
// secretsmanager.*). Secret values never appear in a Status message.

#include <string>

#include "odmd/aws/client.h"

namespace odmd::aws {

class SecretsManagerClient {
 public:
  explicit SecretsManagerClient(AwsClient& client) : client_(client) {}
  // The secret's ARN; ALREADY_EXISTS when it exists.
  Result<std::string> CreateSecret(const std::string& name, const std::string& value);
  // The new version id.
  Result<std::string> PutSecretValue(const std::string& name, const std::string& value);
  // NOT_FOUND when absent.
  Result<std::string> GetSecretValue(const std::string& name);
  // Without recovery window when `force`.
  Status DeleteSecret(const std::string& name, bool force = true);

 private:
  AwsClient& client_;
};

}  // namespace odmd::aws
