#pragma once

// The contracts base: the typed C++ API an organisation's contracts library is written
// against. A contracts library declares accounts, repos, builds, envers, products and
// consumers, runs its own unit tests, and prints its manifest (see manifest.h):
//
//   odmd::model::Contracts c("sandbox", "1.0.0");
//   auto central = c.AddAccount("central", "111111111111");
//   auto ws1 = c.AddAccount("workspace1", "333333333333");
//   auto repo = c.AddRepo("ondemandenv", "coffee-shop--foundation", 4242);
//   auto foundation = c.AddBuild("coffeeShopFoundation", BuildKind::kCdk, repo);
//   auto found_main = foundation.Branch("main", ws1, "us-west-1");
//   auto bus = found_main.Produces("eventBusArn");
//   ...
//   order_main.Consumes("eventBus", bus).OnChange(Reaction::kNotify);
//   std::vector<Violation> problems = c.Validate();   // every rule, all at once
//   std::string manifest = WriteManifest(c.Finish());
//
// Immutability is checked at compile time where it can be: an enver handle and a product
// handle carry the RevType of their enver, and a tag enver consuming a branch enver's
// product does not compile (rule R3). Everything else is checked by Validate(), which
// runs the same rules the platform runs on every manifest.
//
// Handles (AccountRef, RepoRef, BuildRef, EnverRef, ProductRef, ConsumerRef) are small
// values that point back into their Contracts; they must not outlive it. Not thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "odmd/model/org.h"
#include "odmd/model/types.h"
#include "odmd/model/violation.h"

namespace odmd::model {

class Contracts;

// A declared account, by name.
struct AccountRef {
  std::string name;
};

// A declared repository.
struct RepoRef {
  Repo repo;
};

// A product of an enver whose rev type is `kType`, usable as a consumer's target.
template <RevType kType>
class ProductRef {
 public:
  // Enver id "<build>/<rev>" of the producer.
  const std::string& enver_id() const { return enver_id_; }
  const std::string& name() const { return name_; }

 private:
  friend class Contracts;
  template <RevType>
  friend class EnverRef;
  ProductRef(std::string enver_id, std::string name)
      : enver_id_(std::move(enver_id)), name_(std::move(name)) {}
  std::string enver_id_;
  std::string name_;
};

// A declared consumer; set its placeholder and reaction fluently.
class ConsumerRef {
 public:
  // The value used while the producer has none yet (breaks cycles, rule R8).
  ConsumerRef& Placeholder(std::string value);
  // What happens when the consumed product changes (default Reaction::kRedeploy).
  ConsumerRef& OnChange(Reaction reaction);

 private:
  friend class Contracts;
  template <RevType>
  friend class EnverRef;
  ConsumerRef(Contracts* c, size_t build, size_t enver, size_t consumer)
      : c_(c), build_(build), enver_(enver), consumer_(consumer) {}
  Consumer& consumer();
  Contracts* c_;
  size_t build_, enver_, consumer_;
};

// A declared enver whose rev type is `kType`.
template <RevType kType>
class EnverRef {
 public:
  // Declares a product of this enver and returns a handle other envers consume.
  ProductRef<kType> Produces(std::string name);

  // Declares that this enver consumes `product` under the consumer name `name`.
  // A tag enver may consume only products of tag envers (rule R3): the mismatch is a
  // compile error.
  template <RevType kProducer>
  ConsumerRef Consumes(std::string name, const ProductRef<kProducer>& product) {
    static_assert(kType == RevType::kBranch || kProducer == RevType::kTag,
                  "rule R3: a tag (immutable) enver may consume only products of tag envers");
    return AddConsumer(std::move(name), product.enver_id(), product.name());
  }

