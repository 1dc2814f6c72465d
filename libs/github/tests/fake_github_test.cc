// The client against the fake GitHub (tools/github-fake), which validates every request
// and response against GitHub's OpenAPI description: each test ends asserting that GitHub
// would have accepted everything the client sent.
#include "fake_github.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include <atomic>
#include <ctime>
#include <thread>

#include "odmd/base/base64.h"
#include "odmd/base/clock.h"
#include "odmd/github/api.h"
#include "test_keys.h"

namespace odmd::github {
namespace {

using ::odmd::github::testing::AppKey;
using ::odmd::github::testing::FakeGitHub;
using ::odmd::github::testing::OtherKey;
using std::chrono::milliseconds;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kWorkflow[] =
    "name: odmd-build\non:\n  workflow_dispatch:\n    inputs:\n"
    "      message:\n        type: string\n";

class FakeGitHubTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(""); }

  void Start(const std::string& prefix) {
    fake_ = std::make_unique<FakeGitHub>(prefix);
    ASSERT_TRUE(fake_->ok()) << fake_->error();
    fake_->SetApp(42, AppKey().public_pem);
    fake_->AddInstallation(7, "acme", {"svc"});
    main_ =
        fake_->CommitFiles("acme/svc", "main", {{".github/workflows/odmd-build.yml", kWorkflow}});
    ASSERT_FALSE(main_.empty());
    AppSettings settings;
    settings.api_url = fake_->api_url();
    settings.app_id = "42";
    settings.private_key_pem = AppKey().private_pem;
    auto client = GitHubClient::Create(settings, *transport_, clock_,
                                       [this](milliseconds d) { sleeps_.push_back(d); });
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(client).value();
    api_ = std::make_unique<GitHubApi>(*client_);
  }

  void TearDown() override {
    if (fake_ && fake_->ok() && expect_no_violations_) {
      EXPECT_THAT(fake_->Violations(), IsEmpty());
    }
  }

  // Statuses of the fake's log whose path contains `part`.
  std::vector<long> Statuses(const std::string& part) {
    std::vector<long> out;
    for (const auto& e : fake_->Log()) {
      if (e["path"].get<std::string>().find(part) != std::string::npos) out.push_back(e["status"]);
    }
    return out;
  }

  std::unique_ptr<Transport> transport_ = NewCurlTransport();
  SystemClock clock_;  // the fake checks the JWT's iat/exp against its own clock
  std::vector<milliseconds> sleeps_;
  std::unique_ptr<FakeGitHub> fake_;
  std::unique_ptr<GitHubClient> client_;
  std::unique_ptr<GitHubApi> api_;
  std::string main_;
  bool expect_no_violations_ = true;
  const RepoRef repo_{7, "acme", "svc"};
};

TEST_F(FakeGitHubTest, GitDataCallsWriteAFileOnANewBranchAndFastForwardMain) {
  auto head = api_->GetRef(repo_, "heads/main");
  ASSERT_TRUE(head.ok()) << head.status();
  ASSERT_EQ(**head, main_);
  auto commit = api_->GetCommit(repo_, main_);
  ASSERT_TRUE(commit.ok()) << commit.status();
  auto blob = api_->CreateBlob(repo_, "on: push\n");
  ASSERT_TRUE(blob.ok()) << blob.status();
  auto tree =
      api_->CreateTree(repo_, commit->tree_sha, {{".github/workflows/new.yml", "100644", *blob}});
  ASSERT_TRUE(tree.ok()) << tree.status();
  auto next = api_->CreateCommit(repo_, "odmd: workflows", *tree, {main_});
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_TRUE(api_->CreateRef(repo_, "refs/heads/feature/a", *next).ok());
  ASSERT_TRUE(api_->UpdateRef(repo_, "heads/main", *next).ok());
  auto file = api_->GetFile(repo_, ".github/workflows/new.yml", "feature/a");
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE(file->has_value());
  EXPECT_EQ((*file)->content, "on: push\n");
  EXPECT_EQ((*file)->sha, *blob);
  auto kept = api_->GetFile(repo_, "README.md", "main");
  ASSERT_TRUE(kept.ok() && kept->has_value()) << kept.status();
  EXPECT_EQ((*kept)->content, "# svc\n");
  auto missing_file = api_->GetFile(repo_, "nope.yml", "main");
  ASSERT_TRUE(missing_file.ok()) << missing_file.status();
  EXPECT_FALSE(missing_file->has_value());
  auto missing_ref = api_->GetRef(repo_, "heads/nope");
  ASSERT_TRUE(missing_ref.ok()) << missing_ref.status();
  EXPECT_FALSE(missing_ref->has_value());
  const auto state = fake_->State()["repos"]["acme/svc"];
  EXPECT_EQ(state["refs"]["refs/heads/main"], *next);
  EXPECT_EQ(state["files"]["refs/heads/feature/a"][".github/workflows/odmd-build.yml"], kWorkflow);
}

