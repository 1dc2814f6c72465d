#pragma once

// The GitHub REST calls the platform makes, typed: refs, file contents and the Git data
// API (blobs, trees, commits) for writing workflow files as one commit per branch;
// workflow_dispatch and workflow runs for the GitHub runner; the repository public key and
// secrets for the workflows' tokens. Each is one Call named by GitHub's operationId, made
// with the access token of the repository's installation.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "odmd/base/status.h"
#include "odmd/github/client.h"

namespace odmd::github {

// A repository and the installation of the app that can reach it (from the contracts).
struct RepoRef {
  int64_t installation_id = 0;
  std::string owner;
  std::string name;
};

// GET /repos/{o}/{r}: what the platform needs of a repository.
struct Repository {
  std::string full_name;       // "acme/svc"
  std::string default_branch;  // "main": where a workflow must be for a dispatch to work
};

struct FileContent {
  std::string sha;      // the blob's git id
  std::string content;  // decoded bytes
};

struct GitCommit {
  std::string sha;
  std::string tree_sha;
  std::vector<std::string> parents;
  std::string message;
};

struct TreeEntry {
  std::string path;                // "a/b/c.yml": intermediate trees are created
  std::string mode = "100644";     // 100644 file, 100755 executable
  std::optional<std::string> sha;  // a blob's id; nullopt deletes `path`
};

struct WorkflowRun {
  int64_t id = 0;
  std::string name;
  // The run's title: the workflow's `run-name` as evaluated (odmd's workflows: the ref name
  // and the `message` input), else the workflow's name.
  std::string display_title;
  std::string path;  // ".github/workflows/x.yml"
  std::string head_branch;
  std::string head_sha;
  std::string event;
  std::string status;                     // queued, in_progress, completed, ...
  std::optional<std::string> conclusion;  // success, failure, cancelled, ... once completed
  std::string html_url;
  int64_t run_number = 0;
  int64_t run_attempt = 0;
  std::string created_at;
  std::string updated_at;
};

struct RunFilter {
  std::string branch = {};  // empty: any
  std::string event = {};   // "workflow_dispatch"
  std::string status = {};  // "completed", "in_progress", "success", ...
  std::string head_sha = {};
  int per_page = 30;  // 1..100
};

struct RepoPublicKey {
  std::string key_id;
  std::string key;  // base64 X25519 public key
};

// Errors are the client's (client.h): NOT_FOUND for a missing repository, ref, file,
// workflow or run (unless the call says it answers nullopt), INVALID_ARGUMENT for a 422.
// Thread-safe as the client is.
class GitHubApi {
 public:
  explicit GitHubApi(GitHubClient& client) : client_(client) {}

  // The repository (repos/get): its default branch. NOT_FOUND when it does not exist or the
  // installation cannot see it.
  Result<Repository> GetRepo(const RepoRef& repo);

  // The commit `ref` ("heads/main", "tags/v1") points at; nullopt when the ref is missing
  // (GitHub answers 404 alike for a repository the installation cannot see).
  Result<std::optional<std::string>> GetRef(const RepoRef& repo, std::string_view ref);
  // ALREADY_EXISTS when `ref` ("refs/heads/x") exists.
  Status CreateRef(const RepoRef& repo, std::string_view ref, std::string_view sha);
  // INVALID_ARGUMENT ("Update is not a fast forward") unless `force`.
  Status UpdateRef(const RepoRef& repo, std::string_view ref, std::string_view sha,
                   bool force = false);

  // The file at `path` on `ref` (branch, tag or sha); nullopt when there is none.
  Result<std::optional<FileContent>> GetFile(const RepoRef& repo, std::string_view path,
                                             std::string_view ref);

  Result<GitCommit> GetCommit(const RepoRef& repo, std::string_view sha);
  // The new blob's sha (the bytes are sent base64: any content).
  Result<std::string> CreateBlob(const RepoRef& repo, std::string_view content);
  // The new tree's sha: `base_tree` (empty: none) with `entries` applied.
  Result<std::string> CreateTree(const RepoRef& repo, std::string_view base_tree,
                                 const std::vector<TreeEntry>& entries);
  // The new commit's sha.
  Result<std::string> CreateCommit(const RepoRef& repo, std::string_view message,
                                   std::string_view tree_sha,
                                   const std::vector<std::string>& parents);

  // workflow_dispatch of `workflow` (file name "odmd-build.yml" or id) on `ref` (branch or
  // tag) with `inputs`; the new run's id (return_run_details), or nullopt on GitHub
  // Enterprise Server, which does not know return_run_details (answers 204: find the run with
  // ListWorkflowRuns, event workflow_dispatch, branch `ref`). A 5xx or no answer is
  // UNAVAILABLE at once, never retried here: the run may have started (list the runs of the
  // ref before dispatching again).
  Result<std::optional<int64_t>> DispatchWorkflow(const RepoRef& repo, std::string_view workflow,
                                                  std::string_view ref,
                                                  const std::map<std::string, std::string>& inputs);
  Result<WorkflowRun> GetWorkflowRun(const RepoRef& repo, int64_t run_id);
  // Newest first; `workflow` empty: every workflow of the repository.
  Result<std::vector<WorkflowRun>> ListWorkflowRuns(const RepoRef& repo, std::string_view workflow,
                                                    const RunFilter& filter);

  Result<RepoPublicKey> GetRepoPublicKey(const RepoRef& repo);
  // Seals `value` with the repository's public key (libsodium sealed box) and sets secret
  // `name`. INVALID_ARGUMENT when `name` is not [A-Za-z_][A-Za-z0-9_]* or starts with
  // GITHUB_ (checked before anything is sent).
  Status PutRepoSecret(const RepoRef& repo, std::string_view name, std::string_view value);

 private:
  Result<ApiResponse> Do(const RepoRef& repo, Call call);
  // The answer, or nullopt when GitHub answered the call itself 404. A 404 while getting
  // the installation's token (an unknown installation) stays an error.
  Result<std::optional<ApiResponse>> DoOptional(const RepoRef& repo, Call call);

  GitHubClient& client_;
};

// `plaintext` sealed for `public_key_base64` (crypto_box_seal), base64: GitHub's
// encrypted_value. INVALID_ARGUMENT when the key is not 32 bytes of base64.
Result<std::string> SealSecret(std::string_view public_key_base64, std::string_view plaintext);

}  // namespace odmd::github
