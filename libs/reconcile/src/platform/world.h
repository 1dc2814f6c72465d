#pragma once

// The platform's picture of the architecture at one moment: the published manifest plus
// the live clones, with the consumer graph, its components and the access policy built
// over both. Immutable once built; the core swaps in a new one when the manifest or the
// clone set changes, so readers hold a shared_ptr and never see a half-built world.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nlohmann/json.hpp"
#include "odmd/access/policy.h"
#include "odmd/base/status.h"
#include "odmd/model/graph.h"
#include "odmd/model/org.h"

namespace odmd::reconcile {

// A live clone as recorded at /odmd/clones/<build>/<cloneRev>.
struct CloneRecord {
  std::string id;       // "<build>/<cloneRev>"
  std::string origin;   // "<build>/<originRev>"
  std::string git_ref;  // the ref it lives on, "refs/heads/feature/x"
  std::int64_t created_at_ms = 0;
  // The head of the push whose command created it ("" in records that do not say): the
  // same push handled again after a crash finds its clone made, not a second command.
  std::string sha;
};

nlohmann::json CloneRecordJson(const CloneRecord& record);
// kFailedPrecondition naming `key` for a malformed record.
Result<CloneRecord> ParseCloneRecord(std::string_view key, std::string_view value);

struct EnverRef {
  const model::Build* build = nullptr;
  const model::Enver* enver = nullptr;
};

class World {
 public:
  // `manifest` empty: no contracts published yet (an empty world). Clones whose origin is
  // gone or that no longer derive are skipped and reported in `dropped`.
  static Result<std::shared_ptr<const World>> Build(std::string_view manifest,
                                                    std::vector<CloneRecord> clones,
                                                    std::vector<std::string>* dropped);

  bool has_manifest() const { return has_manifest_; }
  const std::string& version() const { return static_org_.version; }
  const std::string& digest() const { return digest_; }
  const model::Org& static_org() const { return static_org_; }
  // Static envers plus clones (appended to their build's envers).
  const model::Org& org() const { return org_; }
  const model::Graph& graph() const { return *graph_; }
  const model::Components& components() const { return graph_->components(); }
  const access::AccessPolicy& policy() const { return policy_; }
  const std::map<std::string, CloneRecord>& clones() const { return clones_; }

  std::optional<EnverRef> FindEnver(std::string_view enver_id) const;
  // A clone is either dynamic (made by a commit command; it has a CloneRecord) or declared
  // in the contracts with a clone rev ("b..master-_b..ta"). Both are clones everywhere a
  // user looks; only a dynamic one can be deleted by a commit command.
  bool IsClone(std::string_view enver_id) const { return CloneOrigin(enver_id).has_value(); }
  bool IsDynamicClone(std::string_view enver_id) const {
    return clones_.count(std::string(enver_id)) > 0;
  }
  bool IsDeclaredClone(std::string_view enver_id) const;
  // The origin enver id of a clone of either kind; nullopt for a static enver or no enver.
  std::optional<std::string> CloneOrigin(std::string_view enver_id) const;
  // Every clone of `origin_id`, dynamic and declared, in enver id order.
  std::vector<std::string> ClonesOf(std::string_view origin_id) const;
  // Build ids whose repo is `repo` ("owner/name").
  std::vector<const model::Build*> BuildsOfRepo(std::string_view repo) const;
  // The git ref an enver deploys from: a clone's recorded ref, else refs/heads/<value> for
  // a branch and refs/tags/<value> for a tag.
  std::string GitRefOf(std::string_view build, const model::Enver& enver) const;
  // The envers of `build` that deploy from `git_ref`.
  std::vector<const model::Enver*> EnversOnRef(const model::Build& build,
                                               std::string_view git_ref) const;
  // Live dynamic clones of `origin_id` (DeriveClone counts the declared ones itself).
  int LiveClones(std::string_view origin_id) const;
  // The contracts build's enver id ("" when none).
  std::string ContractsEnverId() const;

 private:
  World() = default;

  bool has_manifest_ = false;
  std::string digest_;
  model::Org static_org_;
  model::Org org_;
  std::unique_ptr<model::Graph> graph_;
  access::AccessPolicy policy_;
  std::map<std::string, CloneRecord> clones_;
};

using WorldPtr = std::shared_ptr<const World>;

}  // namespace odmd::reconcile
