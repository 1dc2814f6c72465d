#include "synthetic_org.h"

#include <algorithm>
#include <array>
#include <random>
#include <string>

#include "odmd/model/naming.h"

namespace odmd::bench {
namespace {

constexpr std::array<const char*, 4> kBranches = {"main", "dev", "stage", "qa"};
constexpr const char* kTag = "r1.0.0";
constexpr const char* kRegion = "us-west-1";

std::string BuildId(int i) { return "svc" + std::to_string(i); }

model::Build ContractsBuild() {
  model::Build b;
  b.id = "contracts";
  b.kind = model::BuildKind::kContracts;
  b.repo = {"synthetic", "contracts", 1};
  model::Enver e;
  e.rev = model::RevRef::Branch("main");
  e.account = "workspace0";
  e.region = kRegion;
  e.ephemeral = false;
  e.products.push_back({"contractsLibLatest"});
  b.envers.push_back(std::move(e));
  return b;
}

model::Enver NewEnver(model::RevRef rev, int products) {
  model::Enver e;
  e.rev = std::move(rev);
  e.account = "workspace1";
  e.region = kRegion;
  for (int p = 0; p < products; ++p) e.products.push_back({"p" + std::to_string(p)});
  return e;
}

// Adds consumers to every enver of build `i`: each enver consumes from the enver with the
// same rev in `consumers_per_enver` distinct earlier builds (a DAG), and cycle builds also
// consume from a later build with a placeholder.
void AddConsumers(model::Build& b, int i, const SyntheticOrgOptions& o, std::mt19937_64& rng) {
  int count = std::min(i, o.consumers_per_enver);
  std::vector<int> producers;
  for (int k = 0; k < count; ++k) {
    // Mostly near neighbours (deep chains), sometimes far ones (wide fan-in).
    int back = (k % 4 == 3) ? static_cast<int>(rng() % static_cast<unsigned>(i)) + 1 : k + 1;
    producers.push_back(i - std::min(back, i));
  }
  std::sort(producers.begin(), producers.end());
  producers.erase(std::unique(producers.begin(), producers.end()), producers.end());
  bool cycle = o.cycle_every > 0 && i % o.cycle_every == 0 && i + 1 < o.builds;
  for (model::Enver& e : b.envers) {
    for (int p : producers) {
      std::string name = "c" + std::to_string(p);
      e.consumers.push_back({name, model::EnverId(BuildId(p), e.rev),
                             "p" + std::to_string(p % o.products_per_enver), std::nullopt,
                             model::Reaction::kRedeploy});
    }
    if (cycle) {
      // Build i+1 consumes build i (its k=0 neighbour), so this closes a cycle.
      e.consumers.push_back({"back", model::EnverId(BuildId(i + 1), e.rev), "p0",
                             std::string("placeholder"), model::Reaction::kRedeploy});
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
  org.builds.reserve(static_cast<size_t>(o.builds) + 1);
  org.builds.push_back(ContractsBuild());
  std::mt19937_64 rng(o.seed);
  for (int i = 0; i < o.builds; ++i) {
    model::Build b;
    b.id = BuildId(i);
    b.kind = model::BuildKind::kCdk;
    b.repo = {"synthetic", b.id, 1000 + i};
    for (const char* branch : kBranches) {
      b.envers.push_back(NewEnver(model::RevRef::Branch(branch), o.products_per_enver));
    }
    b.envers.push_back(NewEnver(model::RevRef::Tag(kTag), o.products_per_enver));
    AddConsumers(b, i, o, rng);
    org.builds.push_back(std::move(b));
  }
  return org;
}

}  // namespace odmd::bench
