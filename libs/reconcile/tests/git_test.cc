// Tests of the Git seam: the same behavioural suite runs against CliGit on real repositories
// (a bare repo plus a work clone that commits and pushes) and against FakeGit, so the fake
// cannot drift. CliGit-only tests follow.

#include "odmd/reconcile/git.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "git_plumbing.h"
#include "odmd/testing/fake_git.h"
#include "odmd/testing/shell.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::reconcile {
namespace {

namespace fs = std::filesystem;
using ::odmd::testing::IsOk;
using ::odmd::testing::Q;
using ::odmd::testing::Sh;
using ::odmd::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Files = std::map<std::string, std::string>;

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every regular file under `dir`, by relative path.
Files ReadTree(const fs::path& dir) {
  Files files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) files[fs::relative(e.path(), dir).string()] = ReadAll(e.path());
  }
  return files;
}

fs::path NewTempDir() {
  std::random_device rd;
  fs::path dir = fs::temp_directory_path() /
                 ("odmd-git-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
  fs::create_directories(dir);
  return dir;
}

// A world of repositories that the typed suite drives: creates repos and commits, and
// exposes the Git under test (CliGit, or Libgit2Git with `kLibgit2`).
template <bool kLibgit2>
class RealGitWorldOf {
 public:
  RealGitWorldOf() : root_(NewTempDir()), git_(kLibgit2 ? NewLibgit2Git() : NewCliGit()) {
    // The test's own git commands: no user configuration, a fixed identity.
    ::setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    ::setenv("HOME", root_.c_str(), 1);
    ::setenv("GIT_AUTHOR_NAME", "Test Author", 1);
    ::setenv("GIT_AUTHOR_EMAIL", "author@example.com", 1);
    ::setenv("GIT_COMMITTER_NAME", "Test Committer", 1);
    ::setenv("GIT_COMMITTER_EMAIL", "committer@example.com", 1);
  }
  ~RealGitWorldOf() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::string NewRepo(const std::string& name) {
    const std::string bare = (root_ / (name + ".git")).string();
    Sh("git -c init.defaultBranch=main init -q --bare " + Q(bare));
    Sh("git clone -q " + Q(bare) + " " + Q(Work(bare)));
    return bare;
  }

  std::string Commit(const std::string& repo, const std::string& branch, const Files& files,
                     const std::string& message) {
    const std::string w = "git -C " + Q(Work(repo)) + " ";
    Sh(w + "fetch -q origin");
    if (Sh(w + "ls-remote --heads origin " + Q(branch)).empty()) {
      Sh(w + "checkout -q -f --orphan " + Q(branch));
      Sh(w + "rm -rfq --ignore-unmatch .");
      Sh(w + "clean -fdq");
    } else {
      Sh(w + "checkout -q -f -B " + Q(branch) + " " + Q("origin/" + branch));
    }
    for (const auto& [path, content] : files) {
      const fs::path file = fs::path(Work(repo)) / path;
      fs::create_directories(file.parent_path());
      std::ofstream(file, std::ios::binary) << content;
    }
    Sh(w + "add -A");
    Sh(w + "commit -q -m " + Q(message));
    Sh(w + "push -q origin " + Q(branch));
    return Sh(w + "rev-parse HEAD");
  }

  void SetBranch(const std::string& repo, const std::string& branch, const std::string& sha) {
    Sh("git -C " + Q(Work(repo)) + " push -q -f origin " + sha + ":refs/heads/" + branch);
  }

  void Tag(const std::string& repo, const std::string& tag, const std::string& sha) {
    Sh("git -C " + Q(Work(repo)) + " push -q origin " + sha + ":refs/tags/" + tag);
  }

  std::string TempDir() { return NewTempDir().string(); }
  Git& git() { return *git_; }
  static constexpr const char* kAuthorName = "Test Author";
  static constexpr const char* kAuthorEmail = "author@example.com";

  std::string Work(const std::string& repo) { return repo + ".work"; }
  const fs::path& root() const { return root_; }

 private:
  fs::path root_;
  std::unique_ptr<Git> git_;
};

using RealGitWorld = RealGitWorldOf<false>;
using Libgit2World = RealGitWorldOf<true>;

class FakeGitWorld {
 public:
  FakeGitWorld() : root_(NewTempDir()) {}
  ~FakeGitWorld() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  std::string NewRepo(const std::string& name) {
    git_.CreateRepo(name);
    return name;
  }
  std::string Commit(const std::string& repo, const std::string& branch, const Files& files,
                     const std::string& message) {
    return git_.Commit(repo, branch, files, message, {kAuthorName, kAuthorEmail});
  }
  void SetBranch(const std::string& repo, const std::string& branch, const std::string& sha) {
    git_.SetBranch(repo, branch, sha);
  }
  void Tag(const std::string& repo, const std::string& tag, const std::string& sha) {
    git_.Tag(repo, tag, sha);
  }
  std::string TempDir() {
    fs::path dir = root_ / std::to_string(next_++);
    fs::create_directories(dir);
    return dir.string();
  }
  Git& git() { return git_; }
  static constexpr const char* kAuthorName = "Test Author";
  static constexpr const char* kAuthorEmail = "author@example.com";

 private:
  fs::path root_;
  int next_ = 0;
  odmd::testing::FakeGit git_;
};

std::vector<std::string> Shas(const std::vector<GitCommit>& commits) {
  std::vector<std::string> shas;
  for (const GitCommit& c : commits) shas.push_back(c.sha);
  return shas;
}

template <typename World>
class GitContractTest : public ::testing::Test {
 protected:
  World world_;
  Git& git() { return world_.git(); }
};

using Worlds = ::testing::Types<RealGitWorld, Libgit2World, FakeGitWorld>;
class WorldNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    if (std::is_same_v<T, RealGitWorld>) return "CliGit";
    return std::is_same_v<T, Libgit2World> ? "Libgit2Git" : "FakeGit";
  }
};
TYPED_TEST_SUITE(GitContractTest, Worlds, WorldNames);

