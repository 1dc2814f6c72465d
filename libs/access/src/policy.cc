#include "odmd/access/policy.h"

#include <algorithm>
#include <array>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "denial.h"
#include "odmd/base/strings.h"
#include "odmd/model/manifest.h"
#include "odmd/model/naming.h"
#include "odmd/model/rev_ref.h"

namespace odmd::access {
namespace {

constexpr std::string_view kPlatformDir = "/odmd/";
constexpr std::string_view kShareVersion = "share..version";

// The directories of /odmd/ a viewer reads (policy.h): the platform's records that hold no
// token or secret material. Anything else under /odmd/ is denied to viewers, so a new kind
// of record (or a lookalike such as /odmd/secrets-index) starts unreadable.
constexpr std::array<std::string_view, 13> kViewerReadableDirs = {
    "/odmd/contracts/",   "/odmd/clones/",    "/odmd/repos/",    "/odmd/intake/", "/odmd/queue/",
    "/odmd/deployments/", "/odmd/seq/",       "/odmd/logs/",     "/odmd/events/", "/odmd/envers/",
    "/odmd/roles/",       "/odmd/reactions/", "/odmd/teardowns/"};

bool ViewerMayRead(std::string_view key) {
  if (!IsUnderDir(key, kPlatformDir)) return true;
  return std::any_of(kViewerReadableDirs.begin(), kViewerReadableDirs.end(),
                     [key](std::string_view dir) { return key.starts_with(dir); });
}

// Heterogeneous lookup, so Check() hashes substrings of the key without copying them.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using StringSet = std::unordered_set<std::string, StringHash, std::equal_to<>>;

// A set of paths where a member also covers its children: "p" covers "p" and "p/...".
class PathSet {
 public:
  void Add(std::string path) {
    max_size_ = std::max(max_size_, path.size());
    paths_.insert(std::move(path));
  }
  // True when `key` is a member or a child of one. Only prefixes ending at a '/' and no
  // longer than the longest member are looked up, so a long key with many '/' stays cheap.
  bool Covers(std::string_view key) const {
    if (paths_.contains(key)) return true;
    size_t limit = std::min(key.size(), max_size_ + 1);
    for (size_t i = 1; i < limit; ++i) {
      if (key[i] == '/' && paths_.contains(key.substr(0, i))) return true;
    }
    return false;
  }

 private:
  StringSet paths_;
  size_t max_size_ = 0;
};

// What an enver may touch besides its own prefix; shared by an origin and its clones.
struct Grants {
  PathSet products;  // product names, relative to the enver's own prefix
  PathSet consumed;  // full paths of the products it consumes
};

struct EnverRules {
  std::string own_prefix;  // "/odmd-share/<build>/<rev>/"
  std::shared_ptr<const Grants> grants;
  std::string workflow;  // its workflow group ("" when none)
};

// What one workflow group reads besides its envers' own prefixes.
struct WorkflowRules {
  PathSet consumed;  // the union of its envers' consumed products
};

// What `rules`' enver may do with `key`, by the enver rules of policy.h.
bool EnverMay(const EnverRules& rules, Access access, std::string_view key) {
  if (key.starts_with(rules.own_prefix)) {
    if (access == Access::kRead) return true;
    std::string_view rest = key.substr(rules.own_prefix.size());
    return rest == kShareVersion || rules.grants->products.Covers(rest);
  }
  return access == Access::kRead && rules.grants->consumed.Covers(key);
}

std::shared_ptr<const Grants> GrantsOf(const model::Enver& enver) {
  auto grants = std::make_shared<Grants>();
  for (const model::Product& p : enver.products) grants->products.Add(p.name);
  for (const model::Consumer& c : enver.consumers) {
    // Consumer::producer is the enver id "<build>/<rev>", so this is model::ProductPath.
    grants->consumed.Add(std::string(kSharePrefix) + c.producer + "/" + c.product);
  }
  return grants;
}

std::string OwnPrefix(std::string_view enver_id) {
  return std::string(kSharePrefix) + std::string(enver_id) + "/";
}

// The origin enver id of clone `clone_id`, if `clone_id` is "<build>/<clone rev>" and
// `origin_id` is that clone's origin.
bool IsCloneOf(std::string_view clone_id, std::string_view origin_id) {
  auto clone = model::SplitEnverId(clone_id);
  auto origin = model::SplitEnverId(origin_id);
  if (!clone || !origin || clone->first != origin->first) return false;
  Result<model::RevRef> rev = model::RevRef::Parse(clone->second);
  return rev.ok() && rev->is_clone() && rev->OriginRef().str() == origin->second;
}

Status Malformed(std::string_view key, std::string_view why) {
  return FailedPreconditionError("store key " + Quote(key) + ": " + std::string(why));
}

// Reads one clone record: key /odmd/clones/<build>/<cloneRev>, value {"origin": ...}.
Result<std::pair<std::string, std::string>> ReadCloneRecord(const store::Entry& entry) {
  std::string clone_id = entry.key.substr(kClonesPrefix.size());
  nlohmann::json j = nlohmann::json::parse(entry.value, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Malformed(entry.key, "not a JSON object");
  auto origin = j.find("origin");
  if (origin == j.end() || !origin->is_string()) {
    return Malformed(entry.key, "\"origin\" is missing or not a string");
  }
  std::string origin_id = origin->get<std::string>();
  if (!IsCloneOf(clone_id, origin_id)) {
    return Malformed(entry.key,
                     "clone " + Quote(clone_id) + " is not a clone of origin " + Quote(origin_id));
  }
  return std::make_pair(std::move(clone_id), std::move(origin_id));
}

}  // namespace

struct AccessPolicy::Rules {
  std::unordered_map<std::string, EnverRules, StringHash, std::equal_to<>> envers;
  std::unordered_map<std::string, WorkflowRules, StringHash, std::equal_to<>> workflows;

