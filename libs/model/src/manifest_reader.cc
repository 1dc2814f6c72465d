#include "manifest_reader.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "config_internal.h"
#include "odmd/base/strings.h"
#include "odmd/model/manifest.h"
#include "rules_common.h"

namespace odmd::model::internal {
namespace {

using rules::DidYouMean;

using Json = nlohmann::json;

// The documented layout (docs/manifest.md); any other key is M2.
constexpr std::array<std::string_view, 7> kRootFields = {
    "schema", "org", "version", "digest", "centralAccount", "accounts", "builds"};
constexpr std::array<std::string_view, 2> kAccountFields = {"name", "id"};
constexpr std::array<std::string_view, 7> kBuildFields = {
    "id", "kind", "repo", "serviceOverviewMd", "serviceContextMd", "config", "envers"};
constexpr std::array<std::string_view, 3> kRepoFields = {"owner", "name", "installationId"};
constexpr std::array<std::string_view, 13> kEnverFields = {
    "rev",        "account",           "region",         "buildScript", "workDir", "ephemeral",
    "cloneLimit", "overwriteWorkflow", "enverContextMd", "stacks",      "config",  "products",
    "consumers"};
constexpr std::array<std::string_view, 1> kProductFields = {"name"};
constexpr std::array<std::string_view, 5> kConsumerFields = {"name", "producer", "product",
                                                             "placeholder", "reaction"};

std::vector<std::string_view> KindNames() {
  std::vector<std::string_view> names;
  for (BuildKind k : {BuildKind::kContracts, BuildKind::kCdk, BuildKind::kImage, BuildKind::kCmd,
                      BuildKind::kNetworking, BuildKind::kEksCluster, BuildKind::kUserAuth}) {
    names.push_back(BuildKindName(k));
  }
  return names;
}

std::vector<std::string_view> ReactionNames() {
  std::vector<std::string_view> names;
  for (Reaction r : {Reaction::kRedeploy, Reaction::kNotify, Reaction::kIgnore}) {
    names.push_back(ReactionName(r));
  }
  return names;
}

// `j` as an integer in [min, max]. JSON has one number type, so 20.0 is the integer 20
// (as in JSON Schema); 3.5, 1e300 and out-of-range values are not integers here.
std::optional<std::int64_t> AsInteger(const Json& j, std::int64_t min, std::int64_t max) {
  if (j.is_number_unsigned()) {
    auto u = j.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(max)) return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (j.is_number_integer()) {
    auto v = j.get<std::int64_t>();
    if (v < min || v > max) return std::nullopt;
    return v;
  }
  if (!j.is_number_float()) return std::nullopt;
  double d = j.get<double>();
  // double(max) + 1 is exact for int and rounds to 2^63 for int64: both exclusive bounds.
  if (!std::isfinite(d) || d != std::trunc(d) || d < static_cast<double>(min) ||
      d >= static_cast<double>(max) + 1.0) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(d);
}

// The string member `key` of `j` if there is one; used to name an object in violations
// before it has been checked.
std::optional<std::string> PeekString(const Json& j, std::string_view key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

}  // namespace

ManifestReader::Scope::Scope(ManifestReader* r, std::string_view key)
    : r_(r), size_(r->path_.size()) {
  r_->path_ += '/';
  r_->path_ += JsonPointerEscape(key);
}

ManifestReader::Scope::Scope(ManifestReader* r, size_t index) : r_(r), size_(r->path_.size()) {
  r_->path_ += '/';
  r_->path_ += std::to_string(index);
}

void ManifestReader::Add(std::string_view rule, std::string_view key, std::string value,
                         std::string message) {
  if (rule != "M2" && rule != "M4" && rule != "M6") complete_ = false;
  std::string path = path_;
  if (!key.empty()) path += "/" + JsonPointerEscape(key);
  out_->push_back(Violation{std::string(rule), std::move(path), Subject(), std::move(value),
                            std::move(message)});
}

std::string ManifestReader::Subject() const {
  if (!build_id_) return "";
  if (!rev_) return "build " + Quote(*build_id_);
  std::string subject = "enver " + Quote(*build_id_ + "/" + *rev_);
  if (consumer_) subject += ": consumer " + Quote(*consumer_);
  return subject;
}

void ManifestReader::WrongType(const Json& j, std::string_view key, std::string_view expected) {
  // Scalars are short and valid UTF-8 (the parser checked), so they can be shown.
  std::string value;
  if (j.is_string()) {
    value = j.get<std::string>();
  } else if (!j.is_structured()) {
    value = j.dump();
  }
  Add("M3", key, std::move(value),
      "must be " + std::string(expected) + ", got " + std::string(j.type_name()));
}

bool ManifestReader::ExpectObject(const Json& j, Fields fields) {
  if (!j.is_object()) {
    WrongType(j, "", "an object");
    return false;
  }
  for (const auto& [key, value] : j.items()) {
    if (std::find(fields.begin(), fields.end(), key) != fields.end()) continue;
    Add("M2", key, key, "unknown field " + Quote(key) + DidYouMean(key, fields));
  }
  return true;
}

const ManifestReader::Json* ManifestReader::Member(const Json& obj, std::string_view key,
                                                   bool required) {
  auto it = obj.find(key);
  if (it != obj.end()) return &*it;
  if (required) Add("M3", key, "", "missing required field " + Quote(key));
  return nullptr;
}

void ManifestReader::ReadString(const Json& obj, std::string_view key, bool required,
                                std::string* value) {
  const Json* j = Member(obj, key, required);
  if (j == nullptr) return;
  if (!j->is_string()) return WrongType(*j, key, "a string");
  *value = j->get<std::string>();
}

void ManifestReader::ReadString(const Json& obj, std::string_view key, bool required,
                                SharedText* value) {
  const Json* j = Member(obj, key, required);
  if (j == nullptr) return;
  if (!j->is_string()) return WrongType(*j, key, "a string");
  *value = SharedText(j->get_ref<const std::string&>());
}

void ManifestReader::ReadOptionalString(const Json& obj, std::string_view key,
                                        std::optional<std::string>* value) {
  const Json* j = Member(obj, key, /*required=*/false);
  if (j == nullptr) return;
  if (!j->is_string()) return WrongType(*j, key, "a string");
  *value = j->get<std::string>();
}

void ManifestReader::ReadBool(const Json& obj, std::string_view key, bool* value) {
  const Json* j = Member(obj, key, /*required=*/false);
  if (j == nullptr) return;
  if (!j->is_boolean()) return WrongType(*j, key, "a boolean");
  *value = j->get<bool>();
}

void ManifestReader::ReadInteger(const Json& obj, std::string_view key, std::int64_t min,
                                 std::int64_t max, std::int64_t* value) {
  const Json* j = Member(obj, key, /*required=*/false);
  if (j == nullptr) return;
  std::optional<std::int64_t> v = AsInteger(*j, min, max);
  if (!v) {
    return WrongType(*j, key,
                     "an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  *value = *v;
}

const ManifestReader::Json* ManifestReader::ReadArray(const Json& obj, std::string_view key,
                                                      bool required) {
  const Json* j = Member(obj, key, required);
  if (j == nullptr) return nullptr;
  if (!j->is_array()) {
    WrongType(*j, key, "an array");
    return nullptr;
  }
  return j;
}

Org ManifestReader::Read(const Json& root) {
  Org org;
  if (!ExpectObject(root, kRootFields)) return org;
  ReadHeader(root, &org);
  if (const Json* accounts = ReadArray(root, "accounts", /*required=*/true)) {
    Scope scope(this, "accounts");
    for (size_t i = 0; i < accounts->size(); ++i) {
      Scope item(this, i);
      org.accounts.push_back(ReadAccount((*accounts)[i]));
    }
  }
  if (const Json* builds = ReadArray(root, "builds", /*required=*/true)) {
    Scope scope(this, "builds");
    for (size_t i = 0; i < builds->size(); ++i) {
      Scope item(this, i);
      org.builds.push_back(ReadBuild((*builds)[i]));
      build_id_.reset();
    }
  }
  return org;
}

void ManifestReader::ReadHeader(const Json& root, Org* org) {
  std::string schema(kManifestSchema);
  ReadString(root, "schema", /*required=*/true, &schema);
  if (schema != kManifestSchema) {
    Add("M6", "schema", schema,
        "unsupported schema " + Quote(schema) + "; this reader supports " + Quote(kManifestSchema));
  }
  ReadString(root, "org", /*required=*/true, &org->name);
  std::string version = "0.0.0";
  ReadString(root, "version", /*required=*/true, &version);
  if (!IsSemVer(version)) {
    Add("M4", "version", version,
        "version " + Quote(version) +
            " is not semantic versioning (MAJOR.MINOR.PATCH[-pre][+build])");
  }
  org->version = version;
  if (const Json* digest = Member(root, "digest", /*required=*/false)) {
    if (digest->is_string()) {
      digest_ = digest->get<std::string>();
    } else {
      WrongType(*digest, "digest", "a string");
    }
  }
  ReadString(root, "centralAccount", /*required=*/false, &org->central_account);
}

Account ManifestReader::ReadAccount(const Json& j) {
  Account account;
  if (!ExpectObject(j, kAccountFields)) return account;
  ReadString(j, "name", /*required=*/true, &account.name);
  ReadString(j, "id", /*required=*/true, &account.id);
  return account;
}

Build ManifestReader::ReadBuild(const Json& j) {
  Build build;
  build_id_ = PeekString(j, "id");
  if (!ExpectObject(j, kBuildFields)) return build;
  ReadString(j, "id", /*required=*/true, &build.id);
  ReadKind(j, &build);
  if (const Json* repo = Member(j, "repo", /*required=*/true)) {
    Scope scope(this, "repo");
    ReadRepo(*repo, &build.repo);
  }
  ReadOptionalString(j, "serviceOverviewMd", &build.service_overview_md);
  ReadOptionalString(j, "serviceContextMd", &build.service_context_md);
  ReadConfig(j, &build.config);
  if (const Json* envers = ReadArray(j, "envers", /*required=*/true)) {
    Scope scope(this, "envers");
    build.envers.reserve(envers->size());
    for (size_t i = 0; i < envers->size(); ++i) {
      Scope item(this, i);
      build.envers.push_back(ReadEnver((*envers)[i], build.kind));
      rev_.reset();
    }
  }
  return build;
}

void ManifestReader::ReadKind(const Json& j, Build* build) {
  std::string kind;
  const Json* k = Member(j, "kind", /*required=*/true);
  if (k == nullptr) return;
  if (!k->is_string()) return WrongType(*k, "kind", "a string");
  kind = k->get<std::string>();
  if (std::optional<BuildKind> parsed = ParseBuildKind(kind)) {
    build->kind = *parsed;
    return;
  }
  Add("M3", "kind", kind, "unknown build kind " + Quote(kind) + DidYouMean(kind, KindNames()));
}

void ManifestReader::ReadRepo(const Json& j, Repo* repo) {
  if (!ExpectObject(j, kRepoFields)) return;
  ReadString(j, "owner", /*required=*/true, &repo->owner);
  ReadString(j, "name", /*required=*/true, &repo->name);
  ReadInteger(j, "installationId", std::numeric_limits<std::int64_t>::min(),
              std::numeric_limits<std::int64_t>::max(), &repo->installation_id);
}

Enver ManifestReader::ReadEnver(const Json& j, BuildKind kind) {
  Enver enver;
  enver.ephemeral = DefaultEphemeral(kind);
  rev_ = PeekString(j, "rev");
  if (!ExpectObject(j, kEnverFields)) return enver;
  ReadRev(j, &enver);
  ReadString(j, "account", /*required=*/true, &enver.account);
  ReadString(j, "region", /*required=*/true, &enver.region);
  ReadEnverFlags(j, &enver);
  ReadStacks(j, &enver);
  ReadConfig(j, &enver.config);
  if (const Json* products = ReadArray(j, "products", /*required=*/false)) {
    Scope scope(this, "products");
    enver.products.reserve(products->size());
    for (size_t i = 0; i < products->size(); ++i) {
      Scope item(this, i);
      enver.products.push_back(ReadProduct((*products)[i]));
    }
  }
  if (const Json* consumers = ReadArray(j, "consumers", /*required=*/false)) {
    Scope scope(this, "consumers");
    enver.consumers.reserve(consumers->size());
    for (size_t i = 0; i < consumers->size(); ++i) {
      Scope item(this, i);
      enver.consumers.push_back(ReadConsumer((*consumers)[i]));
      consumer_.reset();
    }
  } else if (enver.rev.is_clone() && Member(j, "consumers", /*required=*/false) == nullptr) {
    enver.inherits_consumers = true;  // filled in by ReadManifest (InheritCloneConsumers)
  }
  return enver;
}

void ManifestReader::ReadRev(const Json& j, Enver* enver) {
  const Json* rev = Member(j, "rev", /*required=*/true);
  if (rev == nullptr) return;
  if (!rev->is_string()) return WrongType(*rev, "rev", "a string");
  std::string text = rev->get<std::string>();
  Result<RevRef> parsed = RevRef::Parse(text);
  if (!parsed.ok()) return Add("R2", "rev", text, parsed.status().message());
  enver->rev = *std::move(parsed);
}

void ManifestReader::ReadEnverFlags(const Json& j, Enver* enver) {
  ReadString(j, "buildScript", /*required=*/false, &enver->build_script);
  ReadString(j, "workDir", /*required=*/false, &enver->work_dir);
  ReadBool(j, "ephemeral", &enver->ephemeral);
  std::int64_t clone_limit = enver->clone_limit;
  ReadInteger(j, "cloneLimit", std::numeric_limits<int>::min(), std::numeric_limits<int>::max(),
              &clone_limit);
  enver->clone_limit = static_cast<int>(clone_limit);
  ReadBool(j, "overwriteWorkflow", &enver->overwrite_workflow);
  ReadOptionalString(j, "enverContextMd", &enver->enver_context_md);
}

void ManifestReader::ReadStacks(const Json& j, Enver* enver) {
  const Json* stacks = ReadArray(j, "stacks", /*required=*/false);
  if (stacks == nullptr) return;
  Scope scope(this, "stacks");
  enver->stacks.reserve(stacks->size());
  for (size_t i = 0; i < stacks->size(); ++i) {
    const Json& base = (*stacks)[i];
    if (!base.is_string()) {
      Scope item(this, i);
      WrongType(base, "", "a string");
      continue;
    }
    enver->stacks.push_back(base.get<std::string>());
  }
}

void ManifestReader::ReadConfig(const Json& j, std::string* config) {
  const Json* c = Member(j, "config", /*required=*/false);
  if (c == nullptr) return;
  if (!c->is_object()) return WrongType(*c, "config", "an object");
  // Rule R14 here, during the walk, rather than on the Org: a config nested too deep must
  // never be dumped (nlohmann recurses per level), and a manifest's problems come at once.
  std::vector<ConfigProblem> problems = CheckConfigJson(*c);
  if (!problems.empty()) {
    complete_ = false;  // the Org lacks this config, so its digest would not match
    for (ConfigProblem& p : problems) {
      out_->push_back(Violation{"R14", path_ + "/config" + p.pointer, Subject(), std::move(p.value),
                                std::move(p.message)});
    }
    return;
  }
  // nlohmann's objects are sorted maps, so dump() is the canonical text (config.h).
  if (!c->empty()) *config = c->dump(-1, ' ', false, Json::error_handler_t::replace);
}

Product ManifestReader::ReadProduct(const Json& j) {
  Product product;
  if (!ExpectObject(j, kProductFields)) return product;
  ReadString(j, "name", /*required=*/true, &product.name);
  return product;
}

Consumer ManifestReader::ReadConsumer(const Json& j) {
  Consumer consumer;
  consumer_ = PeekString(j, "name");
  if (!ExpectObject(j, kConsumerFields)) return consumer;
  ReadString(j, "name", /*required=*/true, &consumer.name);
  ReadString(j, "producer", /*required=*/true, &consumer.producer);
  ReadString(j, "product", /*required=*/true, &consumer.product);
  if (const Json* p = Member(j, "placeholder", /*required=*/false)) {
    if (p->is_string()) {
      consumer.placeholder = SharedText(p->get_ref<const std::string&>());
    } else {
      WrongType(*p, "placeholder", "a string");
    }
  }
  if (const Json* r = Member(j, "reaction", /*required=*/false)) {
    if (!r->is_string()) {
      WrongType(*r, "reaction", "a string");
    } else if (std::optional<Reaction> parsed = ParseReaction(r->get<std::string>())) {
      consumer.reaction = *parsed;
    } else {
      std::string reaction = r->get<std::string>();
      Add("M3", "reaction", reaction,
          "unknown reaction " + Quote(reaction) + DidYouMean(reaction, ReactionNames()));
    }
  }
  return consumer;
}

}  // namespace odmd::model::internal
