// AWS targets: the build role's session, the scripts' AWS variables, stack deletion.

#include "aws_target.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <utility>

#include "odmd/aws/client.h"
#include "odmd/aws/sts.h"
#include "odmd/aws/transport.h"
#include "odmd/base/strings.h"
#include "odmd/model/naming.h"

namespace odmd::reconcile {
namespace {

// "account 111111111111, build role arn:...": the subject of every failure.
std::string Where(const std::string& account_id, const std::string& role_arn) {
  return "account " + account_id + ", build role " + role_arn;
}

// One client of `config` on its own transport (a curl transport is one exchange at a time).
struct Client {
  explicit Client(aws::AwsConfig config)
      : transport(aws::NewCurlTransport()),
        client(std::move(config), *transport, aws::RealSleeper()) {}
  std::unique_ptr<aws::Transport> transport;
  aws::AwsClient client;
};

}  // namespace

std::string BuildRoleArnOf(const model::Build& build, const model::Enver& enver,
                           const std::string& account_id) {
  return model::RoleArn(account_id, build.id,
                        model::BuildRoleName(build.id, enver.region, account_id));
}

std::string RoleSessionName(std::string_view deployment_id) {
  std::string out = "odmd-";
  for (char c : deployment_id) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) ||
                    std::string_view("+=,.@_-").find(c) != std::string_view::npos;
    out += ok ? c : '-';
  }
  if (out.size() > 64) out.resize(64);
  return out;
}

Result<AwsTargetSession> AssumeBuildRole(const AwsSettings& settings, const std::string& account_id,
                                         const std::string& role_arn, const std::string& region,
                                         const std::string& session_name,
                                         const std::string& probe_stack,
                                         std::chrono::seconds duration,
                                         const std::string& enver_rev) {
  const std::string where = Where(account_id, role_arn);
  Client central(settings.central);
  std::vector<std::pair<std::string, std::string>> tags;
  if (!enver_rev.empty()) tags.emplace_back(model::kEnverSessionTag, enver_rev);
  Result<aws::AssumedRole> role =
      aws::StsClient(central.client)
          .AssumeRole(role_arn, session_name, static_cast<int>(duration.count()), tags);
  if (!role.ok()) return role.status().WithContext(where + ": cannot assume the build role");

  AwsTargetSession session;
  session.account_id = account_id;
  session.role_arn = role_arn;
  session.config = settings.central;
  session.config.region = region;
  session.config.credentials = role->credentials;
  Client as_role(session.config);
  Result<aws::CallerIdentity> me = aws::StsClient(as_role.client).GetCallerIdentity();
  if (!me.ok()) {
    return me.status().WithContext(where + ": the build role's credentials do not work");
  }
  if (me->account != account_id) {
    return PermissionDeniedError(where + ": the assumed role is " + Quote(me->arn) +
                                 " of account " + me->account + ", not of the target account");
  }
  session.assumed_arn = me->arn;
  Result<aws::Stack> probe = aws::CloudFormationClient(as_role.client).DescribeStack(probe_stack);
  if (!probe.ok() && !IsNotFound(probe.status())) {
    return probe.status().WithContext(where + ": the build role cannot use CloudFormation");
  }
  return session;
}

std::map<std::string, std::string> AwsScriptVariables(const AwsTargetSession& session) {
  std::map<std::string, std::string> env = {
      {"AWS_ACCESS_KEY_ID", session.config.credentials.access_key_id},
      {"AWS_SECRET_ACCESS_KEY", session.config.credentials.secret_access_key},
      {"AWS_SESSION_TOKEN", session.config.credentials.session_token},
      {"AWS_REGION", session.config.region},
      {"AWS_DEFAULT_REGION", session.config.region}};
  if (!session.config.endpoint_url.empty()) {
    env["AWS_ENDPOINT_URL"] = session.config.endpoint_url;
  }
  return env;
}

Status DeleteStackAndWait(const AwsTargetSession& session, const std::string& stack,
                          const Clock& clock, std::chrono::steady_clock::time_point deadline,
                          std::chrono::milliseconds poll,
                          const std::function<void(std::chrono::milliseconds)>& sleep) {
  std::unique_ptr<aws::Transport> transport = aws::NewCurlTransport();
  return DeleteStackAndWait(*transport, session, stack, clock, deadline, poll, sleep);
}

Status DeleteStackAndWait(aws::Transport& transport, const AwsTargetSession& session,
                          const std::string& stack, const Clock& clock,
                          std::chrono::steady_clock::time_point deadline,
                          std::chrono::milliseconds poll,
                          const std::function<void(std::chrono::milliseconds)>& sleep) {
  const std::string where =
      "stack " + Quote(stack) + " in " + Where(session.account_id, session.role_arn);
  aws::AwsClient client(session.config, transport, aws::RealSleeper());
  aws::CloudFormationClient cfn(client);
  Status deleted = cfn.DeleteStack(stack);
  if (!deleted.ok() && !IsNotFound(deleted)) {
    return deleted.WithContext("cannot delete " + where);
  }
  while (true) {
    Result<aws::Stack> s = cfn.DescribeStack(stack);
    if (IsNotFound(s.status())) return OkStatus();
    if (!s.ok()) return s.status().WithContext("cannot follow the deletion of " + where);
    if (s->status == "DELETE_COMPLETE") return OkStatus();
    if (s->status == "DELETE_FAILED") {
      return FailedPreconditionError(
          "CloudFormation could not delete " + where + ": " +
          (s->status_reason.empty() ? "DELETE_FAILED" : s->status_reason));
    }
    if (clock.SteadyNow() >= deadline) {
      return UnavailableError("the deletion of " + where + " did not finish in time (" + s->status +
                              ")");
    }
    sleep(poll);
  }
}

std::string DescribeStackForFailure(const AwsTargetSession& session, const std::string& stack) {
  Client as_role(session.config);
  Result<aws::Stack> s = aws::CloudFormationClient(as_role.client).DescribeStack(stack);
  if (!s.ok()) return "";
  std::string out = "stack " + Quote(stack) + " is " + s->status;
  if (!s->status_reason.empty()) out += ": " + s->status_reason;
  return out;
}

}  // namespace odmd::reconcile