  // What workflow principal `who` may do with `key`: what one enver of its group may, or a
  // read of a product the group consumes. Each candidate enver is a prefix of the key that
  // ends at a '/', so this is O(key depth) lookups.
  Status CheckWorkflow(const Principal& who, Access access, std::string_view key) const {
    auto group = workflows.find(who.workflow);
    if (group == workflows.end()) return DenyAccess(who, access, key, "unknown workflow");
    if (key.starts_with(kSharePrefix)) {
      for (size_t i = key.find('/', kSharePrefix.size()); i != std::string_view::npos;
           i = key.find('/', i + 1)) {
        auto enver = envers.find(key.substr(kSharePrefix.size(), i - kSharePrefix.size()));
        if (enver == envers.end() || enver->second.workflow != who.workflow) continue;
        if (EnverMay(enver->second, access, key)) return OkStatus();
      }
    }
    if (access == Access::kRead && group->second.consumed.Covers(key)) return OkStatus();
    return DenyAccess(who, access, key);
  }
};

std::optional<std::string> WorkflowNameOf(const model::Org& org, const model::Build& build,
                                          const model::Enver& enver) {
  const model::Account* account = org.FindAccount(enver.account);
  if (account == nullptr) return std::nullopt;
  std::string name = model::WorkflowFileName(build.id, build.kind, enver.region, account->name);
  name.resize(name.size() - std::string_view(".yaml").size());
  return name;
}

std::string_view AccessName(Access access) { return access == Access::kRead ? "read" : "write"; }

AccessPolicy::AccessPolicy() : rules_(std::make_shared<const Rules>()) {}

AccessPolicy AccessPolicy::FromOrg(const model::Org& org,
                                   const std::map<std::string, std::string>& clone_origins) {
  auto rules = std::make_shared<Rules>();
  for (const model::Build& build : org.builds) {
    for (const model::Enver& enver : build.envers) {
      std::string id = model::EnverId(build.id, enver.rev);
      EnverRules r{OwnPrefix(id), GrantsOf(enver), WorkflowNameOf(org, build, enver).value_or("")};
      if (!r.workflow.empty()) {
        PathSet& consumed = rules->workflows[r.workflow].consumed;
        for (const model::Consumer& c : enver.consumers) {
          consumed.Add(std::string(kSharePrefix) + c.producer + "/" + c.product);
        }
      }
      rules->envers.insert_or_assign(std::move(id), std::move(r));
    }
  }
  // Clones after every declared enver, so a clone never shadows one and never becomes
  // the origin of another.
  std::vector<std::pair<std::string, EnverRules>> clones;
  for (const auto& [clone_id, origin_id] : clone_origins) {
    auto origin = rules->envers.find(origin_id);
    if (origin == rules->envers.end() || rules->envers.contains(clone_id)) continue;
    if (!IsCloneOf(clone_id, origin_id)) continue;
    clones.emplace_back(
        clone_id, EnverRules{OwnPrefix(clone_id), origin->second.grants, origin->second.workflow});
  }
  for (auto& [id, r] : clones) rules->envers.emplace(std::move(id), std::move(r));
  AccessPolicy policy;
  policy.rules_ = std::move(rules);
  return policy;
}

Result<AccessPolicy> AccessPolicy::Load(store::ConfigStore& store) {
  model::Org org;
  Result<store::Entry> manifest = store.Get(kManifestKey);
  if (manifest.ok()) {
    Result<model::Org> read = model::ReadManifest(manifest->value, nullptr);
    if (!read.ok()) return Malformed(kManifestKey, read.status().message());
    org = std::move(read).value();
  } else if (!IsNotFound(manifest.status())) {
    return manifest.status();
  }
  ODMD_ASSIGN_OR_RETURN(std::vector<store::Entry> records, store.List(kClonesPrefix));
  std::map<std::string, std::string> clone_origins;
  for (const store::Entry& entry : records) {
    ODMD_ASSIGN_OR_RETURN(auto clone, ReadCloneRecord(entry));
    clone_origins.insert(std::move(clone));
  }
  return FromOrg(org, clone_origins);
}

Status AccessPolicy::Check(const Principal& principal, Access access, std::string_view key) const {
  switch (principal.kind) {
    case Principal::Kind::kAdmin:
      return OkStatus();
    case Principal::Kind::kViewer:
      if (access == Access::kRead && ViewerMayRead(key)) return OkStatus();
      return DenyAccess(principal, access, key);
    case Principal::Kind::kWorkflow:
      return rules_->CheckWorkflow(principal, access, key);
    case Principal::Kind::kEnver:
      break;
  }
  auto it = rules_->envers.find(principal.enver_id);
  if (it == rules_->envers.end()) return DenyAccess(principal, access, key, "unknown enver");
  if (EnverMay(it->second, access, key)) return OkStatus();
  return DenyAccess(principal, access, key);
}

bool AccessPolicy::HasEnver(std::string_view enver_id) const {
  return rules_->envers.contains(enver_id);
}

std::optional<std::string> AccessPolicy::WorkflowOf(std::string_view enver_id) const {
  auto it = rules_->envers.find(enver_id);
  if (it == rules_->envers.end() || it->second.workflow.empty()) return std::nullopt;
  return it->second.workflow;
}

bool AccessPolicy::HasWorkflow(std::string_view workflow_name) const {
  return rules_->workflows.contains(workflow_name);
}

std::vector<std::string> AccessPolicy::Workflows() const {
  std::vector<std::string> out;
  out.reserve(rules_->workflows.size());
  for (const auto& [name, group] : rules_->workflows) out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

bool AccessPolicy::ActsFor(const Principal& who, std::string_view enver_id) const {
  switch (who.kind) {
    case Principal::Kind::kAdmin:
      return true;
    case Principal::Kind::kViewer:
      return false;
    case Principal::Kind::kEnver:
      return who.enver_id == enver_id;
    case Principal::Kind::kWorkflow:
      break;
  }
  std::optional<std::string> group = WorkflowOf(enver_id);
  return group && *group == who.workflow;
}

size_t AccessPolicy::enver_count() const { return rules_->envers.size(); }

Status DenyAccess(const Principal& principal, Access access, std::string_view key,
                  std::string_view reason) {
  std::string message = "principal " + principal.ToString() + " may not " +
                        std::string(AccessName(access)) + " " + std::string(key);
  if (!reason.empty()) message += ": " + std::string(reason);
  return PermissionDeniedError(std::move(message));
}

bool IsUnderDir(std::string_view key, std::string_view dir) {
  return key.starts_with(dir) || key == dir.substr(0, dir.size() - 1);
}

}  // namespace odmd::access
