#pragma once

// The Deployer: runs one deployment of one enver on the local runner, and tears an enver
// down. A deployment checks out the exact commit, resolves the enver's consumers to their
// current values (or placeholders), runs the build script with the enver's context in its
// environment (i5_design.md, docs/workflows.md), stores the log, and collects what the
// script published. Local accounts: <state_dir>/accounts/<account name>/<region> is where
// scripts deploy their "stacks".
//
// Build and destroy scripts run sandboxed (SandboxSpec; docs/platform.md, "Threat model"):
// they see the system's tools, their worktree, their products dir (and manifest file), and
// at ODMD_account_dir their own account directory, which holds only their stack directory;
// nothing else of the state directory. When the platform runs as root they run as the
// enver's own unprivileged uid (SandboxUid), which owns those directories.
//
// Layout under DeployerOptions::state_dir:
//   accounts/<account>/<region>/   the local account directories (kept); each <stack> in
//                                  it is a symlink to enver-accounts/.../<stack>/<stack>
//   enver-accounts/<account>/<region>/<stack>/
//                                  one enver's view of its account directory (kept; removed
//                                  by Teardown)
//   work/<id>/                     the worktree of deployment <id> (removed at the end)
//   work/<id>.products/            ODMD_PRODUCTS_DIR (removed at the end)
//   work/<id>.manifest.json        ODMD_MANIFEST_FILE of contracts builds (removed at the end)
//   logs/<id>.log                  the build script's log (also stored at LogKey(id))
//   running/<id>.pgid              the process group of a running script (see KillLeftovers)
//
// AWS targets (DeployerOptions::aws; docs/aws-targets.md, "Deploy targets and the CDK
// tail"): for an enver whose account id is one of AwsSettings::aws_accounts the run first
// assumes the enver's build role in that account with the central credentials; its scripts
// get only that role's temporary credentials (never the platform's own). A CDK enver
// (RunsCdkTail) is then deployed by the platform: `cdk deploy` of its stacks in order from
// the cdk.out the build script synthesised, and the stacks' OdmdProducts outputs are
// products. Teardown deletes the stacks in reverse order and waits until they are gone.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "odmd/base/clock.h"
#include "odmd/base/status.h"
#include "odmd/model/env_names.h"
#include "odmd/model/org.h"
#include "odmd/reconcile/aws_settings.h"
#include "odmd/reconcile/git.h"
#include "odmd/reconcile/runner.h"
#include "odmd/reconcile/state.h"
#include "odmd/store/config_store.h"