TYPED_TEST(GitContractTest, ListRefsListsBranchesAndTagsSortedByName) {
  auto& w = this->world_;
  const std::string repo = w.NewRepo("app");
  const std::string c1 = w.Commit(repo, "main", {{"a.txt", "1"}}, "one");
  const std::string c2 = w.Commit(repo, "main", {{"a.txt", "2"}}, "two");
  w.SetBranch(repo, "feature", c1);
  const std::string c3 = w.Commit(repo, "feature", {{"b.txt", "3"}}, "three");
  w.Tag(repo, "v1", c1);

  Result<std::vector<GitRef>> refs = this->git().ListRefs(repo);
  ODMD_ASSERT_OK(refs);
  EXPECT_THAT(*refs, ElementsAre(GitRef{"refs/heads/feature", c3}, GitRef{"refs/heads/main", c2},
                                 GitRef{"refs/tags/v1", c1}));
}

TYPED_TEST(GitContractTest, ListRefsOfAnEmptyRepoIsEmpty) {
  const std::string repo = this->world_.NewRepo("empty");
  Result<std::vector<GitRef>> refs = this->git().ListRefs(repo);
  ODMD_ASSERT_OK(refs);
  EXPECT_TRUE(refs->empty());
}

TYPED_TEST(GitContractTest, CommitsBetweenAFastForwardPushAreNewestFirst) {
  auto& w = this->world_;
  const std::string repo = w.NewRepo("app");
  const std::string c1 = w.Commit(repo, "main", {{"a.txt", "1"}}, "one");
  const std::string c2 = w.Commit(repo, "main", {{"a.txt", "2"}}, "two\n\nodmd: deploy prod");
  const std::string c3 = w.Commit(repo, "main", {{"a.txt", "3"}}, "three");

  Result<std::vector<GitCommit>> commits = this->git().CommitsBetween(repo, c1, c3);
  ODMD_ASSERT_OK(commits);
  EXPECT_THAT(Shas(*commits), ElementsAre(c3, c2));
  ASSERT_EQ(commits->size(), 2u);
  EXPECT_THAT((*commits)[1].message, HasSubstr("two\n\nodmd: deploy prod"));
  EXPECT_EQ((*commits)[1].author, (GitIdentity{w.kAuthorName, w.kAuthorEmail}));

  Result<std::vector<GitCommit>> none = this->git().CommitsBetween(repo, c3, c3);
  ODMD_ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
}

