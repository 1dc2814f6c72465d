// SyncWorkflowFiles against the fake GitHub (tools/github-fake), which validates every
// request and answer against GitHub's OpenAPI description: each test ends asserting that
// GitHub would have accepted everything sent.
#include "github_workflow_sync.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "fake_github.h"
#include "odmd/base/clock.h"
#include "odmd/gen/generated_file.h"
#include "test_keys.h"

namespace odmd::reconcile {
namespace {

using github::testing::AppKey;
using github::testing::FakeGitHub;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kA[] = ".github/workflows/ODMD_svc-a.yaml";
constexpr char kB[] = ".github/workflows/ODMD_svc-b.yaml";
constexpr char kWorkflowA[] = "name: a\non:\n  workflow_dispatch:\n";
constexpr char kWorkflowB[] = "name: b\non:\n  workflow_dispatch:\n";

// The real transport, with a hook run before each request (a test pushes from there, between
// the sync's read and its ref update) and local answers for calls the fake lacks.
class HookedTransport : public github::Transport {
 public:
  explicit HookedTransport(github::Transport& inner) : inner_(inner) {}
  Result<github::HttpResponse> Send(const github::HttpRequest& request) override {
    if (before) before(request);
    if (local) {
      if (std::optional<github::HttpResponse> answer = local(request)) return *answer;
    }
    return inner_.Send(request);
  }
  std::function<void(const github::HttpRequest&)> before;
  std::function<std::optional<github::HttpResponse>(const github::HttpRequest&)> local;

 private:
  github::Transport& inner_;
};

bool IsRefUpdate(const github::HttpRequest& r) {
  return r.method == "PATCH" && r.url.find("/git/refs/heads/feature") != std::string::npos;
}

class WorkflowSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<FakeGitHub>();
    ASSERT_TRUE(fake_->ok()) << fake_->error();
    fake_->SetApp(42, AppKey().public_pem);
    fake_->AddInstallation(7, "acme", {"svc"});
    head_ = fake_->CommitFiles("acme/svc", "feature", {{"src/app.txt", "v1\n"}});
    ASSERT_FALSE(head_.empty());
    github::AppSettings settings;
    settings.api_url = fake_->api_url();
    settings.app_id = "42";
    settings.private_key_pem = AppKey().private_pem;
    auto client = github::GitHubClient::Create(settings, hooked_, clock_, [](auto) {});
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(client).value();
    api_ = std::make_unique<github::GitHubApi>(*client_);
  }

  void TearDown() override {
    if (fake_ && fake_->ok()) {
      EXPECT_THAT(fake_->Violations(), IsEmpty());
    }
  }

  Result<BranchSyncResult> Sync(const std::vector<WorkflowFile>& files,
                                std::string_view branch = "feature") {
    return SyncWorkflowFiles(*api_, repo_, branch, files, "odmd: sync workflows");
  }

  nlohmann::json Files(const std::string& branch = "feature") {
    return fake_->State()["repos"]["acme/svc"]["files"]["refs/heads/" + branch];
  }
  std::string Ref(const std::string& branch = "feature") {
    return fake_->State()["repos"]["acme/svc"]["refs"].value("refs/heads/" + branch, "");
  }

  // "METHOD path" of every call to the repository that writes, from log entry `from` on.
  std::vector<std::string> Writes(size_t from = 0) {
    std::vector<std::string> out;
    const nlohmann::json log = fake_->Log();
    for (size_t i = from; i < log.size(); ++i) {
      const std::string method = log[i]["method"];
      const std::string path = log[i]["path"];
      if (method != "GET" && path.starts_with("/repos/")) out.push_back(method + " " + path);
    }
    return out;
  }
  size_t LogSize() { return fake_->Log().size(); }

