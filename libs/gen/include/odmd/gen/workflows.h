#pragma once

// GitHub Actions workflows (issue 4, DESIGN.md §5): one file per (build, ciType, region,
// account), derived from the contracts alone. docs/workflows.md describes the file, the
// enver context a run reads from the platform and the platform endpoints it calls.
//
// A workflow names nothing enver-specific: every enver (and clone) of a build that deploys
// to one account and region shares it, and the same bytes sit on every branch. A run finds
// its enver at run time from the git ref it was dispatched on, by asking the platform
// (kCiContextRoute), so cloning an enver never needs a new file.

#include <string>
#include <string_view>
#include <vector>

#include "odmd/base/status.h"
#include "odmd/gen/generated_file.h"
#include "odmd/model/org.h"

namespace odmd::gen {

// The platform endpoints a generated workflow calls (contracts in docs/workflows.md). Every
// call carries "Authorization: Bearer <token>" with the token from the workflow's secret.
//
// GET  kCiContextRoute?build=<build>&workflow=<name>&ref=<git ref>: the enver context, one
//      ODMD_* variable per line in GitHub's $GITHUB_ENV format.
inline constexpr std::string_view kCiContextRoute = "/api/ci/context";
// PUT  kCiProductsRoute/<build>/<rev>/<product>: body = the product's new value.
inline constexpr std::string_view kCiProductsRoute = "/api/ci/products";
// PUT  kCiManifestRoute/<build>/<rev>: body = the synthesised manifest (contracts builds).
inline constexpr std::string_view kCiManifestRoute = "/api/ci/manifest";

// The repository (or organisation) variable holding the platform's base URL.
inline constexpr std::string_view kApiUrlVariable = "ODMD_API_URL";
// The variable naming the npm registry contracts workflows publish the per-org package to
// (unset: GitHub Packages, https://npm.pkg.github.com).
inline constexpr std::string_view kNpmRegistryVariable = "ODMD_NPM_REGISTRY";

// The GitHub secret a workflow reads its platform token from: "ODMD_SECRETS_" + the
// workflow name with every character outside [A-Za-z0-9] replaced by '_', e.g.
// "ODMD_SECRETS_ODMD_svc_CdkGithubWFus_west_1_workspace1" for the workflow named
// "ODMD_svc-CdkGithubWFus-west-1-workspace1" (ONDEMANDENV-CONVENTIONS.md, Workflows).
std::string WorkflowSecretName(std::string_view workflow_name);

// One workflow per (build, account, region) group of each build's envers (a build has one
// ciType, so this is one per (build, ciType, region, account)), at
// model::WorkflowFilePath(...) with build_id = the build's id. Files are sorted by build id,
// then path; the output depends only on the contracts' content, not on declaration order.
//
// Ownership rule (the original's overwriteGhWf): a file is user_owned when ANY enver of its
// group has overwrite_workflow false, the default. The envers of a group share the file, so
// one enver keeping edits is enough to keep the platform from replacing an edited file; an
// absent or unedited one (gen::IsPristine) is still written. Every file carries its digest
// line (gen::Sealed) so an edit can be told without a record of what was written.
//
// Errors (nothing is generated): kNotFound when an enver's account is not declared;
// kInvalidArgument, naming the enver and the value, when a build id, region, account name
// or account id could not appear in a workflow safely (build ids [A-Za-z0-9_-]+, regions
// [a-z0-9-]+, account names [A-Za-z0-9_.-]+, account ids 12 digits) or the file name would
// exceed 255 bytes. A manifest that passed model::Validate only fails on the region and
// account-name checks, which the model does not make.
Result<std::vector<GeneratedFile>> GenerateWorkflows(const model::Org& org);

}  // namespace odmd::gen
