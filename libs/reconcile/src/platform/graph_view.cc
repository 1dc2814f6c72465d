// Platform::Graph: the live graph (world + bulk store reads + the queue) and the graph as it
// was at a store revision or a contracts version (everything read with ListAt).
#include "graph_view.h"

#include <algorithm>
#include <utility>

#include "impl.h"
#include "odmd/base/strings.h"
#include "odmd/model/manifest.h"
#include "odmd/model/naming.h"
#include "odmd/reconcile/state.h"

namespace odmd::reconcile {

namespace {

using nlohmann::json;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// "placeholder" if the consumer last ran on the placeholder; else "outdated" if consumed <
// latest; else "current" if it consumed a version; else "pending".
const char* EdgeState(const ConsumedVersion* consumed, store::Version latest) {
  const store::Version used = consumed ? consumed->version : 0;
  if (consumed && consumed->placeholder) return "placeholder";
  if (used < latest) return "outdated";
  if (used >= 1) return "current";
  return "pending";
}

}  // namespace

void ViewRecordCache::AddShareEntries(const std::vector<store::Entry>& entries, GraphInputs& in,
                                      bool live) {
  const std::string_view prefix = access::kSharePrefix;
  std::lock_guard<std::mutex> lock(mu_);
  std::unordered_map<std::string, Parsed<ConsumedMap>> next;
  in.latest.reserve(entries.size());
  for (const store::Entry& e : entries) {
    if (!EndsWith(e.key, kConsumedSuffix)) {
      in.latest.emplace(e.key, e.version);
      continue;
    }
    if (e.key.size() < prefix.size() + kConsumedSuffix.size()) continue;
    std::string enver_id =
        e.key.substr(prefix.size(), e.key.size() - prefix.size() - kConsumedSuffix.size());
    std::shared_ptr<const ConsumedMap> value;
    auto cached = consumed_.find(e.key);
    if (cached != consumed_.end() && cached->second.revision == e.revision) {
      value = cached->second.value;
    } else {
      value = std::make_shared<const ConsumedMap>(ParseConsumedVersions(e.value));
    }
    if (live) next.emplace(e.key, Parsed<ConsumedMap>{e.revision, value});
    in.consumed.emplace(std::move(enver_id), std::move(value));
  }
  if (live) consumed_.swap(next);  // keys gone from the store leave the cache
}

void ViewRecordCache::AddEnverStates(const std::vector<store::Entry>& entries, GraphInputs& in,
                                     bool live) {
  const std::string_view prefix = kEnversPrefix;
  std::lock_guard<std::mutex> lock(mu_);
  std::unordered_map<std::string, Parsed<EnverState>> next;
  for (const store::Entry& e : entries) {
    std::string enver_id = e.key.substr(std::min(prefix.size(), e.key.size()));
    std::shared_ptr<const EnverState> value;
    auto cached = states_.find(e.key);
    if (cached != states_.end() && cached->second.revision == e.revision) {
      value = cached->second.value;
    } else {
      Result<EnverState> state = ParseEnverState(enver_id, e);
      if (!state.ok()) continue;  // a malformed record reads as no deployment yet
      value = std::make_shared<const EnverState>(std::move(state).value());
    }
    if (live) next.emplace(e.key, Parsed<EnverState>{e.revision, value});
    in.states.emplace(std::move(enver_id), std::move(value));
  }
  if (live) states_.swap(next);
}

Result<std::string> ViewRecordCache::ManifestDigest(const store::Entry& entry) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = digests_.find(entry.key);
    if (it != digests_.end() && it->second.revision == entry.revision) return *it->second.value;
  }
  model::ManifestReadOptions options;
  options.validate_rules = false;  // published manifests were validated; the digest is all
  Result<model::Org> org = model::ReadManifest(entry.value, nullptr, options);
  if (!org.ok()) {
    return FailedPreconditionError("contracts record " + Quote(entry.key) +
                                   " does not parse: " + org.status().message());
  }
  auto digest = std::make_shared<const std::string>(model::ManifestDigest(*org));
  std::lock_guard<std::mutex> lock(mu_);
  digests_[entry.key] = {entry.revision, digest};
  return *digest;
}

std::string GraphEdgeId(const model::Graph& graph, const model::Edge& edge) {
  std::string id = graph.node(edge.consumer).id;
  id += '#';
  id += graph.consumer(edge).name;
  return id;
}

