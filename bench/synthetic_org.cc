#include "synthetic_org.h"

#include <algorithm>
#include <array>
#include <random>
#include <string>
#include <vector>

namespace odmd::bench {
namespace {

// Built as an efficient author would: every vector reserved to its final size, every
// element constructed in place, each name made once and shared by the consumers that use it
// (model::SharedText).

constexpr std::array<const char*, 4> kBranches = {"main", "dev", "stage", "qa"};
constexpr const char* kTag = "r1.0.0";
constexpr const char* kRegion = "us-west-1";
constexpr size_t kEnversPerBuild = kBranches.size() + 1;

std::string BuildId(int i) { return "svc" + std::to_string(i); }

void AddContractsBuild(model::Org& org) {
  model::Build& b = org.builds.emplace_back();
  b.id = "contracts";
  b.kind = model::BuildKind::kContracts;
  b.repo = {"synthetic", "contracts", 1};
  model::Enver& e = b.envers.emplace_back();
  e.rev = model::RevRef::Branch("main");
  e.account = "workspace0";
  e.region = kRegion;
  e.ephemeral = false;
  e.products.push_back({"contractsLibLatest"});
}

// Names shared by every build: product names "p0".."pN", the revs of a build's envers; and
// per build, its consumer name "c<i>" and its enver ids "svc<i>/<rev>" (one per rev).
struct Names {
  std::vector<model::SharedText> product_texts;
  std::vector<model::RevRef> revs;
  std::vector<model::SharedText> consumer_names;
  std::vector<std::array<model::SharedText, kEnversPerBuild>> enver_ids;
  model::SharedText back = "back";
  model::SharedText placeholder = "placeholder";
};

Names MakeNames(const SyntheticOrgOptions& o, const std::vector<std::string>& build_ids) {
  Names n;
  n.product_texts.reserve(static_cast<size_t>(o.products_per_enver));
  for (int p = 0; p < o.products_per_enver; ++p) {
    n.product_texts.emplace_back("p" + std::to_string(p));
  }
  n.revs.reserve(kEnversPerBuild);
  for (const char* branch : kBranches) n.revs.push_back(model::RevRef::Branch(branch));
  n.revs.push_back(model::RevRef::Tag(kTag));
  n.consumer_names.reserve(build_ids.size());
  n.enver_ids.resize(build_ids.size());
  std::string text;
  for (size_t b = 0; b < build_ids.size(); ++b) {
    n.consumer_names.emplace_back(text.assign("c").append(build_ids[b], 3));  // "c<b>"
    for (size_t r = 0; r < kEnversPerBuild; ++r) {
      n.enver_ids[b][r] = text.assign(build_ids[b]).append("/").append(n.revs[r].str());
    }
  }
  return n;
}

// The earlier builds build `i` consumes from: `consumers_per_enver` distinct ones, mostly
// near neighbours (deep chains), sometimes far ones (wide fan-in); sorted.
void PickProducers(int i, const SyntheticOrgOptions& o, std::mt19937_64& rng,
                   std::vector<int>& producers) {
  int count = std::min(i, o.consumers_per_enver);
  producers.clear();
  for (int k = 0; k < count; ++k) {
    int back = (k % 4 == 3) ? static_cast<int>(rng() % static_cast<unsigned>(i)) + 1 : k + 1;
    producers.push_back(i - std::min(back, i));
  }
  std::sort(producers.begin(), producers.end());
  producers.erase(std::unique(producers.begin(), producers.end()), producers.end());
}

void AddConsumer(model::Enver& e, const model::SharedText& name, const model::SharedText& producer,
                 const model::SharedText& product) {
  e.consumers.push_back(model::Consumer{name, producer, product, std::nullopt});
}

// Each enver of build `i` consumes from the enver with the same rev in every build of
// `producers` (a DAG); a cycle build also consumes from build i+1 with a placeholder, and
// build i+1 consumes build i (its k=0 neighbour), which closes a cycle.
void AddEnvers(model::Build& b, int i, const SyntheticOrgOptions& o, const Names& names,
               const std::vector<int>& producers) {
  bool cycle = o.cycle_every > 0 && i % o.cycle_every == 0 && i + 1 < o.builds;
  b.envers.reserve(kEnversPerBuild);
  for (size_t r = 0; r < kEnversPerBuild; ++r) {
    model::Enver& e = b.envers.emplace_back();
    e.rev = names.revs[r];
    e.account = "workspace1";
    e.region = kRegion;
    e.products.reserve(names.product_texts.size());
    for (const model::SharedText& p : names.product_texts) e.products.push_back({p});
    e.consumers.reserve(producers.size() + (cycle ? 1 : 0));
    for (int p : producers) {
      auto up = static_cast<size_t>(p);
      AddConsumer(e, names.consumer_names[up], names.enver_ids[up][r],
                  names.product_texts[static_cast<size_t>(p % o.products_per_enver)]);
    }
    if (cycle) {
      AddConsumer(e, names.back, names.enver_ids[static_cast<size_t>(i) + 1][r],
                  names.product_texts[0]);
      e.consumers.back().placeholder.emplace(names.placeholder);
    }
  }
}

}  // namespace

model::Org MakeSyntheticOrg(const SyntheticOrgOptions& o) {
  model::Org org;
  org.name = "synthetic";
  org.version = "1.0.0";
  org.accounts = {
      {"central", "111111111111"}, {"workspace0", "222222222222"}, {"workspace1", "333333333333"}};
  std::vector<std::string> build_ids;
  build_ids.reserve(static_cast<size_t>(o.builds));
  for (int i = 0; i < o.builds; ++i) build_ids.push_back(BuildId(i));
  Names names = MakeNames(o, build_ids);
  org.builds.reserve(static_cast<size_t>(o.builds) + 1);
  AddContractsBuild(org);
  std::mt19937_64 rng(o.seed);
  std::vector<int> producers;
  for (int i = 0; i < o.builds; ++i) {
    model::Build& b = org.builds.emplace_back();
    b.id = build_ids[static_cast<size_t>(i)];
    b.kind = model::BuildKind::kCdk;
    b.repo = {"synthetic", b.id, 1000 + i};
    PickProducers(i, o, rng, producers);
    AddEnvers(b, i, o, names, producers);
  }
  return org;
}

}  // namespace odmd::bench
