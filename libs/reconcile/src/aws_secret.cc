#include "aws_secret.h"

#include <memory>

#include "nlohmann/json.hpp"
#include "odmd/aws/secretsmanager.h"
#include "odmd/aws/transport.h"
#include "odmd/base/strings.h"

namespace odmd::reconcile {
namespace {

std::string Where(const AwsTargetSession& session, const std::string& name) {
  return "secret " + Quote(name) + " in account " + session.account_id + ", build role " +
         session.role_arn;
}

}  // namespace

Status SyncEnverSecret(const AwsTargetSession& session, const std::string& name,
                       const std::map<std::string, std::string>& values) {
  if (values.empty()) return DeleteEnverSecret(session, name);
  std::unique_ptr<aws::Transport> transport = aws::NewCurlTransport();
  aws::AwsClient client(session.config, *transport, aws::RealSleeper());
  aws::SecretsManagerClient sm(client);
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [key, value] : values) object[key] = value;
  const std::string text = object.dump();
  Result<std::string> current = sm.GetSecretValue(name);
  if (current.ok() && *current == text) return OkStatus();
  if (current.ok()) {
    Result<std::string> put = sm.PutSecretValue(name, text);
    return put.ok() ? OkStatus() : put.status().WithContext(Where(session, name));
  }
  if (!IsNotFound(current.status())) return current.status().WithContext(Where(session, name));
  Result<std::string> created = sm.CreateSecret(name, text);
  return created.ok() ? OkStatus() : created.status().WithContext(Where(session, name));
}

Status DeleteEnverSecret(const AwsTargetSession& session, const std::string& name) {
  std::unique_ptr<aws::Transport> transport = aws::NewCurlTransport();
  aws::AwsClient client(session.config, *transport, aws::RealSleeper());
  Status deleted = aws::SecretsManagerClient(client).DeleteSecret(name, /*force=*/true);
  if (deleted.ok() || IsNotFound(deleted)) return OkStatus();
  return deleted.WithContext(Where(session, name));
}

}  // namespace odmd::reconcile
