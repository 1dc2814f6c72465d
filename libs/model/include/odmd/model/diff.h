#pragma once

// Manifest diff: what a contracts change adds, removes and changes, and its impact.

#include <string>
#include <vector>

#include "odmd/model/impact.h"
#include "odmd/model/org.h"

namespace odmd::model {

enum class ChangeKind { kAdded, kRemoved, kChanged };
// "added", "removed", "changed".
std::string_view ChangeKindName(ChangeKind k);

struct Change {
  ChangeKind kind = ChangeKind::kChanged;
  // "org", "account", "build", "enver", "product" or "consumer".
  std::string object;
  // The object's id: account name, build id, enver id, product id or consumer id
  // ("<build>/<rev>/<name>").
  std::string id;
  // For kChanged: which fields changed and how, e.g. `reaction "redeploy" -> "notify"`.
  std::string detail;
};

struct ManifestDiff {
  // Ordered by object kind (org, account, build, enver, product, consumer), then id.
  std::vector<Change> changes;
  bool empty() const { return changes.empty(); }
};

// Objects are matched by id, so a renamed object is a removal plus an addition, and an
// added or removed build lists its envers, products and consumers too. Details name fields
// as the manifest does (`cloneLimit 20 -> 5`, `placeholder none -> "x"`). Of duplicate ids
// the first is compared. A config change is a change of its build or enver
// (`config {"a":1} -> {"a":2}`); a build config change that alters an enver's ODMD_config
// (EffectiveConfig, config.h) is a change of that enver too (`ODMD_config ... -> ...`).
ManifestDiff DiffOrgs(const Org& before, const Org& after);

// Envers affected by `diff`, computed on `after`: every added or changed enver (depth 0),
// the envers owning added/changed/removed consumers (depth 0), and every transitive
// consumer of a changed or removed product or enver (depth >= 1, consumers as declared in
// `before` for removed ones). Each enver once, at its smallest depth.
std::vector<ImpactedEnver> DiffImpact(const Org& before, const Org& after,
                                      const ManifestDiff& diff);

}  // namespace odmd::model
