#pragma once

// SSM Parameter Store: the products mirror (JSON protocol, target AmazonSSM.*).

#include <cstdint>
#include <string>
#include <vector>

#include "odmd/aws/client.h"

namespace odmd::aws {

struct Parameter {
  std::string name;
  std::string value;
  std::string type;  // String, StringList, SecureString
  int64_t version = 0;
};

class SsmClient {
 public:
  explicit SsmClient(AwsClient& client) : client_(client) {}
  // The new version. With overwrite, each put adds a version to the parameter's history;
  // without, an existing parameter is ALREADY_EXISTS.
  Result<int64_t> PutParameter(const std::string& name, const std::string& value,
                               bool overwrite = true, const std::string& type = "String");
  // NOT_FOUND when absent.
  Result<Parameter> GetParameter(const std::string& name);
  // Every parameter under `path` (all pages).
  Result<std::vector<Parameter>> GetParametersByPath(const std::string& path,
                                                     bool recursive = true);
  // Every version of `name`, oldest first (all pages).
  Result<std::vector<Parameter>> GetParameterHistory(const std::string& name);

 private:
  AwsClient& client_;
};

}  // namespace odmd::aws
