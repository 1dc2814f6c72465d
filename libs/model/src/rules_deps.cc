// Rules about what envers consume: R3 immutability lattice, R4 consumer targets, R5 same
// region, R6 producer-only kinds, R8 cycles without a placeholder.
//
// These run over up to a million consumers, so they walk the Graph's resolved edges (no
// hashing) wherever they can and look ids up only for consumers the graph could not resolve.

#include <algorithm>
#include <array>
#include <bit>
#include <span>
#include <unordered_map>

#include "odmd/base/strings.h"
#include "odmd/model/env_names.h"
#include "odmd/model/graph.h"
#include "odmd/model/naming.h"
#include "rules_common.h"
#include "text_words.h"

namespace odmd::model::rules {
namespace {

std::string ConsumerFieldPath(const EnverNode& node, std::uint32_t consumer,
                              std::string_view field) {
  std::string path = ConsumerPathOf(node.build_index, node.enver_index, consumer);
  path += '/';
  path += field;
  return path;
}

constexpr std::uint64_t kHighBits = 0x8080808080808080ull;
constexpr std::uint64_t kLowBits = 0x0101010101010101ull;

// The high bit of each byte of `v` whose value is below `n` (n <= 128): the low seven bits
// plus 0x80 - n carry into the high bit exactly when they are >= n, and never out of the
// byte; a byte with its own high bit set is not below.
constexpr std::uint64_t BytesBelow(std::uint64_t v, std::uint64_t n) {
  return ~(((v & ~kHighBits) + (0x80 - n) * kLowBits) | v) & kHighBits;
}

// The high bit of each byte of `v` in [A-Za-z0-9_].
constexpr std::uint64_t VariableBytes(std::uint64_t v) {
  std::uint64_t digit = BytesBelow(v, '9' + 1) & ~BytesBelow(v, '0');
  std::uint64_t folded = v | (0x20 * kLowBits);  // 'A'-'Z' onto 'a'-'z'
  std::uint64_t letter = BytesBelow(folded, 'z' + 1) & ~BytesBelow(folded, 'a');
  std::uint64_t underscore = BytesBelow(v ^ ('_' * kLowBits), 1);
  return digit | letter | underscore;
}

// Whether `name` is [A-Za-z0-9_]*, eight bytes at a time (every consumer name is checked):
// words overlapping at the end, two overlapping halves below eight bytes.
bool IsVariableName(std::string_view name) {
  const char* p = name.data();
  size_t n = name.size();
  if (n >= 8) {
    for (size_t i = 0; i + 8 <= n; i += 8) {
      if (VariableBytes(internal::LoadWord<std::uint64_t>(p + i)) != kHighBits) return false;
    }
    return VariableBytes(internal::LoadWord<std::uint64_t>(p + n - 8)) == kHighBits;
  }
  if (n >= 4) {
    std::uint64_t halves = internal::LoadWord<std::uint32_t>(p) |
                           std::uint64_t{internal::LoadWord<std::uint32_t>(p + n - 4)} << 32;
    return VariableBytes(halves) == kHighBits;
  }
  for (size_t i = 0; i < n; ++i) {
    if (!(VariableBytes(static_cast<unsigned char>(p[i])) & 0x80)) return false;
  }
  return true;
}

// A hash of a name's text. Texts of up to seven bytes are held inline, and equal ones have
// equal identities (shared_text.h): their identity is their hash; longer texts hash their bytes.
std::uint64_t NameHash(const SharedText& name) {
  std::string_view text = name;
  std::uint64_t h = text.size() <= 7 ? name.identity() : internal::TextHash(text);
  return h * 0x9e3779b97f4a7c15ull;
}

// a == b; inline texts (up to seven bytes) compare as their identities.
bool SameName(const SharedText& a, const SharedText& b) {
  if (a.identity() == b.identity()) return true;
  std::string_view x = a, y = b;
  return x.size() > 7 && x == y;
}

// Checks of R4 that need the whole org: build ids to explain an unknown producer.
class TargetChecker {
 public:
  TargetChecker(const Org& org, const Graph& graph) : org_(org), graph_(graph) {
    std::vector<std::pair<std::string_view, std::uint32_t>> ids;
    ids.reserve(org.builds.size());
    for (size_t b = 0; b < org.builds.size(); ++b) {
      ids.emplace_back(org.builds[b].id, static_cast<std::uint32_t>(b));
      ids_are_keys_ = ids_are_keys_ && org.builds[b].id.find('/') == std::string::npos;
    }
    ids_are_keys_ = ids_are_keys_ && FindDuplicates(ids).empty();
    // Nodes are numbered in org order: build b's are [first_node_[b], first_node_[b + 1]).
    first_node_.assign(org.builds.size() + 1, 0);
    for (EnverIndex i = 0; i < graph.enver_count(); ++i)
      ++first_node_[graph.node(i).build_index + 1];
    for (size_t b = 1; b < first_node_.size(); ++b) first_node_[b] += first_node_[b - 1];
  }

