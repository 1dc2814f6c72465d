// The fast path of manifest reading: one forward pass of simdjson's parser (its compact tape, the
// fastest kernel the CPU has, chosen at run time) and one walk build the Org. It reads only what it
// can read without a doubt: a well-formed manifest of known fields, each once, of the right
// type. At the first thing it is not sure of (a syntax error, an unknown or repeated key, a
// wrong type, an unknown kind, an integer written as 20.0, a rev that does not parse, ...)
// it gives up, and ReadManifest reads the text again with the exact reader, which reports
// every problem with its JSON Pointer. So a manifest's violations come from one reader only,
// and the fast path needs to be right about one thing: when it succeeds, the Org is the one
// the exact reader builds (manifest_fast_read_test and the fuzzer compare the two).

#include <simdjson.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "config_internal.h"
#include "manifest_reader.h"
#include "odmd/model/manifest.h"
#include "odmd/model/strict_json.h"

namespace odmd::model::internal {
namespace {

namespace dom = simdjson::dom;

// Field bits, one per known member of an object, to catch a repeated or missing member.
using Seen = std::uint32_t;

class FastReader {
 public:
  std::optional<FastManifest> Read(std::string_view text, bool padded);

 private:
  // Each returns false when the fast path must give up.
  bool Root(dom::object root, FastManifest* out);
  bool Accounts(dom::element v, std::vector<Account>* accounts);
  bool Builds(dom::element v, std::vector<Build>* builds);
  bool ReadBuild(dom::object obj, Build* build);
  bool ReadRepo(dom::element v, Repo* repo);
  bool Envers(dom::element v, Build* build, std::vector<bool>* explicit_ephemeral);
  bool ReadEnver(dom::object obj, Enver* enver, bool* explicit_ephemeral);
  bool Stacks(dom::element v, std::vector<std::string>* stacks);
  bool Products(dom::element v, std::vector<Product>* products);
  bool Consumers(dom::element v, std::vector<Consumer>* consumers);
  bool ReadConsumer(dom::object obj, Consumer* consumer);

  // Marks `bit` seen; false if it already was (a repeated key).
  static bool Mark(Seen* seen, Seen bit) {
    if ((*seen & bit) != 0) return false;
    *seen |= bit;
    return true;
  }
  static bool String(dom::element v, std::string* out);
  static bool String(dom::element v, SharedText* out);
  static bool Integer(dom::element v, std::int64_t min, std::int64_t max, std::int64_t* out);
  static bool Bool(dom::element v, bool* out);
  // A config object as its canonical text ("" for {}), exactly as the exact reader keeps it.
  static bool Config(dom::element v, std::string* out);
};

bool FastReader::String(dom::element v, std::string* out) {
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) return false;
  out->assign(s);
  return true;
}

bool FastReader::String(dom::element v, SharedText* out) {
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) return false;
  *out = SharedText(s);
  return true;
}

bool FastReader::Integer(dom::element v, std::int64_t min, std::int64_t max, std::int64_t* out) {
  // get_int64 refuses 20.0 and values past int64: the exact reader's business.
  std::int64_t i = 0;
  if (v.get_int64().get(i) != simdjson::SUCCESS || i < min || i > max) return false;
  *out = i;
  return true;
}

bool FastReader::Bool(dom::element v, bool* out) {
  return v.get_bool().get(*out) == simdjson::SUCCESS;
}

