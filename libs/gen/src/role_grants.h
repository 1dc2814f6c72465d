#pragma once

// Private to libs/gen: what the two role templates of one (build, account, region) group
// grant, computed from the contracts (role_grants.cc), and the templates themselves
// (role_templates.cc).

#include <string>
#include <vector>

#include "odmd/base/status.h"
#include "odmd/model/org.h"

namespace odmd::gen {

// The static envers of one build in one target account and region: they share one build
// role and one central role.
struct RoleGroup {
  const model::Build* build = nullptr;
  const model::Account* account = nullptr;  // the target account
  std::string region;
  std::vector<const model::Enver*> envers;  // static envers, sorted by rev
};

// Everything the group's templates name. Lists are sorted and hold no duplicates.
struct RoleGrants {
  std::string build_role_name;
  std::string build_role_arn;
  std::string central_role_name;
  std::string central_role_arn;
  std::string role_path;
  // arn:aws:iam::<target>:oidc-provider/token.actions.githubusercontent.com
  std::string oidc_provider_arn;
  // The central account's root ("arn:aws:iam::<central>:root"), trusted by the build role
  // only for the platform principal below (docs/roles.md, "Build role").
  std::string central_root_arn;
  // The platform's principal in the central account: kPlatformRoleName at path "/".
  std::string platform_principal_arn;
  // Values the OIDC `sub` claim may take (StringLike): one per static enver's git ref,
  // plus "refs/heads/*" and "refs/tags/*" when any enver allows clones.
  std::vector<std::string> trusted_subs;
  // CloudFormation stack ARNs the build role may deploy.
  std::vector<std::string> stack_arns;
  // Stack ARN patterns of other builds that fall inside this build's clone pattern; denied.
  std::vector<std::string> denied_stack_arns;
  // SSM parameter ARNs (central account) the central role may write: exact product and
  // consumed-versions paths, and per-product clone patterns "<rev>-_*/<product>".
  std::vector<std::string> write_arns;
  // SSM parameter ARNs (central account) the central role may read: exactly the product
  // paths the group's consumers name.
  std::vector<std::string> read_arns;
  // Image builds only: the container registry repositories (ECR, target account and region)
  // the build role may create and push to: "repository/<registry prefix>/*", where the
  // prefix is the build id lowercased, keeping [a-z0-9-] (ONDEMANDENV-CONVENTIONS).
  std::vector<std::string> image_repository_arns;
  // The enver's own Secrets Manager secret in the target account, "odmd/<build>/<rev>", as
  // an ARN pattern whose <rev> is the session tag the platform sets when it assumes the
  // build role (model::kEnverSessionTag): each enver's session reaches only its own secret, and a
  // session without the tag (a GitHub OIDC run) none.
  std::string enver_secret_arn;
};

// The IAM role the platform runs as in the central account (path "/"). Generated roles
// have the path "/<build>/", so no build's role can ever be this one.
inline constexpr char kPlatformRoleName[] = "odmd-platform";

// kNotFound for an undeclared account, kInvalidArgument for a value that cannot go into a
// policy or a name over its limit (see GenerateRoles).
Result<RoleGrants> ComputeRoleGrants(const model::Org& org, const RoleGroup& group);

// The CloudFormation template text (2-space indent, sorted keys, trailing newline).
// kInvalidArgument when a policy exceeds IAM's size limits.
Result<std::string> BuildRoleTemplate(const RoleGroup& group, const RoleGrants& grants);
Result<std::string> CentralRoleTemplate(const RoleGroup& group, const RoleGrants& grants);

}  // namespace odmd::gen
