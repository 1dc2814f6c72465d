#pragma once

// Where the AWS client sends requests and with which credentials. The chain, in order:
// explicit (the caller fills AwsConfig), the environment (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION / AWS_DEFAULT_REGION, AWS_ENDPOINT_URL,
// AWS_ENDPOINT_URL_<SERVICE>), then the shared files (AWS_SHARED_CREDENTIALS_FILE,
// AWS_CONFIG_FILE, default ~/.aws/credentials and ~/.aws/config; profile AWS_PROFILE or
// "default"). Secrets are never logged nor put in a Status message.

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "odmd/aws/transport.h"
#include "odmd/base/status.h"

namespace odmd::aws {

// One AWS service as the client addresses it.
struct Service {
  const char* env_id;        // suffix of AWS_ENDPOINT_URL_<env_id>: "SECRETS_MANAGER"
  const char* host_prefix;   // "secretsmanager" in secretsmanager.<region>.amazonaws.com
  const char* signing_name;  // SigV4 service name: "secretsmanager"
};

inline constexpr Service kSts{"STS", "sts", "sts"};
inline constexpr Service kCloudFormation{"CLOUDFORMATION", "cloudformation", "cloudformation"};
inline constexpr Service kSsm{"SSM", "ssm", "ssm"};
inline constexpr Service kEventBridge{"EVENTBRIDGE", "events", "events"};
inline constexpr Service kSecretsManager{"SECRETS_MANAGER", "secretsmanager", "secretsmanager"};

struct AwsConfig {
  std::string region;
  Credentials credentials;
  std::string endpoint_url;                              // all services; empty: AWS
  std::map<std::string, std::string> service_endpoints;  // env_id -> URL

  // The per-service endpoint, else endpoint_url, else https://<prefix>.<region>.amazonaws.com
  // (STS regional). Always ends with '/'.
  std::string EndpointFor(const Service& service) const;
};

// Reads one environment variable (tests inject a map).
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup ProcessEnvironment();

// Environment, then shared files. UNAUTHENTICATED when no credentials are found, naming
// where it looked; INVALID_ARGUMENT when no region is set or a file is malformed.
Result<AwsConfig> LoadConfig(const EnvLookup& env);

}  // namespace odmd::aws
