#pragma once

// Writes the generated workflow files into a branch of a GitHub repository through the Git
// data API (issue 14 point 3): one commit holding every file whose content differs, none
// when nothing differs, retried from the branch's new head when someone pushed meanwhile.
// docs/github.md "Workflow sync"; ownership as in docs/workflows.md "Ownership".

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "odmd/base/status.h"
#include "odmd/gen/generated_file.h"
#include "odmd/github/api.h"

namespace odmd::reconcile {

struct WorkflowFile {
  std::string path;  // ".github/workflows/ODMD_x.yaml"
  std::string content;
  // The contracts keep users' edits (gen::GeneratedFile::user_owned): it is written when the
  // branch has no such file or an unedited one (gen::IsPristine), and an edited one is kept.
  bool user_owned = false;
};

// The workflow files of `build_id` among `generated` (gen::GenerateWorkflows' answer).
std::vector<WorkflowFile> WorkflowFilesOf(const std::vector<gen::GeneratedFile>& generated,
                                          std::string_view build_id);

struct BranchSyncResult {
  std::string branch;
  std::string head;                   // the branch's head after the sync
  std::optional<std::string> commit;  // the commit written; nullopt when nothing differed
  std::string parent;                 // the head `commit` was made on (its only parent)
  std::vector<std::string> written;   // paths in that commit, sorted
  std::vector<std::string> kept;      // user-owned files the user edited, left as they are
  int attempts = 0;                   // 1, or more after concurrent pushes
};

inline constexpr int kWorkflowSyncAttempts = 4;

// Makes `branch` of `repo` hold `files` (see WorkflowFile::user_owned) with one commit
// whose message is `message`. Errors name the repository and the branch:
//   INVALID_ARGUMENT  a file outside .github/workflows/, an empty, absolute or ".." path, a
//                     path twice, an empty branch (nothing is sent);
//   NOT_FOUND         the branch does not exist (or the installation cannot see the repo);
//   PERMISSION_DENIED GitHub refused the write: names the files and asks to grant the app
//                     "Workflows: Read and write";
//   ABORTED           the branch moved under each of kWorkflowSyncAttempts attempts;
//   otherwise GitHub's error (client.h's codes), with the call that failed.
// A failure leaves the branch as it was (its ref is the only thing changed, last).
Result<BranchSyncResult> SyncWorkflowFiles(github::GitHubApi& api, const github::RepoRef& repo,
                                           std::string_view branch,
                                           const std::vector<WorkflowFile>& files,
                                           std::string_view message);

// The same on the repository's default branch (GetRepo), where a workflow must be before
// GitHub dispatches it (docs/github.md).
Result<BranchSyncResult> SyncWorkflowFilesToDefaultBranch(github::GitHubApi& api,
                                                          const github::RepoRef& repo,
                                                          const std::vector<WorkflowFile>& files,
                                                          std::string_view message);

}  // namespace odmd::reconcile