TEST_F(FakeGitHubTest, ADispatchStartsARunThatIsFollowedToItsConclusion) {
  auto dispatched =
      api_->DispatchWorkflow(repo_, "odmd-build.yml", "main", {{"message", "push abc"}});
  ASSERT_TRUE(dispatched.ok()) << dispatched.status();
  ASSERT_TRUE(dispatched->has_value());
  const int64_t* id = &**dispatched;
  auto run = api_->GetWorkflowRun(repo_, *id);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->status, "queued");
  EXPECT_FALSE(run->conclusion.has_value());
  EXPECT_EQ(run->head_branch, "main");
  EXPECT_EQ(run->head_sha, main_);
  EXPECT_EQ(run->path, ".github/workflows/odmd-build.yml");
  EXPECT_EQ(run->event, "workflow_dispatch");
  fake_->Control("POST", "/__fake/repos/acme/svc/runs/" + std::to_string(*id),
                 {{"status", "completed"}, {"conclusion", "success"}});
  run = api_->GetWorkflowRun(repo_, *id);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->status, "completed");
  EXPECT_EQ(run->conclusion, "success");
  auto runs = api_->ListWorkflowRuns(
      repo_, "odmd-build.yml", {.branch = "main", .event = "workflow_dispatch", .per_page = 10});
  ASSERT_TRUE(runs.ok()) << runs.status();
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].id, *id);
  auto all = api_->ListWorkflowRuns(repo_, "", {.status = "completed"});
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->size(), 1u);
  const auto dispatches = fake_->State()["dispatches"];
  ASSERT_EQ(dispatches.size(), 1u);
  EXPECT_EQ(dispatches[0]["ref"], "main");
  EXPECT_EQ(dispatches[0]["inputs"]["message"], "push abc");
}

// GitHub: "This event will only trigger a workflow run if the workflow file exists on the
// default branch" (the sync of issue 14 point 3 has to put it there too).
TEST_F(FakeGitHubTest, AWorkflowOnlyOnABranchCannotBeDispatchedUntilItIsOnTheDefaultBranch) {
  const std::string file = ".github/workflows/odmd-new.yml";
  fake_->CommitFiles("acme/svc", "feature", {{file, kWorkflow}});
  auto only_branch = api_->DispatchWorkflow(repo_, "odmd-new.yml", "feature", {});
  EXPECT_EQ(only_branch.status().code(), StatusCode::kNotFound);
  fake_->CommitFiles("acme/svc", "main", {{file, kWorkflow}});
  auto id = api_->DispatchWorkflow(repo_, "odmd-new.yml", "feature", {});
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(id->has_value());
  auto run = api_->GetWorkflowRun(repo_, **id);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->head_branch, "feature");
}

TEST_F(FakeGitHubTest, ASecretIsSealedForTheRepositorysKey) {
  ASSERT_TRUE(api_->PutRepoSecret(repo_, "ODMD_TOKEN", "tok-123").ok());
  ASSERT_TRUE(api_->PutRepoSecret(repo_, "ODMD_TOKEN", "tok-456").ok());  // an update: 204
  const auto state = fake_->State()["repos"]["acme/svc"];
  const auto key = state["public_key"];
  const auto secret = state["secrets"]["ODMD_TOKEN"];
  EXPECT_EQ(secret["key_id"], key["key_id"]);
  const auto pk = FromBase64(key["key"].get<std::string>());
  const auto sk = FromBase64(key["private"].get<std::string>());
  const auto box = FromBase64(secret["encrypted_value"].get<std::string>());
  ASSERT_TRUE(pk && sk && box);
  ASSERT_GE(sodium_init(), 0);
  std::string plain(box->size() - crypto_box_SEALBYTES, '\0');
  ASSERT_EQ(crypto_box_seal_open(reinterpret_cast<unsigned char*>(plain.data()),
                                 reinterpret_cast<const unsigned char*>(box->data()), box->size(),
                                 reinterpret_cast<const unsigned char*>(pk->data()),
                                 reinterpret_cast<const unsigned char*>(sk->data())),
            0);
  EXPECT_EQ(plain, "tok-456");
}

