#pragma once

// A synthetic org for benchmarks: N builds x 5 envers (four branches and one tag),
// ~20 consumers per enver, some cycles broken by placeholders. Deterministic for a seed,
// and valid under every rule (synthetic_org_test.cc checks it).

#include <cstdint>

#include "odmd/model/org.h"

namespace odmd::bench {

struct SyntheticOrgOptions {
  int builds = 100;
  int consumers_per_enver = 20;
  int products_per_enver = 4;
  // Every `cycle_every`-th build also consumes from a later build (with a placeholder),
  // closing a cycle through the earlier builds that consume it. 0 disables cycles.
  int cycle_every = 50;
  std::uint64_t seed = 42;
};

model::Org MakeSyntheticOrg(const SyntheticOrgOptions& options);

}  // namespace odmd::bench
