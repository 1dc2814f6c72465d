#include "github_workflow_sync.h"

#include <algorithm>
#include <map>
#include <set>

namespace odmd::reconcile {
namespace {

constexpr std::string_view kWorkflowDir = ".github/workflows/";

std::string Where(const github::RepoRef& repo, std::string_view branch) {
  return "workflow sync of " + repo.owner + "/" + repo.name + " branch \"" + std::string(branch) +
         "\"";
}

Status CheckPath(const std::string& path) {
  if (!path.starts_with(kWorkflowDir) || path.size() == kWorkflowDir.size()) {
    return InvalidArgumentError("file \"" + path + "\" is not under " + std::string(kWorkflowDir));
  }
  if (path.find("//") != std::string::npos || path.ends_with("/") ||
      path.find("/../") != std::string::npos || path.find("/./") != std::string::npos ||
      path.ends_with("/..") || path.ends_with("/.")) {
    return InvalidArgumentError("file \"" + path + "\" is not a plain relative path");
  }
  return OkStatus();
}

Status CheckInput(std::string_view branch, const std::vector<WorkflowFile>& files) {
  if (branch.empty()) return InvalidArgumentError("no branch given");
  std::set<std::string> seen;
  for (const WorkflowFile& f : files) {
    ODMD_RETURN_IF_ERROR(CheckPath(f.path));
    if (!seen.insert(f.path).second) {
      return InvalidArgumentError("file \"" + f.path + "\" is given twice");
    }
  }
  return OkStatus();
}

// What the branch's head holds and what has to change.
struct Plan {
  std::string head;
  std::string base_tree;
  std::vector<const WorkflowFile*> changes;
  std::vector<std::string> kept;
};

Result<Plan> ReadBranch(github::GitHubApi& api, const github::RepoRef& repo,
                        std::string_view branch, const std::vector<WorkflowFile>& files) {
  ODMD_ASSIGN_OR_RETURN(std::optional<std::string> head,
                        api.GetRef(repo, "heads/" + std::string(branch)));
  if (!head) {
    return NotFoundError("the repository has no such branch (or installation " +
                         std::to_string(repo.installation_id) + " of the app cannot see it)");
  }
  Plan plan;
  plan.head = *head;
  ODMD_ASSIGN_OR_RETURN(github::GitCommit commit, api.GetCommit(repo, plan.head));
  plan.base_tree = commit.tree_sha;
  for (const WorkflowFile& f : files) {
    // Read at the head's sha: the comparison and the commit are about the same snapshot.
    ODMD_ASSIGN_OR_RETURN(std::optional<github::FileContent> there,
                          api.GetFile(repo, f.path, plan.head));
    if (there && f.user_owned && !gen::IsPristine(there->content)) {
      plan.kept.push_back(f.path);  // the user edited it
    } else if (!there || there->content != f.content) {
      plan.changes.push_back(&f);
    }
  }
  return plan;
}

// Blob -> tree -> commit on top of the plan's head; the new commit's sha. `blobs` (content ->
// blob sha) carries blobs over from an earlier attempt.
Result<std::string> WriteCommit(github::GitHubApi& api, const github::RepoRef& repo,
                                const Plan& plan, std::string_view message,
                                std::map<std::string, std::string>& blobs) {
  std::vector<github::TreeEntry> entries;
  for (const WorkflowFile* f : plan.changes) {
    auto blob = blobs.find(f->content);
    if (blob == blobs.end()) {
      ODMD_ASSIGN_OR_RETURN(std::string sha, api.CreateBlob(repo, f->content));
      blob = blobs.emplace(f->content, std::move(sha)).first;
    }
    entries.push_back({f->path, "100644", blob->second});
  }
  ODMD_ASSIGN_OR_RETURN(std::string tree, api.CreateTree(repo, plan.base_tree, entries));
  return api.CreateCommit(repo, message, tree, {plan.head});
}

bool IsNotFastForward(const Status& s) {
  return s.code() == StatusCode::kInvalidArgument &&
         s.message().find("not a fast forward") != std::string::npos;
}

// GitHub refuses an app without the workflows permission a change under .github/workflows/:
// 403 "Resource not accessible by integration" from the Git data API, or "refusing to allow
// a GitHub App to create or update workflow ... without `workflows` permission".
bool IsPermissionRefusal(const Status& s) {
  return s.code() == StatusCode::kPermissionDenied ||
         s.message().find("without `workflows` permission") != std::string::npos;
}

Status PermissionError(const github::RepoRef& repo, const Plan& plan, const Status& cause) {
  std::string paths;
  for (const WorkflowFile* f : plan.changes) paths += (paths.empty() ? "" : ", ") + f->path;
  return PermissionDeniedError(
      "GitHub refused to write " + paths +
      ": the GitHub App needs the repository permission \"Workflows: Read and write\" (and "
      "\"Contents: Read and write\") to change files under .github/workflows/; grant it in the "
      "app's settings (Permissions & events), then have " +
      repo.owner +
      " accept the new permissions on the app's installation; GitHub said: " + cause.message());
}

Result<BranchSyncResult> Sync(github::GitHubApi& api, const github::RepoRef& repo,
                              std::string_view branch, const std::vector<WorkflowFile>& files,
                              std::string_view message) {
  ODMD_RETURN_IF_ERROR(CheckInput(branch, files));
  BranchSyncResult result;
  result.branch = std::string(branch);
  std::map<std::string, std::string> blobs;
  while (result.attempts < kWorkflowSyncAttempts) {
    ++result.attempts;
    ODMD_ASSIGN_OR_RETURN(Plan plan, ReadBranch(api, repo, branch, files));
    result.head = plan.head;
    result.kept = plan.kept;
    if (plan.changes.empty()) return result;
    Result<std::string> commit = WriteCommit(api, repo, plan, message, blobs);
    Status updated =
        commit.ok() ? api.UpdateRef(repo, "heads/" + result.branch, *commit) : commit.status();
    if (IsNotFastForward(updated)) continue;  // someone pushed: start again from the new head
    if (!updated.ok() && IsPermissionRefusal(updated)) {
      return PermissionError(repo, plan, updated);
    }
    ODMD_RETURN_IF_ERROR(updated);
    result.parent = plan.head;
    result.head = *commit;
    result.commit = *commit;
    for (const WorkflowFile* f : plan.changes) result.written.push_back(f->path);
    std::sort(result.written.begin(), result.written.end());
    return result;
  }
  return AbortedError("the branch moved during each of " + std::to_string(kWorkflowSyncAttempts) +
                      " attempts (concurrent pushes); nothing was written, try again later");
}

}  // namespace

std::vector<WorkflowFile> WorkflowFilesOf(const std::vector<gen::GeneratedFile>& generated,
                                          std::string_view build_id) {
  std::vector<WorkflowFile> out;
  for (const gen::GeneratedFile& f : generated) {
    if (f.build_id == build_id) out.push_back({f.path, f.content, f.user_owned});
  }
  return out;
}

Result<BranchSyncResult> SyncWorkflowFiles(github::GitHubApi& api, const github::RepoRef& repo,
                                           std::string_view branch,
                                           const std::vector<WorkflowFile>& files,
                                           std::string_view message) {
  Result<BranchSyncResult> r = Sync(api, repo, branch, files, message);
  if (!r.ok()) return r.status().WithContext(Where(repo, branch));
  return r;
}

Result<BranchSyncResult> SyncWorkflowFilesToDefaultBranch(github::GitHubApi& api,
                                                          const github::RepoRef& repo,
                                                          const std::vector<WorkflowFile>& files,
                                                          std::string_view message) {
  Result<github::Repository> info = api.GetRepo(repo);
  if (!info.ok()) {
    return info.status().WithContext("workflow sync of " + repo.owner + "/" + repo.name +
                                     ": reading its default branch");
  }
  return SyncWorkflowFiles(api, repo, info->default_branch, files, message);
}

}  // namespace odmd::reconcile