TYPED_TEST(GitContractTest, CommitsBetweenAForcedPushAreThoseTheOldHeadLacks) {
  auto& w = this->world_;
  const std::string repo = w.NewRepo("app");
  const std::string c1 = w.Commit(repo, "main", {{"a.txt", "1"}}, "one");
  const std::string c2 = w.Commit(repo, "main", {{"a.txt", "2"}}, "two");
  w.SetBranch(repo, "main", c1);  // force-push main back
  const std::string c3 = w.Commit(repo, "main", {{"a.txt", "3"}}, "three");
  const std::string c4 = w.Commit(repo, "main", {{"a.txt", "4"}}, "four");

  Result<std::vector<GitCommit>> commits = this->git().CommitsBetween(repo, c2, c4);
  ODMD_ASSERT_OK(commits);
  EXPECT_THAT(Shas(*commits), ElementsAre(c4, c3));
}

TYPED_TEST(GitContractTest, CommitsBetweenWithoutOldShaListsTheWholeNewBranch) {
  auto& w = this->world_;
  const std::string repo = w.NewRepo("app");
  const std::string c1 = w.Commit(repo, "main", {{"a.txt", "1"}}, "one");
  w.SetBranch(repo, "feature", c1);
  const std::string c2 = w.Commit(repo, "feature", {{"b.txt", "2"}}, "two");

  Result<std::vector<GitCommit>> commits = this->git().CommitsBetween(repo, "", c2);
  ODMD_ASSERT_OK(commits);
  EXPECT_THAT(Shas(*commits), ElementsAre(c2, c1));
}

TYPED_TEST(GitContractTest, CommitsBetweenRejectsBadAndUnknownShas) {
  auto& w = this->world_;
  const std::string repo = w.NewRepo("app");
  const std::string c1 = w.Commit(repo, "main", {{"a.txt", "1"}}, "one");
  const std::string unknown(40, 'e');

  EXPECT_THAT(this->git().CommitsBetween(repo, "", unknown),
              StatusIs(StatusCode::kNotFound, HasSubstr(unknown)));
  EXPECT_THAT(this->git().CommitsBetween(repo, unknown, c1),
              StatusIs(StatusCode::kNotFound, HasSubstr(unknown)));
  EXPECT_THAT(this->git().CommitsBetween(repo, "", "main"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("\"main\"")));
  EXPECT_THAT(this->git().CommitsBetween(repo, "", "--all"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("\"--all\"")));
}

TYPED_TEST(GitContractTest, AMissingRepoIsNotFound) {
  auto& w = this->world_;
  const std::string missing = w.TempDir() + "/no-such-repo";
  EXPECT_THAT(this->git().ListRefs(missing), StatusIs(StatusCode::kNotFound, HasSubstr(missing)));
  EXPECT_THAT(this->git().CommitsBetween(missing, "", std::string(40, 'a')),
              StatusIs(StatusCode::kNotFound, HasSubstr(missing)));
  EXPECT_THAT(this->git().CheckoutWorktree(missing, std::string(40, 'a'), w.TempDir() + "/wt"),
              StatusIs(StatusCode::kNotFound, HasSubstr(missing)));
  CommitFileRequest request{"main", "f.txt", "x", "m", {"A", "a@example.com"}, ""};
  EXPECT_THAT(this->git().CommitFile(missing, request),
              StatusIs(StatusCode::kNotFound, HasSubstr(missing)));
}