json GraphJson(const World& world, const GraphInputs& in) {
  const model::Graph& g = world.graph();
  const model::Org& org = world.org();
  // Objects are filled in key order with an end hint: 50,000 edges make this the view's
  // hot loop (see docs/platform.md for the figures).
  auto put = [](json::object_t& o, const char* key, json value) {
    o.emplace_hint(o.end(), key, std::move(value));
  };

  std::vector<json> build_envers(org.builds.size(), json::array());
  json envers = json::array();
  envers.get_ref<json::array_t&>().reserve(g.enver_count());
  for (model::EnverIndex i = 0; i < g.enver_count(); ++i) {
    const model::EnverNode& node = g.node(i);
    const model::Enver& e = g.enver(i);
    build_envers[node.build_index].push_back(node.id);
    auto state = in.states.find(node.id);
    std::string status = state == in.states.end() ? "never" : state->second->status;
    if (status != "running" && in.active.count(node.id)) status = "queued";
    const std::optional<std::string> origin = world.CloneOrigin(node.id);
    const bool clone = origin.has_value();
    const model::Account* account = org.FindAccount(e.account);
    json::object_t item;
    put(item, "account", account ? account->id : e.account);
    put(item, "account_name", e.account);
    put(item, "build", g.build(i).id);
    put(item, "id", node.id);
    put(item, "kind", clone ? "clone" : e.rev.IsImmutable() ? "tag" : "branch");
    if (clone) {
      put(item, "declared", world.IsDeclaredClone(node.id));
      put(item, "origin", *origin);
    }
    put(item, "region", e.region);
    put(item, "rev", e.rev.str());
    put(item, "sha", state == in.states.end() ? "" : state->second->sha);
    put(item, "status", std::move(status));
    envers.push_back(std::move(item));
  }

  json builds = json::array();
  for (size_t b = 0; b < org.builds.size(); ++b) {
    json::object_t item;
    put(item, "envers", std::move(build_envers[b]));
    put(item, "id", org.builds[b].id);
    put(item, "repo", org.builds[b].repo.FullName());
    builds.push_back(std::move(item));
  }

  json edges = json::array();
  edges.get_ref<json::array_t&>().reserve(g.edges().size());
  for (const model::Edge& edge : g.edges()) {
    const model::Consumer& consumer = g.consumer(edge);
    const std::string& target = g.node(edge.consumer).id;
    const std::string& source = g.node(edge.producer).id;
    const std::string_view product = g.product(edge).name;
    std::string path;
    path.reserve(access::kSharePrefix.size() + source.size() + 1 + product.size());
    path.append(access::kSharePrefix).append(source).append(1, '/').append(product);
    auto latest_it = in.latest.find(path);
    const store::Version latest = latest_it == in.latest.end() ? 0 : latest_it->second;
    const ConsumedVersion* used = nullptr;
    if (auto c = in.consumed.find(target); c != in.consumed.end()) {
      auto it = c->second->find(consumer.name);
      // A record of another product (the contracts changed the producer since) does not
      // count for this edge.
      if (it != c->second->end() && (it->second.path.empty() || it->second.path == path)) {
        used = &it->second;
      }
    }
    json::object_t item;
    put(item, "consumed", used ? used->version : 0);
    put(item, "consumer", consumer.name);
    put(item, "id", GraphEdgeId(g, edge));
    put(item, "latest", latest);
    put(item, "path", std::move(path));
    put(item, "product", product);
    put(item, "reaction", model::ReactionName(consumer.reaction));
    put(item, "source", source);
    put(item, "state", EdgeState(used, latest));
    put(item, "target", target);
    edges.push_back(std::move(item));
  }
  json out = json::object();
  out["builds"] = std::move(builds);
  out["envers"] = std::move(envers);
  out["edges"] = std::move(edges);
  return out;
}

Result<json> Platform::Impl::Graph(const GraphQuery& query) {
  const bool historical = query.revision.has_value() || !query.contracts_version.empty();
  if (query.revision && !query.contracts_version.empty()) {
    return InvalidArgumentError("graph: ask for a revision or a contracts version, not both");
  }
  if (query.revision && *query.revision < 0) {
    return InvalidArgumentError("graph: revision " + std::to_string(*query.revision) +
                                " is out of range; expected >= 0");
  }
  ODMD_ASSIGN_OR_RETURN(store::Revision latest, store_.LatestRevision());
  GraphInputs in;
  WorldPtr w;
  store::Revision at = latest;
  if (!historical) {
    w = world();
    ODMD_ASSIGN_OR_RETURN(const std::vector<std::string> active, ActiveEnvers());
    in.active.insert(active.begin(), active.end());
    ODMD_ASSIGN_OR_RETURN(std::vector<store::Entry> share, store_.List(access::kSharePrefix));
    view_records_.AddShareEntries(share, in, /*live=*/!historical);
    ODMD_ASSIGN_OR_RETURN(std::vector<store::Entry> states, store_.List(kEnversPrefix));
    view_records_.AddEnverStates(states, in, /*live=*/!historical);
  } else {
    std::string manifest;
    bool have_manifest = false;
    if (!query.contracts_version.empty()) {
      ODMD_ASSIGN_OR_RETURN(ContractsVersionAt published,
                            ResolveContractsVersion(query.contracts_version));
      at = published.revision;
      manifest = std::move(published.manifest);
      have_manifest = true;
    } else {
      at = std::min(*query.revision, latest);
    }
    if (!have_manifest) {
      ODMD_ASSIGN_OR_RETURN(std::vector<store::Entry> records,
                            store_.ListAt(access::kManifestKey, at));
      for (store::Entry& r : records) {
        if (r.key == access::kManifestKey) manifest = std::move(r.value);
      }
    }
    ODMD_ASSIGN_OR_RETURN(std::vector<store::Entry> clone_records,
                          store_.ListAt(access::kClonesPrefix, at));
    std::vector<CloneRecord> clones;
    for (const store::Entry& r : clone_records) {
      ODMD_ASSIGN_OR_RETURN(CloneRecord c, ParseCloneRecord(r.key, r.value));
      clones.push_back(std::move(c));
    }
    ODMD_ASSIGN_OR_RETURN(w, World::Build(manifest, std::move(clones), nullptr));
    ODMD_ASSIGN_OR_RETURN(std::vector<store::Entry> share, store_.ListAt(access::kSharePrefix, at));
    view_records_.AddShareEntries(share, in, /*live=*/!historical);
    ODMD_ASSIGN_OR_RETURN(std::vector<store::Entry> states, store_.ListAt(kEnversPrefix, at));
    view_records_.AddEnverStates(states, in, /*live=*/!historical);
  }
  json out = json::object();
  out["revision"] = at;
  out["latest_revision"] = latest;
  out["historical"] = historical;
  out["contracts_version"] = w->has_manifest() ? w->version() : "";
  out["contracts_digest"] = w->digest();
  json body = GraphJson(*w, in);
  out["builds"] = std::move(body["builds"]);
  out["envers"] = std::move(body["envers"]);
  out["edges"] = std::move(body["edges"]);
  return out;
}