  // Per-enver flags (see Enver in org.h for defaults).
  EnverRef& BuildScript(std::string path);
  EnverRef& WorkDir(std::string dir);
  EnverRef& Ephemeral(bool ephemeral);
  EnverRef& CloneLimit(int limit);
  EnverRef& OverwriteWorkflow(bool overwrite);
  // The enver's CloudFormation stacks by base name, in deployment order (Enver::stacks),
  // e.g. Stacks({"networking", "networking-share-nat"}); clones inherit them.
  EnverRef& Stacks(std::vector<std::string> bases);
  // The enver's own settings as JSON text of an object, e.g. R"({"cluster": "blue"})"
  // (Enver::config, config.h; rule R14 checks its shape); clones inherit it.
  EnverRef& Config(std::string json);
  // The Markdown file describing this enver, relative to the repository root
  // (Enver::enver_context_md, docs.h; rule R14); clones inherit it.
  EnverRef& EnverContextMd(std::string path);

  // "<build>/<rev>".
  std::string id() const;

 private:
  friend class BuildRef;
  EnverRef(Contracts* c, size_t build, size_t enver) : c_(c), build_(build), enver_(enver) {}
  ConsumerRef AddConsumer(std::string name, std::string producer, std::string product);
  Enver& enver();
  Contracts* c_;
  size_t build_, enver_;
};

using BranchEnverRef = EnverRef<RevType::kBranch>;
using TagEnverRef = EnverRef<RevType::kTag>;

// A declared build.
class BuildRef {
 public:
  // Declares an enver on branch `branch` (the value, e.g. "main") in `account`/`region`.
  BranchEnverRef Branch(std::string branch, const AccountRef& account, std::string region);
  // Declares an enver on tag `tag` (e.g. "v1.0.0").
  TagEnverRef Tag(std::string tag, const AccountRef& account, std::string region);
  // Declares a clone of `origin`, a static enver of this build, on branch `branch`: rev
  // "<origin rev>-_b..<branch>" with the origin's account, region, flags and products. It
  // counts toward the origin's clone limit (rule R9), and until it declares a consumer it
  // consumes what its origin consumes (Enver::inherits_consumers).
  template <RevType kType>
  EnverRef<kType> Clone(const EnverRef<kType>& origin, std::string branch) {
    return EnverRef<kType>(c_, build_, AddClone(origin.build_, origin.enver_, std::move(branch)));
  }
  // Settings every enver of the build shares (Build::config); an enver's keys win.
  BuildRef& Config(std::string json);
  // The Markdown files describing the build, relative to the repository root
  // (Build::service_overview_md, Build::service_context_md, docs.h; rule R14).
  BuildRef& ServiceOverviewMd(std::string path);
  BuildRef& ServiceContextMd(std::string path);

  const std::string& id() const;

 private:
  friend class Contracts;
  BuildRef(Contracts* c, size_t build) : c_(c), build_(build) {}
  size_t AddClone(size_t origin_build, size_t origin_enver, std::string branch);
  Contracts* c_;
  size_t build_;
};

// The root of a contracts library: owns the Org being declared.
class Contracts {
 public:
  // `version` is the contracts' semantic version, e.g. "1.0.0".
  Contracts(std::string org_name, std::string version);

  // Declares an account (name -> 12-digit id). The account named "central" is the central
  // account unless SetCentral() names another.
  AccountRef AddAccount(std::string name, std::string id);
  void SetCentral(const AccountRef& account);
  RepoRef AddRepo(std::string owner, std::string name, std::int64_t installation_id);
  BuildRef AddBuild(std::string id, BuildKind kind, const RepoRef& repo);

  // The org as declared so far, in declaration order.
  const Org& org() const { return org_; }
  // A canonicalized copy (see Canonicalize), the form manifests are written from.
  Org Finish() const;
  // Every violation of rules R1-R14 in Finish(), at once; empty when valid.
  std::vector<Violation> Validate() const;

 private:
  template <RevType>
  friend class EnverRef;
  friend class BuildRef;
  friend class ConsumerRef;
  Org org_;
};

extern template class EnverRef<RevType::kBranch>;
extern template class EnverRef<RevType::kTag>;

}  // namespace odmd::model
