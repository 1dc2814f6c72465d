#pragma once

// An enver whose account is an AWS target (AwsSettings::aws_accounts): the platform assumes
// the enver's build role in the target account with its central credentials, and the
// enver's scripts (and the CDK tail) get only that role's temporary credentials
// (docs/aws-targets.md, "Deploy targets and the CDK tail").

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "odmd/aws/cloudformation.h"
#include "odmd/aws/config.h"
#include "odmd/aws/transport.h"
#include "odmd/base/clock.h"
#include "odmd/base/status.h"
#include "odmd/model/org.h"
#include "odmd/reconcile/aws_settings.h"

namespace odmd::reconcile {

// "arn:aws:iam::<A>:role/<B>/<B>-<R><A>-buildRole": the build role of `build`'s envers in
// `region` of account `account_id` (ONDEMANDENV-CONVENTIONS.md, "Roles").
std::string BuildRoleArnOf(const model::Build& build, const model::Enver& enver,
                           const std::string& account_id);

// The STS session name of one run: "odmd-" + the deployment id with every character outside
// [A-Za-z0-9+=,.@_-] replaced by '-', at most 64 characters (STS's limit). CloudTrail shows
// it, so a role session names the deployment that used it.
std::string RoleSessionName(std::string_view deployment_id);

// One run's session in the target account.
struct AwsTargetSession {
  std::string account_id;
  std::string role_arn;
  // What the role's credentials are (GetCallerIdentity of the assumed role).
  std::string assumed_arn;
  // The role's temporary credentials, the enver's region, the settings' endpoints.
  aws::AwsConfig config;
};

// Assumes `role_arn` in `account_id` with the central credentials of `settings` and checks
// that the credentials work in that account (GetCallerIdentity must name `account_id`;
// CloudFormation DescribeStacks of `probe_stack` must answer, "does not exist" included: an
// emulator hands out credentials for a role that does not exist, and only their use fails).
// The session is tagged odmd-rev=`enver_rev` (when not empty): the role's EnverOwnSecret
// statement scopes it to that enver's secret (docs/roles.md).
// Errors name the account and the role; PERMISSION_DENIED / UNAUTHENTICATED as STS says.
Result<AwsTargetSession> AssumeBuildRole(const AwsSettings& settings, const std::string& account_id,
                                         const std::string& role_arn, const std::string& region,
                                         const std::string& session_name,
                                         const std::string& probe_stack,
                                         std::chrono::seconds duration,
                                         const std::string& enver_rev = "");

// The AWS variables of a script on an AWS target: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN of the role, AWS_REGION and AWS_DEFAULT_REGION of the enver, and
// AWS_ENDPOINT_URL when the settings name an endpoint. Nothing of the central credentials.
std::map<std::string, std::string> AwsScriptVariables(const AwsTargetSession& session);

// Deletes `stack` with the session's credentials and waits until CloudFormation no longer
// knows it (or reports DELETE_COMPLETE), polling every `poll` until `clock` passes
// `deadline`; `sleep` waits between polls. A stack that does not exist is deleted already.
// Errors name the stack and CloudFormation's reason (DELETE_FAILED and its status reason,
// or the refused call).
Status DeleteStackAndWait(const AwsTargetSession& session, const std::string& stack,
                          const Clock& clock, std::chrono::steady_clock::time_point deadline,
                          std::chrono::milliseconds poll,
                          const std::function<void(std::chrono::milliseconds)>& sleep);
// The same through `transport` (tests script CloudFormation's answers).
Status DeleteStackAndWait(aws::Transport& transport, const AwsTargetSession& session,
                          const std::string& stack, const Clock& clock,
                          std::chrono::steady_clock::time_point deadline,
                          std::chrono::milliseconds poll,
                          const std::function<void(std::chrono::milliseconds)>& sleep);

// The stack's status and reason for a failure message: `stack "x" is ROLLBACK_COMPLETE:
// <reason>`, or "" when it cannot be described.
std::string DescribeStackForFailure(const AwsTargetSession& session, const std::string& stack);

}  // namespace odmd::reconcile