TYPED_TEST(GitContractTest, CheckoutWorktreeWritesExactlyTheCommitsFiles) {
  auto& w = this->world_;
  const std::string repo = w.NewRepo("app");
  const std::string c1 =
      w.Commit(repo, "main", {{"a.txt", "one\n"}, {"dir/sub/b.txt", "bee"}}, "one");
  w.Commit(repo, "main", {{"a.txt", "two\n"}, {"c.txt", "sea"}}, "two");

  const std::string dir = w.TempDir() + "/wt";
  ODMD_ASSERT_OK(this->git().CheckoutWorktree(repo, c1, dir));
  EXPECT_EQ(ReadTree(dir), (Files{{"a.txt", "one\n"}, {"dir/sub/b.txt", "bee"}}));

  // An existing, non-empty directory is refused.
  EXPECT_THAT(this->git().CheckoutWorktree(repo, c1, dir),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr(dir)));

  ODMD_ASSERT_OK(this->git().RemoveWorktree(repo, dir));
  EXPECT_FALSE(fs::exists(dir));
  ODMD_EXPECT_OK(this->git().RemoveWorktree(repo, dir));  // already gone: fine
}

TYPED_TEST(GitContractTest, MissingFilesNamesThePathsTheCommitHasNoFileAt) {
  auto& w = this->world_;
  const std::string repo = w.NewRepo("app");
  const std::string c1 =
      w.Commit(repo, "main",
               {{"a.md", "a"}, {"docs/x.md", "x"}, {"sp ace/y*.md", "y"}, {"dx.md", "d"}}, "one");
  const std::string c2 = w.Commit(repo, "main", {{"later.md", "l"}}, "two");
  const std::vector<std::string> asked = {"docs/x.md",    "docs",  "nope.md",     "a.md",
                                          "sp ace/y*.md", "d*.md", "docs/x.md/z", "later.md"};
  Result<std::vector<std::string>> missing = this->git().MissingFiles(repo, c1, asked);
  ODMD_ASSERT_OK(missing);
  // A directory is not a file; "*" is a character, not a pattern; later commits do not count.
  EXPECT_EQ(*missing,
            (std::vector<std::string>{"docs", "nope.md", "d*.md", "docs/x.md/z", "later.md"}));
  missing = this->git().MissingFiles(repo, c2, {"later.md", "a.md"});
  ODMD_ASSERT_OK(missing);
  EXPECT_THAT(*missing, IsEmpty());
  missing = this->git().MissingFiles(repo, c2, {});
  ODMD_ASSERT_OK(missing);
  EXPECT_THAT(*missing, IsEmpty());

  EXPECT_THAT(this->git().MissingFiles(repo, std::string(40, 'a'), {"a.md"}),
              StatusIs(StatusCode::kNotFound));
  for (const std::string bad : {"../a.md", "/a.md", "docs/", ".git/config", ""}) {
    EXPECT_THAT(this->git().MissingFiles(repo, c1, {"a.md", bad}),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("invalid file path")))
        << bad;
  }
}

TYPED_TEST(GitContractTest, CheckoutWorktreeOfAnUnknownCommitIsNotFound) {
  auto& w = this->world_;
  const std::string repo = w.NewRepo("app");
  w.Commit(repo, "main", {{"a.txt", "1"}}, "one");
  const std::string unknown(40, 'c');
  EXPECT_THAT(this->git().CheckoutWorktree(repo, unknown, w.TempDir() + "/wt"),
              StatusIs(StatusCode::kNotFound, HasSubstr(unknown)));
}

