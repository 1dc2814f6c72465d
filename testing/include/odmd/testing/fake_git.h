#pragma once

// FakeGit: the in-memory test double of odmd::reconcile::Git (STYLE.md §7.2). Repositories
// are names; commits are file snapshots with made-up 40-hex shas. Header-only because it
// needs reconcile headers (tests that use it link odmd::reconcile). Thread-safe.
//
//   FakeGit git;
//   git.CreateRepo("org/app");
//   std::string c1 = git.Commit("org/app", "main", {{"odmd.yaml", "..."}}, "first");
//   git.Tag("org/app", "v1", c1);

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "odmd/base/check.h"
#include "odmd/base/status.h"
#include "odmd/reconcile/git.h"

namespace odmd::testing {

class FakeGit final : public reconcile::Git {
 public:
  using Files = std::map<std::string, std::string>;  // path -> content

  // Creates an empty repository (no branches). Creating an existing one is a no-op.
  void CreateRepo(const std::string& repo) {
    std::lock_guard<std::mutex> lock(mu_);
    repos_[repo];
  }

  // Commits on `branch` (created if missing, with no parent): the parent's files with
  // `files` added or replaced. Returns the new sha. `time` is the author time.
  std::string Commit(const std::string& repo, const std::string& branch, const Files& files,
                     const std::string& message,
                     reconcile::GitIdentity author = {"Fake Author", "fake@example.com"},
                     std::int64_t time = 0) {
    std::lock_guard<std::mutex> lock(mu_);
    Repo& r = MustRepo(repo);
    const std::string ref = "refs/heads/" + branch;
    CommitData c;
    if (auto it = r.refs.find(ref); it != r.refs.end()) {
      c.parent = it->second;
      c.files = r.commits.at(it->second).files;
    }
    for (const auto& [path, content] : files) c.files[path] = content;
    c.info = {NextSha(), message, std::move(author), time};
    const std::string sha = c.info.sha;
    r.commits[sha] = std::move(c);
    r.refs[ref] = sha;
    return sha;
  }

  // Points `branch` at commit `sha` (a new branch or a forced push).
  void SetBranch(const std::string& repo, const std::string& branch, const std::string& sha) {
    std::lock_guard<std::mutex> lock(mu_);
    Repo& r = MustRepo(repo);
    ODMD_CHECK(r.commits.count(sha) == 1);
    r.refs["refs/heads/" + branch] = sha;
  }

  void Tag(const std::string& repo, const std::string& tag, const std::string& sha) {
    std::lock_guard<std::mutex> lock(mu_);
    Repo& r = MustRepo(repo);
    ODMD_CHECK(r.commits.count(sha) == 1);
    r.refs["refs/tags/" + tag] = sha;
  }

  void DeleteBranch(const std::string& repo, const std::string& branch) {
    std::lock_guard<std::mutex> lock(mu_);
    MustRepo(repo).refs.erase("refs/heads/" + branch);
  }

  // The files of commit `sha` (empty if unknown).
  Files FilesAt(const std::string& repo, const std::string& sha) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto r = repos_.find(repo);
    if (r == repos_.end()) return {};
    auto c = r->second.commits.find(sha);
    return c == r->second.commits.end() ? Files{} : c->second.files;
  }

