#pragma once

// An enver's secrets in Secrets Manager (AwsSettings::secrets_manager): one secret per enver,
// "odmd/<build>/<rev>" in its target account and region, whose value is a JSON object of the
// enver's secrets by name. The platform writes it with the enver's build role session (tagged
// with the enver's rev), before the build script runs, and deletes it at teardown
// (docs/aws-targets.md, Secrets).

#include <map>
#include <string>

#include "aws_target.h"
#include "odmd/base/status.h"

namespace odmd::reconcile {

// Makes secret `name` hold exactly `values` (a JSON object): created when absent, a new
// version only when the value differs; deleted (without recovery window) when `values` is
// empty. Errors name the secret, the account and the role, never a value.
Status SyncEnverSecret(const AwsTargetSession& session, const std::string& name,
                       const std::map<std::string, std::string>& values);

// Deletes secret `name` without recovery window; a secret that does not exist is deleted
// already.
Status DeleteEnverSecret(const AwsTargetSession& session, const std::string& name);

}  // namespace odmd::reconcile