  // `node` is the graph node of enver `e` of build `b`, if it is one (an enver sharing an
  // earlier enver's id is not, R2).
  void CheckEnver(size_t b, size_t e, std::optional<EnverIndex> node, std::vector<Violation>* out) {
    // The enver's edges, in consumer order: a consumer with one is resolved (its producer
    // enver and product exist), and its producer's build is known.
    EdgeRange edges = node ? graph_.dependencies(*node) : EdgeRange(0, 0);
    if (ids_are_keys_ && edges.size() == org_.builds[b].envers[e].consumers.size()) {
      CheckResolvedEnver(b, e, edges, out);
    } else {
      CheckEachConsumer(b, e, edges, out);
    }
    CheckUniqueNames(b, e, node, out);
  }

 private:
  // Each consumer of enver `e` of build `b`: from its own build, unresolved.
  void CheckEachConsumer(size_t b, size_t e, EdgeRange edges, std::vector<Violation>* out) {
    const std::vector<Consumer>& consumers = org_.builds[b].envers[e].consumers;
    size_t next = 0;
    for (std::uint32_t c = 0; c < consumers.size(); ++c) {
      const Edge* edge = nullptr;
      if (next < edges.size() && graph_.edge(edges[next]).consumer_index == c) {
        edge = &graph_.edge(edges[next++]);
      }
      if (FromBuild(consumers[c], edge, b)) ReportOwnBuild(b, e, c, out);
      if (edge == nullptr) CheckUnresolved(b, e, c, out);
    }
  }

  // The common case of CheckEnver: every consumer of enver `e` of build `b` is resolved (an
  // enver has at most one edge per consumer, in consumer order, so edge k is consumer k's),
  // and build ids are keys: only the edges are read, not the consumers.
  void CheckResolvedEnver(size_t b, size_t e, EdgeRange edges, std::vector<Violation>* out) {
    for (EdgeIndex i : edges) {
      const Edge& edge = graph_.edge(i);
      if (IsNodeOfBuild(edge.producer, b)) ReportOwnBuild(b, e, edge.consumer_index, out);
    }
  }

  // Whether graph node `i` is an enver of build `b` (nodes are numbered in org order).
  bool IsNodeOfBuild(EnverIndex i, size_t b) const {
    return i - first_node_[b] < first_node_[b + 1] - first_node_[b];
  }

  void ReportOwnBuild(size_t b, size_t e, size_t c, std::vector<Violation>* out) const {
    const Build& build = org_.builds[b];
    const Enver& enver = build.envers[e];
    const Consumer& consumer = enver.consumers[c];
    Report(out, "R4", ConsumerPathOf(b, e, c) + "/producer",
           ConsumerSubject(build, enver, consumer), consumer.producer,
           "consumes from its own build " + Quote(build.id));
  }

  // Whether `consumer`'s producer id names build `b` ("<build id>/<rev>"). With its edge,
  // the id is the producer node's: "<its build's id>/<rev>". When build ids are unique and
  // hold no '/' (rule R1), the part before the first '/' is that build's id, and names build
  // `b` exactly when the node is one of b's envers: no text to read then.
  bool FromBuild(const Consumer& consumer, const Edge* edge, size_t b) const {
    if (edge != nullptr && ids_are_keys_) {
      return IsNodeOfBuild(edge->producer, b);
    }
    std::optional<std::pair<std::string_view, std::string_view>> parts =
        SplitEnverId(consumer.producer);
    return parts && parts->first == org_.builds[b].id;
  }

  void CheckUnresolved(size_t b, size_t e, size_t c, std::vector<Violation>* out) {
    const Build& build = org_.builds[b];
    const Enver& enver = build.envers[e];
    const Consumer& consumer = enver.consumers[c];
    std::optional<EnverIndex> producer = graph_.FindEnver(consumer.producer);
    if (!producer) {
      Report(out, "R4", ConsumerPathOf(b, e, c) + "/producer",
             ConsumerSubject(build, enver, consumer), consumer.producer,
             "names unknown enver " + Quote(consumer.producer) + UnknownEnverHint(consumer));
      return;
    }
    key_.assign(consumer.producer);
    key_ += '/';
    key_ += consumer.product;
    if (graph_.FindProduct(key_)) return;  // resolvable; the graph chose not to link it
    std::vector<std::string> names;
    for (const Product& p : graph_.enver(*producer).products) names.push_back(p.name);
    Report(out, "R4", ConsumerPathOf(b, e, c) + "/product", ConsumerSubject(build, enver, consumer),
           consumer.product,
           "names unknown product " + Quote(consumer.product) + " of enver " +
               Quote(consumer.producer) + budget_.DidYouMean(consumer.product, names));
  }