namespace odmd::reconcile {

// The largest product value the platform stores (a build's file or `odmd product put`).
inline constexpr std::size_t kMaxProductBytes = std::size_t{1} << 20;  // 1 MiB

// Everything the Deployer needs to know about the enver, resolved by the platform core.
struct DeployTarget {
  // The effective org: static envers plus live clones. Not owned; required.
  const model::Org* org = nullptr;
  // The enver's build (in `org`). Not owned; required.
  const model::Build* build = nullptr;
  // A static enver or a derived clone (model::DeriveClone). Not owned; required.
  const model::Enver* enver = nullptr;
  // The build's local repository (for Git).
  std::string repo_path;
  // The enver's platform token: ODMD_TOKEN.
  std::string token;
  // The enver's git ref ("refs/heads/main"; a clone's own branch or tag).
  std::string git_ref;
};

struct DeployerOptions {
  // Where accounts/, work/, logs/ and running/ live (made absolute). Required.
  std::string state_dir;
  // The platform's URL: ODMD_API and ODMD_STORE.
  std::string api_url;
  // The `odmd` binary; its directory goes first in the scripts' PATH ("" = default PATH).
  std::string odmd_binary;
  // Wall time a build (or destroy) script may take; also each `cdk deploy` of the CDK tail,
  // and the wait for each stack's deletion.
  std::chrono::milliseconds time_limit{std::chrono::minutes(30)};
  // AWS targets and the central credentials; unset: every account is local.
  std::optional<AwsSettings> aws;
  // The CDK CLI of the CDK tail when the work dir has no node_modules/.bin/cdk (what
  // `npx --no -- cdk` runs there); empty: `cdk` on the scripts' PATH.
  std::string cdk_binary;
  // Host directories scripts and the CDK tail see read-only at the same path (for example a
  // shared node_modules that cdk_binary lies in). Each must exist.
  std::vector<std::string> tool_dirs;
  // Extra variables every script gets, e.g. ODMD_CDK_SDK for the shared CDK install. The
  // platform's own variables (ODMD_*, PATH, AWS_*) are set after these and win.
  std::vector<std::pair<std::string, std::string>> script_env;
  // The enver's secrets by name, decrypted ("<build>/<rev>" -> values), for AWS targets with
  // AwsSettings::secrets_manager: the run writes them into the enver's Secrets Manager secret
  // before its scripts run. Unset: no secret is written.
  std::function<Result<std::map<std::string, std::string>>(std::string_view enver_id)>
      enver_secrets;
  // How often a stack's deletion is polled.
  std::chrono::milliseconds stack_poll{std::chrono::seconds(2)};
};

// How one run ended. Operational failures are outcomes, not errors.
struct DeployOutcome {
  bool succeeded = false;
  // Worth retrying: checkout or runner start failures, store unavailable. A build script
  // that exited with a code != 0 is not transient.
  bool transient = false;
  // The cancel flag stopped the run (succeeded is false).
  bool cancelled = false;
  // One sentence for failures, e.g. "build script exited with 3", "timed out after 30m",
  // `consumer "vpc": product /odmd-share/... has no value and no placeholder`. "" on success.
  std::string reason;
  // The script's exit code; -1 when it did not exit (not run, signalled, timed out).
  int exit_code = -1;
  // Every consumer as resolved for this run, in the enver's consumer order.
  std::vector<ConsumedValue> consumed;
  // Product paths whose value this run changed from files in ODMD_PRODUCTS_DIR.
  std::vector<std::string> published;
  // Contracts builds: the content of ODMD_MANIFEST_FILE if written and non-empty.
  std::optional<std::string> manifest;
};

// The unprivileged uids (and gids) build scripts run as when the platform runs as root:
// [kSandboxUidBase, kSandboxUidBase + kSandboxUidCount), above the ranges systemd and
// container tools hand out; no /etc/passwd entry is needed.
inline constexpr std::uint32_t kSandboxUidBase = 0x70000000;
inline constexpr std::uint32_t kSandboxUidCount = 0x08000000;

// The uid of enver `enver_id`'s scripts: kSandboxUidBase + FNV-1a(enver_id) mod
// kSandboxUidCount (stable across restarts; two envers rarely share one, and even then each
// sees only its own directories).
std::uint32_t SandboxUid(std::string_view enver_id);

// Maps a consumer name to its variable (model/env_names.h, which R4 checks against).
using model::ConsumerVariable;

// The store path of the product `consumer` consumes, "/odmd-share/<build>/<rev>/<product>".
// kInvalidArgument when its producer is not an enver id.
Result<std::string> ConsumedProductPath(const model::Consumer& consumer);

// The enver context variables a local run gets, as docs/workflows.md lists them, except the
// consumers (ODMD_build_id, ODMD_rev_ref, ODMD_awsRegion, ODMD_awsAccount, ODMD_work_dir,
// ODMD_build_script, ODMD_products, ODMD_stack_names, ODMD_config, and for image builds
// ODMD_image_repo). ODMD_config is model::EffectiveConfig: the build's config with the
// enver's top-level keys over it, compact JSON on one line, "{}" when neither has one.
// `account` is the enver's account.
std::vector<std::pair<std::string, std::string>> EnverVariables(const model::Build& build,
                                                                const model::Enver& enver,
                                                                const model::Account& account);

// The variables of GET /api/ci/context, except the consumers: EnverVariables with only the
// keys the enver's kind needs: ODMD_stack_names for the CDK kinds (networking, eks-cluster,
// user-auth, cdk), ODMD_image_repo (model::EnverImageRepo) for image builds.
std::vector<std::pair<std::string, std::string>> CiContextVariables(const model::Build& build,
                                                                    const model::Enver& enver,
                                                                    const model::Account& account);

// Thread-safe for different deployments (and teardowns) at once; the caller makes sure one
// deployment id runs at most once at a time.
class Deployer {
 public:
  // Every reference must outlive the deployer.
  Deployer(store::ConfigStore& store, Git& git, Runner& runner, Clock& clock,
           DeployerOptions options);

  // Runs deployment `d` (d.sha must be set) of `target`: resolves the consumers (a
  // consumer with neither value nor placeholder fails it before anything runs), checks out
  // d.sha, runs the build script, stores its log; on success writes, in one store batch,
  // each product file whose value differs from the stored one and the consumed-versions
  // record (share..version) if it differs. The worktree, products dir and manifest file are always
  // removed. Errors only for programming errors (kInvalidArgument: a null target field, an id that
  // is not a plain name, an empty sha); every operational failure is an outcome. `cancel`
  // may be null.
  Result<DeployOutcome> Deploy(const Deployment& d, const DeployTarget& target,
                               const CancelFlag* cancel);

  // Deletes the enver: runs `.scripts/destroy.sh` (relative to the work dir) of commit `sha`
  // if that file exists, with the same environment as a deployment (ODMD_deployment_id is
  // `deployment_id`, whose log it stores), then removes the enver's stack directory
  // <account dir>/<stack name> and its own account directory (enver-accounts/...). A failing
  // destroy script fails the outcome and keeps the directory. On an AWS target the script
  // runs with the build role's credentials and then every stack of the enver is deleted, in
  // reverse order, waiting for each; a stack CloudFormation cannot delete fails the outcome
  // naming the stack and CloudFormation's reason (running Teardown again retries it).
  // Errors as Deploy.
  Result<DeployOutcome> Teardown(const DeployTarget& target, std::string_view sha,
                                 std::string_view deployment_id);

  // <state_dir>/accounts/<account name>/<region>.
  std::string AccountDir(const model::Enver& enver) const;

  // For startup: SIGKILLs the process groups a previous process recorded under
  // <state_dir>/running/ (their deployments will be re-run), waits until they are gone,
  // then removes the records and every leftover under <state_dir>/work/. kInternal if a
  // group is still alive after the wait or a directory cannot be removed, naming it.
  Status KillLeftovers();

 private:
  store::ConfigStore& store_;
  Git& git_;
  Runner& runner_;
  Clock& clock_;
  DeployerOptions options_;
};

}  // namespace odmd::reconcile