TYPED_TEST(GitContractTest, CommitFileCommitsOnTopOfTheBranch) {
  auto& w = this->world_;
  const std::string repo = w.NewRepo("app");
  const std::string c1 = w.Commit(repo, "main", {{"a.txt", "1"}}, "one");

  CommitFileRequest request{
      "main", ".odmd/deploy.yml", "jobs: {}\n", "add workflow", {"Platform", "p@example.com"}, c1};
  Result<CommitFileResult> result = this->git().CommitFile(repo, request);
  ODMD_ASSERT_OK(result);
  EXPECT_FALSE(result->unchanged);
  EXPECT_TRUE(IsFullSha(result->sha));

  Result<std::vector<GitRef>> refs = this->git().ListRefs(repo);
  ODMD_ASSERT_OK(refs);
  EXPECT_THAT(*refs, ElementsAre(GitRef{"refs/heads/main", result->sha}));

  Result<std::vector<GitCommit>> commits = this->git().CommitsBetween(repo, c1, result->sha);
  ODMD_ASSERT_OK(commits);
  ASSERT_EQ(commits->size(), 1u);
  EXPECT_THAT((*commits)[0].message, HasSubstr("add workflow"));
  EXPECT_EQ((*commits)[0].author, (GitIdentity{"Platform", "p@example.com"}));

  const std::string dir = w.TempDir() + "/wt";
  ODMD_ASSERT_OK(this->git().CheckoutWorktree(repo, result->sha, dir));
  EXPECT_EQ(ReadTree(dir), (Files{{".odmd/deploy.yml", "jobs: {}\n"}, {"a.txt", "1"}}));
}

TYPED_TEST(GitContractTest, CommitFileWithIdenticalContentMakesNoCommit) {
  auto& w = this->world_;
  const std::string repo = w.NewRepo("app");
  w.Commit(repo, "main", {{"a.txt", "1"}}, "one");
  CommitFileRequest request{"main", "wf.yml", "x\n", "write", {"P", "p@example.com"}, ""};
  Result<CommitFileResult> first = this->git().CommitFile(repo, request);
  ODMD_ASSERT_OK(first);
  EXPECT_FALSE(first->unchanged);

  Result<CommitFileResult> second = this->git().CommitFile(repo, request);
  ODMD_ASSERT_OK(second);
  EXPECT_TRUE(second->unchanged);
  EXPECT_EQ(second->sha, first->sha);
  Result<std::vector<GitRef>> refs = this->git().ListRefs(repo);
  ODMD_ASSERT_OK(refs);
  EXPECT_THAT(*refs, ElementsAre(GitRef{"refs/heads/main", first->sha}));
}

TYPED_TEST(GitContractTest, CommitFileIsAbortedWhenTheBranchMoved) {
  auto& w = this->world_;
  const std::string repo = w.NewRepo("app");
  const std::string c1 = w.Commit(repo, "main", {{"a.txt", "1"}}, "one");
  const std::string c2 = w.Commit(repo, "main", {{"a.txt", "2"}}, "a concurrent push");

  CommitFileRequest request{"main", "wf.yml", "x\n", "write", {"P", "p@example.com"}, c1};
  EXPECT_THAT(this->git().CommitFile(repo, request),
              StatusIs(StatusCode::kAborted, HasSubstr("\"main\"")));
  Result<std::vector<GitRef>> refs = this->git().ListRefs(repo);
  ODMD_ASSERT_OK(refs);
  EXPECT_THAT(*refs, ElementsAre(GitRef{"refs/heads/main", c2}));  // the push is not lost
}

TYPED_TEST(GitContractTest, CommitFileRejectsAMissingBranchAndBadPaths) {
  auto& w = this->world_;
  const std::string repo = w.NewRepo("app");
  w.Commit(repo, "main", {{"a.txt", "1"}}, "one");
  CommitFileRequest request{"nope", "wf.yml", "x", "m", {"P", "p@example.com"}, ""};
  EXPECT_THAT(this->git().CommitFile(repo, request),
              StatusIs(StatusCode::kNotFound, HasSubstr("\"nope\"")));
  request.branch = "main";
  for (const std::string path :
       {"", "/etc/passwd", "../x", "a/../../x", "a//b", "dir/", ".git/config"}) {
    request.path = path;
    EXPECT_THAT(this->git().CommitFile(repo, request),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("\"" + path + "\"")));
  }
  request.path = "wf.yml";
  request.expected_head = "main";
  EXPECT_THAT(this->git().CommitFile(repo, request),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("\"main\"")));
}

// --- the real implementations (CliGit, Libgit2Git) ---