bool FastReader::Config(dom::element v, std::string* out) {
  if (!v.is_object()) return false;
  // Configs are small: the same strict parse, checks and dump as the exact reader, on the
  // element's text (simdjson writes numbers so that they read back to the same value; a
  // repeated key is written twice, so the strict parse refuses it).
  StrictJson parsed = ParseStrictJson(simdjson::minify(v));
  if (!parsed.value || !parsed.value->is_object()) return false;
  if (!CheckConfigJson(*parsed.value).empty()) return false;
  if (!parsed.value->empty()) {
    *out = parsed.value->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return true;
}

std::optional<FastManifest> FastReader::Read(std::string_view text, bool padded) {
  static_assert(kManifestReadPadding >= simdjson::SIMDJSON_PADDING);
  dom::parser parser;
  dom::element doc;
  // The whole text is checked here (syntax, UTF-8, trailing content) before the walk; a
  // text without padding is copied into a padded buffer first.
  if (parser.parse(text.data(), text.size(), /*realloc_if_needed=*/!padded).get(doc) !=
      simdjson::SUCCESS) {
    return std::nullopt;
  }
  dom::object root;
  if (doc.get_object().get(root) != simdjson::SUCCESS) return std::nullopt;
  FastManifest out;
  if (!Root(root, &out)) return std::nullopt;
  return out;
}

bool FastReader::Root(dom::object root, FastManifest* out) {
  enum : Seen {
    kSchema = 1,
    kOrg = 2,
    kVersion = 4,
    kDigest = 8,
    kCentral = 16,
    kAccounts = 32,
    kBuilds = 64
  };
  Seen seen = 0;
  Org& org = out->org;
  for (dom::key_value_pair member : root) {
    std::string_view key = member.key;
    dom::element v = member.value;
    if (key == "builds") {
      if (!Mark(&seen, kBuilds) || !Builds(v, &org.builds)) return false;
    } else if (key == "accounts") {
      if (!Mark(&seen, kAccounts) || !Accounts(v, &org.accounts)) return false;
    } else if (key == "schema") {
      std::string schema;
      if (!Mark(&seen, kSchema) || !String(v, &schema) || schema != kManifestSchema) return false;
    } else if (key == "org") {
      if (!Mark(&seen, kOrg) || !String(v, &org.name)) return false;
    } else if (key == "version") {
      if (!Mark(&seen, kVersion) || !String(v, &org.version) || !IsSemVer(org.version)) {
        return false;
      }
    } else if (key == "digest") {
      std::string digest;
      if (!Mark(&seen, kDigest) || !String(v, &digest)) return false;
      out->digest = std::move(digest);
    } else if (key == "centralAccount") {
      if (!Mark(&seen, kCentral) || !String(v, &org.central_account)) return false;
    } else {
      return false;
    }
  }
  constexpr Seen kRequired = kSchema | kOrg | kVersion | kAccounts | kBuilds;
  return (seen & kRequired) == kRequired;
}

bool FastReader::Accounts(dom::element v, std::vector<Account>* accounts) {
  dom::array array;
  if (v.get_array().get(array) != simdjson::SUCCESS) return false;
  accounts->reserve(array.size());
  for (dom::element element : array) {
    dom::object obj;
    if (element.get_object().get(obj) != simdjson::SUCCESS) return false;
    Account& account = accounts->emplace_back();
    Seen seen = 0;
    for (dom::key_value_pair member : obj) {
      std::string_view key = member.key;
      if (key == "name") {
        if (!Mark(&seen, 1) || !String(member.value, &account.name)) return false;
      } else if (key == "id") {
        if (!Mark(&seen, 2) || !String(member.value, &account.id)) return false;
      } else {
        return false;
      }
    }
    if (seen != 3) return false;
  }
  return true;
}

bool FastReader::Builds(dom::element v, std::vector<Build>* builds) {
  dom::array array;
  if (v.get_array().get(array) != simdjson::SUCCESS) return false;
  builds->reserve(array.size());
  for (dom::element element : array) {
    dom::object obj;
    if (element.get_object().get(obj) != simdjson::SUCCESS) return false;
    if (!ReadBuild(obj, &builds->emplace_back())) return false;
  }
  return true;
}

bool FastReader::ReadBuild(dom::object obj, Build* build) {
  enum : Seen {
    kId = 1,
    kKind = 2,
    kRepo = 4,
    kOverview = 8,
    kContext = 16,
    kConfig = 32,
    kEnvers = 64
  };
  Seen seen = 0;
  // An enver's "ephemeral" defaults by the build's kind, which may come after "envers".
  std::vector<bool> explicit_ephemeral;
  for (dom::key_value_pair member : obj) {
    std::string_view key = member.key;
    dom::element v = member.value;
    if (key == "envers") {
      if (!Mark(&seen, kEnvers) || !Envers(v, build, &explicit_ephemeral)) return false;
    } else if (key == "id") {
      if (!Mark(&seen, kId) || !String(v, &build->id)) return false;
    } else if (key == "kind") {
      std::string kind;
      if (!Mark(&seen, kKind) || !String(v, &kind)) return false;
      std::optional<BuildKind> parsed = ParseBuildKind(kind);
      if (!parsed) return false;
      build->kind = *parsed;
    } else if (key == "repo") {
      if (!Mark(&seen, kRepo) || !ReadRepo(v, &build->repo)) return false;
    } else if (key == "serviceOverviewMd") {
      if (!Mark(&seen, kOverview) || !String(v, &build->service_overview_md.emplace())) {
        return false;
      }
    } else if (key == "serviceContextMd") {
      if (!Mark(&seen, kContext) || !String(v, &build->service_context_md.emplace())) {
        return false;
      }
    } else if (key == "config") {
      if (!Mark(&seen, kConfig) || !Config(v, &build->config)) return false;
    } else {
      return false;
    }
  }
  constexpr Seen kRequired = kId | kKind | kRepo | kEnvers;
  if ((seen & kRequired) != kRequired) return false;
  for (size_t i = 0; i < build->envers.size(); ++i) {
    if (!explicit_ephemeral[i]) build->envers[i].ephemeral = DefaultEphemeral(build->kind);
  }
  return true;
}

bool FastReader::ReadRepo(dom::element v, Repo* repo) {
  dom::object obj;
  if (v.get_object().get(obj) != simdjson::SUCCESS) return false;
  Seen seen = 0;
  for (dom::key_value_pair member : obj) {
    std::string_view key = member.key;
    if (key == "owner") {
      if (!Mark(&seen, 1) || !String(member.value, &repo->owner)) return false;
    } else if (key == "name") {
      if (!Mark(&seen, 2) || !String(member.value, &repo->name)) return false;
    } else if (key == "installationId") {
      if (!Mark(&seen, 4) ||
          !Integer(member.value, std::numeric_limits<std::int64_t>::min(),
                   std::numeric_limits<std::int64_t>::max(), &repo->installation_id)) {
        return false;
      }
    } else {
      return false;
    }
  }
  return (seen & 3) == 3;
}

bool FastReader::Envers(dom::element v, Build* build, std::vector<bool>* explicit_ephemeral) {
  dom::array array;
  if (v.get_array().get(array) != simdjson::SUCCESS) return false;
  build->envers.reserve(array.size());
  explicit_ephemeral->reserve(array.size());
  for (dom::element element : array) {
    dom::object obj;
    if (element.get_object().get(obj) != simdjson::SUCCESS) return false;
    bool explicit_flag = false;
    if (!ReadEnver(obj, &build->envers.emplace_back(), &explicit_flag)) return false;
    explicit_ephemeral->push_back(explicit_flag);
  }
  return true;
}

bool FastReader::ReadEnver(dom::object obj, Enver* enver, bool* explicit_ephemeral) {
  enum : Seen {
    kRev = 1,
    kAccount = 2,
    kRegion = 4,
    kScript = 8,
    kWorkDir = 16,
    kEphemeral = 32,
    kCloneLimit = 64,
    kOverwrite = 128,
    kContextMd = 256,
    kStacks = 512,
    kConfig = 1024,
    kProducts = 2048,
    kConsumers = 4096
  };
  Seen seen = 0;
  std::string rev;
  for (dom::key_value_pair member : obj) {
    std::string_view key = member.key;
    dom::element v = member.value;
    bool ok = false;
    if (key == "consumers") {
      ok = Mark(&seen, kConsumers) && Consumers(v, &enver->consumers);
    } else if (key == "products") {
      ok = Mark(&seen, kProducts) && Products(v, &enver->products);
    } else if (key == "rev") {
      ok = Mark(&seen, kRev) && String(v, &rev);
    } else if (key == "account") {
      ok = Mark(&seen, kAccount) && String(v, &enver->account);
    } else if (key == "region") {
      ok = Mark(&seen, kRegion) && String(v, &enver->region);
    } else if (key == "buildScript") {
      ok = Mark(&seen, kScript) && String(v, &enver->build_script);
    } else if (key == "workDir") {
      ok = Mark(&seen, kWorkDir) && String(v, &enver->work_dir);
    } else if (key == "ephemeral") {
      ok = Mark(&seen, kEphemeral) && Bool(v, &enver->ephemeral);
    } else if (key == "cloneLimit") {
      std::int64_t limit = 0;
      ok = Mark(&seen, kCloneLimit) &&
           Integer(v, std::numeric_limits<int>::min(), std::numeric_limits<int>::max(), &limit);
      enver->clone_limit = static_cast<int>(limit);
    } else if (key == "overwriteWorkflow") {
      ok = Mark(&seen, kOverwrite) && Bool(v, &enver->overwrite_workflow);
    } else if (key == "enverContextMd") {
      ok = Mark(&seen, kContextMd) && String(v, &enver->enver_context_md.emplace());
    } else if (key == "stacks") {
      ok = Mark(&seen, kStacks) && Stacks(v, &enver->stacks);
    } else if (key == "config") {
      ok = Mark(&seen, kConfig) && Config(v, &enver->config);
    }
    if (!ok) return false;
  }
  constexpr Seen kRequired = kRev | kAccount | kRegion;
  if ((seen & kRequired) != kRequired) return false;
  Result<RevRef> parsed = RevRef::Parse(rev);
  if (!parsed.ok()) return false;
  enver->rev = *std::move(parsed);
  *explicit_ephemeral = (seen & kEphemeral) != 0;
  // A declared clone without "consumers" inherits its origin's (InheritCloneConsumers).
  if ((seen & kConsumers) == 0 && enver->rev.is_clone()) enver->inherits_consumers = true;
  return true;
}

bool FastReader::Stacks(dom::element v, std::vector<std::string>* stacks) {
  dom::array array;
  if (v.get_array().get(array) != simdjson::SUCCESS) return false;
  stacks->reserve(array.size());
  for (dom::element element : array) {
    if (!String(element, &stacks->emplace_back())) return false;
  }
  return true;
}

bool FastReader::Products(dom::element v, std::vector<Product>* products) {
  dom::array array;
  if (v.get_array().get(array) != simdjson::SUCCESS) return false;
  products->reserve(array.size());
  for (dom::element element : array) {
    dom::object obj;
    if (element.get_object().get(obj) != simdjson::SUCCESS) return false;
    Product& product = products->emplace_back();
    bool named = false;
    for (dom::key_value_pair member : obj) {
      std::string_view key = member.key;
      if (key != "name" || named || !String(member.value, &product.name)) return false;
      named = true;
    }
    if (!named) return false;
  }
  return true;
}

bool FastReader::Consumers(dom::element v, std::vector<Consumer>* consumers) {
  dom::array array;
  if (v.get_array().get(array) != simdjson::SUCCESS) return false;
  consumers->reserve(array.size());
  for (dom::element element : array) {
    dom::object obj;
    if (element.get_object().get(obj) != simdjson::SUCCESS) return false;
    if (!ReadConsumer(obj, &consumers->emplace_back())) return false;
  }
  return true;
}

bool FastReader::ReadConsumer(dom::object obj, Consumer* consumer) {
  enum : Seen { kName = 1, kProducer = 2, kProduct = 4, kPlaceholder = 8, kReaction = 16 };
  Seen seen = 0;
  for (dom::key_value_pair member : obj) {
    std::string_view key = member.key;
    dom::element v = member.value;
    bool ok = false;
    if (key == "name") {
      ok = Mark(&seen, kName) && String(v, &consumer->name);
    } else if (key == "producer") {
      ok = Mark(&seen, kProducer) && String(v, &consumer->producer);
    } else if (key == "product") {
      ok = Mark(&seen, kProduct) && String(v, &consumer->product);
    } else if (key == "reaction") {
      std::string_view reaction;
      ok = Mark(&seen, kReaction) && v.get_string().get(reaction) == simdjson::SUCCESS;
      std::optional<Reaction> parsed = ok ? ParseReaction(reaction) : std::nullopt;
      ok = parsed.has_value();
      if (ok) consumer->reaction = *parsed;
    } else if (key == "placeholder") {
      ok = Mark(&seen, kPlaceholder) && String(v, &consumer->placeholder.emplace());
    }
    if (!ok) return false;
  }
  constexpr Seen kRequired = kName | kProducer | kProduct;
  return (seen & kRequired) == kRequired;
}

}  // namespace

std::optional<FastManifest> ReadManifestFast(std::string_view text, bool padded) {
  return FastReader().Read(text, padded);
}

}  // namespace odmd::model::internal
