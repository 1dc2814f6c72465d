#pragma once

// The Git seam (STYLE.md §7.2): what git intake and deployments need from a repository.
// Production: Libgit2Git (libgit2 in process, the `git` binary for worktrees and fetches) on
// LOCAL repositories, bare or not; CliGit runs the `git` binary for everything. Test double:
// odmd::testing::FakeGit (testing/include/odmd/testing/fake_git.h).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "odmd/base/status.h"

namespace odmd::reconcile {

// One branch or tag. `name` is the full ref name ("refs/heads/main", "refs/tags/v1");
// `sha` is the commit it points at (annotated tags are peeled to their commit).
struct GitRef {
  std::string name;
  std::string sha;
  friend bool operator==(const GitRef&, const GitRef&) = default;
};

// The short name of a branch or tag: "main" for refs/heads/main, "v1" for refs/tags/v1 (what
// GitHub's API and the commit commands name); any other ref is returned as it is.
inline std::string ShortRefName(std::string_view ref) {
  for (std::string_view prefix : {"refs/heads/", "refs/tags/"}) {
    if (ref.starts_with(prefix)) return std::string(ref.substr(prefix.size()));
  }
  return std::string(ref);
}

// A person in a commit.
struct GitIdentity {
  std::string name;   // e.g. "Ada Lovelace"
  std::string email;  // e.g. "ada@example.com"
  friend bool operator==(const GitIdentity&, const GitIdentity&) = default;
};

// One commit as read by intake.
struct GitCommit {
  std::string sha;
  std::string message;    // the full message (subject and body), as committed
  GitIdentity author;     // the author, not the committer
  std::int64_t time = 0;  // author time, seconds since the Unix epoch
};

// What CommitFile writes.
struct CommitFileRequest {
  std::string branch;         // short name, e.g. "main"; the branch must exist
  std::string path;           // relative path inside the tree, e.g. ".odmd/deploy.yml"
  std::string content;        // the whole file content (mode 100644)
  std::string message;        // the commit message
  GitIdentity author;         // the author; the committer is the platform identity
  std::string expected_head;  // if not empty: kAborted unless the branch is at this sha
};

// What CommitFile did.
struct CommitFileResult {
  bool unchanged = false;  // the file already had this content: no commit was made
  std::string sha;         // the new commit, or the branch head when unchanged
};

// What Fetch brings into a local mirror.
struct FetchRequest {
  // Where from: a URL git understands (https://github.com/acme/svc.git) or a local path.
  std::string url;
  // An HTTP header sent with the fetch ("Authorization: Basic ..."), never on the command
  // line; empty: none.
  std::string header;
};

// Reads and writes repositories. `repo` is a repository path (CliGit) or name (FakeGit).
// Shas are full 40-character lowercase hex; anything else is kInvalidArgument.
// A repo that does not exist or is not a git repository is kNotFound, naming the repo.
// Implementations are thread-safe.
class Git {
 public:
  virtual ~Git() = default;

  // Every branch and tag with its commit, sorted by name.
  virtual Result<std::vector<GitRef>> ListRefs(std::string_view repo) = 0;

  // The commits reachable from `new_sha` but not from `old_sha`, newest first (children
  // before parents). This covers a fast-forward push, a forced push (old not an ancestor of
  // new: the commits of new that old does not have) and, with `old_sha` empty, a new branch
  // (every commit reachable from new_sha). kNotFound if a sha is not a commit of the repo.
  virtual Result<std::vector<GitCommit>> CommitsBetween(std::string_view repo,
                                                        std::string_view old_sha,
                                                        std::string_view new_sha) = 0;

  // Writes the tree of commit `sha` into directory `dir`, which must not exist or be empty
  // (kFailedPrecondition otherwise). Only the commit's files are written (no .git).
  virtual Status CheckoutWorktree(std::string_view repo, std::string_view sha,
                                  const std::string& dir) = 0;

  // Removes a directory written by CheckoutWorktree. A missing directory is OK.
  virtual Status RemoveWorktree(std::string_view repo, const std::string& dir) = 0;

  // The content of the file at `path` in commit `sha`; nullopt when the commit has no file
  // there. kNotFound if `sha` is not a commit of the repo; kInvalidArgument for a path that
  // could leave the tree.
  virtual Result<std::optional<std::string>> ReadFile(std::string_view repo, std::string_view sha,
                                                      std::string_view path) = 0;

  // The paths of `paths` at which commit `sha` has no file, in the order given: one lookup
  // for all of them, without reading any content (a directory there is not a file).
  // kNotFound if `sha` is not a commit of the repo; kInvalidArgument for a path that could
  // leave the tree.
  virtual Result<std::vector<std::string>> MissingFiles(std::string_view repo, std::string_view sha,
                                                        const std::vector<std::string>& paths) = 0;

  // Commits `request.content` at `request.path` on top of the branch head, without a
  // checkout, and moves the branch only if it did not move meanwhile (kAborted if it did,
  // or if it is not at `request.expected_head`). Identical content: no commit, unchanged.
  virtual Result<CommitFileResult> CommitFile(std::string_view repo,
                                              const CommitFileRequest& request) = 0;

  // Makes `repo` (a bare mirror, created when missing) hold every branch and tag of
  // `request.url` as they are there (forced updates and deletions included). kUnavailable
  // naming the URL (never the header) when the fetch fails; kUnimplemented where a Git
  // cannot fetch.
  virtual Status Fetch(std::string_view repo, const FetchRequest& request) {
    (void)request;
    return UnimplementedError("this Git cannot fetch into " + std::string(repo));
  }
};

// Options of the production implementation.
struct CliGitOptions {
  std::string git_binary = "git";  // looked up in PATH unless it contains a '/'
  // The committer of every commit the platform writes (CommitFile).
  GitIdentity committer = {"odmd", "odmd@localhost"};
};

// Runs `git` as a subprocess (argv, no shell, an explicit environment without the user's or
// system git configuration).
std::unique_ptr<Git> NewCliGit(const CliGitOptions& options = {});

// The production Git: reads refs, commits and files and commits a file in process with
// libgit2 (no configuration file read); CheckoutWorktree, RemoveWorktree and Fetch go
// through NewCliGit(options). Same answers and errors as CliGit (the typed tests of
// git_test.cc run both).
std::unique_ptr<Git> NewLibgit2Git(const CliGitOptions& options = {});

// True if `s` is a full 40-character lowercase hex sha.
bool IsFullSha(std::string_view s);

}  // namespace odmd::reconcile