  std::unique_ptr<github::Transport> curl_ = github::NewCurlTransport();
  HookedTransport hooked_{*curl_};
  SystemClock clock_;  // the fake checks the JWT's iat/exp against its own clock
  std::unique_ptr<FakeGitHub> fake_;
  std::unique_ptr<github::GitHubClient> client_;
  std::unique_ptr<github::GitHubApi> api_;
  std::string head_;
  const github::RepoRef repo_{7, "acme", "svc"};
  const std::vector<WorkflowFile> files_{{kA, kWorkflowA}, {kB, kWorkflowB}};
};

TEST_F(WorkflowSyncTest, TheFirstSyncWritesOneCommitWithEveryFile) {
  auto r = Sync(files_);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->commit.has_value());
  EXPECT_EQ(r->head, *r->commit);
  EXPECT_EQ(r->attempts, 1);
  EXPECT_THAT(r->written, ElementsAre(kA, kB));
  EXPECT_EQ(Ref(), *r->commit);
  const nlohmann::json files = Files();
  EXPECT_EQ(files[kA], kWorkflowA);
  EXPECT_EQ(files[kB], kWorkflowB);
  EXPECT_EQ(files["src/app.txt"], "v1\n");  // the rest of the branch is kept
  auto commit = api_->GetCommit(repo_, *r->commit);
  ASSERT_TRUE(commit.ok()) << commit.status();
  EXPECT_THAT(commit->parents, ElementsAre(head_));
  EXPECT_EQ(r->parent, head_);
  EXPECT_EQ(commit->message, "odmd: sync workflows");
  EXPECT_THAT(Writes(),
              ElementsAre("POST /repos/acme/svc/git/blobs", "POST /repos/acme/svc/git/blobs",
                          "POST /repos/acme/svc/git/trees", "POST /repos/acme/svc/git/commits",
                          "PATCH /repos/acme/svc/git/refs/heads/feature"));
}

TEST_F(WorkflowSyncTest, ASecondSyncWritesNothing) {
  ASSERT_TRUE(Sync(files_).ok());
  const std::string ref = Ref();
  const size_t from = LogSize();
  auto r = Sync(files_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->commit.has_value());
  EXPECT_THAT(r->written, IsEmpty());
  EXPECT_EQ(r->head, ref);
  EXPECT_EQ(Ref(), ref);
  EXPECT_THAT(Writes(from), IsEmpty());
  EXPECT_GT(LogSize(), from);  // it did read
}

TEST_F(WorkflowSyncTest, AChangedFileWritesOneCommitWithOnlyIt) {
  ASSERT_TRUE(Sync(files_).ok());
  const std::string before = Ref();
  const size_t from = LogSize();
  std::vector<WorkflowFile> changed = files_;
  changed[1].content = "name: b2\non:\n  workflow_dispatch:\n";
  auto r = Sync(changed);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->written, ElementsAre(kB));
  EXPECT_EQ(Files()[kB], changed[1].content);
  EXPECT_EQ(Files()[kA], kWorkflowA);
  auto commit = api_->GetCommit(repo_, Ref());
  ASSERT_TRUE(commit.ok()) << commit.status();
  EXPECT_THAT(commit->parents, ElementsAre(before));
  EXPECT_THAT(Writes(from),
              ElementsAre("POST /repos/acme/svc/git/blobs", "POST /repos/acme/svc/git/trees",
                          "POST /repos/acme/svc/git/commits",
                          "PATCH /repos/acme/svc/git/refs/heads/feature"));
}

