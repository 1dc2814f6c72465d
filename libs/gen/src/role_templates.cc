// The two CloudFormation templates of a group. nlohmann::json keeps object keys sorted, so
// the text depends only on the grants; every list in RoleGrants is sorted already.

#include <nlohmann/json.hpp>

#include "odmd/base/strings.h"
#include "role_grants.h"

namespace odmd::gen {
namespace {

using nlohmann::json;

// IAM quotas, counted without whitespace: a role's trust policy (the default quota; it
// can be raised to 4096 on request) and the sum of a role's inline policies.
constexpr size_t kMaxTrustPolicyLength = 2048;
constexpr size_t kMaxInlinePoliciesLength = 10240;

constexpr std::string_view kPolicyVersion = "2012-10-17";
constexpr std::string_view kOidcKeyPrefix = "token.actions.githubusercontent.com:";

// Deploying a stack, CloudFormation's own actions only: change sets (as `cdk deploy` uses
// them), direct create/update/delete, and the reads a deploy needs to follow progress.
// Every one of them takes a stack ARN as its resource.
const std::vector<std::string>& StackActions() {
  static const std::vector<std::string> kActions = {
      "cloudformation:CreateChangeSet",        "cloudformation:CreateStack",
      "cloudformation:DeleteChangeSet",        "cloudformation:DeleteStack",
      "cloudformation:DescribeChangeSet",      "cloudformation:DescribeStackEvents",
      "cloudformation:DescribeStackResources", "cloudformation:DescribeStacks",
      "cloudformation:ExecuteChangeSet",       "cloudformation:GetTemplate",
      "cloudformation:GetTemplateSummary",     "cloudformation:ListStackResources",
      "cloudformation:RollbackStack",          "cloudformation:UpdateStack",
  };
  return kActions;
}

// Creating the build's registry repositories and pushing images to them (what the image
// workflow's tail does); every one of them takes a repository ARN as its resource.
const std::vector<std::string>& ImagePushActions() {
  static const std::vector<std::string> kActions = {
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:CompleteLayerUpload",
      "ecr:CreateRepository",
      "ecr:DescribeRepositories",
      "ecr:InitiateLayerUpload",
      "ecr:PutImage",
      "ecr:UploadLayerPart",
  };
  return kActions;
}

// The enver's own secret, which the platform writes and deletes with the build role's
// session and the enver's scripts read with it (docs/aws-targets.md, Secrets).
const std::vector<std::string>& SecretActions() {
  static const std::vector<std::string> kActions = {
      "secretsmanager:CreateSecret",   "secretsmanager:DeleteSecret",
      "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
      "secretsmanager:PutSecretValue",
  };
  return kActions;
}

json Statement(std::string_view sid, std::string_view effect, json actions, json resources) {
  return json{{"Sid", sid},
              {"Effect", effect},
              {"Action", std::move(actions)},
              {"Resource", std::move(resources)}};
}

json PolicyDocument(json statements) {
  return json{{"Version", kPolicyVersion}, {"Statement", std::move(statements)}};
}

// kInvalidArgument naming the role when `policy` (compact JSON: IAM ignores whitespace)
// exceeds `limit`.
Status CheckPolicySize(std::string_view role, std::string_view what, const json& policy,
                       size_t limit) {
  size_t size = policy.dump().size();
  if (size <= limit) return OkStatus();
  return InvalidArgumentError("role " + Quote(role) + ": " + std::string(what) + " is " +
                              std::to_string(size) + " characters; IAM's limit is " +
                              std::to_string(limit) + " (too many envers or products)");
}

Result<std::string> Template(std::string_view logical_id, std::string description,
                             const std::string& role_name, const std::string& path, json trust,
                             json policy, std::string_view policy_name) {
  ODMD_RETURN_IF_ERROR(CheckPolicySize(role_name, "trust policy", trust, kMaxTrustPolicyLength));
  ODMD_RETURN_IF_ERROR(
      CheckPolicySize(role_name, "inline policy", policy, kMaxInlinePoliciesLength));
  json role = {
      {"Type", "AWS::IAM::Role"},
      {"Properties",
       {{"RoleName", role_name},
        {"Path", path},
        {"AssumeRolePolicyDocument", std::move(trust)},
        {"Policies", json::array({{{"PolicyName", policy_name}, {"PolicyDocument", policy}}})}}}};
  json doc = {
      {"AWSTemplateFormatVersion", "2010-09-09"},
      {"Description", std::move(description)},
      {"Resources", {{logical_id, std::move(role)}}},
      {"Outputs", {{"RoleArn", {{"Value", {{"Fn::GetAtt", json::array({logical_id, "Arn"})}}}}}}}};
  return doc.dump(2) + "\n";
}

std::string Where(const RoleGroup& group) {
  return "build " + group.build->id + " in account " + group.account->name + " (" +
         group.account->id + "), " + group.region;
}

}  // namespace

Result<std::string> BuildRoleTemplate(const RoleGroup& group, const RoleGrants& grants) {
  json trust = PolicyDocument(json::array({
      {
          {"Sid", "GitHubOidcThisRepoEnverRefs"},
          {"Effect", "Allow"},
          {"Principal", {{"Federated", grants.oidc_provider_arn}}},
          {"Action", "sts:AssumeRoleWithWebIdentity"},
          {"Condition",
           {{"StringEquals", {{std::string(kOidcKeyPrefix) + "aud", "sts.amazonaws.com"}}},
            {"StringLike", {{std::string(kOidcKeyPrefix) + "sub", grants.trusted_subs}}}}},
      },
      {
          // The central account, and in it only the platform's own role: the account root
          // as principal needs no role to exist when this template is deployed, and the
          // condition narrows it to one principal (docs/roles.md).
          // TagSession: the platform tags its session with the enver's rev, which
          // scopes the session to the enver's own secret (EnverOwnSecret).
          {"Sid", "CentralPlatform"},
          {"Effect", "Allow"},
          {"Principal", {{"AWS", grants.central_root_arn}}},
          {"Action", json::array({"sts:AssumeRole", "sts:TagSession"})},
          {"Condition", {{"ArnEquals", {{"aws:PrincipalArn", grants.platform_principal_arn}}}}},
      },
  }));
  json statements = json::array();
  statements.push_back(Statement("DeployEnverStacks", "Allow", StackActions(), grants.stack_arns));
  if (!grants.denied_stack_arns.empty()) {
    statements.push_back(
        Statement("OtherBuildsStacks", "Deny", StackActions(), grants.denied_stack_arns));
  }
  statements.push_back(Statement("AssumeCentralRole", "Allow", "sts:AssumeRole",
                                 json::array({grants.central_role_arn})));
  statements.push_back(Statement("EnverOwnSecret", "Allow", SecretActions(),
                                 json::array({grants.enver_secret_arn})));
  if (!grants.image_repository_arns.empty()) {
    // `docker login` to ECR: GetAuthorizationToken has no resource-level permission, so
    // AWS accepts only "*" here; the token it returns grants nothing by itself — every
    // push is checked against PushBuildImages below (docs/roles.md).
    statements.push_back(
        Statement("RegistryLogin", "Allow", "ecr:GetAuthorizationToken", json::array({"*"})));
    statements.push_back(
        Statement("PushBuildImages", "Allow", ImagePushActions(), grants.image_repository_arns));
  }
  return Template("BuildRole",
                  "odmd build role of " + Where(group) +
                      ": GitHub OIDC for the build's repo; deploys the envers' stacks. "
                      "Generated by odmd from the contracts; do not edit.",
                  grants.build_role_name, grants.role_path, std::move(trust),
                  PolicyDocument(std::move(statements)), "odmd-build");
}

Result<std::string> CentralRoleTemplate(const RoleGroup& group, const RoleGrants& grants) {
  json trust = PolicyDocument(json::array({{
      {"Sid", "BuildRole"},
      {"Effect", "Allow"},
      {"Principal", {{"AWS", grants.build_role_arn}}},
      {"Action", "sts:AssumeRole"},
  }}));
  json statements = json::array();
  statements.push_back(Statement("WriteOwnProducts", "Allow",
                                 json::array({"ssm:DeleteParameter", "ssm:PutParameter"}),
                                 grants.write_arns));
  if (!grants.read_arns.empty()) {
    statements.push_back(Statement("ReadConsumedProducts", "Allow",
                                   json::array({"ssm:GetParameter", "ssm:GetParameters"}),
                                   grants.read_arns));
  }
  return Template("CentralRole",
                  "odmd central role of " + Where(group) +
                      ": writes the envers' products, reads what their consumers name. "
                      "Generated by odmd from the contracts; do not edit.",
                  grants.central_role_name, grants.role_path, std::move(trust),
                  PolicyDocument(std::move(statements)), "odmd-products");
}

}  // namespace odmd::gen