TEST_F(FakeGitHubTest, EnterpriseServersApiPathWorksTheSame) {
  fake_.reset();
  Start("/api/v3");
  EXPECT_THAT(fake_->api_url(), ::testing::EndsWith("/api/v3"));
  auto head = api_->GetRef(repo_, "heads/main");
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(**head, main_);
  // Validated against GitHub Enterprise Server's own description, which has no
  // return_run_details: the run is found by listing.
  auto id = api_->DispatchWorkflow(repo_, "odmd-build.yml", "main", {{"message", "m"}});
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_FALSE(id->has_value());
  auto runs = api_->ListWorkflowRuns(repo_, "odmd-build.yml",
                                     {.branch = "main", .event = "workflow_dispatch"});
  ASSERT_TRUE(runs.ok()) << runs.status();
  EXPECT_EQ(runs->size(), 1u);
}

TEST_F(FakeGitHubTest, TheValidatorReportsARequestGitHubWouldRefuse) {
  expect_no_violations_ = false;
  const Call no_ref{"actions/create-workflow-dispatch", "POST",
                    "/repos/acme/svc/actions/workflows/odmd-build.yml/dispatches",
                    nlohmann::json{{"inputs", nlohmann::json::object()}, {"bogus", 1}}};
  auto r = client_->AsInstallation(7, no_ref);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  const Call bad_query{"git/get-ref", "GET", "/repos/acme/svc/git/ref/heads/main?per_page=5",
                       std::nullopt};
  (void)client_->AsInstallation(7, bad_query);
  const auto violations = fake_->Violations();
  EXPECT_THAT(violations, Contains(HasSubstr("request body must have required property 'ref'")));
  EXPECT_THAT(violations, Contains(HasSubstr("unknown query parameter \"per_page\"")));
  EXPECT_THAT(violations, Contains(HasSubstr("\"bogus\" is not a permitted key")));
  EXPECT_TRUE(fake_->State()["dispatches"].empty());
}

// The fake's answers go through the same check: an answer GitHub's description does not
// allow is a violation, so a wrong fake cannot make a wrong client pass.
TEST_F(FakeGitHubTest, TheValidatorReportsAnAnswerGitHubWouldNotGive) {
  expect_no_violations_ = false;
  fake_->Inject("/git/ref/", 200, nlohmann::json::object(), {{"ref", "refs/heads/main"}});
  auto head = api_->GetRef(repo_, "heads/main");
  ASSERT_FALSE(head.ok());
  EXPECT_EQ(head.status().code(), StatusCode::kInternal);
  EXPECT_THAT(head.status().message(), HasSubstr("github git/get-ref GET "
                                                 "/repos/acme/svc/git/ref/heads/main: the "
                                                 "answer has no object.sha"));
  EXPECT_THAT(fake_->Violations(),
              Contains(HasSubstr("response body must have required property 'object'")));
}

TEST_F(FakeGitHubTest, ARevokedAppKeyIsUnauthenticatedAndNamed) {
  fake_->SetApp(42, OtherKey().public_pem);  // GitHub knows only the new key now
  auto head = api_->GetRef(repo_, "heads/main");
  ASSERT_FALSE(head.ok());
  EXPECT_EQ(head.status().code(), StatusCode::kUnauthenticated);
  EXPECT_THAT(head.status().message(),
              HasSubstr("github apps/create-installation-access-token POST "
                        "/app/installations/7/access_tokens: 401 Unauthorized: \"A JSON web "
                        "token could not be decoded\""));
  EXPECT_THAT(head.status().message(), HasSubstr("github git/get-ref GET"));
}