template <typename World>
class RealGitTest : public ::testing::Test {
 protected:
  World world_;
  Git& git() { return world_.git(); }
};
using RealWorlds = ::testing::Types<RealGitWorld, Libgit2World>;
TYPED_TEST_SUITE(RealGitTest, RealWorlds, WorldNames);

// --- CliGit only (the git binary) ---

class CliGitTest : public ::testing::Test {
 protected:
  RealGitWorld world_;
  Git& git() { return world_.git(); }
};

TYPED_TEST(RealGitTest, AnnotatedTagsArePeeledToTheirCommit) {
  const std::string repo = this->world_.NewRepo("app");
  const std::string c1 = this->world_.Commit(repo, "main", {{"a.txt", "1"}}, "one");
  const std::string w = "git -C " + Q(this->world_.Work(repo)) + " ";
  Sh(w + "tag -a -m release v2 " + c1);
  Sh(w + "push -q origin v2");
  Result<std::vector<GitRef>> refs = this->git().ListRefs(repo);
  ODMD_ASSERT_OK(refs);
  EXPECT_THAT(*refs, ElementsAre(GitRef{"refs/heads/main", c1}, GitRef{"refs/tags/v2", c1}));
}

TYPED_TEST(RealGitTest, ADirectoryThatIsNotARepoIsNotFound) {
  const std::string dir = (this->world_.root() / "plain").string();
  fs::create_directories(dir);
  EXPECT_THAT(this->git().ListRefs(dir),
              StatusIs(StatusCode::kNotFound, HasSubstr("\"" + dir + "\" is not a git")));
}

TYPED_TEST(RealGitTest, ACloneSeesTheCommittedFileAndTheCommitter) {
  const std::string repo = this->world_.NewRepo("app");
  this->world_.Commit(repo, "main", {{"a.txt", "1"}}, "one");
  CommitFileRequest request{"main", "ci/wf.yml", "on: push\n", "add", {"P", "p@example.com"}, ""};
  ODMD_ASSERT_OK(this->git().CommitFile(repo, request));
  const std::string clone = (this->world_.root() / "clone").string();
  Sh("git clone -q " + Q(repo) + " " + Q(clone));
  EXPECT_EQ(ReadAll(fs::path(clone) / "ci/wf.yml"), "on: push\n");
  EXPECT_EQ(Sh("git -C " + Q(clone) + " log -1 --format=%an/%cn/%ce"), "P/odmd/odmd@localhost");
}

TYPED_TEST(RealGitTest, AnInvalidBranchNameIsRejected) {
  const std::string repo = this->world_.NewRepo("app");
  this->world_.Commit(repo, "main", {{"a.txt", "1"}}, "one");
  CommitFileRequest request{"a..b", "wf.yml", "x", "m", {"P", "p@example.com"}, ""};
  EXPECT_THAT(this->git().CommitFile(repo, request),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("\"a..b\"")));
}

TEST_F(CliGitTest, AGitFailureNamesTheRepoTheCommandAndGitsError) {
  const std::string repo = world_.NewRepo("app");
  const std::string c1 = world_.Commit(repo, "main", {{"a.txt", "1"}}, "one");
  // Corrupt the repository: remove the loose tree object of c1.
  const std::string tree = Sh("git --git-dir=" + Q(repo) + " rev-parse " + c1 + "^{tree}");
  fs::remove(fs::path(repo) / "objects" / tree.substr(0, 2) / tree.substr(2));
  const Status s = git().CheckoutWorktree(repo, c1, (world_.root() / "wt").string());
  EXPECT_THAT(s, StatusIs(StatusCode::kInternal, HasSubstr(repo)));
  EXPECT_THAT(s.message(), HasSubstr("read-tree"));
  EXPECT_THAT(s.message(), HasSubstr("fatal: "));  // git's stderr
}

