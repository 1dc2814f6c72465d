#pragma once

// Clone derivation: an origin enver plus a git branch (or tag) gives the dynamic enver a
// commit command `odmd: create@<origin>` creates. The clone has the origin's build,
// account, region, products and consumers (the same upstream producers), and its own
// rev and therefore its own derived names.

#include <string>
#include <string_view>

#include "odmd/base/status.h"
#include "odmd/model/naming.h"
#include "odmd/model/org.h"

namespace odmd::model {

struct CloneRequest {
  // Enver id of the origin, e.g. "svcA/b..master".
  std::string origin_enver_id;
  // Git branch or tag name the clone lives on, as in git ("feature/login").
  std::string git_name;
  RevType type = RevType::kBranch;
  // How many dynamic clones of the origin are live already (rule R9 limit). Clones the
  // contracts declare ("b..master-_b..ta") count too: DeriveClone adds them from `org`.
  int live_clones = 0;
  // False when re-deriving a clone that already exists (it was within the limit when made;
  // a clone declared later must not drop it).
  bool enforce_limit = true;
};

struct DerivedClone {
  std::string build_id;
  Enver enver;       // rev is the clone rev; flags, products and consumers from the origin
  EnverNames names;  // every derived name of the clone
  // Set when the git name was mapped to a different rev value ("feature/login" ->
  // "feature-login"), explaining the mapping.
  std::string mapping_note;
};

// Errors (each message starts with the rule id):
//   kNotFound            the origin enver does not exist, or its account or the central
//                        account is not declared (no rule id: nothing to check)
//   kInvalidArgument     R2 (git name maps to nothing legal), R7 (contracts or user-auth
//                        envers are never cloned), R9 (origin is a clone; clone value equals
//                        the origin's), R10 (a derived name exceeds its target's limit)
//   kFailedPrecondition  R9 (the origin already has clone_limit clones, dynamic and declared)
Result<DerivedClone> DeriveClone(const Org& org, const CloneRequest& request);

}  // namespace odmd::model
