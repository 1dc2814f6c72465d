#include "odmd/model/validate.h"

#include <algorithm>
#include <array>

#include "odmd/model/graph.h"
#include "rules_common.h"
#include "rules_config.h"

namespace odmd::model {
namespace {

// The rule table (STYLE.md §7.2: registries are plain tables). Ids are stable; the order
// is the order violations are reported in.
constexpr std::array<Rule, 14> kRules = {{
    {"R1", "build ids match [A-Za-z0-9_-]+, \"config\" is reserved, ids are unique",
     rules::CheckBuildIds},
    {"R2", "rev values are legal and unique per build", rules::CheckRevs},
    {"R3", "a tag (immutable) enver consumes only products of tag envers",
     rules::CheckImmutableConsumes},
    {"R4",
     "no consuming from the own build; consumers name an existing product of an existing "
     "enver; consumer and product names are unique per enver",
     rules::CheckConsumerTargets},
    {"R5", "producer and consumer envers are in the same region", rules::CheckSameRegion},
    {"R6", "image envers are producer-only; the contracts enver consumes nothing",
     rules::CheckProducerOnly},
    {"R7",
     "exactly one contracts build (one enver per region), at most one user-auth build (one "
     "enver); neither is cloned",
     rules::CheckSingletons},
    {"R8", "every cycle of consumers contains a consumer with a placeholder", rules::CheckCycles},
    {"R9",
     "clones: static origin of the same build, account and region; differ from the origin; at "
     "most clone-limit clones per origin",
     rules::CheckClones},
    {"R10",
     "product names and stack base names are legal, stacks are unique per enver, and every "
     "derived name fits its target's limits",
     rules::CheckDerivedNames},
    {"R11",
     "account names are unique with 12-digit ids; every enver's account and the central "
     "account exist; every region hosting envers has a contracts enver",
     rules::CheckAccounts},
    {"R12", "every build declares at least one enver", rules::CheckHasEnvers},
    {"R13",
     "a build of kind networking and the account named \"networking\" are declared together or "
     "not at all",
     rules::CheckNetworking},
    {"R14",
     "every config (a build's, an enver's) is an object whose keys match [A-Za-z0-9_.-]{1,64}, "
     "nested at most 8 levels and at most 16 KiB serialized; every doc path is a relative "
     "repository path",
     rules::CheckConfigs},
}};

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Orders JSON Pointers segment by segment, numeric segments by value, so that
// "/builds/2" comes before "/builds/10".
bool PathLess(std::string_view a, std::string_view b) {
  while (!a.empty() && !b.empty()) {
    size_t ea = a.find('/', 1), eb = b.find('/', 1);
    std::string_view sa = a.substr(0, ea), sb = b.substr(0, eb);
    if (sa != sb) {
      std::string_view na = sa.substr(1), nb = sb.substr(1);
      if (IsDigits(na) && IsDigits(nb) && na.size() != nb.size()) return na.size() < nb.size();
      return sa < sb;
    }
    a = ea == std::string_view::npos ? std::string_view() : a.substr(ea);
    b = eb == std::string_view::npos ? std::string_view() : b.substr(eb);
  }
  return a.empty() && !b.empty();
}

}  // namespace

std::span<const Rule> Rules() { return kRules; }

std::vector<Violation> Validate(const Org& org) {
  Graph graph(org);
  return Validate(org, graph);
}

std::vector<Violation> Validate(const Org& org, const Graph& graph) {
  RuleInput input{org, graph};
  std::vector<Violation> all, found;
  for (const Rule& rule : kRules) {
    found.clear();
    rule.check(input, &found);
    std::stable_sort(found.begin(), found.end(), [](const Violation& x, const Violation& y) {
      return PathLess(x.path, y.path);
    });
    std::move(found.begin(), found.end(), std::back_inserter(all));
  }
  return all;
}

}  // namespace odmd::model