TEST_F(CliGitTest, CommitFileIsAbortedWhenAPushLandsDuringTheCommit) {
  const std::string repo = world_.NewRepo("app");
  const std::string c1 = world_.Commit(repo, "main", {{"a.txt", "1"}}, "one");
  const std::string c2 = world_.Commit(repo, "main", {{"a.txt", "2"}}, "two");
  world_.SetBranch(repo, "main", c1);
  // A git wrapper that lets "a concurrent push" move main to c2 just before CliGit's
  // update-ref (argv: git --git-dir=<dir> update-ref <ref> <new> <old>).
  const fs::path wrapper = world_.root() / "racy-git";
  std::ofstream(wrapper) << "#!/bin/sh\n"
                         << "if [ \"$2\" = update-ref ]; then git \"$1\" update-ref \"$3\" " << c2
                         << "; fi\nexec git \"$@\"\n";
  fs::permissions(wrapper, fs::perms::owner_all);
  std::unique_ptr<Git> git = NewCliGit({wrapper.string(), {"odmd", "odmd@localhost"}});

  CommitFileRequest request{"main", "wf.yml", "x\n", "write", {"P", "p@example.com"}, ""};
  EXPECT_THAT(git->CommitFile(repo, request),
              StatusIs(StatusCode::kAborted, HasSubstr("moved during the commit")));
  Result<std::vector<GitRef>> refs = git->ListRefs(repo);
  ODMD_ASSERT_OK(refs);
  EXPECT_THAT(*refs, ElementsAre(GitRef{"refs/heads/main", c2}));  // the push is kept
}

// CommitFile checks branch names in process (issue 17: one git process less per commit):
// its verdict must be git's own.
TYPED_TEST(RealGitTest, BranchNamesAreCheckedByGitsOwnRules) {
  const std::string repo = this->world_.NewRepo("app");
  this->world_.Commit(repo, "main", {{"a.txt", "1"}}, "one");
  const std::vector<std::string> names = {
      "a..b",  "a.lock", ".a",  "a/.b",     "a/",    "a//b",     "a b",        "a~b",  "a^b",
      "a:b",   "a?b",    "a*b", "a[b",      "a\\b",  "a@{b",     "@",          "a.",   "a/b.lock/c",
      "x@y",   "a{b",    "a}b", "\xc3\xa9", "a\x7f", "a\tb",     "a@",         "@a",   "a.b",
      "a/b/c", "a..",    "a/.", "..",       "lock",  "a.lock/b", "foo.locked", "a/b.", "@{a",
      "a]b",   "a!b",    "a#b", "a'b",      "a\"b",  "a|b",      "a<b>",       "a,b",  "a=b"};
  for (const std::string& name : names) {
    const std::string verdict =
        Sh("git check-ref-format " + Q("refs/heads/" + name) + " && echo valid || echo invalid");
    CommitFileRequest request{name, "wf.yml", "x", "m", {"P", "p@example.com"}, ""};
    // A valid name names a branch that does not exist.
    EXPECT_THAT(this->git().CommitFile(repo, request),
                StatusIs(verdict == "valid" ? StatusCode::kNotFound : StatusCode::kInvalidArgument))
        << Q(name) << " is " << verdict << " for git";
  }
}