  // Why a producer id names no enver: no '/', an unknown build, or a near miss of a rev.
  std::string UnknownEnverHint(const Consumer& consumer) {
    std::optional<std::pair<std::string_view, std::string_view>> parts =
        SplitEnverId(consumer.producer);
    if (!parts) return ": an enver id is \"<build>/<rev>\"";
    if (build_by_id_.empty()) {  // the first unknown enver: seldom, so built only then
      for (size_t b = 0; b < org_.builds.size(); ++b) build_by_id_.emplace(org_.builds[b].id, b);
    }
    auto it = build_by_id_.find(parts->first);
    if (it == build_by_id_.end()) return ": no build " + Quote(parts->first);
    std::vector<std::string> ids;
    for (const Enver& other : org_.builds[it->second].envers) {
      ids.push_back(EnverId(parts->first, other.rev));
    }
    return budget_.DidYouMean(consumer.producer, ids);
  }

  void CheckUniqueNames(size_t b, size_t e, std::optional<EnverIndex> node,
                        std::vector<Violation>* out) {
    const std::vector<Consumer>& consumers = org_.builds[b].envers[e].consumers;
    // A build's envers mostly consume alike: names that are the texts of a list that passed,
    // in its order, pass too, at the cost of comparing identities (equal identities are
    // equal texts).
    if (passed_ == nullptr || !SameNameTexts(*passed_, consumers)) {
      size_t reported = out->size();
      CheckConsumerNames(b, e, out);
      passed_ = out->size() == reported ? &consumers : nullptr;
    }
    // A node's product names are numbers: no duplicate when they increase (as they do
    // where an org's envers publish alike: numbered in order of first appearance).
    if (node) {
      std::span<const std::uint32_t> names = graph_.product_name_numbers(*node);
      if (std::adjacent_find(names.begin(), names.end(), std::greater_equal<>()) == names.end()) {
        return;
      }
    }
    CheckProductNames(b, e, out);
  }

  static bool SameNameTexts(const std::vector<Consumer>& a, const std::vector<Consumer>& b) {
    if (a.size() != b.size()) return false;
    for (size_t c = 0; c < a.size(); ++c) {
      if (a[c].name.identity() != b[c].name.identity()) return false;
    }
    return true;
  }

  void CheckConsumerNames(size_t b, size_t e, std::vector<Violation>* out) {
    const Build& build = org_.builds[b];
    const Enver& enver = build.envers[e];
    // Names of [A-Za-z0-9_] only map one to one to environment variables (most orgs).
    bool any_mapped = false;
    // Names in strictly increasing order (a canonical org's) have no duplicate: compared as
    // SharedText, by their first eight bytes mostly.
    bool increasing = true;
    for (size_t c = 0; c < enver.consumers.size(); ++c) {
      const SharedText& name = enver.consumers[c].name;
      any_mapped = any_mapped || !IsVariableName(name);
      increasing = increasing && (c == 0 || enver.consumers[c - 1].name < name);
    }
    dups_.clear();
    if (!increasing) FindDuplicateNames(enver.consumers);
    for (auto [dup, first] : dups_) {
      const Consumer& consumer = enver.consumers[dup];
      Report(out, "R4", ConsumerPathOf(b, e, dup) + "/name",
             ConsumerSubject(build, enver, consumer), consumer.name,
             "duplicate consumer name " + Quote(consumer.name) + " (first at " +
                 ConsumerPathOf(b, e, first) + ")");
    }
    // Distinct names that map to one environment variable: the build would see only one.
    if (any_mapped) CheckVariableNames(b, e, out);
  }

  void CheckProductNames(size_t b, size_t e, std::vector<Violation>* out) {
    const Build& build = org_.builds[b];
    const Enver& enver = build.envers[e];
    names_.clear();
    for (size_t p = 0; p < enver.products.size(); ++p) {
      names_.emplace_back(enver.products[p].name, static_cast<std::uint32_t>(p));
    }
    for (auto [dup, first] : FindDuplicates(names_)) {
      const Product& product = enver.products[dup];
      Report(out, "R4", ProductPathOf(b, e, dup) + "/name", ProductSubject(build, enver, product),
             product.name,
             "duplicate product name " + Quote(product.name) + " (first at " +
                 ProductPathOf(b, e, first) + ")");
    }
  }