// overwriteWorkflow false (the default): absent -> written; what odmd generated, unedited ->
// updated; edited by a user -> kept and reported.
TEST_F(WorkflowSyncTest, AUserOwnedFileIsWrittenWhenAbsentUpdatedWhileUneditedKeptOnceEdited) {
  std::vector<WorkflowFile> files = files_;
  files[0].user_owned = true;
  files[0].content = gen::Sealed("# Generated by odmd\nname: a\non:\n  workflow_dispatch:\n");
  auto first = Sync(files);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(first->written, ElementsAre(kA, kB));  // absent: the platform's version
  EXPECT_THAT(first->kept, IsEmpty());
  files[0].content = gen::Sealed("# Generated by odmd\nname: a1\non:\n  workflow_dispatch:\n");
  auto unedited = Sync(files);
  ASSERT_TRUE(unedited.ok()) << unedited.status();
  EXPECT_THAT(unedited->written, ElementsAre(kA));
  EXPECT_THAT(unedited->kept, IsEmpty());
  EXPECT_EQ(Files()[kA], files[0].content);
  const std::string mine = "name: mine\non:\n  workflow_dispatch:\n";
  fake_->CommitFiles("acme/svc", "feature", {{kA, mine}});
  const std::string edited = Ref();
  files[0].content = "name: a2\non:\n  workflow_dispatch:\n";  // the contracts changed too
  const size_t from = LogSize();
  auto again = Sync(files);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->commit.has_value());
  EXPECT_THAT(again->kept, ElementsAre(kA));
  EXPECT_EQ(Files()[kA], mine);
  EXPECT_EQ(Ref(), edited);
  EXPECT_THAT(Writes(from), IsEmpty());
  // The same file owned by the platform is replaced.
  files[0].user_owned = false;
  auto owned = Sync(files);
  ASSERT_TRUE(owned.ok()) << owned.status();
  EXPECT_THAT(owned->written, ElementsAre(kA));
  EXPECT_EQ(Files()[kA], files[0].content);
}

TEST_F(WorkflowSyncTest, AConcurrentPushIsRetriedFromTheNewHead) {
  std::string pushed;
  hooked_.before = [&](const github::HttpRequest& r) {
    if (IsRefUpdate(r) && pushed.empty()) {
      pushed = fake_->CommitFiles("acme/svc", "feature", {{"src/app.txt", "v2\n"}});
    }
  };
  auto r = Sync(files_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->attempts, 2);
  ASSERT_TRUE(r->commit.has_value());
  EXPECT_EQ(Ref(), *r->commit);
  auto commit = api_->GetCommit(repo_, *r->commit);
  ASSERT_TRUE(commit.ok()) << commit.status();
  EXPECT_THAT(commit->parents, ElementsAre(pushed));  // on top of the push, nothing lost
  EXPECT_EQ(r->parent, pushed);
  const nlohmann::json files = Files();
  EXPECT_EQ(files["src/app.txt"], "v2\n");
  EXPECT_EQ(files[kA], kWorkflowA);
  EXPECT_EQ(files[kB], kWorkflowB);
  // The refused update was GitHub's 422, then one more that passed.
  std::vector<long> updates;
  for (const auto& e : fake_->Log()) {
    if (e["method"] == "PATCH") updates.push_back(e["status"]);
  }
  EXPECT_THAT(updates, ElementsAre(422, 200));
}

TEST_F(WorkflowSyncTest, ABranchThatKeepsMovingFailsNamingIt) {
  int pushes = 0;
  std::string last;
  hooked_.before = [&](const github::HttpRequest& r) {
    if (IsRefUpdate(r)) {
      last = fake_->CommitFiles("acme/svc", "feature",
                                {{"src/app.txt", "push " + std::to_string(++pushes) + "\n"}});
    }
  };
  auto r = Sync(files_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kAborted);
  EXPECT_THAT(r.status().message(),
              HasSubstr("workflow sync of acme/svc branch \"feature\": the branch moved during "
                        "each of 4 attempts"));
  EXPECT_EQ(pushes, kWorkflowSyncAttempts);
  EXPECT_EQ(Ref(), last);
  EXPECT_FALSE(Files().contains(kA));
}

TEST_F(WorkflowSyncTest, AMissingBranchIsNotFoundNamingRepositoryAndBranch) {
  const size_t from = LogSize();
  auto r = Sync(files_, "nope");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(),
              HasSubstr("workflow sync of acme/svc branch \"nope\": the repository has no such "
                        "branch (or installation 7 of the app cannot see it)"));
  EXPECT_THAT(Writes(from), IsEmpty());
}

