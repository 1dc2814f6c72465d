// Contracts publish and sync: validate a manifest fully, refuse changed content under a
// published version, store it, publish contractsLibLatest, then bring the platform side of
// every enver in line (workflows into its branches, role templates, tokens, deployments of
// new and changed envers, teardown of removed ones).
// Crash safety: the commit that makes a version current also writes the sync it owes
// (kContractsSyncKey); every step of the sync is idempotent, and its last commit queues the
// deployments, records "contracts.published" and deletes the intent. A platform that
// stopped in between finds the intent at start (or at the next publish) and syncs again.
#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "../crash_point.h"
#include "github_runs.h"
#include "impl.h"
#include "odmd/base/strings.h"
#include "odmd/gen/generated_file.h"
#include "odmd/gen/roles.h"
#include "odmd/gen/workflows.h"
#include "odmd/model/manifest.h"
#include "odmd/model/naming.h"
#include "records.h"
#include "token_batch.h"

namespace odmd::reconcile {

namespace {

std::string ViolationsText(const std::vector<model::Violation>& violations) {
  std::string out;
  for (const model::Violation& v : violations) {
    out += "\n  " + v.ToString();
  }
  return out;
}

// The static envers of an org by id, with a fingerprint of everything sync cares about.
std::map<std::string, std::string> EnverFingerprints(const model::Org& org) {
  std::map<std::string, std::string> out;
  for (const model::Build& b : org.builds) {
    for (const model::Enver& e : b.envers) {
      model::Org one;
      model::Build copy = b;
      copy.envers = {e};
      // What a deployment depends on: a declared clone's inherited consumers count (the
      // canonical text would leave them out); the context documents do not.
      copy.envers[0].inherits_consumers = false;
      copy.envers[0].enver_context_md.reset();
      copy.service_overview_md.reset();
      copy.service_context_md.reset();
      one.builds = {copy};
      one.accounts = org.accounts;
      out[model::EnverId(b.id, e.rev)] = model::WriteManifest(one);
    }
  }
  return out;
}

}  // namespace

Result<model::Org> Platform::Impl::ReadPublishable(const access::Principal& who,
                                                   std::string_view text, const World& before) {
  std::vector<model::Violation> violations;
  Result<model::Org> read = model::ReadManifest(text, &violations);
  if (!read.ok()) {
    return InvalidArgumentError(read.status().message() + ViolationsText(violations));
  }
  if (who.kind == access::Principal::Kind::kAdmin) return read;
  std::string contracts = before.has_manifest() ? before.ContractsEnverId() : "";
  if (contracts.empty()) {
    for (const model::Build& b : read->builds) {
      if (b.kind == model::BuildKind::kContracts && !b.envers.empty()) {
        contracts = model::EnverId(b.id, b.envers.front().rev);
      }
    }
  }
  if (!before.policy().ActsFor(who, contracts)) {  // its token or its workflow's
    return PermissionDeniedError("publishing the contracts needs the admin token or the token of " +
                                 (contracts.empty() ? "the contracts enver" : contracts) +
                                 ", not " + who.ToString());
  }
  return read;
}

Result<std::optional<store::Revision>> Platform::Impl::PublishedVersion(const model::Org& org,
                                                                        std::string_view digest) {
  const std::string version_key = std::string(kContractsVersionsPrefix) + org.version;
  Result<store::Entry> same_version = store_.Get(version_key);
  if (IsNotFound(same_version.status())) return std::optional<store::Revision>();
  if (!same_version.ok()) return same_version.status();
  Result<model::Org> stored = model::ReadManifest(same_version->value, nullptr);
  const std::string stored_digest = stored.ok() ? model::ManifestDigest(*stored) : "(invalid)";
  if (stored_digest != digest) {
    return FailedPreconditionError("manifest version " + Quote(org.version) +
                                   " is already published with digest " + stored_digest +
                                   ", but this manifest has digest " + std::string(digest) +
                                   ": publish changed contracts under a new version");
  }
  return std::optional<store::Revision>(same_version->revision);
}

Result<PublishReport> Platform::Impl::RecordPublish(const access::Principal& who,
                                                    std::string_view text) {
  WorldPtr before = world();
  ODMD_ASSIGN_OR_RETURN(model::Org org, ReadPublishable(who, text, *before));
  PublishReport report;
  report.version = org.version;
  report.digest = model::ManifestDigest(org);
  if (before->has_manifest() && before->digest() == report.digest) return report;
  ODMD_RETURN_IF_ERROR(PublishedVersion(org, report.digest));
  ODMD_ASSIGN_OR_RETURN(report.inbox,
                        RecordInbox({"publish", {{"who", who.ToString()}}, "", std::string(text)}));
  return report;
}

Result<PublishReport> Platform::Impl::PublishManifest(const access::Principal& who,
                                                      std::string_view text,
                                                      std::vector<store::BatchOp> with) {
  if (following()) return RecordPublish(who, text);
  ODMD_RETURN_IF_ERROR(CheckStarted());
  std::lock_guard<std::mutex> lock(intake_mu_);
  // A publish whose sync a crash interrupted is finished first: its version is current.
  ODMD_RETURN_IF_ERROR(ResumeSyncLocked());
  WorldPtr before = world();
  auto refuse = [&](Status status) -> Result<PublishReport> {
    Event e;
    e.kind = "contracts.refused";
    e.message = "manifest refused: " + status.message();
    e.suggestion = "fix the contracts and publish again; nothing was changed";
    ODMD_RETURN_IF_ERROR(Emit(std::move(e)));
    return status;
  };
  Result<model::Org> read = ReadPublishable(who, text, *before);
  if (read.status().code() == StatusCode::kInvalidArgument) return refuse(read.status());
  ODMD_RETURN_IF_ERROR(read.status());
  model::Org org = std::move(read).value();
  PublishReport report;
  report.version = org.version;
  report.digest = model::ManifestDigest(org);
  if (before->has_manifest() && before->digest() == report.digest) return report;

  const std::string canonical = model::WriteManifest(org);
  // One commit makes the version current and records the sync it owes (kContractsSyncKey):
  // the version's copy, the manifest, contractsLibLatest, `with` and the intent.
  std::vector<store::BatchOp> ops;
  Result<std::optional<store::Revision>> same_version = PublishedVersion(org, report.digest);
  if (same_version.status().code() == StatusCode::kFailedPrecondition) {
    return refuse(same_version.status());
  }
  ODMD_RETURN_IF_ERROR(same_version.status());
  if (!*same_version) {
    ops.push_back(store::BatchOp::Put(std::string(kContractsVersionsPrefix) + org.version,
                                      canonical, store::Revision{0}));
  }
  Result<store::Entry> current = store_.Get(access::kManifestKey);
  if (!current.ok() && !IsNotFound(current.status())) return current.status();
  ops.push_back(store::BatchOp::Put(std::string(access::kManifestKey), canonical,
                                    current.ok() ? current->revision : store::Revision{0}));
  ODMD_ASSIGN_OR_RETURN(std::vector<CloneRecord> clones, ReadCloneRecords());
  ODMD_ASSIGN_OR_RETURN(WorldPtr next, World::Build(canonical, std::move(clones), nullptr));
  // contractsLibLatest: the version every enver can read to know which contracts rule.
  const std::string contracts_id = next->ContractsEnverId();
  if (auto ref = next->FindEnver(contracts_id)) {
    ops.push_back(store::BatchOp::Put(
        model::ProductPath(ref->build->id, ref->enver->rev, "contractsLibLatest"), org.version));
  }
  for (store::BatchOp& op : with) ops.push_back(std::move(op));
  const nlohmann::json intent = {{"version", org.version},
                                 {"digest", report.digest},
                                 {"from", before->has_manifest() ? before->version() : ""}};
  ops.push_back(
      store::BatchOp::Put(std::string(kContractsSyncKey), intent.dump(), store::Revision{0}));
  ODMD_ASSIGN_OR_RETURN(std::vector<store::WriteResult> written, store_.WriteBatch(ops));
  CrashPoint("publish.committed");
  ODMD_RETURN_IF_ERROR(ReloadWorld());
  report.changed = true;
  ODMD_RETURN_IF_ERROR(FinishSync(before, world(), written.back().revision, report));
  return report;
}

Status Platform::Impl::ResumeSyncLocked() {
  Result<store::Entry> entry = store_.Get(kContractsSyncKey);
  if (IsNotFound(entry.status())) return OkStatus();
  if (!entry.ok()) return entry.status();
  const nlohmann::json intent = nlohmann::json::parse(entry->value, nullptr, false);
  if (!intent.is_object() || !intent.contains("version") || !intent["version"].is_string() ||
      !intent.contains("from") || !intent["from"].is_string()) {
    return FailedPreconditionError("contracts sync record " + Quote(kContractsSyncKey) +
                                   " is malformed: expected {\"version\", \"digest\", \"from\"}");
  }
  // The world before the publish: the version it replaced (none: every enver is new).
  std::string before_manifest;
  const std::string from = intent["from"].get<std::string>();
  if (!from.empty()) {
    Result<store::Entry> old = store_.Get(std::string(kContractsVersionsPrefix) + from);
    if (old.ok()) {
      before_manifest = old->value;
    } else if (!IsNotFound(old.status())) {
      return old.status();
    }
  }
  ODMD_ASSIGN_OR_RETURN(std::vector<CloneRecord> clones, ReadCloneRecords());
  ODMD_ASSIGN_OR_RETURN(WorldPtr before, World::Build(before_manifest, std::move(clones), nullptr));
  WorldPtr after = world();
  Event e;
  e.kind = "contracts.resumed";
  e.enver_id = after->ContractsEnverId();
  e.message = "the sync of contracts " + after->version() +
              " was interrupted (the platform stopped); it runs again";
  e.fields = {{"version", after->version()}};
  ODMD_RETURN_IF_ERROR(Emit(std::move(e)));
  PublishReport report;
  report.version = after->version();
  report.digest = after->digest();
  report.changed = true;
  return FinishSync(before, after, entry->revision, report);
}

Status Platform::Impl::FinishSync(const WorldPtr& before, const WorldPtr& after,
                                  store::Revision intent_revision, PublishReport& report) {
  ODMD_ASSIGN_OR_RETURN(std::vector<EnqueueRequest> requests, Sync(before, after, report));
  CrashPoint("sync.enqueue");
  // The deployments, the event and the end of the intent: one commit.
  Event e;
  e.kind = "contracts.published";
  e.enver_id = after->ContractsEnverId();
  e.message = "contracts " + after->static_org().name + " " + after->version() + " published (" +
              std::to_string(report.envers_added) + " envers added, " +
              std::to_string(report.envers_removed) + " removed, " +
              std::to_string(report.workflows_written) + " workflow commits)";
  e.fields = {{"version", after->version()}, {"digest", after->digest()}};
  std::vector<Event> events;
  events.push_back(std::move(e));
  std::vector<store::BatchOp> done;
  done.push_back(store::BatchOp::Delete(std::string(kContractsSyncKey), intent_revision));
  return EnqueueAll(std::move(requests), std::move(events), std::move(done)).status();
}

Result<std::vector<EnqueueRequest>> Platform::Impl::Sync(const WorldPtr& before,
                                                         const WorldPtr& after,
                                                         PublishReport& report) {
  const auto old_envers = EnverFingerprints(before->static_org());
  const auto new_envers = EnverFingerprints(after->static_org());
  std::vector<std::string> added, changed, removed;
  for (const auto& [id, print] : new_envers) {
    auto it = old_envers.find(id);
    if (it == old_envers.end()) {
      added.push_back(id);
    } else if (it->second != print) {
      changed.push_back(id);
    }
  }
  for (const auto& [id, print] : old_envers) {
    if (!new_envers.count(id)) removed.push_back(id);
  }
  report.envers_added = static_cast<int>(added.size());
  report.envers_removed = static_cast<int>(removed.size());

  // Removed envers (and their clones) are torn down with the old world's picture of them.
  for (const std::string& id : removed) {
    for (const auto& [clone_id, record] : before->clones()) {
      if (record.origin == id) {
        CancelAndWait(clone_id, "its origin " + id + " left the contracts");
        ODMD_RETURN_IF_ERROR(TearDown(before, clone_id, "its origin left the contracts"));
        Status s =
            store_.Delete(std::string(access::kClonesPrefix) + clone_id, std::nullopt).status();
        if (!s.ok() && !IsNotFound(s)) return s;
      }
    }
    CancelAndWait(id, "it left the contracts");
    ODMD_RETURN_IF_ERROR(TearDown(before, id, "it left the contracts " + after->version()));
    CrashPoint("sync.teardown");
  }
  if (!removed.empty()) ODMD_RETURN_IF_ERROR(ReloadWorld());

  // Workflows into the branches of every build with an added or changed enver.
  std::set<std::string> builds;
  for (const auto* list : {&added, &changed}) {
    for (const std::string& id : *list) builds.insert(id.substr(0, id.find('/')));
  }
  ODMD_RETURN_IF_ERROR(WriteWorkflows(after, builds, report));
  CrashPoint("sync.workflows");

  // Role templates.
  ODMD_ASSIGN_OR_RETURN(std::vector<gen::GeneratedFile> roles,
                        gen::GenerateRoles(after->static_org()));
  ODMD_ASSIGN_OR_RETURN(std::vector<store::Entry> old_roles, store_.List(kRolesPrefix));
  std::map<std::string, const store::Entry*> stored;
  for (const store::Entry& e : old_roles) stored[e.key] = &e;
  std::vector<store::BatchOp> ops;
  for (const gen::GeneratedFile& f : roles) {
    const std::string key = std::string(kRolesPrefix) + f.path;
    auto it = stored.find(key);
    if (it == stored.end() || it->second->value != f.content) {
      ops.push_back(store::BatchOp::Put(key, f.content));
    }
    if (it != stored.end()) stored.erase(it);
  }
  for (const auto& [key, entry] : stored) ops.push_back(store::BatchOp::Delete(key));
  if (!ops.empty()) ODMD_RETURN_IF_ERROR(store_.WriteBatch(ops));
  CrashPoint("sync.roles");

  // Tokens of new and changed envers, a few hundred per commit.
  constexpr size_t kTokensPerCommit = 250;
  std::vector<std::string> need_tokens;
  for (const auto* list : {&added, &changed}) {
    need_tokens.insert(need_tokens.end(), list->begin(), list->end());
  }
  for (size_t i = 0; i < need_tokens.size(); i += kTokensPerCommit) {
    const size_t end = std::min(need_tokens.size(), i + kTokensPerCommit);
    ODMD_RETURN_IF_ERROR(IssueEnverTokens(store_, clock_, secrets_,
                                          {need_tokens.begin() + i, need_tokens.begin() + end}));
    CrashPoint("sync.token");
  }
  ODMD_RETURN_IF_ERROR(SyncWorkflowTokens(*after));  // workflow_tokens.cc

  // Deployments of new and changed envers whose ref exists.
  std::vector<EnqueueRequest> requests;
  std::map<std::string, std::map<std::string, std::string>> heads;  // repo -> ref -> sha
  for (const auto* list : {&added, &changed}) {
    for (const std::string& id : *list) {
      std::optional<EnverRef> ref = after->FindEnver(id);
      if (!ref) continue;
      const std::string repo = ref->build->repo.FullName();
      if (!heads.count(repo)) {
        Result<std::string> path = RepoPath(repo);
        auto& refs = heads[repo];
        if (path.ok()) {
          Result<std::vector<GitRef>> listed = git_.ListRefs(*path);
          if (listed.ok()) {
            for (const GitRef& g : *listed) refs[g.name] = g.sha;
          }
        }
      }
      const std::string git_ref = after->GitRefOf(ref->build->id, *ref->enver);
      auto head = heads[repo].find(git_ref);
      if (head == heads[repo].end()) continue;
      EnqueueRequest r;
      r.enver_id = id;
      r.sha = head->second;
      r.cause.kind = "contracts";
      r.cause.detail =
          "contracts " + after->version() + (list == &added ? " added " : " changed ") + id;
      // The root a push of this commit has: the intake's first scan of the ref then merges
      // into this deployment instead of superseding it.
      r.cause.root = "push:" + repo + ":" + git_ref + "@" + head->second;
      requests.push_back(std::move(r));
    }
  }
  return requests;
}

void Platform::Impl::NoteKeptWorkflow(const std::string& repo, const std::string& branch,
                                      const std::string& path, PublishReport& report) {
  report.workflows_kept.push_back(repo + " " + branch + " " + path);
  Event e;
  e.kind = "workflow.kept";
  e.message = path + " on " + branch + " of " + repo +
              " was edited: kept as it is (overwriteWorkflow is false)";
  e.suggestion =
      "set overwriteWorkflow true on the enver to have odmd replace it, or delete the file to "
      "have it written again";
  e.fields["repo"] = repo;
  e.fields["branch"] = branch;
  e.fields["path"] = path;
  (void)Emit(std::move(e));
}

Status Platform::Impl::WriteWorkflows(const WorldPtr& world, const std::set<std::string>& builds,
                                      PublishReport& report, std::string_view only_ref,
                                      bool in_scan) {
  if (builds.empty()) return OkStatus();
  ODMD_ASSIGN_OR_RETURN(std::vector<gen::GeneratedFile> files,
                        gen::GenerateWorkflows(world->static_org()));
  for (const std::string& build_id : builds) {
    const model::Build* build = world->org().FindBuild(build_id);
    if (!build) continue;
    if (github_runs_ && github_runs_->Handles(*build)) {
      ODMD_RETURN_IF_ERROR(WriteWorkflowsToGitHub(world, *build, files, report, only_ref, in_scan));
      continue;
    }
    Result<std::string> path = RepoPath(build->repo.FullName());
    if (!path.ok()) continue;  // not registered here (GitHub-hosted, or not yet)
    ODMD_ASSIGN_OR_RETURN(std::vector<GitRef> refs, git_.ListRefs(*path));
    std::map<std::string, std::string> head_of;
    for (const GitRef& g : refs) head_of[g.name] = g.sha;
    for (const model::Enver& enver : build->envers) {
      if (enver.rev.type() != model::RevType::kBranch) continue;  // tags are immutable
      const std::string ref = world->GitRefOf(build->id, enver);
      if (!only_ref.empty() && ref != only_ref) continue;
      auto head = head_of.find(ref);
      if (head == head_of.end()) continue;
      for (const gen::GeneratedFile& f : files) {
        if (f.build_id != build_id) continue;
        const std::string branch = ref.substr(std::string_view("refs/heads/").size());
        if (f.user_owned) {
          ODMD_ASSIGN_OR_RETURN(std::optional<std::string> current,
                                git_.ReadFile(*path, head->second, f.path));
          if (!gen::MayReplace(f, current)) {
            NoteKeptWorkflow(build->repo.FullName(), branch, f.path, report);
            continue;
          }
        }
        CommitFileRequest request;
        request.branch = branch;
        request.path = f.path;
        request.content = f.content;
        request.message = "Sync generated workflow " + f.path + " (contracts " + world->version() +
                          ")\n\nWritten by the platform.\n";
        request.author = {"odmd", "odmd@localhost"};
        request.expected_head = head->second;
        ODMD_ASSIGN_OR_RETURN(CommitFileResult written, git_.CommitFile(*path, request));
        if (written.unchanged) continue;
        ++report.workflows_written;
        head->second = written.sha;
        if (in_scan) {
          platform_commits_[build->repo.FullName() + ":" + ref] = written.sha;
          continue;
        }
        // The platform's own commit is not a push to deploy: intake records it as seen when
        // intake had seen the commit it was made on.
        ODMD_ASSIGN_OR_RETURN(SeenRefs seen, ReadSeenRefs(store_, build->repo.FullName()));
        auto it = seen.refs.find(ref);
        if (it != seen.refs.end() && it->second == request.expected_head) {
          it->second = written.sha;
          ODMD_RETURN_IF_ERROR(WriteSeenRefs(store_, build->repo.FullName(), seen));
        }
      }
    }
  }
  return OkStatus();
}

}  // namespace odmd::reconcile