  // Fills dups_ with the consumers whose name repeats an earlier one's, as (index, index of
  // the first), in index order: through a hash table, on the stack for an enver's usual few
  // consumers. Most names are held inline, and those hash and compare as one number.
  void FindDuplicateNames(const std::vector<Consumer>& consumers) {
    constexpr size_t kSmall = 32;
    std::array<std::uint32_t, 2 * kSmall> small{};
    std::span<std::uint32_t> slots = small;
    if (consumers.size() > kSmall) {
      slots_.assign(std::bit_ceil(2 * consumers.size()), 0);
      slots = slots_;
    }
    const int shift = 64 - std::countr_zero(slots.size());
    const size_t mask = slots.size() - 1;
    for (std::uint32_t c = 0; c < consumers.size(); ++c) {
      const SharedText& name = consumers[c].name;
      size_t s = NameHash(name) >> shift;
      for (; slots[s] != 0; s = (s + 1) & mask) {
        if (SameName(consumers[slots[s] - 1].name, name)) {
          dups_.emplace_back(c, slots[s] - 1);
          break;
        }
      }
      if (slots[s] == 0) slots[s] = c + 1;
    }
  }

  void CheckVariableNames(size_t b, size_t e, std::vector<Violation>* out) {
    const Build& build = org_.builds[b];
    const Enver& enver = build.envers[e];
    variables_.clear();
    for (const Consumer& consumer : enver.consumers) {
      variables_.push_back(ConsumerVariable(consumer.name));
    }
    names_.clear();
    for (size_t c = 0; c < variables_.size(); ++c) {
      names_.emplace_back(variables_[c], static_cast<std::uint32_t>(c));
    }
    for (auto [dup, first] : FindDuplicates(names_)) {
      const Consumer& consumer = enver.consumers[dup];
      const Consumer& other = enver.consumers[first];
      if (consumer.name == other.name) continue;  // the duplicate name, reported above
      Report(out, "R4", ConsumerPathOf(b, e, dup) + "/name",
             ConsumerSubject(build, enver, consumer), consumer.name,
             "consumer names " + Quote(other.name) + " (" + ConsumerPathOf(b, e, first) + ") and " +
                 Quote(consumer.name) + " both map to the environment variable " + variables_[dup] +
                 "; rename one");
    }
  }

