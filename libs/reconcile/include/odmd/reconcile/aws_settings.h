#pragma once

// How `odmd serve` reaches AWS (issue 13): which of the contracts' accounts are AWS targets,
// where the AWS API is (an emulator in tests), with which central credentials, and what the
// platform writes to the central account (SSM products, EventBridge events).
//
// Read from the file of `odmd serve --aws-config FILE` (docs/aws-targets.md):
//
//   {
//     "endpoint_url": "http://localhost:5000",  // optional; default: AWS itself
//     "region": "us-east-1",                    // optional; default: the AWS_* chain
//     "accounts": ["111111111111", "222222222222"],  // AWS account ids deployed to AWS;
//                                                    // every other account stays local
//     "products": {"ssm": true, "event_bus": "default"},  // optional; both on by default
//     "secrets_manager": false                   // optional; enver secrets in Secrets Manager
//   }
//
// Unknown keys, duplicate keys, an account id that is not 12 digits or is not an account of
// the contracts are errors naming the key (the last checked when contracts are published).
// Central credentials come from the standard AWS chain (aws::LoadConfig); they never reach a
// build script.

#include <optional>
#include <set>
#include <string>

#include "odmd/aws/config.h"
#include "odmd/base/status.h"

namespace odmd::reconcile {

struct AwsSettings {
  // The central credentials, region and endpoints (endpoint_url/region of the file win over
  // the environment's).
  aws::AwsConfig central;
  // Account ids (12 digits) whose envers deploy to AWS; the others deploy locally.
  std::set<std::string> aws_accounts;
  // Every product version is also written to SSM /odmd-share/<build>/<rev>/<product> in the
  // central account.
  bool ssm_products = true;
  // Every new product version is put on this EventBridge bus of the central account; empty:
  // no events.
  std::string event_bus = "default";
  // Enver secrets are also one Secrets Manager secret per enver in its target account,
  // written by the Deployer before the build script (docs/aws-targets.md, Secrets).
  bool secrets_manager = false;

  bool IsAwsAccount(const std::string& account_id) const {
    return aws_accounts.count(account_id) > 0;
  }
};

// Parses the settings file's text; `env` supplies the credential chain. Errors name the file
// and the key.
Result<AwsSettings> ParseAwsSettings(const std::string& text, const std::string& file_name,
                                     const aws::EnvLookup& env);

// Reads and parses `path`.
Result<AwsSettings> LoadAwsSettings(const std::string& path, const aws::EnvLookup& env);

}  // namespace odmd::reconcile