Result<std::shared_ptr<const std::string>> Platform::Impl::GraphText(const GraphQuery& query) {
  const bool historical = query.revision.has_value() || !query.contracts_version.empty();
  if (historical) {
    ODMD_ASSIGN_OR_RETURN(json graph, Graph(query));
    return std::make_shared<const std::string>(graph.dump());
  }
  // Read the key before the graph: a write in between makes the graph newer than its key,
  // and the next read recomputes; never the other way round.
  ODMD_ASSIGN_OR_RETURN(store::Revision latest, store_.LatestRevision());
  WorldPtr w = world();
  ODMD_ASSIGN_OR_RETURN(std::vector<std::string> active, ActiveEnvers());
  std::sort(active.begin(), active.end());
  {
    std::lock_guard<std::mutex> lock(graph_text_.mu);
    if (graph_text_.text && graph_text_.revision == latest && graph_text_.world == w &&
        graph_text_.active == active) {
      return graph_text_.text;
    }
  }
  ODMD_ASSIGN_OR_RETURN(json graph, Graph(query));
  auto text = std::make_shared<const std::string>(graph.dump());
  std::lock_guard<std::mutex> lock(graph_text_.mu);
  if (latest >= graph_text_.revision) {
    graph_text_.revision = latest;
    graph_text_.world = std::move(w);
    graph_text_.active = std::move(active);
    graph_text_.text = text;
  }
  return text;
}

Status CheckContractsVersionParam(std::string_view param, std::string_view version) {
  if (version.size() <= kMaxContractsVersionBytes && model::IsSemVer(version)) return OkStatus();
  const std::string shown = version.size() <= 40
                                ? Quote(version)
                                : Quote(std::string(version.substr(0, 40)) + "...") + " (" +
                                      std::to_string(version.size()) + " bytes)";
  return InvalidArgumentError(
      std::string(param) + " " + shown +
      " is not a contracts version (semantic versioning, MAJOR.MINOR.PATCH, at most " +
      std::to_string(kMaxContractsVersionBytes) + " bytes)");
}

Result<Platform::Impl::ContractsVersionAt> Platform::Impl::ResolveContractsVersion(
    std::string_view version) {
  ODMD_RETURN_IF_ERROR(CheckContractsVersionParam("contracts_version", version));
  const std::string key = std::string(kContractsVersionsPrefix) + std::string(version);
  ODMD_RETURN_IF_ERROR(store::ValidateKey(key));
  Result<store::Entry> record = store_.Get(key);
  if (IsNotFound(record.status())) {
    return NotFoundError("contracts version " + Quote(version) + " was never published");
  }
  if (!record.ok()) return record.status();
  ContractsVersionAt out;
  out.revision = record->revision;
  out.manifest = record->value;
  // Publishing stores the version, then makes it the manifest: the first manifest record
  // with this content after the version's own is the moment it took effect.
  Result<std::vector<store::Entry>> history = store_.History(access::kManifestKey);
  if (history.ok()) {
    for (const store::Entry& e : *history) {
      if (e.revision > record->revision && !e.tombstone && e.value == record->value) {
        out.revision = e.revision;
        break;
      }
    }
  } else if (!IsNotFound(history.status())) {
    return history.status();
  }
  return out;
}

}  // namespace odmd::reconcile