  const Org& org_;
  const Graph& graph_;
  std::unordered_map<std::string_view, size_t> build_by_id_;
  bool ids_are_keys_ = true;               // build ids are unique and hold no '/'
  std::vector<std::uint32_t> first_node_;  // per build: its first node (see the constructor)
  SuggestionBudget budget_;
  std::vector<std::string> variables_;
  // Scratch reused across envers so the walk does not allocate per consumer.
  std::string key_;
  std::vector<std::pair<std::string_view, std::uint32_t>> names_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> dups_;
  // The consumers of the last enver whose names passed CheckConsumerNames, or nullptr.
  const std::vector<Consumer>* passed_ = nullptr;
  std::vector<std::uint32_t> slots_;
};

// How to break a cycle at `consumer` of enver `enver_id` (at JSON Pointer `path`): the
// member to add to the manifest. An ondemandenv org being ported has no placeholders (every
// consumer of the original has a default value), so this is the one step its cycles need.
std::string PlaceholderHint(const Consumer& consumer, std::string_view enver_id,
                            std::string_view path) {
  return "; give consumer " + Quote(consumer.name) + " of enver " + Quote(enver_id) +
         " a placeholder (the value it deploys with until " + Quote(consumer.producer) +
         " publishes " + Quote(consumer.product) + "): add \"placeholder\": \"\" to " +
         std::string(path);
}

// R3 for the immutable consumer `i`: each of its edges from a mutable producer.
void CheckImmutableConsumer(const Graph& g, EnverIndex i, std::vector<Violation>* out) {
  for (EdgeIndex e : g.dependencies(i)) {
    const Edge& edge = g.edge(e);
    if (g.immutable(edge.producer)) continue;
    const Enver& consumer_enver = g.enver(i);
    const Consumer& consumer = g.consumer(edge);
    Report(
        out, "R3", ConsumerFieldPath(g.node(i), edge.consumer_index, "producer"),
        ConsumerSubject(g.build(i), consumer_enver, consumer), consumer.producer,
        "immutable (tag) enver consumes from mutable (branch) enver " + Quote(consumer.producer));
  }
}

// Whether every enver of `g` is in one region.
bool InOneRegion(const Graph& g) {
  for (EnverIndex i = 1; i < g.enver_count(); ++i) {
    if (g.region_number(i) != g.region_number(0)) return false;
  }
  return true;
}

}  // namespace

void CheckImmutableConsumes(const RuleInput& in, std::vector<Violation>* out) {
  const Graph& g = in.graph;
  // Only the edges of immutable consumers are walked (an org's branch envers are most of
  // its envers), reading the graph's per-node facts, not the envers.
  for (EnverIndex i = 0; i < g.enver_count(); ++i) {
    if (g.immutable(i)) CheckImmutableConsumer(g, i, out);
  }
}

void CheckConsumerTargets(const RuleInput& in, std::vector<Violation>* out) {
  TargetChecker checker(in.org, in.graph);
  NodeCursor nodes(in.graph);
  for (size_t b = 0; b < in.org.builds.size(); ++b) {
    for (size_t e = 0; e < in.org.builds[b].envers.size(); ++e) {
      checker.CheckEnver(b, e, nodes.Next(b, e), out);
    }
  }
}

void CheckSameRegion(const RuleInput& in, std::vector<Violation>* out) {
  const Graph& g = in.graph;
  // The graph's region numbers: each edge compares two numbers, and none needs to when every
  // enver is in one region (most orgs).
  if (InOneRegion(g)) return;
  for (EnverIndex i = 0; i < g.enver_count(); ++i) {
    std::uint32_t region = g.region_number(i);
    for (EdgeIndex e : g.dependencies(i)) {
      const Edge& edge = g.edge(e);
      if (g.region_number(edge.producer) == region) continue;
      const Enver& consumer_enver = g.enver(i);
      const Enver& producer_enver = g.enver(edge.producer);
      const Consumer& consumer = g.consumer(edge);
      Report(out, "R5", ConsumerFieldPath(g.node(i), edge.consumer_index, "producer"),
             ConsumerSubject(g.build(i), consumer_enver, consumer), consumer.producer,
             "producer " + Quote(consumer.producer) + " is in region " +
                 Quote(producer_enver.region) + ", not " + Quote(consumer_enver.region));
    }
  }
}

void CheckProducerOnly(const RuleInput& in, std::vector<Violation>* out) {
  for (size_t b = 0; b < in.org.builds.size(); ++b) {
    const Build& build = in.org.builds[b];
    std::string_view why;
    if (build.kind == BuildKind::kImage) why = "an image enver is producer-only";
    if (build.kind == BuildKind::kContracts) why = "the contracts enver consumes nothing";
    if (why.empty()) continue;
    for (size_t e = 0; e < build.envers.size(); ++e) {
      const Enver& enver = build.envers[e];
      for (size_t c = 0; c < enver.consumers.size(); ++c) {
        const Consumer& consumer = enver.consumers[c];
        Report(out, "R6", ConsumerPathOf(b, e, c), ConsumerSubject(build, enver, consumer),
               consumer.name, std::string(why) + "; it may not consume");
      }
    }
  }
}

void CheckCycles(const RuleInput& in, std::vector<Violation>* out) {
  const Graph& g = in.graph;
  for (const CyclePath& cycle : FindCyclesWithoutPlaceholder(g)) {
    std::string text = cycle.ToString();
    std::string message = "cycle without placeholder: " + text;
    std::optional<EnverIndex> from, to;
    if (cycle.envers.size() >= 2) {
      from = g.FindEnver(cycle.envers[0]);
      to = g.FindEnver(cycle.envers[1]);
    }
    if (!from || !to) {  // not expected: the cycle's ids come from the graph
      Report(out, "R8", "", "", std::move(text), std::move(message));
      continue;
    }
    const EnverNode& node = g.node(*from);
    std::string path = EnverPath(node.build_index, node.enver_index);
    std::string subject = EnverSubject(g.build(*from), g.enver(*from));
    // Point at the consumer that takes the cycle's first step, and say how to break it.
    for (EdgeIndex e : g.dependencies(*from)) {
      const Edge& edge = g.edge(e);
      if (edge.producer != *to || edge.has_placeholder) continue;
      path = ConsumerPathOf(node.build_index, node.enver_index, edge.consumer_index);
      subject = ConsumerSubject(g.build(*from), g.enver(*from), g.consumer(edge));
      message += PlaceholderHint(g.consumer(edge), cycle.envers[0], path);
      break;
    }
    Report(out, "R8", std::move(path), std::move(subject), std::move(text), std::move(message));
  }
}

}  // namespace odmd::model::rules
