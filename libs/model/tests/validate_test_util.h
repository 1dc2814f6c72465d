#pragma once

// Shared by the validation and manifest tests: a small valid org whose shape is visible on
// one screen, and a matcher for one violation.
//
//   /accounts/0  central     111111111111
//   /accounts/1  workspace1  333333333333
//   /builds/0    contracts   (contracts)  b..main  central     us-west-1
//   /builds/1    foundation  (cdk)        b..main  workspace1  us-west-1  products eventBusArn, vpc
//                                         t..v1    workspace1  us-west-1  products eventBusArn
//   /builds/2    orderSvc    (cdk)        b..main  workspace1  us-west-1
//                  consumers/0 bus -> foundation/b..main eventBusArn
//                  product apiBaseUrl

#include <gmock/gmock.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "odmd/model/org.h"
#include "odmd/model/violation.h"

namespace odmd::model::fixtures {

inline Enver MakeEnver(RevRef rev, std::string account, std::string region = "us-west-1") {
  Enver e;
  e.rev = std::move(rev);
  e.account = std::move(account);
  e.region = std::move(region);
  return e;
}

inline Consumer MakeConsumer(std::string name, std::string producer, std::string product) {
  Consumer c;
  c.name = std::move(name);
  c.producer = std::move(producer);
  c.product = std::move(product);
  return c;
}

inline Build MakeBuild(std::string id, BuildKind kind) {
  Build b;
  b.repo = Repo{"acme", id + "-repo", 42};
  b.id = std::move(id);
  b.kind = kind;
  return b;
}

inline Org ValidOrg() {
  Org org;
  org.name = "sandbox";
  org.version = "1.0.0";
  org.accounts = {{"central", "111111111111"}, {"workspace1", "333333333333"}};

  Build contracts = MakeBuild("contracts", BuildKind::kContracts);
  contracts.envers.push_back(MakeEnver(RevRef::Branch("main"), "central"));
  contracts.envers[0].products.push_back({"contractsLibLatest"});
  contracts.envers[0].ephemeral = false;

  Build foundation = MakeBuild("foundation", BuildKind::kCdk);
  foundation.envers.push_back(MakeEnver(RevRef::Branch("main"), "workspace1"));
  foundation.envers[0].products = {{"eventBusArn"}, {"vpc"}};
  foundation.envers.push_back(MakeEnver(RevRef::Tag("v1"), "workspace1"));
  foundation.envers[1].products = {{"eventBusArn"}};

  Build order = MakeBuild("orderSvc", BuildKind::kCdk);
  order.envers.push_back(MakeEnver(RevRef::Branch("main"), "workspace1"));
  order.envers[0].consumers.push_back(MakeConsumer("bus", "foundation/b..main", "eventBusArn"));
  order.envers[0].products.push_back({"apiBaseUrl"});

  org.builds = {contracts, foundation, order};
  return org;
}

// ValidOrg with every member the format has: configs, doc paths, stacks, placeholders,
// reactions, a tag, a declared clone inheriting consumers and one declaring none.
inline Org RichOrg() {
  Org org = ValidOrg();
  Build& order = *org.FindBuild("orderSvc");
  order.config = R"({"n":1.5,"nested":{"list":[1,"two",null,true]},"big":18446744073709551615})";
  order.service_overview_md = "docs/overview.md";
  order.service_context_md = "docs/context.md";
  Enver& main = order.envers[0];
  main.config = R"({"tier":"gold","label":"\u00e9t\u00e9 \ud83d\ude00"})";
  main.enver_context_md = "docs/main.md";
  main.stacks = {"orderSvc", "orderSvc-db"};
  main.clone_limit = 7;
  main.overwrite_workflow = true;
  main.build_script = "ci/build.sh";
  main.work_dir = "svc";
  main.consumers[0].placeholder = "arn:placeholder";
  main.consumers[0].reaction = Reaction::kNotify;
  const Enver origin = main;  // push_back below moves `main`
  Enver clone = origin;
  clone.rev = *RevRef::Parse("b..main-_b..ta");
  clone.inherits_consumers = true;
  order.envers.push_back(clone);
  Enver bare = origin;
  bare.rev = *RevRef::Parse("b..main-_b..tb");
  bare.consumers.clear();
  order.envers.push_back(bare);
  org.builds[1].repo.installation_id = -42;
  return org;
}

// The violations of one rule, in order.
inline std::vector<Violation> OfRule(const std::vector<Violation>& all, std::string_view rule) {
  std::vector<Violation> out;
  for (const Violation& v : all) {
    if (v.rule == rule) out.push_back(v);
  }
  return out;
}

inline ::testing::Matcher<const Violation&> IsViolation(const std::string& rule,
                                                        const std::string& path,
                                                        const std::string& value) {
  using ::testing::Field;
  return ::testing::AllOf(Field("rule", &Violation::rule, rule),
                          Field("path", &Violation::path, path),
                          Field("value", &Violation::value, value));
}

// One random edit of non-empty `text`, as a fuzzer would make: flip a byte, drop up to 8
// bytes, or repeat up to 16.
inline void MutateOnce(std::string& text, std::mt19937& rng) {
  size_t at = rng() % text.size();
  switch (rng() % 3) {
    case 0:
      text[at] = static_cast<char>(rng());
      break;
    case 1:
      text.erase(at, 1 + rng() % 8);
      break;
    default:
      text.insert(at, text.substr(at, 1 + rng() % 16));
  }
}

}  // namespace odmd::model::fixtures
