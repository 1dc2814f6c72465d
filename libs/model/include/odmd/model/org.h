#pragma once

// The plain data model of an organisation's contracts: what a contracts library declares
// and what a manifest carries. Plain structs, no invariants enforced on construction:
// Validate() (validate.h) checks rules R1-R14 and reports every violation at once.
//
// Authors normally build an Org through the typed API in contracts.h; the platform reads
// one from a manifest (manifest.h).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "odmd/model/rev_ref.h"
#include "odmd/model/shared_text.h"
#include "odmd/model/types.h"

namespace odmd::model {

// A named target account. `id` is the 12-digit AWS-style account id (rule R11).
struct Account {
  std::string name;
  std::string id;
  friend bool operator==(const Account&, const Account&) = default;
};

// A source repository hosted on GitHub (or a local repository registered with the
// platform under the same owner/name).
struct Repo {
  std::string owner;
  std::string name;
  // GitHub App installation id; 0 when unknown (local repositories).
  std::int64_t installation_id = 0;

  // "owner/name".
  std::string FullName() const { return owner + "/" + name; }
  friend bool operator==(const Repo&, const Repo&) = default;
};

// A named value an enver publishes. Its path is /odmd-share/<build>/<rev>/<name>; a name
// may have child parts separated by '/' (rule R10). A SharedText (shared_text.h), as a
// consumer's names: an org's envers mostly publish the same few names, and 8 bytes a product
// instead of 32 take a tenth off building an org of 10,000 builds.
struct Product {
  SharedText name;
  friend bool operator==(const Product&, const Product&) = default;
};

// An enver's named dependency on another enver's product. Its strings are SharedText
// (shared_text.h): 40 bytes a consumer, and consumers naming the same producer or product
// can share one copy of the name (an org of 10,000 builds has a million consumers).
struct Consumer {
  SharedText name;
  // Enver id "<build>/<rev>" of the producing enver.
  SharedText producer;
  // Product name on the producing enver.
  SharedText product;
  // Used while the producer has no value yet; the only way to break a cycle (rule R8).
  // [[no_unique_address]]: `reaction` goes in the padding after its has-value flag.
  [[no_unique_address]] OptionalText placeholder;
  Reaction reaction = Reaction::kRedeploy;

  friend bool operator==(const Consumer&, const Consumer&) = default;
};

// One deployable environment of a build: a branch or tag, a target account and region,
// what it produces and consumes, and per-enver flags.
struct Enver {
  RevRef rev;
  // Account name (see Org::accounts).
  std::string account;
  // AWS-style region name, e.g. "us-west-1".
  std::string region;
  std::vector<Product> products;
  std::vector<Consumer> consumers;
  // Script the deployment runs, relative to the work dir.
  std::string build_script = ".scripts/build.sh";
  // Directory inside the repo the build runs in; "" for the repo root.
  std::string work_dir;
  // (The flags and the clone limit are declared together, so that they share one word: an
  // Enver is 400 bytes, and a build's five envers fit jemalloc's 2 KiB size class, not the
  // next one of 2.5 KiB.)
  // Whether the enver's resources may be torn down freely (contracts builder sets the
  // kind default: DefaultEphemeral(kind)).
  bool ephemeral = true;
  // The original's overwriteGhWf. False (the default): the platform writes the generated
  // workflow where it is absent or still exactly as generated, and keeps a file the user
  // edited (gen::GeneratedFile::user_owned). True: the platform always replaces it.
  bool overwrite_workflow = false;
  // A clone the contracts declare ("b..master-_b..ta") without a "consumers" member
  // inherits its origin's consumers: they are copied in when the manifest is read, and the
  // manifest writer leaves them out again (so the text and digest stay as written).
  bool inherits_consumers = false;
  // Maximum number of live clones of this enver (rule R9).
  int clone_limit = 20;
  // Base names of the enver's CloudFormation stacks, in deployment order; each is the build
  // id or starts with "<build id>-" (rule R10), e.g. {"networking", "networking-share-nat"}.
  // Empty means the one stack named after the build (StackNames() in naming.h). Clones
  // inherit their origin's.
  std::vector<std::string> stacks;
  // The enver's own settings: canonical JSON text of an object (compact, keys sorted), ""
  // when none (config.h; rule R14 checks its shape). Its top-level keys win over the
  // build's in ODMD_config (EffectiveConfig). Clones inherit their origin's. (The `{}`
  // lets positional aggregate initializers written before it leave it out.)
  std::string config{};
  // Path of the Markdown file describing this enver (the original's enverContextMD),
  // relative to the repository root; nullopt: the default (docs.h, rule R14). Clones
  // inherit their origin's.
  std::optional<std::string> enver_context_md{};

  friend bool operator==(const Enver&, const Enver&) = default;
};

// A source repo plus how it is built; owns its envers.
struct Build {
  std::string id;
  BuildKind kind = BuildKind::kCmd;
  Repo repo;
  std::vector<Enver> envers;
  // Settings every enver of the build shares, as Enver::config; "" when none.
  std::string config{};
  // Paths of the Markdown files describing the build (the original's serviceOverviewMD and
  // serviceContextMD), relative to the repository root; nullopt: the default (docs.h).
  std::optional<std::string> service_overview_md{};
  std::optional<std::string> service_context_md{};

  friend bool operator==(const Build&, const Build&) = default;
};

// One organisation's contracts.
struct Org {
  // Organisation name, e.g. "sandbox".
  std::string name;
  // Semantic version of the contracts (manifest version), e.g. "1.2.0".
  std::string version;
  // Name of the central account (where the platform runs); must be in `accounts`.
  std::string central_account = "central";
  std::vector<Account> accounts;
  std::vector<Build> builds;

  // Linear lookups, for tools and tests. Hot paths use Graph (graph.h) instead.
  const Account* FindAccount(std::string_view name) const;
  const Build* FindBuild(std::string_view id) const;
  Build* FindBuild(std::string_view id);

  friend bool operator==(const Org&, const Org&) = default;
};

// Sorts accounts by name, builds by id, envers by rev, products and consumers by name, so
// that equal contracts compare and serialise identically whatever the declaration order.
// An enver's stacks keep their order (it is the deployment order); a stack list that is
// exactly the default ({build id}) becomes empty. Configs become canonical text
// (CanonicalConfig in config.h: an empty object becomes "").
void Canonicalize(Org& org);

// Gives every declared clone marked inherits_consumers its origin's consumers (ReadManifest
// and Contracts::Finish do). An origin that is missing or itself a clone is rule R9's to
// report; nothing is copied then.
void InheritCloneConsumers(Org& org);

// Splits an enver id "<build>/<rev>" into its parts; nullopt if there is no '/'.
std::optional<std::pair<std::string_view, std::string_view>> SplitEnverId(std::string_view id);

}  // namespace odmd::model
