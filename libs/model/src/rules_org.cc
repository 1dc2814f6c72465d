// Rules about the organisation as a whole: R7 singletons, R9 clones, R11 accounts and
// regions, R12 builds without envers, R13 the networking build and account.

#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "odmd/base/strings.h"
#include "odmd/model/graph.h"
#include "odmd/model/naming.h"
#include "rules_common.h"

namespace odmd::model::rules {
namespace {

bool IsSingletonKind(BuildKind kind) {
  return kind == BuildKind::kContracts || kind == BuildKind::kUserAuth;
}

// Exactly one contracts build; at most one user-auth build.
void CheckSingletonBuilds(const Org& org, std::vector<Violation>* out) {
  std::optional<size_t> contracts, user_auth;
  for (size_t b = 0; b < org.builds.size(); ++b) {
    const Build& build = org.builds[b];
    if (!IsSingletonKind(build.kind)) continue;
    std::optional<size_t>& first = build.kind == BuildKind::kContracts ? contracts : user_auth;
    if (!first) {
      first = b;
      continue;
    }
    std::string kind(BuildKindName(build.kind));
    Report(out, "R7", BuildPath(b) + "/kind", BuildSubject(build), kind,
           "second build of kind " + Quote(kind) + " (first is " + Quote(org.builds[*first].id) +
               "); it is a singleton");
  }
  if (!contracts) {
    Report(out, "R7", "/builds", OrgSubject(org), "",
           "no build of kind \"contracts\"; exactly one is required");
  }
}

// A contracts build has one enver per region (R11 wants one in every region that hosts
// envers); a user-auth build has one enver. Zero envers is R12's to report. Neither is ever
// cloned.
void CheckSingletonEnvers(size_t b, const Build& build, std::vector<Violation>* out) {
  std::unordered_map<std::string_view, size_t> first_in_region;
  for (size_t e = 0; e < build.envers.size(); ++e) {
    const Enver& enver = build.envers[e];
    if (enver.rev.is_clone()) {
      Report(out, "R7", EnverPath(b, e) + "/rev", EnverSubject(build, enver), enver.rev.str(),
             "a " + std::string(BuildKindName(build.kind)) + " enver may never be cloned");
    }
    if (build.kind == BuildKind::kUserAuth) {
      if (e > 0) {
        Report(out, "R7", EnverPath(b, e), EnverSubject(build, enver), enver.rev.str(),
               "a user-auth build has exactly one enver; this is enver " + std::to_string(e + 1));
      }
      continue;
    }
    auto [it, inserted] = first_in_region.emplace(enver.region, e);
    if (!inserted) {
      Report(out, "R7", EnverPath(b, e) + "/region", EnverSubject(build, enver), enver.region,
             "second contracts enver in region " + Quote(enver.region) + " (first is " +
                 Quote(EnverId(build.id, build.envers[it->second].rev)) + ")");
    }
  }
}

bool IsAccountId(std::string_view id) {
  if (id.size() != 12) return false;
  for (char c : id) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

void CheckAccountList(const Org& org, std::vector<Violation>* out) {
  std::vector<std::pair<std::string_view, std::uint32_t>> names;
  for (size_t a = 0; a < org.accounts.size(); ++a) {
    const Account& account = org.accounts[a];
    names.emplace_back(account.name, static_cast<std::uint32_t>(a));
    if (!IsAccountId(account.id)) {
      Report(out, "R11", "/accounts/" + std::to_string(a) + "/id", AccountSubject(account),
             account.id, "account id " + Quote(account.id) + " must be exactly 12 digits");
    }
  }
  for (auto [dup, first] : FindDuplicates(names)) {
    Report(out, "R11", "/accounts/" + std::to_string(dup) + "/name",
           AccountSubject(org.accounts[dup]), org.accounts[dup].name,
           "duplicate account name " + Quote(org.accounts[dup].name) + " (first at /accounts/" +
               std::to_string(first) + ")");
  }
}

// R9 for one enver at a time; counts live clones per origin across the whole org.
class CloneChecker {
 public:
  explicit CloneChecker(const Graph& graph) : graph_(graph), clones_of_(graph.enver_count()) {}

  void Check(size_t b, size_t e, const Build& build, std::vector<Violation>* out) {
    const Enver& enver = build.envers[e];
    if (enver.clone_limit < 0) {
      Report(out, "R9", EnverPath(b, e) + "/cloneLimit", EnverSubject(build, enver),
             std::to_string(enver.clone_limit),
             "clone limit " + std::to_string(enver.clone_limit) + " is negative");
    }
    if (enver.rev.is_clone()) CheckClone(b, e, build, out);
  }

 private:
  void CheckClone(size_t b, size_t e, const Build& build, std::vector<Violation>* out) {
    const Enver& enver = build.envers[e];
    std::string subject = EnverSubject(build, enver);
    RevRef origin_ref = enver.rev.OriginRef();
    if (enver.rev.self() == *enver.rev.origin()) {
      Report(out, "R9", EnverPath(b, e) + "/rev", subject, enver.rev.str(),
             "a clone must differ from its origin " + Quote(origin_ref.str()));
    }
    std::optional<EnverIndex> origin = graph_.FindEnver(EnverId(build.id, origin_ref));
    if (!origin) {
      Report(out, "R9", EnverPath(b, e) + "/rev", subject, enver.rev.str(),
             "origin " + Quote(origin_ref.str()) + " is not a static enver of build " +
                 Quote(build.id));
      return;
    }
    const Enver& origin_enver = graph_.enver(*origin);
    CheckSame(b, e, "account", enver.account, origin_enver.account, subject, origin_ref, out);
    CheckSame(b, e, "region", enver.region, origin_enver.region, subject, origin_ref, out);
    std::uint32_t n = ++clones_of_[*origin];
    int limit = origin_enver.clone_limit;
    if (limit >= 0 && n > static_cast<std::uint32_t>(limit)) {
      Report(out, "R9", EnverPath(b, e) + "/rev", std::move(subject), enver.rev.str(),
             "origin " + Quote(origin_ref.str()) + " allows " + std::to_string(limit) +
                 " clones; this is clone " + std::to_string(n));
    }
  }

  static void CheckSame(size_t b, size_t e, std::string_view field, const std::string& mine,
                        const std::string& theirs, const std::string& subject, const RevRef& origin,
                        std::vector<Violation>* out) {
    if (mine == theirs) return;
    Report(out, "R9", EnverPath(b, e) + "/" + std::string(field), subject, mine,
           "clone " + std::string(field) + " " + Quote(mine) + " differs from origin " +
               Quote(origin.str()) + "'s " + Quote(theirs));
  }

  const Graph& graph_;
  std::vector<std::uint32_t> clones_of_;  // live clones counted so far, per origin enver
};

}  // namespace

void CheckSingletons(const RuleInput& in, std::vector<Violation>* out) {
  CheckSingletonBuilds(in.org, out);
  for (size_t b = 0; b < in.org.builds.size(); ++b) {
    if (IsSingletonKind(in.org.builds[b].kind)) CheckSingletonEnvers(b, in.org.builds[b], out);
  }
}

void CheckClones(const RuleInput& in, std::vector<Violation>* out) {
  CloneChecker checker(in.graph);
  for (size_t b = 0; b < in.org.builds.size(); ++b) {
    for (size_t e = 0; e < in.org.builds[b].envers.size(); ++e) {
      checker.Check(b, e, in.org.builds[b], out);
    }
  }
}

void CheckAccounts(const RuleInput& in, std::vector<Violation>* out) {
  const Org& org = in.org;
  CheckAccountList(org, out);
  std::vector<std::string> account_names;
  std::unordered_set<std::string_view> accounts;
  for (const Account& a : org.accounts) {
    account_names.push_back(a.name);
    accounts.insert(a.name);
  }
  SuggestionBudget budget;
  if (!accounts.contains(org.central_account)) {
    Report(out, "R11", "/centralAccount", OrgSubject(org), org.central_account,
           "central account " + Quote(org.central_account) + " is not declared" +
               budget.DidYouMean(org.central_account, account_names));
  }
  std::unordered_set<std::string_view> contracts_regions, reported_regions;
  for (const Build& build : org.builds) {
    if (build.kind != BuildKind::kContracts) continue;
    for (const Enver& enver : build.envers) contracts_regions.insert(enver.region);
  }
  // Neighbouring envers mostly share their account and region: each is looked up only when
  // it differs from the previous enver's (its problem, if any, is reported per enver).
  const std::string* known_account = nullptr;  // declared, as the previous enver's
  const std::string* known_region = nullptr;   // hosts a contracts enver, as the previous's
  for (size_t b = 0; b < org.builds.size(); ++b) {
    const Build& build = org.builds[b];
    for (size_t e = 0; e < build.envers.size(); ++e) {
      const Enver& enver = build.envers[e];
      if (known_account == nullptr || *known_account != enver.account) {
        known_account = accounts.contains(enver.account) ? &enver.account : nullptr;
      }
      if (known_region == nullptr || *known_region != enver.region) {
        known_region = contracts_regions.contains(enver.region) ? &enver.region : nullptr;
      }
      if (known_account == nullptr) {
        Report(out, "R11", EnverPath(b, e) + "/account", EnverSubject(build, enver), enver.account,
               "names unknown account " + Quote(enver.account) +
                   budget.DidYouMean(enver.account, account_names));
      }
      if (known_region == nullptr && reported_regions.insert(enver.region).second) {
        Report(out, "R11", EnverPath(b, e) + "/region", EnverSubject(build, enver), enver.region,
               "region " + Quote(enver.region) + " hosts envers but has no contracts enver");
      }
    }
  }
}

void CheckHasEnvers(const RuleInput& in, std::vector<Violation>* out) {
  for (size_t b = 0; b < in.org.builds.size(); ++b) {
    const Build& build = in.org.builds[b];
    if (!build.envers.empty()) continue;
    Report(out, "R12", BuildPath(b) + "/envers", BuildSubject(build), "",
           "build " + Quote(build.id) + " declares no envers");
  }
}

// The original ondemandenv defines its networking build (githubRepos.__networking) and the
// account it deploys to (accounts.networking) together or not at all, and refuses one
// without the other (OndemandContracts.initializeBuilds); an org ported from it keeps that.
void CheckNetworking(const RuleInput& in, std::vector<Violation>* out) {
  const Org& org = in.org;
  std::optional<size_t> account;
  for (size_t a = 0; a < org.accounts.size() && !account; ++a) {
    if (org.accounts[a].name == kNetworkingAccount) account = a;
  }
  bool has_build = false;
  for (size_t b = 0; b < org.builds.size(); ++b) {
    const Build& build = org.builds[b];
    if (build.kind != BuildKind::kNetworking) continue;
    has_build = true;
    if (account) continue;
    Report(out, "R13", BuildPath(b) + "/kind", BuildSubject(build), "networking",
           "a build of kind \"networking\" needs the account \"networking\", which is not "
           "declared: add {\"name\": \"networking\", \"id\": \"<12 digits>\"} to /accounts (the "
           "networking build and the networking account are declared together or not at all)");
  }
  if (!account || has_build) return;
  Report(out, "R13", "/accounts/" + std::to_string(*account) + "/name",
         AccountSubject(org.accounts[*account]), org.accounts[*account].name,
         "account \"networking\" is declared but no build is of kind \"networking\": add the "
         "networking build to /builds or remove the account (the networking build and the "
         "networking account are declared together or not at all)");
}

}  // namespace odmd::model::rules
