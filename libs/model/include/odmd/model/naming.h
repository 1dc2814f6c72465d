#pragma once

// Pure functions for every derived name (DESIGN.md §5, ONDEMANDENV-CONVENTIONS.md). These
// names are read by existing ondemandenv repos and CDK helpers: keep them byte-exact.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "odmd/base/status.h"
#include "odmd/model/org.h"
#include "odmd/model/rev_ref.h"

namespace odmd::model {

// Limits of the targets derived names must fit (rule R10).
inline constexpr size_t kMaxRoleNameLength = 64;      // IAM role name
inline constexpr size_t kMaxStackNameLength = 128;    // CloudFormation stack name
inline constexpr size_t kMaxParameterPathDepth = 15;  // SSM parameter hierarchy levels

// "<build>/<rev>", e.g. "orderSvc/b..main".
std::string EnverId(std::string_view build, const RevRef& rev);

// "<originRev>-_<b|t>..<value>", e.g. CloneRev(b..master, kBranch, "feat1") is
// "b..master-_b..feat1".
std::string CloneRev(const RevRef& origin, RevType type, std::string_view value);

// "/odmd-share/<build>/<rev>/<product>".
std::string ProductPath(std::string_view build, const RevRef& rev, std::string_view product);
// "/odmd-share/<build>/<rev>/share..version": the enver's consumed-versions record.
std::string ConsumedVersionsPath(std::string_view build, const RevRef& rev);
// "/odmd-<build>/<rev>/enver_config": the per-enver CI context in the target account.
std::string EnverConfigPath(std::string_view build, const RevRef& rev);

// Every non-alphanumeric character becomes '-'; then a leading '-' becomes 'A' and a
// trailing '-' becomes 'Z'. Sanitize("-abc-") is "AabcZ".
std::string Sanitize(std::string_view name);

// sanitize("<build>--<value>") for branch envers and branch clones, sanitize("<build>--<rev>")
// for tag envers and tag clones: "orderSvc--main", "orderSvc--t--v1-0-0", "svcA--feat1",
// "svcA--b--master--t--v9".
// `build` may also be a stack base name (Enver::stacks): StackName("networking-share-nat",
// b..main) is "networking-share-nat--main".
std::string StackName(std::string_view build, const RevRef& rev);
// The part of `rev` a stack name carries, before sanitizing: the value of a branch, the whole
// rev of a tag ("main", "t..v1.0.0").
std::string_view StackNameRev(const RevRef& rev);
// The enver's stack names in deployment order: StackName(base, enver.rev) for each base of
// enver.stacks, or {StackName(build.id, enver.rev)} when it declares none. The original's
// networking enver: {"networking--main", "networking-share-nat--main"}.
std::vector<std::string> StackNames(const Build& build, const Enver& enver);
// The enver's stack base names: enver.stacks, or {build.id} when it declares none.
std::vector<std::string> StackBases(const Build& build, const Enver& enver);

// The enver's Secrets Manager secret in its target account: "odmd/<build>/<rev>" (the rev as
// in enver ids: "odmd/svcA/b..main", "odmd/svcA/b..main-_b..feat1"); EnverSecretPrefix is
// "odmd/<build>/".
std::string EnverSecretName(std::string_view build, const RevRef& rev);
std::string EnverSecretPrefix(std::string_view build);
// The session tag the platform sets when it assumes an enver's build role: the enver's rev.
// The build role's policy scopes the enver's secret with it (docs/roles.md).
inline constexpr char kEnverSessionTag[] = "odmd-rev";

// Build role "<build>-<region><accountId>-buildRole", path "/<build>/", in the target account.
std::string BuildRoleName(std::string_view build, std::string_view region,
                          std::string_view account_id);
// Central role "<build>-<region><accountId>-centerRole", path "/<build>/", in the central
// account (spelt "center" for compatibility).
std::string CentralRoleName(std::string_view build, std::string_view region,
                            std::string_view account_id);
// "/<build>/".
std::string RolePath(std::string_view build);
// "arn:aws:iam::<accountId>:role/<build>/<roleName>". `role_account_id` is where the role
// lives: the target account for a build role, the central account for a central role.
std::string RoleArn(std::string_view role_account_id, std::string_view build,
                    std::string_view role_name);

// "CmdsGH" (contracts, cmd), "CdkGithubWF" (cdk, networking, eks-cluster, user-auth),
// "ContainerImageEcr" (image).
std::string_view CiType(BuildKind kind);
// "ODMD_<build>-<ciType><region>-<accountName>.yaml" (the file name only), e.g.
// "ODMD_coffeeShopOrderManager-CdkGithubWFus-west-1-workspace1.yaml".
std::string WorkflowFileName(std::string_view build, BuildKind kind, std::string_view region,
                             std::string_view account_name);
// ".github/workflows/" + WorkflowFileName(...).
std::string WorkflowFilePath(std::string_view build, BuildKind kind, std::string_view region,
                             std::string_view account_name);

// Enver subdomain: the rev without characters outside [A-Za-z0-9-], trimmed of '-',
// lowercased, + "." + lowercase build: "bmain.ordersvc", "bmaster-bfeat1.svca".
std::string EnverSubdomain(std::string_view build, const RevRef& rev);
// Container image repository (the original's genRepoName): lowercase
// "<build>/<rev>/<part>" without the characters outside [a-z0-9-/]:
// ImageRepoName("orderSvc", b..main, "orderSvc") is "ordersvc/bmain/ordersvc",
// ImageRepoName("svcA", b..master-_b..feat1, "api_v2") is "svca/bmaster-bfeat1/apiv2".
std::string ImageRepoName(std::string_view build, const RevRef& rev, std::string_view part);
// The repository the image workflow pushes an image enver's image to (ODMD_image_repo): the
// image part is the build id, as the original's image names start with it:
// EnverImageRepo("orderSvc", b..main) is "ordersvc/bmain/ordersvc".
std::string EnverImageRepo(std::string_view build, const RevRef& rev);

// Kubernetes namespace: lowercase "<build>-<rev>" with runs of other characters turned into
// '-', trimmed, at most 63 characters: "ordersvc-b-main".
std::string KubernetesNamespace(std::string_view build, const RevRef& rev);

// "refs/heads/X" -> b..X, "refs/tags/X" -> t..X, with X mapped by BranchToRevValue /
// TagToRevValue. kInvalidArgument for any other ref or a name that maps to nothing legal.
Result<RevRef> GitRefToRev(std::string_view git_ref);

// Maps a git branch name to a legal branch rev value, deterministically:
//   1. every character outside [A-Za-z0-9_.-] becomes '-'  ("feature/login" -> "feature-login");
//      byte by byte, so a two-byte UTF-8 character becomes "--";
//   2. every run of '.', '_' and '-' that contains a reserved pair ("..", "_-", "-_")
//      becomes a single '-';
//   3. a value starting with 'v' or 'V' gets the prefix "b-" (branch values may not start
//      with v, which is reserved for tags).
// A name that is already legal maps to itself. kInvalidArgument for an empty name or one
// with no letter or digit at all.
Result<std::string> BranchToRevValue(std::string_view branch);
// The same mapping for tags, without step 3.
Result<std::string> TagToRevValue(std::string_view tag);

// Groups of distinct branch names that map to the same rev value, e.g.
// {"feature-login", {"feature/login", "feature-login", "feature:login"}} ("feature_login" is
// already legal and maps to itself, so it is not in that group). Groups come in the order
// their first branch appears; each lists the mapped value and its branches in input order.
// Repeated names count once; names that do not map are left out.
struct RevValueCollision {
  std::string value;
  std::vector<std::string> branches;
};
std::vector<RevValueCollision> FindRevValueCollisions(std::span<const std::string> branches);

// Every derived name of one enver, as `odmd show` prints them.
struct EnverNames {
  std::string enver_id;
  std::string rev;
  std::string stack_name;                // the first of stack_names
  std::vector<std::string> stack_names;  // StackNames(): every stack, in deployment order
  std::string build_role_name;
  std::string build_role_path;
  std::string build_role_arn;
  std::string central_role_name;
  std::string central_role_arn;
  std::string ci_type;
  std::string workflow_file;  // path under the repo root: .github/workflows/ODMD_...yaml
  std::string consumed_versions_path;
  std::string enver_config_path;
  std::string subdomain;
  std::string kubernetes_namespace;
  std::string image_repo;  // EnverImageRepo() for image builds; "" for the other kinds
  // (product name, product path) in the enver's product order.
  std::vector<std::pair<std::string, std::string>> product_paths;
  // (consumer name, path of the product it consumes) in the enver's consumer order.
  std::vector<std::pair<std::string, std::string>> consumer_paths;
};

// REQUIRES: `build` and `enver` belong to `org`. kNotFound if the enver's account or the
// central account is not declared.
Result<EnverNames> DeriveEnverNames(const Org& org, const Build& build, const Enver& enver);

}  // namespace odmd::model
