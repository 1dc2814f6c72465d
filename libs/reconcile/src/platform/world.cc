#include "world.h"

#include <algorithm>
#include <utility>

#include "odmd/base/strings.h"
#include "odmd/model/clone.h"
#include "odmd/model/manifest.h"
#include "odmd/model/naming.h"

namespace odmd::reconcile {

nlohmann::json CloneRecordJson(const CloneRecord& record) {
  nlohmann::json j = {{"origin", record.origin},
                      {"git_ref", record.git_ref},
                      {"created_at_ms", record.created_at_ms}};
  if (!record.sha.empty()) j["sha"] = record.sha;
  return j;
}

Result<CloneRecord> ParseCloneRecord(std::string_view key, std::string_view value) {
  auto bad = [&](std::string_view why) {
    return FailedPreconditionError("clone record " + Quote(key) +
                                   " is malformed: " + std::string(why));
  };
  nlohmann::json j = nlohmann::json::parse(value, nullptr, false);
  if (!j.is_object()) return bad("not a JSON object");
  auto origin = j.find("origin");
  auto ref = j.find("git_ref");
  if (origin == j.end() || !origin->is_string()) return bad("\"origin\" is not a string");
  if (ref == j.end() || !ref->is_string()) return bad("\"git_ref\" is not a string");
  CloneRecord record;
  std::string_view prefix = access::kClonesPrefix;
  record.id = std::string(key.substr(key.rfind(prefix, 0) == 0 ? prefix.size() : 0));
  record.origin = origin->get<std::string>();
  record.git_ref = ref->get<std::string>();
  record.created_at_ms = j.value("created_at_ms", std::int64_t{0});
  auto sha = j.find("sha");
  if (sha != j.end() && sha->is_string()) record.sha = sha->get<std::string>();
  return record;
}

namespace {

// The git name ("feature/x") and type of a clone's ref.
std::optional<std::pair<std::string, model::RevType>> SplitGitRef(std::string_view ref) {
  constexpr std::string_view kHeads = "refs/heads/";
  constexpr std::string_view kTags = "refs/tags/";
  if (ref.rfind(kHeads, 0) == 0) {
    return std::make_pair(std::string(ref.substr(kHeads.size())), model::RevType::kBranch);
  }
  if (ref.rfind(kTags, 0) == 0) {
    return std::make_pair(std::string(ref.substr(kTags.size())), model::RevType::kTag);
  }
  return std::nullopt;
}

}  // namespace

Result<WorldPtr> World::Build(std::string_view manifest, std::vector<CloneRecord> clones,
                              std::vector<std::string>* dropped) {
  std::shared_ptr<World> world(new World());
  if (!manifest.empty()) {
    std::vector<model::Violation> violations;
    Result<model::Org> org = model::ReadManifest(manifest, &violations);
    if (!org.ok()) {
      return FailedPreconditionError("the published manifest is not valid: " +
                                     org.status().message());
    }
    world->has_manifest_ = true;
    world->static_org_ = std::move(org).value();
    world->digest_ = model::ManifestDigest(world->static_org_);
  }
  world->org_ = world->static_org_;
  std::map<std::string, std::string> clone_origins;
  for (CloneRecord& record : clones) {
    auto git = SplitGitRef(record.git_ref);
    Result<model::DerivedClone> derived =
        git ? model::DeriveClone(world->static_org_,
                                 {record.origin, git->first, git->second, 0, false})
            : Result<model::DerivedClone>(InvalidArgumentError("bad git ref"));
    const std::string expected =
        derived.ok() ? model::EnverId(derived->build_id, derived->enver.rev) : "";
    if (!derived.ok() || expected != record.id) {
      if (dropped) dropped->push_back(record.id);
      continue;
    }
    world->org_.FindBuild(derived->build_id)->envers.push_back(std::move(derived->enver));
    clone_origins[record.id] = record.origin;
    world->clones_[record.id] = std::move(record);
  }
  world->graph_ = std::make_unique<model::Graph>(world->org_);
  world->policy_ = access::AccessPolicy::FromOrg(world->static_org_, clone_origins);
  return WorldPtr(std::move(world));
}

std::optional<EnverRef> World::FindEnver(std::string_view enver_id) const {
  auto index = graph_->FindEnver(enver_id);
  if (!index) return std::nullopt;
  return EnverRef{&graph_->build(*index), &graph_->enver(*index)};
}

std::vector<const model::Build*> World::BuildsOfRepo(std::string_view repo) const {
  std::vector<const model::Build*> out;
  for (const model::Build& b : org_.builds) {
    if (b.repo.FullName() == repo) out.push_back(&b);
  }
  return out;
}

std::string World::GitRefOf(std::string_view build, const model::Enver& enver) const {
  auto clone = clones_.find(model::EnverId(build, enver.rev));
  if (clone != clones_.end()) return clone->second.git_ref;
  return (enver.rev.type() == model::RevType::kTag ? "refs/tags/" : "refs/heads/") +
         enver.rev.value();
}

std::vector<const model::Enver*> World::EnversOnRef(const model::Build& build,
                                                    std::string_view git_ref) const {
  std::vector<const model::Enver*> out;
  for (const model::Enver& e : build.envers) {
    if (GitRefOf(build.id, e) == git_ref) out.push_back(&e);
  }
  return out;
}

bool World::IsDeclaredClone(std::string_view enver_id) const {
  std::optional<EnverRef> ref = FindEnver(enver_id);
  return ref && ref->enver->rev.is_clone() && !IsDynamicClone(enver_id);
}

std::optional<std::string> World::CloneOrigin(std::string_view enver_id) const {
  auto dynamic = clones_.find(std::string(enver_id));
  if (dynamic != clones_.end()) return dynamic->second.origin;
  std::optional<EnverRef> ref = FindEnver(enver_id);
  if (!ref || !ref->enver->rev.is_clone()) return std::nullopt;
  return model::EnverId(ref->build->id, ref->enver->rev.OriginRef());
}

std::vector<std::string> World::ClonesOf(std::string_view origin_id) const {
  std::vector<std::string> out;
  for (model::EnverIndex i = 0; i < graph_->enver_count(); ++i) {
    const std::string& id = graph_->node(i).id;
    if (CloneOrigin(id) == origin_id) out.push_back(id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

int World::LiveClones(std::string_view origin_id) const {
  int n = 0;
  for (const auto& [id, record] : clones_) n += record.origin == origin_id ? 1 : 0;
  return n;
}

std::string World::ContractsEnverId() const {
  for (const model::Build& b : static_org_.builds) {
    if (b.kind == model::BuildKind::kContracts && !b.envers.empty()) {
      return model::EnverId(b.id, b.envers.front().rev);
    }
  }
  return "";
}

}  // namespace odmd::reconcile
