#include "odmd/model/graph.h"

#include <bit>
#include <cstring>
#include <limits>
#include <mutex>
#include <unordered_map>

#include "graph_internal.h"
#include "odmd/base/check.h"
#include "text_cache.h"
#include "text_words.h"

namespace odmd::model {
namespace {

using internal::LoadWord;
using internal::TableSize;
using internal::TextCache;
using internal::TextHash;

constexpr std::string_view kProductPathPrefix = "/odmd-share/";

// Up to this many products a linear scan of names beats hashing; envers with more get their
// products indexed in the product table.
constexpr size_t kLinearProductScan = 8;

std::uint32_t Tag(std::uint64_t hash) { return static_cast<std::uint32_t>(hash >> 32); }

// The enver and name tables: open addressing, linear probing, power-of-two sizes; a slot is
// Tag(hash) << 32 | (index + 1), 0 when empty, and the text lives with the indexed thing.
std::uint64_t MakeSlot(std::uint64_t hash, std::uint32_t index) {
  return static_cast<std::uint64_t>(Tag(hash)) << 32 | (index + 1u);
}
std::uint32_t SlotIndex(std::uint64_t slot) {
  return static_cast<std::uint32_t>((slot & 0xffffffffu) - 1);
}

// a == b, without a call for the short names the lookups compare (enver ids, product
// names): a million consumers each compare an id and scan a few product names, and a call
// to memcmp per comparison was a tenth of the pipeline (perf, 10,000 builds). Texts of up to
// 16 bytes compare as two overlapping words.
bool SameText(std::string_view a, std::string_view b) {
  size_t n = a.size();
  if (n != b.size()) return false;
  const char* x = a.data();
  const char* y = b.data();
  if (n > 16) return std::memcmp(x, y, n) == 0;
  if (n >= 8) {
    return (LoadWord<std::uint64_t>(x) ^ LoadWord<std::uint64_t>(y)) == 0 &&
           (LoadWord<std::uint64_t>(x + n - 8) ^ LoadWord<std::uint64_t>(y + n - 8)) == 0;
  }
  if (n >= 4) {
    return (LoadWord<std::uint32_t>(x) ^ LoadWord<std::uint32_t>(y)) == 0 &&
           (LoadWord<std::uint32_t>(x + n - 4) ^ LoadWord<std::uint32_t>(y + n - 4)) == 0;
  }
  for (size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return false;
  }
  return true;
}

// The slot of `slots` holding the index whose text (`text_of(index)`) is `text` of hash
// `hash`, or the empty slot it would take.
template <typename TextOf>
size_t ProbeSlot(const std::vector<std::uint64_t>& slots, std::string_view text, std::uint64_t hash,
                 TextOf text_of) {
  size_t mask = slots.size() - 1;
  size_t s = hash & mask;
  for (; slots[s] != 0; s = (s + 1) & mask) {
    if (Tag(slots[s]) == Tag(hash) && SameText(text_of(SlotIndex(slots[s])), text)) break;
  }
  return s;
}

// Whether `a` (nullptr: none) publishes products of the names of `b`'s, in the same order.
bool SameProductNames(const Enver* a, const Enver* b) {
  if (a == nullptr || a->products.size() != b->products.size()) return false;
  for (size_t p = 0; p < a->products.size(); ++p) {
    if (a->products[p].name != b->products[p].name) return false;
  }
  return true;
}

// The region number of `enver` (equal exactly for equal regions) given the previous node's
// enver and number (nullptr, 0: none) and `numbers`, the numbers so far by region:
// neighbouring envers mostly share a region, and the map is asked only when it changes.
std::uint32_t RegionNumber(const Enver& enver, const Enver* previous, std::uint32_t previous_number,
                           std::unordered_map<std::string_view, std::uint32_t>& numbers) {
  if (previous != nullptr && previous->region == enver.region) return previous_number;
  auto number = static_cast<std::uint32_t>(numbers.size());
  return numbers.try_emplace(enver.region, number).first->second;
}

// The product table's key hash: the enver index and the name's id, mixed.
std::uint64_t ProductHash(EnverIndex enver, std::uint32_t name) {
  return internal::MixBits((static_cast<std::uint64_t>(enver) << 32 | name) *
                           0x9e3779b97f4a7c15ull);
}

}  // namespace

struct Graph::Lazy {
  std::once_flag components_once, dependents_once;
  Components components;
  // CSR: rdep_edges[rdep_start[i] .. rdep_start[i + 1]) are the edges whose producer is i.
  std::vector<std::uint32_t> rdep_start, rdep_edges;
};

Graph::Graph(const Org& org) : org_(&org), lazy_(std::make_unique<Lazy>()) {
  AddNodes();
  AddEdges();
}

Graph::~Graph() = default;
Graph::Graph(Graph&&) noexcept = default;
Graph& Graph::operator=(Graph&&) noexcept = default;

const Components& Graph::components() const {
  std::call_once(lazy_->components_once, [this] {
    lazy_->components = internal::ComputeComponents(*this, internal::EdgeFilter::kAll);
  });
  return lazy_->components;
}

const Build& Graph::build(EnverIndex i) const { return org_->builds[nodes_[i].build_index]; }

const Enver& Graph::enver(EnverIndex i) const { return build(i).envers[nodes_[i].enver_index]; }

const Consumer& Graph::consumer(const Edge& e) const {
  return enver(e.consumer).consumers[e.consumer_index];
}

const Product& Graph::product(const Edge& e) const {
  return enver(e.producer).products[e.product_index];
}

std::span<const EdgeIndex> Graph::dependents(EnverIndex i) const {
  const Lazy& lazy = Dependents();
  return std::span<const EdgeIndex>(lazy.rdep_edges)
      .subspan(lazy.rdep_start[i], lazy.rdep_start[i + 1] - lazy.rdep_start[i]);
}

std::optional<EnverIndex> Graph::FindEnver(std::string_view id) const {
  std::uint64_t slot = enver_slots_[ProbeSlot(
      enver_slots_, id, TextHash(id), [this](auto i) { return std::string_view(nodes_[i].id); })];
  if (slot == 0) return std::nullopt;
  return SlotIndex(slot);
}

std::optional<ProductLocation> Graph::FindProduct(std::string_view id_or_path) const {
  if (id_or_path.starts_with(kProductPathPrefix))
    id_or_path.remove_prefix(kProductPathPrefix.size());
  // "<enver id>/<name>": an enver id ends before some '/' (a name may hold '/' too). Of the
  // splits that name a product, the first enver in node order wins, as for equal enver ids.
  // An enver id holds a '/' itself, so the first split to try is at the second '/'.
  std::optional<ProductLocation> found;
  size_t first = id_or_path.find('/');
  if (first == std::string_view::npos) return found;
  for (size_t slash = id_or_path.find('/', first + 1); slash != std::string_view::npos;
       slash = id_or_path.find('/', slash + 1)) {
    std::optional<EnverIndex> enver = FindEnver(id_or_path.substr(0, slash));
    if (!enver || (found && found->enver < *enver)) continue;
    std::uint32_t name = NameId(id_or_path.substr(slash + 1));
    if (name == kNoName) continue;
    std::optional<std::uint32_t> p = ProductIndexOf(*enver, name);
    if (p) found = ProductLocation{*enver, *p};
  }
  return found;
}

std::string Graph::ProductId(ProductLocation p) const {
  std::string_view name = enver(p.enver).products[p.product_index].name;
  std::string id;
  id.reserve(nodes_[p.enver].id.size() + 1 + name.size());
  id += nodes_[p.enver].id;
  id += '/';
  id += name;
  return id;
}

void Graph::AddNodes() {
  size_t envers = 0, indexed_products = 0;
  for (const Build& b : org_->builds) {
    envers += b.envers.size();
    for (const Enver& e : b.envers) {
      if (e.products.size() > kLinearProductScan) indexed_products += e.products.size();
    }
  }
  ODMD_CHECK(envers < std::numeric_limits<EnverIndex>::max());
  nodes_.reserve(envers);
  product_start_.reserve(envers + 1);
  immutable_.reserve(envers);
  region_number_.reserve(envers);
  product_start_.push_back(0);
  enver_slots_.assign(TableSize(envers), 0);
  name_slots_.assign(TableSize(8), 0);
  if (indexed_products > 0) product_slots_.resize(TableSize(indexed_products));
  auto node_id = [this](auto i) { return std::string_view(nodes_[i].id); };
  const Enver* previous = nullptr;  // the last node's enver
  std::unordered_map<std::string_view, std::uint32_t> region_numbers;
  for (std::uint32_t b = 0; b < org_->builds.size(); ++b) {
    const Build& build = org_->builds[b];
    for (std::uint32_t e = 0; e < build.envers.size(); ++e) {
      const Enver& enver = build.envers[e];
      EnverNode& node = nodes_.emplace_back();
      node.id.reserve(build.id.size() + 1 + enver.rev.str().size());
      node.id.append(build.id).append("/").append(enver.rev.str());
      node.build_index = b;
      node.enver_index = e;
      auto index = static_cast<EnverIndex>(nodes_.size() - 1);
      std::uint64_t hash = TextHash(node.id);
      size_t s = ProbeSlot(enver_slots_, node.id, hash, node_id);
      if (enver_slots_[s] != 0) {  // of envers sharing an id, the first is the node
        nodes_.pop_back();
        continue;
      }
      enver_slots_[s] = MakeSlot(hash, index);
      // Envers mostly publish what the previous one did (a build's envers alike): the same
      // names, in order, have the same ids, and comparing them costs less than interning.
      if (SameProductNames(previous, &enver)) {
        size_t first = product_start_[index - 1], count = product_start_[index] - first;
        for (size_t p = 0; p < count; ++p) product_names_.push_back(product_names_[first + p]);
      } else {
        for (const Product& product : enver.products)
          product_names_.push_back(InternName(product.name));
      }
      product_start_.push_back(static_cast<std::uint32_t>(product_names_.size()));
      if (enver.products.size() > kLinearProductScan) IndexProducts(index);
      immutable_.push_back(enver.rev.IsImmutable() ? 1 : 0);
      region_number_.push_back(
          RegionNumber(enver, previous, previous ? region_number_.back() : 0, region_numbers));
      previous = &enver;
    }
  }
}

std::uint32_t Graph::NameId(std::string_view name) const {
  std::uint64_t slot = name_slots_[ProbeSlot(name_slots_, name, TextHash(name),
                                             [this](auto id) { return names_[id]; })];
  return slot == 0 ? kNoName : SlotIndex(slot);
}

std::uint32_t Graph::InternName(std::string_view name) {
  std::uint64_t hash = TextHash(name);
  size_t s = ProbeSlot(name_slots_, name, hash, [this](auto id) { return names_[id]; });
  if (name_slots_[s] != 0) return SlotIndex(name_slots_[s]);
  auto id = static_cast<std::uint32_t>(names_.size());
  names_.push_back(name);
  name_slots_[s] = MakeSlot(hash, id);
  if (2 * names_.size() > name_slots_.size()) GrowNames();
  return id;
}

void Graph::GrowNames() {
  name_slots_.assign(2 * name_slots_.size(), 0);
  for (std::uint32_t id = 0; id < names_.size(); ++id) {
    std::uint64_t hash = TextHash(names_[id]);
    name_slots_[ProbeSlot(name_slots_, names_[id], hash, [this](auto i) { return names_[i]; })] =
        MakeSlot(hash, id);
  }
}

void Graph::IndexProducts(EnverIndex enver) {
  size_t mask = product_slots_.size() - 1;
  for (std::uint32_t p = 0; p < product_start_[enver + 1] - product_start_[enver]; ++p) {
    std::uint32_t name = product_names_[product_start_[enver] + p];
    size_t s = ProductHash(enver, name) & mask;
    bool duplicate = false;
    for (; product_slots_[s].enver_plus1 != 0; s = (s + 1) & mask) {
      const ProductSlot& other = product_slots_[s];
      if (other.enver_plus1 == enver + 1 && other.name == name) {
        duplicate = true;  // of products sharing a name, the first is found
        break;
      }
    }
    if (!duplicate) product_slots_[s] = ProductSlot{enver + 1, name, p};
  }
}

std::optional<std::uint32_t> Graph::ProductIndexOf(EnverIndex producer, std::uint32_t name) const {
  std::uint32_t first = product_start_[producer], last = product_start_[producer + 1];
  if (last - first <= kLinearProductScan) {
    for (std::uint32_t p = first; p < last; ++p) {
      if (product_names_[p] == name) return p - first;
    }
    return std::nullopt;
  }
  size_t mask = product_slots_.size() - 1;
  for (size_t s = ProductHash(producer, name) & mask;; s = (s + 1) & mask) {
    const ProductSlot& slot = product_slots_[s];
    if (slot.enver_plus1 == 0) return std::nullopt;
    if (slot.enver_plus1 == producer + 1 && slot.name == name) return slot.product_index;
  }
}

void Graph::AddEdges() {
  size_t consumers = 0;
  for (EnverIndex i = 0; i < nodes_.size(); ++i) consumers += enver(i).consumers.size();
  ODMD_CHECK(consumers < std::numeric_limits<EdgeIndex>::max());
  edges_.reserve(consumers);
  dep_start_.reserve(nodes_.size() + 1);
  // The lookups of a million consumers are cache misses (cache slot, table slot, node, the
  // producer's products). Per enver, each step is done for all its consumers before the
  // next, with prefetches, so the misses of one step overlap instead of following one another.
  constexpr std::uint32_t kNone = TextCache::kNone;
  TextCache cache(nodes_.size());
  TextCache product_names(names_.size());
  std::vector<TextCache::Set*> sets;
  std::vector<std::uint32_t> producers;  // per consumer: its node, or kNone
  for (EnverIndex i = 0; i < nodes_.size(); ++i) {
    dep_start_.push_back(static_cast<std::uint32_t>(edges_.size()));
    const std::vector<Consumer>& list = enver(i).consumers;
    sets.resize(list.size());
    producers.resize(list.size());
    for (size_t c = 0; c < list.size(); ++c) {
      sets[c] = cache.SetOf(list[c].producer.identity());
      __builtin_prefetch(sets[c]);
    }
    for (size_t c = 0; c < list.size(); ++c) {
      producers[c] = sets[c]->Resolve(list[c].producer.identity(),
                                      [&] { return FindEnver(list[c].producer).value_or(kNone); });
      if (producers[c] != kNone) __builtin_prefetch(&product_start_[producers[c]]);
    }
    for (size_t c = 0; c < list.size(); ++c) {
      // data() +: a producer without products may start at the end.
      if (producers[c] != kNone)
        __builtin_prefetch(product_names_.data() + product_start_[producers[c]]);
    }
    for (std::uint32_t c = 0; c < list.size(); ++c) {
      EnverIndex producer = producers[c];
      if (producer == kNone || producer == i) continue;  // R4 reports both
      const Consumer& consumer = list[c];
      std::uintptr_t identity = consumer.product.identity();
      std::uint32_t name = product_names.SetOf(identity)->Resolve(
          identity, [&] { return NameId(consumer.product); });
      if (name == kNoName) continue;  // no product has that name
      // The usual few products scanned here: a call per consumer was a tenth of the graph.
      std::uint32_t first = product_start_[producer], last = product_start_[producer + 1];
      std::uint32_t product = kNoName;
      if (last - first <= kLinearProductScan) {
        for (std::uint32_t p = first; p < last; ++p) {
          if (product_names_[p] == name) {
            product = p - first;
            break;
          }
        }
      } else {
        product = ProductIndexOf(producer, name).value_or(kNoName);
      }
      if (product == kNoName) continue;
      // Composed here and copied whole: GCC copies an Edge member by member, the bit-fields
      // by reading the destination word first, and the destination is fresh memory (a miss
      // per edge: a tenth of the graph at 10,000 builds).
      const Edge edge{i, c, producer, product, consumer.placeholder.has_value()};
      std::memcpy(&edges_.emplace_back(), &edge, sizeof edge);
    }
  }
  dep_start_.push_back(static_cast<std::uint32_t>(edges_.size()));
}

const Graph::Lazy& Graph::Dependents() const {
  std::call_once(lazy_->dependents_once, [this] {
    std::vector<std::uint32_t>& start = lazy_->rdep_start;
    std::vector<std::uint32_t>& out = lazy_->rdep_edges;
    // Counting sort of edge indices by producer; stable, so each run keeps edge order.
    start.assign(nodes_.size() + 1, 0);
    for (const Edge& e : edges_) ++start[e.producer + 1];
    for (size_t i = 1; i < start.size(); ++i) start[i] += start[i - 1];
    out.resize(edges_.size());
    std::vector<std::uint32_t> next(start.begin(), start.end() - 1);
    for (EdgeIndex e = 0; e < edges_.size(); ++e) out[next[edges_[e].producer]++] = e;
  });
  return *lazy_;
}

}  // namespace odmd::model
