// The contracts sync's GitHub side (docs/github.md, "The GitHub runner"): a build that runs
// on GitHub gets its generated workflow files through the Git data API, on the repository's
// default branch (where GitHub needs them to dispatch) and on every branch of its envers and
// clones, and each of its workflows' repository secret holds the group's current token.
#include <utility>

#include "../github_workflow_sync.h"
#include "github_runs.h"
#include "impl.h"
#include "odmd/base/sha256.h"
#include "odmd/base/strings.h"
#include "odmd/gen/workflows.h"
#include "odmd/model/naming.h"
#include "records.h"

namespace odmd::reconcile {
namespace {

// "/odmd/workflow-secrets/<workflow name>": the SHA-256 of the token last put into the
// workflow's repository secret (read only by the platform).
constexpr std::string_view kWorkflowSecretsPrefix = "/odmd/workflow-secrets/";

std::string WorkflowNameOfPath(std::string_view path) {
  std::string_view name = path.substr(path.rfind('/') + 1);
  if (name.ends_with(".yaml")) name.remove_suffix(5);
  return std::string(name);
}

}  // namespace

void Platform::Impl::RecordPlatformCommit(const std::string& repo, const std::string& ref,
                                          const std::string& old_head, const std::string& new_head,
                                          bool in_scan) {
  if (in_scan) {
    platform_commits_[repo + ":" + ref] = new_head;
    return;
  }
  // The platform's own commit is not a push to deploy: intake records it as seen when
  // intake had seen the commit it was made on.
  Result<SeenRefs> seen = ReadSeenRefs(store_, repo);
  if (!seen.ok()) return;
  auto it = seen->refs.find(ref);
  if (it != seen->refs.end() && it->second == old_head) {
    it->second = new_head;
    (void)WriteSeenRefs(store_, repo, *seen);
  }
}

Status Platform::Impl::WriteWorkflowsToGitHub(const WorldPtr& world, const model::Build& build,
                                              const std::vector<gen::GeneratedFile>& generated,
                                              PublishReport& report, std::string_view only_ref,
                                              bool in_scan) {
  github::GitHubApi& api = *options_.github->api;
  const github::RepoRef repo{build.repo.installation_id, build.repo.owner, build.repo.name};
  const std::vector<WorkflowFile> files = WorkflowFilesOf(generated, build.id);
  if (files.empty()) return OkStatus();
  const std::string message = "Sync generated workflows of " + build.id + " (contracts " +
                              world->version() + ")\n\nWritten by the platform.\n";
  std::vector<Result<BranchSyncResult>> results;
  if (only_ref.empty()) {
    results.push_back(SyncWorkflowFilesToDefaultBranch(api, repo, files, message));
  }
  for (const model::Enver& enver : build.envers) {
    if (enver.rev.type() != model::RevType::kBranch) continue;  // tags are immutable
    const std::string ref = world->GitRefOf(build.id, enver);
    if (!only_ref.empty() && ref != only_ref) continue;
    results.push_back(SyncWorkflowFiles(
        api, repo, ref.substr(std::string_view("refs/heads/").size()), files, message));
  }
  for (Result<BranchSyncResult>& r : results) {
    if (!r.ok()) {
      // GitHub's refusal (a missing permission, a branch gone) must not stop the publish:
      // it is told, and the next sync tries again.
      Event e;
      e.kind = "alert";
      e.message = "could not write the workflows of " + build.id + " to " + build.repo.FullName() +
                  ": " + r.status().message();
      e.fields["repo"] = build.repo.FullName();
      (void)Emit(std::move(e));
      continue;
    }
    for (const std::string& path : r->kept) {
      NoteKeptWorkflow(build.repo.FullName(), r->branch, path, report);
    }
    if (!r->commit) continue;
    ++report.workflows_written;
    const std::string ref = "refs/heads/" + r->branch;
    RecordPlatformCommit(build.repo.FullName(), ref, r->parent, r->head, in_scan);
  }
  return PutWorkflowSecrets(build, files);
}

Result<bool> Platform::Impl::PutWorkflowSecret(const model::Build& build,
                                               const std::string& workflow_name) {
  github::GitHubApi& api = *options_.github->api;
  const github::RepoRef repo{build.repo.installation_id, build.repo.owner, build.repo.name};
  ODMD_ASSIGN_OR_RETURN(std::string token, WorkflowToken(workflow_name));
  const std::string digest = Sha256Hex(token);
  const std::string key = std::string(kWorkflowSecretsPrefix) + workflow_name;
  Result<store::Entry> put = store_.Get(key);
  if (put.ok() && put->value == digest) return false;
  ODMD_RETURN_IF_ERROR(api.PutRepoSecret(repo, gen::WorkflowSecretName(workflow_name), token));
  Result<store::WriteResult> recorded = store_.Put(key, digest, std::nullopt);
  if (!recorded.ok()) return recorded.status();
  return true;
}

Status Platform::Impl::PutWorkflowSecrets(const model::Build& build,
                                          const std::vector<WorkflowFile>& files) {
  for (const WorkflowFile& f : files) {
    const std::string name = WorkflowNameOfPath(f.path);
    Result<bool> put = PutWorkflowSecret(build, name);
    if (put.ok()) continue;
    if (IsNotFound(put.status()) || IsInvalidArgument(put.status())) return put.status();
    Event e;
    e.kind = "alert";
    e.message = "could not set the secret " + gen::WorkflowSecretName(name) + " of " +
                build.repo.FullName() + ": " + put.status().message();
    e.fields["repo"] = build.repo.FullName();
    (void)Emit(std::move(e));
  }
  return OkStatus();
}

Result<nlohmann::json> Platform::Impl::RotateWorkflowSecret(const access::Principal& who,
                                                            std::string_view workflow_name,
                                                            std::vector<store::BatchOp> with) {
  if (who.kind != access::Principal::Kind::kAdmin) {
    return PermissionDeniedError("only the admin may rotate the token of workflow " +
                                 Quote(workflow_name) + ", not " + who.ToString());
  }
  if (following()) return RecordRotation(who, workflow_name);
  ODMD_ASSIGN_OR_RETURN(std::string token, RotateWorkflowToken(workflow_name, std::move(with)));
  (void)token;  // never shown: it goes to the repository secret
  const std::string name(workflow_name);
  nlohmann::json out = {
      {"workflow", name}, {"secret", gen::WorkflowSecretName(name)}, {"secret_set", false}};
  WorldPtr w = world();
  ODMD_ASSIGN_OR_RETURN(std::vector<gen::GeneratedFile> files,
                        gen::GenerateWorkflows(w->static_org()));
  for (const gen::GeneratedFile& f : files) {
    if (WorkflowNameOfPath(f.path) != name) continue;
    const model::Build* build = w->org().FindBuild(f.build_id);
    if (build == nullptr || !github_runs_ || !github_runs_->Handles(*build)) {
      out["reason"] = "build " + f.build_id + " does not run on GitHub: set the secret by hand";
      return out;
    }
    Result<bool> put = PutWorkflowSecret(*build, name);
    if (!put.ok()) {
      out["reason"] = "could not set the secret of " + build->repo.FullName() + ": " +
                      put.status().message() +
                      "; the previous token stays valid and the next contracts sync sets it";
      return out;
    }
    out["secret_set"] = true;
    return out;
  }
  return out;
}

}  // namespace odmd::reconcile
