#pragma once

// The console's graph (Platform::Graph, docs/platform.md "Console views"): the builds,
// envers and product -> consumer edges of a World with their state, built from bulk reads
// of the store (every product and share..version record in one List of /odmd-share/, every
// enver state in one List of /odmd/envers/), never a read per edge.

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "nlohmann/json.hpp"
#include "odmd/store/entry.h"
#include "records.h"
#include "world.h"

namespace odmd::reconcile {

// The longest contracts version a view looks up.
inline constexpr size_t kMaxContractsVersionBytes = 128;

// OK when `version` (the value of request parameter `param`, e.g. "contracts_version") can
// name a published contracts version: semantic versioning (model::IsSemVer) of at most
// kMaxContractsVersionBytes. kInvalidArgument naming the parameter and (at most 40 bytes of)
// the value otherwise, decided before the store is asked.
Status CheckContractsVersionParam(std::string_view param, std::string_view version);

// Consumer name -> what its enver last consumed (one share..version record).
using ConsumedMap = std::map<std::string, ConsumedVersion>;

// What the graph shows of the store besides the world, by key.
struct GraphInputs {
  // Latest version of every live product path.
  std::unordered_map<std::string, store::Version> latest;
  // share..version of every enver that has one, by enver id.
  std::unordered_map<std::string, std::shared_ptr<const ConsumedMap>> consumed;
  // Deployment state of every enver that has a record, by enver id.
  std::unordered_map<std::string, std::shared_ptr<const EnverState>> states;
  // Envers with queued or running work (empty for a historical graph).
  std::set<std::string> active;
};

// Parsed records by key and revision, so a view after a few writes parses only what
// changed (5,000 share..version and state records are most of a graph's cost otherwise,
// and a manifest's digest needs the whole manifest parsed). Thread-safe.
class ViewRecordCache {
 public:
  // The records of `entries` (a List or ListAt of /odmd-share/) into `in`. `live`: the
  // entries are the store's current ones and replace the cache (keys gone are dropped);
  // otherwise (a historical read) the cache is used but left as it is.
  void AddShareEntries(const std::vector<store::Entry>& entries, GraphInputs& in, bool live);
  // The same for `entries` of /odmd/envers/.
  void AddEnverStates(const std::vector<store::Entry>& entries, GraphInputs& in, bool live);
  // model::ManifestDigest of the manifest in `entry` (a contracts version record);
  // kFailedPrecondition naming its key when it does not parse.
  Result<std::string> ManifestDigest(const store::Entry& entry);

 private:
  template <typename T>
  struct Parsed {
    store::Revision revision = 0;
    std::shared_ptr<const T> value;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Parsed<ConsumedMap>> consumed_;
  std::unordered_map<std::string, Parsed<EnverState>> states_;
  std::unordered_map<std::string, Parsed<std::string>> digests_;
};

// "<consumer enver id>#<consumer name>": an edge's id in the graph and the impact view.
std::string GraphEdgeId(const model::Graph& graph, const model::Edge& edge);

// "builds", "envers" and "edges" of the graph view (the caller adds the revisions).
nlohmann::json GraphJson(const World& world, const GraphInputs& in);

}  // namespace odmd::reconcile
