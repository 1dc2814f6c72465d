// Libgit2Git: the production Git seam's reads and commits in process with libgit2 (issue 17,
// target 5: each `git` process cost intake ~10-26 ms on a busy machine). Worktrees and
// fetches still go through the git binary (CliGit): a checkout writes files, a fetch talks
// to a remote, and neither is on intake's path. No user or system git configuration is read.

#include <git2.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "git_plumbing.h"
#include "odmd/base/strings.h"
#include "odmd/reconcile/git.h"

namespace odmd::reconcile {
namespace {

// libgit2's last error of this thread, for messages.
std::string LastError() {
  const git_error* e = git_error_last();
  return e != nullptr && e->message != nullptr ? e->message : "unknown libgit2 error";
}

// Owning handles of libgit2 objects.
template <typename T, void (*Free)(T*)>
struct Handle {
  T* p = nullptr;
  Handle() = default;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() {
    if (p != nullptr) Free(p);
  }
  T** out() { return &p; }
  T* get() const { return p; }
};
using Repository = Handle<git_repository, git_repository_free>;
using Reference = Handle<git_reference, git_reference_free>;
using ReferenceIterator = Handle<git_reference_iterator, git_reference_iterator_free>;
using Object = Handle<git_object, git_object_free>;
using Commit = Handle<git_commit, git_commit_free>;
using Tree = Handle<git_tree, git_tree_free>;
using TreeEntry = Handle<git_tree_entry, git_tree_entry_free>;
using Blob = Handle<git_blob, git_blob_free>;
using Revwalk = Handle<git_revwalk, git_revwalk_free>;
using Signature = Handle<git_signature, git_signature_free>;

std::string Hex(const git_oid* oid) {
  char buf[GIT_OID_HEXSZ + 1] = {};
  git_oid_tostr(buf, sizeof buf, oid);
  return buf;
}

// Once per process: libgit2 initialised, and blind to every configuration file (as CliGit's
// GIT_CONFIG_NOSYSTEM / GIT_CONFIG_GLOBAL=/dev/null / HOME=/nonexistent).
void InitOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    git_libgit2_init();
    for (int level : {GIT_CONFIG_LEVEL_SYSTEM, GIT_CONFIG_LEVEL_XDG, GIT_CONFIG_LEVEL_GLOBAL,
                      GIT_CONFIG_LEVEL_PROGRAMDATA}) {
      git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, level, "");
    }
  });
}

class Libgit2Git final : public Git {
 public:
  explicit Libgit2Git(const CliGitOptions& options) : options_(options), cli_(NewCliGit(options)) {
    InitOnce();
  }

  Result<std::vector<GitRef>> ListRefs(std::string_view repo) override {
    Repository r;
    ODMD_RETURN_IF_ERROR(Open(repo, r));
    std::vector<GitRef> refs;
    for (const char* glob : {"refs/heads/*", "refs/tags/*"}) {
      ReferenceIterator it;
      if (git_reference_iterator_glob_new(it.out(), r.get(), glob) != 0) {
        return Failed(repo, "listing refs");
      }
      for (;;) {
        Reference ref;
        const int rc = git_reference_next(ref.out(), it.get());
        if (rc == GIT_ITEROVER) break;
        if (rc != 0) return Failed(repo, "listing refs");
        Object target;
        // Annotated tags peeled to what they tag, as for-each-ref's %(*objectname).
        if (git_reference_peel(target.out(), ref.get(), GIT_OBJECT_ANY) != 0) {
          return Failed(repo, std::string("reading ") + git_reference_name(ref.get()));
        }
        refs.push_back({git_reference_name(ref.get()), Hex(git_object_id(target.get()))});
      }
    }
    std::sort(refs.begin(), refs.end(),
              [](const GitRef& x, const GitRef& y) { return x.name < y.name; });
    return refs;
  }

