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

#include <map>
#include <memory>
#include <string>
#include <string_view>

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

  // How many envers (declared plus live clones) the policy knows.
  size_t enver_count() const;

 private:
  struct Rules;
  // Shared and never modified after construction: copies are cheap and share it.
  std::shared_ptr<const Rules> rules_;
};

}  // namespace odmd::access
