// The console's reads besides the graph (docs/platform.md "Console views"): builds, clones,
// product history, contracts versions and their diff, impact. The graph is in
// graph_view.cc.
#include <algorithm>
#include <set>
#include <utility>

#include "impl.h"
#include "odmd/base/strings.h"
#include "odmd/model/diff.h"
#include "odmd/model/impact.h"
#include "odmd/model/manifest.h"
#include "odmd/model/naming.h"

namespace odmd::reconcile {

namespace {

using nlohmann::json;

// The record of contracts version `version` (request parameter `param`); kInvalidArgument
// naming the parameter when it cannot be a version, kNotFound naming it when unpublished.
Result<store::Entry> GetVersionRecord(store::ConfigStore& store, std::string_view param,
                                      std::string_view version) {
  ODMD_RETURN_IF_ERROR(CheckContractsVersionParam(param, version));
  const std::string key = std::string(kContractsVersionsPrefix) + std::string(version);
  ODMD_RETURN_IF_ERROR(store::ValidateKey(key));
  Result<store::Entry> e = store.Get(key);
  if (IsNotFound(e.status())) {
    return NotFoundError("contracts version " + Quote(version) + " was never published");
  }
  return e;
}

// The org of a contracts version record (kFailedPrecondition naming its key).
Result<model::Org> ReadVersion(const store::Entry& record) {
  model::ManifestReadOptions options;
  options.validate_rules = false;  // it was validated when it was published
  Result<model::Org> org = model::ReadManifest(record.value, nullptr, options);
  if (!org.ok()) {
    return FailedPreconditionError("contracts record " + Quote(record.key) +
                                   " does not parse: " + org.status().message());
  }
  return org;
}

}  // namespace

Result<json> Platform::Impl::ListBuilds() {
  WorldPtr w = world();
  json builds = json::array();
  for (const model::Build& b : w->org().builds) {
    json envers = json::array();
    json clones = json::array();
    for (const model::Enver& e : b.envers) {
      std::string id = model::EnverId(b.id, e.rev);
      (w->IsClone(id) ? clones : envers).push_back(std::move(id));
    }
    builds.push_back({{"id", b.id},
                      {"repo", b.repo.FullName()},
                      {"envers", std::move(envers)},
                      {"clones", std::move(clones)}});
  }
  return json{{"builds", std::move(builds)}};
}

Result<json> Platform::Impl::ListClones() {
  WorldPtr w = world();
  json clones = json::array();
  for (const auto& [id, record] : w->clones()) {
    const auto split = model::SplitEnverId(id);
    clones.push_back({{"id", id},
                      {"build", split ? std::string(split->first) : ""},
                      {"origin", record.origin},
                      {"git_ref", record.git_ref},
                      {"created_at", record.created_at_ms},
                      {"declared", false}});
  }
  // Clones the contracts declare: no record, no creation time; their ref is their rev's.
  for (const model::Build& b : w->static_org().builds) {
    for (const model::Enver& e : b.envers) {
      if (!e.rev.is_clone()) continue;
      clones.push_back({{"id", model::EnverId(b.id, e.rev)},
                        {"build", b.id},
                        {"origin", model::EnverId(b.id, e.rev.OriginRef())},
                        {"git_ref", w->GitRefOf(b.id, e)},
                        {"declared", true}});
    }
  }
  return json{{"clones", std::move(clones)}};
}

Result<json> Platform::Impl::ProductHistory(const access::Principal& who, std::string_view path) {
  WorldPtr w = world();
  ODMD_RETURN_IF_ERROR(store::ValidateKey(path));
  ODMD_RETURN_IF_ERROR(w->policy().Check(who, access::Access::kRead, path));
  if (path.rfind(access::kSharePrefix, 0) != 0) {
    return InvalidArgumentError("product path " + Quote(path) + " does not start with " +
                                std::string(access::kSharePrefix));
  }
  Result<std::vector<store::Entry>> history = store_.History(path);
  if (IsNotFound(history.status())) {
    return NotFoundError("product " + Quote(path) + " was never written");
  }
  if (!history.ok()) return history.status();
  json versions = json::array();
  for (auto it = history->rbegin(); it != history->rend(); ++it) {
    versions.push_back({{"version", it->version},
                        {"revision", it->revision},
                        {"value", it->value},
                        {"deleted", it->tombstone}});
  }
  return json{{"path", path}, {"versions", std::move(versions)}};
}

Result<json> Platform::Impl::ListContractsVersions() {
  ODMD_ASSIGN_OR_RETURN(store::Revision latest, store_.LatestRevision());
  {
    std::lock_guard<std::mutex> lock(contracts_versions_.mu);
    if (contracts_versions_.revision == latest) return contracts_versions_.versions;
  }
  ODMD_ASSIGN_OR_RETURN(std::vector<store::Entry> records, store_.List(kContractsVersionsPrefix));
  std::sort(records.begin(), records.end(),
            [](const store::Entry& a, const store::Entry& b) { return a.revision > b.revision; });
  json versions = json::array();
  for (const store::Entry& r : records) {
    ODMD_ASSIGN_OR_RETURN(std::string digest, view_records_.ManifestDigest(r));
    versions.push_back({{"version", r.key.substr(kContractsVersionsPrefix.size())},
                        {"digest", std::move(digest)},
                        {"revision", r.revision}});
  }
  WorldPtr w = world();
  json out{{"latest", w->has_manifest() ? w->version() : ""}, {"versions", std::move(versions)}};
  std::lock_guard<std::mutex> lock(contracts_versions_.mu);
  if (latest >= contracts_versions_.revision) {
    contracts_versions_.revision = latest;
    contracts_versions_.versions = out;
  }
  return out;
}

Result<json> Platform::Impl::GetContracts(std::string_view version) {
  ODMD_ASSIGN_OR_RETURN(store::Entry record, GetVersionRecord(store_, "version", version));
  ODMD_ASSIGN_OR_RETURN(std::string digest, view_records_.ManifestDigest(record));
  json manifest = json::parse(record.value, nullptr, false);
  if (manifest.is_discarded()) {
    return FailedPreconditionError("contracts record " + Quote(record.key) + " is not JSON");
  }
  return json{{"version", version},
              {"digest", std::move(digest)},
              {"revision", record.revision},
              {"manifest", std::move(manifest)}};
}

Result<json> Platform::Impl::DiffContracts(std::string_view from, std::string_view to) {
  ODMD_ASSIGN_OR_RETURN(store::Entry before_record, GetVersionRecord(store_, "from", from));
  ODMD_ASSIGN_OR_RETURN(store::Entry after_record, GetVersionRecord(store_, "to", to));
  ODMD_ASSIGN_OR_RETURN(model::Org before, ReadVersion(before_record));
  ODMD_ASSIGN_OR_RETURN(model::Org after, ReadVersion(after_record));
  const model::ManifestDiff diff = model::DiffOrgs(before, after);
  // The entries of `odmd diff --json` ("object"), with "what" as the console names it.
  json changes = json::array();
  for (const model::Change& c : diff.changes) {
    changes.push_back({{"kind", model::ChangeKindName(c.kind)},
                       {"object", c.object},
                       {"what", c.object},
                       {"id", c.id},
                       {"detail", c.detail}});
  }
  json impact = json::array();
  for (const model::ImpactedEnver& e : model::DiffImpact(before, after, diff)) {
    impact.push_back(e.enver_id);
  }
  return json{
      {"from", from}, {"to", to}, {"changes", std::move(changes)}, {"impact", std::move(impact)}};
}

Result<json> Platform::Impl::Impact(std::string_view product_path, std::string_view enver_id) {
  if (product_path.empty() == enver_id.empty()) {
    return InvalidArgumentError("impact: name exactly one of a product path or an enver id");
  }
  WorldPtr w = world();
  const model::Graph& g = w->graph();
  std::vector<model::ImpactedEnver> impacted;
  model::EnverIndex root = 0;
  std::optional<std::uint32_t> root_product;  // the product's index on `root`
  if (!product_path.empty()) {
    std::optional<model::ProductLocation> loc;
    if (product_path.rfind(access::kSharePrefix, 0) == 0) loc = g.FindProduct(product_path);
    if (!loc) {
      return NotFoundError("product " + Quote(product_path) +
                           " is not declared by any enver of the published contracts");
    }
    root = loc->enver;
    root_product = loc->product_index;
    ODMD_ASSIGN_OR_RETURN(impacted, model::ComputeImpact(g, product_path));
  } else {
    std::optional<model::EnverIndex> index = g.FindEnver(enver_id);
    if (!index) {
      return NotFoundError("enver " + Quote(enver_id) +
                           " is not in the published contracts nor a live clone");
    }
    root = *index;
    const model::EnverIndex roots[] = {root};
    impacted = model::ComputeImpactOfEnvers(g, roots);
  }
  std::set<model::EnverIndex> in_set;
  json envers = json::array();
  for (const model::ImpactedEnver& e : impacted) {
    if (auto i = g.FindEnver(e.enver_id)) in_set.insert(*i);
    envers.push_back({{"id", e.enver_id}, {"depth", e.depth}});
  }
  // Edges inside the impacted set, and from the root into it (only through the root
  // product when the root is a product).
  json edges = json::array();
  for (const model::Edge& edge : g.edges()) {
    if (!in_set.count(edge.consumer)) continue;
    const bool from_set = in_set.count(edge.producer) > 0;
    const bool from_root =
        edge.producer == root && (!root_product || edge.product_index == *root_product);
    if (from_set || from_root) edges.push_back(GraphEdgeId(g, edge));
  }
  return json{{"root", product_path.empty() ? enver_id : product_path},
              {"envers", std::move(envers)},
              {"edges", std::move(edges)}};
}

// --- the public class forwards to Impl ---

Result<json> Platform::Graph(const GraphQuery& query) { return impl_->Graph(query); }
Result<std::shared_ptr<const std::string>> Platform::GraphText(const GraphQuery& query) {
  return impl_->GraphText(query);
}
Result<json> Platform::ListBuilds() { return impl_->ListBuilds(); }
Result<json> Platform::ListClones() { return impl_->ListClones(); }
Result<json> Platform::ProductHistory(const access::Principal& who, std::string_view path) {
  return impl_->ProductHistory(who, path);
}
Result<json> Platform::ListContractsVersions() { return impl_->ListContractsVersions(); }
Result<json> Platform::GetContracts(std::string_view version) {
  return impl_->GetContracts(version);
}
Result<json> Platform::DiffContracts(std::string_view from, std::string_view to) {
  return impl_->DiffContracts(from, to);
}
Result<json> Platform::Impact(std::string_view product_path, std::string_view enver_id) {
  return impl_->Impact(product_path, enver_id);
}

}  // namespace odmd::reconcile