  Result<std::vector<GitCommit>> CommitsBetween(std::string_view repo, std::string_view old_sha,
                                                std::string_view new_sha) override {
    Repository r;
    ODMD_RETURN_IF_ERROR(Open(repo, r));
    git_oid old_oid, new_oid;
    if (!old_sha.empty()) ODMD_RETURN_IF_ERROR(LookupCommit(repo, r, old_sha, &old_oid));
    ODMD_RETURN_IF_ERROR(LookupCommit(repo, r, new_sha, &new_oid));
    Revwalk walk;
    if (git_revwalk_new(walk.out(), r.get()) != 0 ||
        git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL) != 0 ||
        git_revwalk_push(walk.get(), &new_oid) != 0 ||
        (!old_sha.empty() && git_revwalk_hide(walk.get(), &old_oid) != 0)) {
      return Failed(repo, "walking the commits of " + std::string(new_sha));
    }
    std::vector<GitCommit> commits;
    git_oid oid;
    for (int rc; (rc = git_revwalk_next(&oid, walk.get())) != GIT_ITEROVER;) {
      if (rc != 0) return Failed(repo, "walking the commits of " + std::string(new_sha));
      Commit c;
      if (git_commit_lookup(c.out(), r.get(), &oid) != 0) {
        return Failed(repo, "reading commit " + Hex(&oid));
      }
      const git_signature* author = git_commit_author(c.get());
      const char* message = git_commit_message_raw(c.get());
      commits.push_back({Hex(&oid), message != nullptr ? message : "",
                         GitIdentity{author->name, author->email}, author->when.time});
    }
    return commits;
  }

  Status CheckoutWorktree(std::string_view repo, std::string_view sha,
                          const std::string& dir) override {
    return cli_->CheckoutWorktree(repo, sha, dir);
  }

  Status RemoveWorktree(std::string_view repo, const std::string& dir) override {
    return cli_->RemoveWorktree(repo, dir);
  }

  Status Fetch(std::string_view repo, const FetchRequest& request) override {
    return cli_->Fetch(repo, request);
  }

  Result<std::optional<std::string>> ReadFile(std::string_view repo, std::string_view sha,
                                              std::string_view path) override {
    Repository r;
    ODMD_RETURN_IF_ERROR(Open(repo, r));
    ODMD_RETURN_IF_ERROR(CheckTreePath(repo, path));
    Tree tree;
    ODMD_RETURN_IF_ERROR(CommitTree(repo, r, sha, tree));
    TreeEntry entry;
    if (!FindBlob(tree, std::string(path), entry)) return std::optional<std::string>();
    Blob blob;
    if (git_blob_lookup(blob.out(), r.get(), git_tree_entry_id(entry.get())) != 0) {
      return Failed(repo, "reading " + std::string(path) + " of " + std::string(sha));
    }
    return std::optional<std::string>(
        std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                    static_cast<size_t>(git_blob_rawsize(blob.get()))));
  }

  Result<std::vector<std::string>> MissingFiles(std::string_view repo, std::string_view sha,
                                                const std::vector<std::string>& paths) override {
    Repository r;
    ODMD_RETURN_IF_ERROR(Open(repo, r));
    for (const std::string& path : paths) ODMD_RETURN_IF_ERROR(CheckTreePath(repo, path));
    Tree tree;
    ODMD_RETURN_IF_ERROR(CommitTree(repo, r, sha, tree));
    std::vector<std::string> missing;
    for (const std::string& path : paths) {
      TreeEntry entry;
      if (!FindBlob(tree, path, entry)) missing.push_back(path);
    }
    return missing;
  }

  Result<CommitFileResult> CommitFile(std::string_view repo,
                                      const CommitFileRequest& request) override {
    Repository r;
    ODMD_RETURN_IF_ERROR(Open(repo, r));
    ODMD_RETURN_IF_ERROR(CheckTreePath(repo, request.path));
    if (!request.expected_head.empty() && !IsFullSha(request.expected_head)) {
      return InvalidArgumentError("expected head " + Quote(request.expected_head) +
                                  " is not a full sha");
    }
    const std::string ref = "refs/heads/" + request.branch;
    if (request.branch.empty() || request.branch[0] == '-' || !IsValidRefName(ref)) {
      return InvalidArgumentError("invalid branch name " + Quote(request.branch));
    }
    git_oid head_oid;
    if (git_reference_name_to_id(&head_oid, r.get(), ref.c_str()) != 0) {
      return NotFoundError("branch " + Quote(request.branch) + " not found in git repository " +
                           Quote(repo));
    }
    const std::string head = Hex(&head_oid);
    if (!request.expected_head.empty() && head != request.expected_head) {
      return AbortedError("branch " + Quote(request.branch) + " of git repository " + Quote(repo) +
                          " moved: it is at " + head + ", expected " + request.expected_head);
    }
    Commit parent;
    Tree tree;
    if (git_commit_lookup(parent.out(), r.get(), &head_oid) != 0 ||
        git_commit_tree(tree.out(), parent.get()) != 0) {
      return Failed(repo, "reading branch " + Quote(request.branch));
    }
    git_oid blob_oid, tree_oid;
    if (git_blob_create_from_buffer(&blob_oid, r.get(), request.content.data(),
                                    request.content.size()) != 0) {
      return Failed(repo, "writing the blob of " + request.path);
    }
    git_tree_update update = {};
    update.action = GIT_TREE_UPDATE_UPSERT;
    update.id = blob_oid;
    update.filemode = GIT_FILEMODE_BLOB;
    update.path = request.path.c_str();
    if (git_tree_create_updated(&tree_oid, r.get(), tree.get(), 1, &update) != 0) {
      return Failed(repo, "writing the tree with " + request.path);
    }
    if (git_oid_equal(&tree_oid, git_tree_id(tree.get()))) return CommitFileResult{true, head};
    return WriteCommit(repo, r, request, ref, parent, tree_oid, head_oid);
  }

 private:
  // Opens `repo` (bare, or a work tree's .git) without searching parent directories.
  static Status Open(std::string_view repo, Repository& r) {
    ODMD_ASSIGN_OR_RETURN(const std::string git_dir, GitDirOf(repo));
    if (git_repository_open_ext(r.out(), git_dir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) !=
        0) {
      return NotFoundError(Quote(repo) + " is not a git repository: " + LastError());
    }
    return OkStatus();
  }

  static Status Failed(std::string_view repo, const std::string& what) {
    return InternalError("git repository " + Quote(repo) + ": " + what + ": " + LastError());
  }

  static Status NotACommit(std::string_view repo, std::string_view sha) {
    return NotFoundError("commit " + std::string(sha) + " not found in git repository " +
                         Quote(repo));
  }

  // `sha` as a commit of the repository (into `c` when given): kInvalidArgument unless a full
  // sha, kNotFound unless a commit (a tag or tree object is not).
  static Status LookupCommit(std::string_view repo, Repository& r, std::string_view sha,
                             git_oid* oid, Commit* c = nullptr) {
    if (!IsFullSha(sha)) return InvalidArgumentError(Quote(sha) + " is not a full commit sha");
    const std::string hex(sha);
    Commit found;
    Commit& into = c != nullptr ? *c : found;
    if (git_oid_fromstr(oid, hex.c_str()) != 0 ||
        git_commit_lookup(into.out(), r.get(), oid) != 0) {
      return NotACommit(repo, sha);
    }
    return OkStatus();
  }

  static Status CommitTree(std::string_view repo, Repository& r, std::string_view sha, Tree& tree) {
    git_oid oid;
    Commit c;
    ODMD_RETURN_IF_ERROR(LookupCommit(repo, r, sha, &oid, &c));
    if (git_commit_tree(tree.out(), c.get()) != 0) {
      return Failed(repo, "reading the tree of " + std::string(sha));
    }
    return OkStatus();
  }

  // The blob at `path` in `tree`; false when there is none (nothing, or a directory).
  static bool FindBlob(const Tree& tree, const std::string& path, TreeEntry& entry) {
    return git_tree_entry_bypath(entry.out(), tree.get(), path.c_str()) == 0 &&
           git_tree_entry_type(entry.get()) == GIT_OBJECT_BLOB;
  }

  // The commit of `tree_oid` on top of `parent`, and the branch moved to it only if it is
  // still at `head_oid` (kAborted naming where it is otherwise).
  Result<CommitFileResult> WriteCommit(std::string_view repo, Repository& r,
                                       const CommitFileRequest& request, const std::string& ref,
                                       Commit& parent, const git_oid& tree_oid,
                                       const git_oid& head_oid) {
    Tree tree;
    Signature author, committer;
    if (git_tree_lookup(tree.out(), r.get(), &tree_oid) != 0 ||
        git_signature_now(author.out(), request.author.name.c_str(),
                          request.author.email.c_str()) != 0 ||
        git_signature_now(committer.out(), options_.committer.name.c_str(),
                          options_.committer.email.c_str()) != 0) {
      return Failed(repo, "preparing the commit");
    }
    git_oid commit_oid;
    const git_commit* parents[] = {parent.get()};
    if (git_commit_create(&commit_oid, r.get(), nullptr, author.get(), committer.get(), nullptr,
                          request.message.c_str(), tree.get(), 1, parents) != 0) {
      return Failed(repo, "writing the commit");
    }
    Reference moved;
    const int rc = git_reference_create_matching(moved.out(), r.get(), ref.c_str(), &commit_oid,
                                                 /*force=*/1, &head_oid, "odmd: commit file");
    if (rc != 0) {
      git_oid now;
      if (git_reference_name_to_id(&now, r.get(), ref.c_str()) == 0 &&
          !git_oid_equal(&now, &head_oid)) {
        return AbortedError("branch " + Quote(request.branch) + " of git repository " +
                            Quote(repo) + " moved during the commit: it is at " + Hex(&now) +
                            ", expected " + Hex(&head_oid));
      }
      return Failed(repo, "moving " + ref);
    }
    return CommitFileResult{false, Hex(&commit_oid)};
  }

  const CliGitOptions options_;
  const std::unique_ptr<Git> cli_;
};

}  // namespace

std::unique_ptr<Git> NewLibgit2Git(const CliGitOptions& options) {
  return std::make_unique<Libgit2Git>(options);
}

}  // namespace odmd::reconcile