  // How many times CommitFile made a commit.
  int commit_file_count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return commit_file_count_;
  }

  // --- reconcile::Git ---

  Result<std::vector<reconcile::GitRef>> ListRefs(std::string_view repo) override {
    std::lock_guard<std::mutex> lock(mu_);
    ODMD_ASSIGN_OR_RETURN(const Repo* r, FindRepo(repo));
    std::vector<reconcile::GitRef> refs;
    for (const auto& [name, sha] : r->refs) refs.push_back({name, sha});
    return refs;  // std::map: sorted by name
  }

  Result<std::vector<reconcile::GitCommit>> CommitsBetween(std::string_view repo,
                                                           std::string_view old_sha,
                                                           std::string_view new_sha) override {
    std::lock_guard<std::mutex> lock(mu_);
    ODMD_ASSIGN_OR_RETURN(const Repo* r, FindRepo(repo));
    if (!old_sha.empty()) ODMD_RETURN_IF_ERROR(CheckCommit(*r, repo, old_sha));
    ODMD_RETURN_IF_ERROR(CheckCommit(*r, repo, new_sha));
    std::set<std::string> excluded;
    for (std::string s(old_sha); !s.empty(); s = r->commits.at(s).parent) excluded.insert(s);
    std::vector<reconcile::GitCommit> out;
    for (std::string s(new_sha); !s.empty() && excluded.count(s) == 0;
         s = r->commits.at(s).parent) {
      out.push_back(r->commits.at(s).info);
    }
    return out;
  }

  Result<std::optional<std::string>> ReadFile(std::string_view repo, std::string_view sha,
                                              std::string_view path) override {
    std::lock_guard<std::mutex> lock(mu_);
    ODMD_ASSIGN_OR_RETURN(const Repo* r, FindRepo(repo));
    if (!ValidPath(std::string(path))) {
      return InvalidArgumentError("invalid file path \"" + std::string(path) +
                                  "\" for git repository \"" + std::string(repo) + "\"");
    }
    ODMD_RETURN_IF_ERROR(CheckCommit(*r, repo, sha));
    const Files& files = r->commits.at(std::string(sha)).files;
    auto f = files.find(std::string(path));
    if (f == files.end()) return std::optional<std::string>();
    return std::optional<std::string>(f->second);
  }

  Result<std::vector<std::string>> MissingFiles(std::string_view repo, std::string_view sha,
                                                const std::vector<std::string>& paths) override {
    std::lock_guard<std::mutex> lock(mu_);
    ODMD_ASSIGN_OR_RETURN(const Repo* r, FindRepo(repo));
    for (const std::string& path : paths) {
      if (!ValidPath(path)) {
        return InvalidArgumentError("invalid file path \"" + path + "\" for git repository \"" +
                                    std::string(repo) + "\"");
      }
    }
    ODMD_RETURN_IF_ERROR(CheckCommit(*r, repo, sha));
    const Files& files = r->commits.at(std::string(sha)).files;
    std::vector<std::string> missing;
    for (const std::string& path : paths) {
      if (files.count(path) == 0) missing.push_back(path);
    }
    return missing;
  }

  Status CheckoutWorktree(std::string_view repo, std::string_view sha,
                          const std::string& dir) override {
    Files files;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ODMD_ASSIGN_OR_RETURN(const Repo* r, FindRepo(repo));
      ODMD_RETURN_IF_ERROR(CheckCommit(*r, repo, sha));
      files = r->commits.at(std::string(sha)).files;
    }
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec))) {
      return FailedPreconditionError("worktree directory \"" + dir +
                                     "\" exists and is not an empty directory");
    }
    for (const auto& [path, content] : files) {
      const fs::path file = fs::path(dir) / path;
      fs::create_directories(file.parent_path(), ec);
      std::ofstream(file, std::ios::binary) << content;
    }
    fs::create_directories(dir, ec);
    return OkStatus();
  }

  Status RemoveWorktree(std::string_view /*repo*/, const std::string& dir) override {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return OkStatus();
  }

  Result<reconcile::CommitFileResult> CommitFile(
      std::string_view repo, const reconcile::CommitFileRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    ODMD_ASSIGN_OR_RETURN(const Repo* found, FindRepo(repo));
    Repo& r = const_cast<Repo&>(*found);
    const std::string q = "\"" + std::string(repo) + "\"";
    if (!ValidPath(request.path)) {
      return InvalidArgumentError("invalid file path \"" + request.path + "\" for git repository " +
                                  q);
    }
    if (!request.expected_head.empty() && !reconcile::IsFullSha(request.expected_head)) {
      return InvalidArgumentError("expected head \"" + request.expected_head +
                                  "\" is not a full sha");
    }
    auto it = r.refs.find("refs/heads/" + request.branch);
    if (it == r.refs.end()) {
      return NotFoundError("branch \"" + request.branch + "\" not found in git repository " + q);
    }
    const std::string head = it->second;
    if (!request.expected_head.empty() && head != request.expected_head) {
      return AbortedError("branch \"" + request.branch + "\" of git repository " + q +
                          " moved: it is at " + head + ", expected " + request.expected_head);
    }
    const CommitData& parent = r.commits.at(head);
    if (auto f = parent.files.find(request.path);
        f != parent.files.end() && f->second == request.content) {
      return reconcile::CommitFileResult{true, head};
    }
    CommitData c;
    c.parent = head;
    c.files = parent.files;
    c.files[request.path] = request.content;
    c.info = {NextSha(), request.message, request.author, 0};
    const std::string sha = c.info.sha;
    r.commits[sha] = std::move(c);
    it->second = sha;
    ++commit_file_count_;
    return reconcile::CommitFileResult{false, sha};
  }

 private:
  struct CommitData {
    reconcile::GitCommit info;
    std::string parent;  // "" for a root commit
    Files files;
  };
  struct Repo {
    std::map<std::string, std::string> refs;  // full ref name -> sha
    std::map<std::string, CommitData> commits;
  };

  Repo& MustRepo(const std::string& repo) {
    auto it = repos_.find(repo);
    ODMD_CHECK(it != repos_.end());
    return it->second;
  }

  Result<const Repo*> FindRepo(std::string_view repo) const {
    auto it = repos_.find(std::string(repo));
    if (it == repos_.end()) {
      return NotFoundError("git repository \"" + std::string(repo) + "\" not found");
    }
    return &it->second;
  }

  // As CliGit: relative, no empty, ".", ".." or ".git" component, no NUL or newline.
  static bool ValidPath(std::string_view path) {
    if (path.empty() || path.find('\0') != std::string_view::npos ||
        path.find('\n') != std::string_view::npos) {
      return false;
    }
    size_t pos = 0;
    while (pos <= path.size()) {
      size_t end = path.find('/', pos);
      if (end == std::string_view::npos) end = path.size();
      const std::string_view part = path.substr(pos, end - pos);
      if (part.empty() || part == "." || part == ".." || part == ".git") return false;
      pos = end + 1;
    }
    return true;
  }

  static Status CheckCommit(const Repo& r, std::string_view repo, std::string_view sha) {
    if (!reconcile::IsFullSha(sha)) {
      return InvalidArgumentError("\"" + std::string(sha) + "\" is not a full commit sha");
    }
    if (r.commits.count(std::string(sha)) == 0) {
      return NotFoundError("commit " + std::string(sha) + " not found in git repository \"" +
                           std::string(repo) + "\"");
    }
    return OkStatus();
  }

  std::string NextSha() {
    char buf[41];
    std::snprintf(buf, sizeof(buf), "%040llx", static_cast<unsigned long long>(++next_sha_));
    return buf;
  }

  mutable std::mutex mu_;
  std::map<std::string, Repo, std::less<>> repos_;
  unsigned long long next_sha_ = 0xfa4e0000;
  int commit_file_count_ = 0;
};

}  // namespace odmd::testing
