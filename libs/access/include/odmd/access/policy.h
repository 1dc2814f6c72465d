#pragma once

// AccessPolicy: who may read and write which store keys, derived from the contracts
// (DESIGN.md §7). Reserved keys (DESIGN.md §6):
//   /odmd/contracts/manifest            the current manifest JSON
//   /odmd/clones/<build>/<cloneRev>     one JSON record per live clone:
//                                       {"origin": "<build>/<originRev>", "git_name": "...",
//                                        "type": "branch"|"tag"}
//   /odmd/tokens/<sha256 hex>           token records (tokens.h)
//   /odmd/secrets/<build>/<rev>/<name>  sealed secrets (secrets.h)
//   /odmd-share/<build>/<rev>/<product> products; .../share..version the consumed versions
//
// Rules:
//   admin   reads and writes everything (secret values are still decrypted only for their
//           owner: secrets.h).
//   viewer  reads everything outside /odmd/ and, under /odmd/, only the platform's records
//           that hold no token or secret material: contracts/, clones/, repos/, intake/,
//           queue/, deployments/, seq/, logs/, events/, envers/, roles/, reactions/,
//           teardowns/.
//           Never /odmd/secrets/, /odmd/tokens/, /odmd/enver-tokens/ (sealed enver tokens)
//           nor any other /odmd/ key (a new kind of record starts unreadable). Writes nothing.
//   enver E = <b>/<r> (declared in the manifest, or a live clone):
//     write /odmd-share/<b>/<r>/<p> and /odmd-share/<b>/<r>/<p>/... for each product p of E,
//           and /odmd-share/<b>/<r>/share..version. Nothing else.
//     read  everything under /odmd-share/<b>/<r>/ (with the '/': enver svcA/b..main does
//           not own svcA/b..main-_b..feat1), and for each consumer of E the consumed
//           product path /odmd-share/<pb>/<pr>/<product> and its children. Nothing else:
//           not /odmd/..., not another clone of the same origin.
//     A clone has its origin's products and consumers (the origin's upstream producers),
//     under its own rev. No enver consumes a clone.
//   An enver id that is neither declared nor a live clone is denied everything.
//   workflow W (the token of a generated workflow's repository secret): exactly what the
//           envers of W's group may do together - the declared envers whose workflow is W
//           (WorkflowNameOf: one per build, account and region) and the live clones of
//           those envers (a clone is in its origin's group). Each enver's rights stay its
//           own: W writes the products of enver E only under E's prefix and only those E
//           declares. Nothing else: not /odmd/..., not another group's envers. A workflow
//           that is no group of the contracts is denied everything.
//   Sealed tokens (/odmd/enver-tokens/, /odmd/workflow-tokens/) are read by admin only.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "odmd/access/principal.h"
#include "odmd/base/status.h"
#include "odmd/model/org.h"
#include "odmd/store/config_store.h"

namespace odmd::access {

inline constexpr std::string_view kManifestKey = "/odmd/contracts/manifest";
inline constexpr std::string_view kClonesPrefix = "/odmd/clones/";
inline constexpr std::string_view kSecretsPrefix = "/odmd/secrets/";
inline constexpr std::string_view kSharePrefix = "/odmd-share/";

enum class Access { kRead, kWrite };

// The workflow group of `enver` of `build`: model::WorkflowFileName(...) without ".yaml",
// e.g. "ODMD_svc-CdkGithubWFus-west-1-workspace1" (gen::GenerateWorkflows' file for it).
// nullopt when the enver's account is not declared in `org`.
std::optional<std::string> WorkflowNameOf(const model::Org& org, const model::Build& build,
                                          const model::Enver& enver);

// "read", "write".
std::string_view AccessName(Access access);

// The rules for one org plus its live clones. Immutable after construction, so thread-safe
// to share; cheap to copy. Check() is O(key depth): hash lookups on precomputed paths.
class AccessPolicy {
 public:
  // A policy with no envers: admin and viewer rules only.
  AccessPolicy();

  // Rules derived from `org` plus the live clones (clone enver id -> origin enver id).
  // REQUIRES: `org` is valid (model::Validate). A clone whose origin is not an enver of
  // `org`, whose build differs from its origin's, or whose id is already a declared enver
  // is left out (so it is denied everything).
  static AccessPolicy FromOrg(const model::Org& org,
                              const std::map<std::string, std::string>& clone_origins);

  // Reads kManifestKey and every record under kClonesPrefix from `store`. No manifest ->
  // a policy with no envers (admin and viewer rules still apply; every enver is denied).
  // A clone record whose origin is not in the manifest is left out.
  // kFailedPrecondition naming the key when the manifest or a clone record is malformed;
  // the store's code when it cannot be read.
  static Result<AccessPolicy> Load(store::ConfigStore& store);

  // OK, or kPermissionDenied "principal enver:svcA/b..main may not write
  // /odmd-share/svcB/b..main/url" (always names the principal, the access and the key; for
  // an unknown enver the message adds ": unknown enver").
  Status Check(const Principal& principal, Access access, std::string_view key) const;

  // True when `enver_id` is a declared enver or a live clone.
  bool HasEnver(std::string_view enver_id) const;

  // The workflow group of a declared enver or live clone (a clone's is its origin's);
  // nullopt for an unknown enver.
  std::optional<std::string> WorkflowOf(std::string_view enver_id) const;
  // True when `workflow_name` is the group of at least one declared enver.
  bool HasWorkflow(std::string_view workflow_name) const;
  // Every workflow group, sorted.
  std::vector<std::string> Workflows() const;
  // True when `who` may act for enver `enver_id` (read its CI context, publish for it): the
  // admin, the enver's own token (known or not: the other checks decide what it may do), or
  // the token of the enver's workflow group. Never the viewer.
  bool ActsFor(const Principal& who, std::string_view enver_id) const;

  // How many envers (declared plus live clones) the policy knows.
  size_t enver_count() const;

 private:
  struct Rules;
  // Shared and never modified after construction: copies are cheap and share it.
  std::shared_ptr<const Rules> rules_;
};

}  // namespace odmd::access