TEST_F(FakeGitHubTest, AnUnknownInstallationIsNotFound) {
  auto head = api_->GetRef({99, "acme", "svc"}, "heads/main");
  ASSERT_FALSE(head.ok());
  EXPECT_EQ(head.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(head.status().message(),
              HasSubstr("/app/installations/99/access_tokens: 404 Not Found: \"Not Found\""));
}

TEST_F(FakeGitHubTest, GitHubsRefusalsAreNamedAndChangeNothing) {
  main_ = fake_->CommitFiles("acme/svc", "main", {{".github/workflows/push.yml", "on: push\n"}});
  const auto before = fake_->State()["repos"]["acme/svc"]["refs"];
  const Status exists = api_->CreateRef(repo_, "refs/heads/main", main_);
  EXPECT_EQ(exists.code(), StatusCode::kAlreadyExists);
  EXPECT_THAT(exists.message(), HasSubstr("git/create-ref POST /repos/acme/svc/git/refs: 422 "
                                          "Unprocessable Entity: \"Reference already exists\""));
  auto tree = api_->CreateTree(repo_, "", {{"x.txt", "100644", *api_->CreateBlob(repo_, "x")}});
  ASSERT_TRUE(tree.ok()) << tree.status();
  auto root = api_->CreateCommit(repo_, "unrelated", *tree, {});
  ASSERT_TRUE(root.ok()) << root.status();
  const Status not_ff = api_->UpdateRef(repo_, "heads/main", *root);
  EXPECT_EQ(not_ff.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(not_ff.message(), HasSubstr("\"Update is not a fast forward\""));
  auto no_trigger = api_->DispatchWorkflow(repo_, "push.yml", "main", {});
  EXPECT_EQ(no_trigger.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(no_trigger.status().message(),
              HasSubstr("\"Workflow does not have 'workflow_dispatch' trigger\""));
  auto no_workflow = api_->DispatchWorkflow(repo_, "nope.yml", "main", {});
  EXPECT_EQ(no_workflow.status().code(), StatusCode::kNotFound);
  auto no_branch = api_->DispatchWorkflow(repo_, "odmd-build.yml", "gone", {});
  EXPECT_EQ(no_branch.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(no_branch.status().message(), HasSubstr("\"No ref found for: gone\""));
  EXPECT_EQ(fake_->State()["repos"]["acme/svc"]["refs"], before);
  EXPECT_TRUE(fake_->State()["dispatches"].empty());
}

TEST_F(FakeGitHubTest, ASecondaryLimitIsWaitedOutAndAPrimaryOneReported) {
  fake_->Inject("/git/ref/", 429, {{"retry-after", "2"}},
                {{"message", "You have exceeded a secondary rate limit."}});
  auto head = api_->GetRef(repo_, "heads/main");
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_THAT(sleeps_, ElementsAre(milliseconds(2000)));
  const long long reset = std::time(nullptr) + 3600;
  fake_->Inject("/git/ref/", 403,
                {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", std::to_string(reset)}},
                {{"message", "API rate limit exceeded for installation ID 7."}});
  auto limited = api_->GetRef(repo_, "heads/main");
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(limited.status().message(),
              HasSubstr("github git/get-ref GET /repos/acme/svc/git/ref/heads/main: 403 "
                        "Forbidden: \"API rate limit exceeded for installation ID 7.\": rate "
                        "limited; retry in"));
  EXPECT_EQ(sleeps_.size(), 1u);
}

TEST_F(FakeGitHubTest, AnExpiredTokenIsRenewedOnTheFirst401) {
  ASSERT_TRUE(api_->GetRef(repo_, "heads/main").ok());
  fake_->Control("POST", "/__fake/expire-tokens");
  auto head = api_->GetRef(repo_, "heads/main");
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_THAT(Statuses("/access_tokens"), ElementsAre(201, 201));
  EXPECT_THAT(Statuses("/git/ref/heads/main"), ElementsAre(200, 401, 304));
}

TEST_F(FakeGitHubTest, AMissingAppPermissionIsPermissionDeniedAndNamed) {
  fake_->AddInstallation(8, "beta", {"app"}, {{"contents", "write"}, {"metadata", "read"}});
  const RepoRef beta{8, "beta", "app"};
  ASSERT_TRUE(api_->GetRef(beta, "heads/main").ok());
  const Status secret = api_->PutRepoSecret(beta, "ODMD_TOKEN", "x");
  EXPECT_EQ(secret.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(secret.message(),
              HasSubstr("github actions/get-repo-public-key GET "
                        "/repos/beta/app/actions/secrets/public-key: 403 Forbidden: \"Resource "
                        "not accessible by integration\""));
  auto dispatch = api_->DispatchWorkflow(beta, "odmd-build.yml", "main", {});
  EXPECT_EQ(dispatch.status().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(sleeps_, IsEmpty());
  EXPECT_TRUE(fake_->State()["repos"]["beta/app"]["secrets"].empty());
}

TEST_F(FakeGitHubTest, ConcurrentCallsShareOneClient) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        auto head = api_->GetRef(repo_, "heads/main");
        if (head.ok() && head->has_value() && **head == main_) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 20);
  EXPECT_LE(Statuses("/access_tokens").size(), 4u);
}

TEST_F(FakeGitHubTest, AnUnchangedFileIsServedFromA304) {
  auto first = api_->GetFile(repo_, ".github/workflows/odmd-build.yml", "main");
  auto second = api_->GetFile(repo_, ".github/workflows/odmd-build.yml", "main");
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ((*second)->content, kWorkflow);
  EXPECT_THAT(Statuses("/contents/"), ElementsAre(200, 304));
}

}  // namespace
}  // namespace odmd::github
