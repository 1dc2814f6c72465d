#pragma once

// STS: the caller's identity and temporary credentials of a role (query protocol).

#include <string>
#include <utility>
#include <vector>

#include "odmd/aws/client.h"

namespace odmd::aws {

struct CallerIdentity {
  std::string account;
  std::string arn;
  std::string user_id;
};

struct AssumedRole {
  Credentials credentials;
  std::string expiration;  // ISO 8601, as AWS gives it
  std::string assumed_role_arn;
};

class StsClient {
 public:
  explicit StsClient(AwsClient& client) : client_(client) {}
  Result<CallerIdentity> GetCallerIdentity();
  // Errors name the role ARN; an untrusted role is PERMISSION_DENIED. `session_tags` become
  // the session's principal tags (the trust policy must allow sts:TagSession).
  Result<AssumedRole> AssumeRole(
      const std::string& role_arn, const std::string& session_name, int duration_seconds = 3600,
      const std::vector<std::pair<std::string, std::string>>& session_tags = {});

 private:
  AwsClient& client_;
};

}  // namespace odmd::aws