TEST_F(WorkflowSyncTest, AMissingWorkflowsPermissionSaysWhatToGrant) {
  // What GitHub answers an app without the workflows permission creating a tree that
  // changes .github/workflows/ (docs/github.md "Workflow sync").
  fake_->Inject("/git/trees$", 403, nlohmann::json::object(),
                {{"message", "Resource not accessible by integration"},
                 {"documentation_url", "https://docs.github.com/rest/git/trees#create-a-tree"},
                 {"status", "403"}});
  auto r = Sync(files_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  const std::string& m = r.status().message();
  EXPECT_THAT(m, HasSubstr("workflow sync of acme/svc branch \"feature\": GitHub refused to "
                           "write .github/workflows/ODMD_svc-a.yaml, "
                           ".github/workflows/ODMD_svc-b.yaml"));
  EXPECT_THAT(m, HasSubstr("\"Workflows: Read and write\""));
  EXPECT_THAT(m, HasSubstr("have acme accept the new permissions"));
  EXPECT_THAT(m, HasSubstr("Resource not accessible by integration"));
  EXPECT_EQ(Ref(), head_);
}

TEST_F(WorkflowSyncTest, AnInstallationWithoutTheWorkflowsPermissionIsRefused) {
  // The fake refuses the ref update as GitHub does; nothing else is injected.
  fake_->AddInstallation(8, "beta", {"svc"},
                         {{"contents", "write"}, {"actions", "write"}, {"metadata", "read"}});
  const std::string head = fake_->CommitFiles("beta/svc", "feature", {{"src/app.txt", "v1\n"}});
  const github::RepoRef beta{8, "beta", "svc"};
  auto r = SyncWorkflowFiles(*api_, beta, "feature", files_, "odmd: sync workflows");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(r.status().message(),
              HasSubstr("workflow sync of beta/svc branch \"feature\": GitHub refused to write "
                        ".github/workflows/ODMD_svc-a.yaml, .github/workflows/ODMD_svc-b.yaml"));
  EXPECT_THAT(r.status().message(), HasSubstr("\"Workflows: Read and write\""));
  EXPECT_THAT(r.status().message(), HasSubstr("without `workflows` permission"));
  EXPECT_EQ(fake_->State()["repos"]["beta/svc"]["refs"]["refs/heads/feature"], head);
}

TEST_F(WorkflowSyncTest, TheRefusalTextOfAGitPushIsThePermissionErrorToo) {
  fake_->Inject(
      "/git/refs/heads/feature$", 422, nlohmann::json::object(),
      {{"message",
        "refusing to allow a GitHub App to create or update workflow "
        "`.github/workflows/ODMD_svc-a.yaml` without `workflows` permission"},
       {"documentation_url", "https://docs.github.com/rest/git/refs#update-a-reference"}});
  auto r = Sync(files_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(r.status().message(), HasSubstr("\"Workflows: Read and write\""));
  EXPECT_EQ(Ref(), head_);
}

struct ErrorCase {
  std::string path_regex;
  int status;
  int times;
  std::string message;
  StatusCode code;
  std::string call;
};

TEST_F(WorkflowSyncTest, GitHubsErrorsAreClearAndChangeNoRef) {
  const ErrorCase cases[] = {
      // A 401 drops the token and retries once with a new one: both refused.
      {"/git/ref/heads/feature$", 401, 2, "Bad credentials", StatusCode::kUnauthenticated,
       "github git/get-ref GET /repos/acme/svc/git/ref/heads/feature: 401"},
      {"/git/blobs$", 404, 1, "Not Found", StatusCode::kNotFound,
       "github git/create-blob POST /repos/acme/svc/git/blobs: 404"},
      {"/git/commits$", 422, 1, "Tree SHA does not exist", StatusCode::kInvalidArgument,
       "github git/create-commit POST /repos/acme/svc/git/commits: 422"},
      {"/git/refs/heads/feature$", 422, 1, "Reference cannot be updated",
       StatusCode::kInvalidArgument,
       "github git/update-ref PATCH /repos/acme/svc/git/refs/heads/feature: 422"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.call);
    fake_->Inject(c.path_regex, c.status, nlohmann::json::object(),
                  {{"message", c.message}, {"documentation_url", "https://docs.github.com/rest"}},
                  c.times);
    auto r = Sync(files_);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), c.code);
    EXPECT_THAT(r.status().message(),
                HasSubstr("workflow sync of acme/svc branch \"feature\": " + c.call));
    EXPECT_THAT(r.status().message(), HasSubstr(c.message));
    EXPECT_EQ(Ref(), head_);
  }
}

