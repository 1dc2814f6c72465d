#pragma once

// CloudFormation: describe a stack (status, outputs) and delete it (query protocol).

#include <map>
#include <string>

#include "odmd/aws/client.h"

namespace odmd::aws {

struct Stack {
  std::string name;
  std::string id;
  std::string status;  // CREATE_COMPLETE, DELETE_IN_PROGRESS, ...
  std::string status_reason;
  std::map<std::string, std::string> outputs;  // OutputKey -> OutputValue
};

class CloudFormationClient {
 public:
  explicit CloudFormationClient(AwsClient& client) : client_(client) {}
  // NOT_FOUND when the stack does not exist.
  Result<Stack> DescribeStack(const std::string& name);
  // Starts the deletion (asynchronous at AWS; poll DescribeStack).
  Status DeleteStack(const std::string& name);

 private:
  AwsClient& client_;
};

}  // namespace odmd::aws