TYPED_TEST(RealGitTest, ReadFileReadsTheFileOfTheCommit) {
  const std::string repo = this->world_.NewRepo("app");
  const std::string c1 = this->world_.Commit(
      repo, "main", {{"a.md", "a\nb\n"}, {"sp ace/y*.md", "no newline"}, {"docs/x.md", ""}}, "one");
  const std::string c2 = this->world_.Commit(repo, "main", {{"later.md", "l"}}, "two");
  auto read = [&](const std::string& sha, const std::string& path) {
    Result<std::optional<std::string>> r = this->git().ReadFile(repo, sha, path);
    EXPECT_TRUE(r.ok()) << path << ": " << r.status();
    return r.ok() ? *r : std::optional<std::string>("<error>");
  };
  EXPECT_EQ(read(c1, "a.md"), "a\nb\n");
  EXPECT_EQ(read(c1, "sp ace/y*.md"), "no newline");
  EXPECT_EQ(read(c1, "docs/x.md"), "");
  EXPECT_EQ(read(c1, "docs"), std::nullopt);  // a directory is not a file
  EXPECT_EQ(read(c1, "later.md"), std::nullopt);
  EXPECT_EQ(read(c2, "later.md"), "l");
  EXPECT_EQ(read(c1, "a.md/z"), std::nullopt);
  EXPECT_THAT(this->git().ReadFile(repo, std::string(40, 'a'), "a.md"),
              StatusIs(StatusCode::kNotFound, HasSubstr(std::string(40, 'a'))));
  EXPECT_THAT(this->git().ReadFile(repo, "abc", "a.md"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(this->git().ReadFile(repo, c1, "../a.md"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("invalid file path")));
  // An annotated tag's own sha is not a commit, as the tree of c1 is not.
  const std::string w = "git -C " + Q(this->world_.Work(repo)) + " ";
  Sh(w + "tag -a -m release v2 " + c1);
  Sh(w + "push -q origin v2");
  const std::string tag = Sh("git --git-dir=" + Q(repo) + " rev-parse refs/tags/v2");
  const std::string tree = Sh("git --git-dir=" + Q(repo) + " rev-parse " + c1 + "^{tree}");
  for (const std::string& not_commit : {tag, tree}) {
    EXPECT_THAT(this->git().ReadFile(repo, not_commit, "a.md"), StatusIs(StatusCode::kNotFound));
    EXPECT_THAT(this->git().MissingFiles(repo, not_commit, {"a.md"}),
                StatusIs(StatusCode::kNotFound));
  }
}

TEST(GitPlumbingTest, ParseCatFileReadsTypesAndContents) {
  const std::string sha(40, 'a');
  Result<std::vector<CatFileObject>> objects = ParseCatFile(
      sha + " commit 12\n" + sha + ":x missing\n" + sha + " blob 4\na\nb\n\n", {false, true, true});
  ODMD_ASSERT_OK(objects);
  ASSERT_EQ(objects->size(), 3u);
  EXPECT_EQ((*objects)[0].type, "commit");
  EXPECT_TRUE((*objects)[1].missing);
  EXPECT_EQ((*objects)[2].type, "blob");
  EXPECT_EQ((*objects)[2].content, "a\nb\n");
}

TEST(GitPlumbingTest, ParseCatFileRefusesOutputOfAnotherShape) {
  const std::string sha(40, 'a');
  EXPECT_THAT(ParseCatFile(sha + " commit 12\n", {false, false}),
              StatusIs(StatusCode::kInternal, HasSubstr("fewer answers")));
  EXPECT_THAT(ParseCatFile("fatal: nonsense\n", {false}),
              StatusIs(StatusCode::kInternal, HasSubstr("nonsense")));
  EXPECT_THAT(ParseCatFile(sha + " blob 10\nabc\n", {true}),
              StatusIs(StatusCode::kInternal, HasSubstr("cut short")));
}

TEST(Libgit2GitTest, ACorruptRepositoryIsAnInternalErrorNamingIt) {
  Libgit2World world;
  const std::string repo = world.NewRepo("app");
  const std::string c1 = world.Commit(repo, "main", {{"a.txt", "1"}}, "one");
  const std::string tree = Sh("git --git-dir=" + Q(repo) + " rev-parse " + c1 + "^{tree}");
  fs::remove(fs::path(repo) / "objects" / tree.substr(0, 2) / tree.substr(2));
  const Result<std::optional<std::string>> read = world.git().ReadFile(repo, c1, "a.txt");
  EXPECT_THAT(read, StatusIs(StatusCode::kInternal, HasSubstr(repo)));
  EXPECT_THAT(read.status().message(), HasSubstr("the tree of " + c1));
}

TEST_F(CliGitTest, AMissingGitBinaryIsUnavailable) {
  const std::string repo = world_.NewRepo("app");
  std::unique_ptr<Git> git = NewCliGit({"/nonexistent/git", {"odmd", "odmd@localhost"}});
  EXPECT_THAT(git->ListRefs(repo),
              StatusIs(StatusCode::kUnavailable, HasSubstr("/nonexistent/git")));
}

}  // namespace
}  // namespace odmd::reconcile