TEST_F(WorkflowSyncTest, BadInputIsRefusedBeforeAnythingIsSent) {
  const size_t from = LogSize();
  const std::pair<std::vector<WorkflowFile>, std::string> cases[] = {
      {{{"README.md", "x"}}, "file \"README.md\" is not under .github/workflows/"},
      {{{"/.github/workflows/a.yaml", "x"}}, "is not under .github/workflows/"},
      {{{".github/workflows/../a.yaml", "x"}}, "is not a plain relative path"},
      {{{".github/workflows/", "x"}}, "is not under .github/workflows/"},
      {{{kA, "x"}, {kA, "y"}}, "file \".github/workflows/ODMD_svc-a.yaml\" is given twice"},
  };
  for (const auto& [files, want] : cases) {
    auto r = Sync(files);
    ASSERT_FALSE(r.ok()) << want;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr("workflow sync of acme/svc branch \"feature\": "));
    EXPECT_THAT(r.status().message(), HasSubstr(want));
  }
  auto no_branch = Sync(files_, "");
  EXPECT_EQ(no_branch.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(no_branch.status().message(), HasSubstr("no branch given"));
  EXPECT_EQ(LogSize(), from);
  EXPECT_EQ(Ref(), head_);
}

TEST_F(WorkflowSyncTest, TheDefaultBranchIsTheRepositorysDefaultBranch) {
  // The fake does not answer repos/get yet: the repository's answer is given here.
  std::string default_branch = "main";
  hooked_.local = [&](const github::HttpRequest& r) -> std::optional<github::HttpResponse> {
    if (r.method != "GET" || !r.url.ends_with("/repos/acme/svc")) return std::nullopt;
    return github::HttpResponse{
        200,
        {},
        nlohmann::json{{"full_name", "acme/svc"}, {"default_branch", default_branch}}.dump()};
  };
  auto r = SyncWorkflowFilesToDefaultBranch(*api_, repo_, files_, "odmd: sync workflows");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->branch, "main");
  EXPECT_EQ(Files("main")[kA], kWorkflowA);
  EXPECT_FALSE(Files("feature").contains(kA));
  // Now a dispatch of the workflow works on the enver branch once it is there too.
  ASSERT_TRUE(Sync(files_).ok());
  auto run = api_->DispatchWorkflow(repo_, "ODMD_svc-a.yaml", "feature", {{"message", "m"}});
  ASSERT_TRUE(run.ok()) << run.status();
  default_branch = "trunk";  // a default branch the repository lacks
  auto missing = SyncWorkflowFilesToDefaultBranch(*api_, repo_, files_, "m");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("acme/svc branch \"trunk\""));
}

TEST(WorkflowFilesOfTest, PicksTheBuildsFilesWithTheirOwnership) {
  const std::vector<gen::GeneratedFile> generated = {
      {kA, "a", false, "svc"},
      {kB, "b", true, "svc"},
      {".github/workflows/o.yaml", "o", false, "other"}};
  const std::vector<WorkflowFile> files = WorkflowFilesOf(generated, "svc");
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, kA);
  EXPECT_FALSE(files[0].user_owned);
  EXPECT_EQ(files[1].content, "b");
  EXPECT_TRUE(files[1].user_owned);
}

}  // namespace
}  // namespace odmd::reconcile
