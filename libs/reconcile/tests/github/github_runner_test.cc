// The GitHub runner (docs/github.md, "The GitHub runner"): a deployment of a build that runs
// on GitHub is a workflow_dispatch of its generated workflow, recorded with the deployment
// and followed to GitHub's conclusion by workflow_run deliveries or a poll; a restart
// follows a run in flight instead of dispatching again. Against the validating fake GitHub
// (tools/github-fake), real git repositories and a real Platform with its workers.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <thread>

#include "../platform_fixture.h"
#include "fake_github.h"
#include "odmd/base/strings.h"
#include "odmd/gen/workflows.h"
#include "odmd/github/api.h"
#include "odmd/github/client.h"
#include "odmd/github/transport.h"
#include "test_keys.h"

namespace odmd::reconcile {
namespace {

using ::odmd::github::testing::AppKey;
using ::odmd::github::testing::FakeGitHub;
using ::testing::HasSubstr;

constexpr std::int64_t kInstallation = 7;

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

class GitHubRunnerTest : public PlatformFixture {
 protected:
  void SetUp() override {
    PlatformFixture::SetUp();
    ASSERT_TRUE(fake_.ok()) << fake_.error();
    fake_.SetApp(42, AppKey().public_pem);
    fake_.AddInstallation(kInstallation, "acme", {"svc"});
    github::AppSettings settings;
    settings.api_url = fake_.api_url();
    settings.app_id = "42";
    settings.private_key_pem = AppKey().private_pem;
    transport_ = github::NewCurlTransport();
    auto client = github::GitHubClient::Create(settings, *transport_, clock_,
                                               [](std::chrono::milliseconds) {});
    ODMD_ASSERT_OK(client);
    client_ = std::move(client).value();
    api_ = std::make_unique<github::GitHubApi>(*client_);

    org_.name = "acme";
    org_.version = "1.0.0";
    org_.accounts = {{"central", "111111111111"}, {"workspace", "222222222222"}};
    model::Enver contracts = MakeEnver(model::RevRef::Branch("main"), {}, {});
    contracts.account = "central";
    org_.builds.push_back(
        MakeBuild("contracts", "contracts", {contracts}, model::BuildKind::kContracts));
    model::Build svc =
        MakeBuild("svc", "svc", {MakeEnver(model::RevRef::Branch("main"), {"url"}, {})});
    svc.repo.installation_id = kInstallation;
    org_.builds.push_back(svc);
    model::Canonicalize(org_);
    NewContractsRepo("acme/contracts", org_);
    NewServiceRepo("acme/svc");
  }

  void TearDown() override {
    PlatformFixture::TearDown();
    EXPECT_THAT(fake_.Violations(), ::testing::IsEmpty());
  }

  // svc's generated workflow on the fake's default branch, where GitHub needs it.
  std::string PutWorkflowOnDefaultBranch() {
    auto files = gen::GenerateWorkflows(org_);
    EXPECT_TRUE(files.ok());
    for (const gen::GeneratedFile& f : *files) {
      if (f.build_id == "svc") {
        fake_.CommitFiles("acme/svc", "main", {{f.path, f.content}});
        return f.path.substr(f.path.rfind('/') + 1);
      }
    }
    ADD_FAILURE() << "no workflow for svc";
    return "";
  }

  PlatformOptions GitHubOptions(std::chrono::milliseconds poll) {
    PlatformOptions o = Options();
    o.contracts_repo = "acme/contracts";
    o.start_workers = true;
    o.max_attempts = 1;
    o.github = GitHubRunnerOptions{api_.get(), {"svc"}, poll, nullptr};
    return o;
  }

  // Waits (bounded) until `pred` holds.
  template <typename Pred>
  bool Eventually(Pred pred, std::chrono::seconds limit = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return pred();
  }

  nlohmann::json Dispatches() { return fake_.State()["dispatches"]; }

  // The svc deployment that carries a run.
  nlohmann::json SvcDeployment() {
    auto ds = platform_->ListDeployments("svc/b..main", 10);
    if (!ds.ok() || (*ds)["deployments"].empty()) return nullptr;
    return (*ds)["deployments"][0];
  }

  void CompleteRun(std::int64_t run_id, const std::string& conclusion) {
    fake_.Control("POST", "/__fake/repos/acme/svc/runs/" + std::to_string(run_id),
                  {{"status", "completed"}, {"conclusion", conclusion}});
  }

  WorkflowRunEvent Delivery(std::int64_t run_id, const std::string& conclusion) {
    WorkflowRunEvent e;
    e.repository = "acme/svc";
    e.installation_id = kInstallation;
    e.action = "completed";
    e.run_id = run_id;
    e.status = "completed";
    e.conclusion = conclusion;
    e.html_url = "https://github.example/acme/svc/actions/runs/" + std::to_string(run_id);
    return e;
  }

  FakeGitHub fake_;
  std::unique_ptr<github::Transport> transport_;
  std::unique_ptr<github::GitHubClient> client_;
  std::unique_ptr<github::GitHubApi> api_;
  model::Org org_;
};

TEST_F(GitHubRunnerTest, ADeploymentIsADispatchFollowedToGitHubsConclusion) {
  const std::string workflow = PutWorkflowOnDefaultBranch();
  StartPlatform(GitHubOptions(std::chrono::hours(1)));  // only the webhook ends it
  ASSERT_TRUE(Eventually([&] { return SvcDeployment().value("run_id", 0) != 0; }));
  const nlohmann::json d = SvcDeployment();
  EXPECT_EQ(d["state"], "running");
  const nlohmann::json dispatches = Dispatches();
  ASSERT_EQ(dispatches.size(), 1u) << dispatches.dump();
  EXPECT_EQ(dispatches[0]["workflow"], ".github/workflows/" + workflow);
  EXPECT_EQ(dispatches[0]["ref"], "main");
  const std::string id = d["id"];
  EXPECT_THAT(dispatches[0]["inputs"]["message"].get<std::string>(), HasSubstr("[" + id + "]"));
  const std::int64_t run_id = d["run_id"];
  EXPECT_EQ(dispatches[0]["run_id"], run_id);
  EXPECT_THAT(d["run_url"].get<std::string>(), HasSubstr(std::to_string(run_id)));
  ASSERT_EQ(Events("deployment.dispatched").size(), 1u);

  // A delivery of another run changes nothing; this run's completion ends the deployment.
  auto other = platform_->IngestWorkflowRun(Delivery(run_id + 1000, "failure"));
  ODMD_ASSERT_OK(other);
  EXPECT_FALSE((*other)["followed"].get<bool>());
  CompleteRun(run_id, "success");
  auto followed = platform_->IngestWorkflowRun(Delivery(run_id, "success"));
  ODMD_ASSERT_OK(followed);
  EXPECT_TRUE((*followed)["followed"].get<bool>());
  ASSERT_TRUE(platform_->WaitIdle(std::chrono::seconds(30)));
  EXPECT_EQ(SvcDeployment()["state"], "succeeded");
  auto log = platform_->GetLog(id);
  ODMD_ASSERT_OK(log);
  EXPECT_THAT(*log, HasSubstr("run " + std::to_string(run_id)));
  EXPECT_THAT(*log, HasSubstr("completed (success)"));
  EXPECT_EQ(Dispatches().size(), 1u);
}

TEST_F(GitHubRunnerTest, WithoutWebhooksThePollFindsTheConclusion) {
  PutWorkflowOnDefaultBranch();
  StartPlatform(GitHubOptions(std::chrono::milliseconds(50)));
  ASSERT_TRUE(Eventually([&] { return SvcDeployment().value("run_id", 0) != 0; }));
  const std::int64_t run_id = SvcDeployment()["run_id"];
  CompleteRun(run_id, "failure");
  ASSERT_TRUE(platform_->WaitIdle(std::chrono::seconds(30)));
  const nlohmann::json d = SvcDeployment();
  EXPECT_EQ(d["state"], "failed");
  EXPECT_THAT(d["reason"].get<std::string>(),
              HasSubstr("GitHub Actions run " + std::to_string(run_id) + " concluded failure"));
  EXPECT_EQ(Dispatches().size(), 1u);
}

TEST_F(GitHubRunnerTest, ARestartFollowsTheRunInFlightInsteadOfDispatchingAgain) {
  PutWorkflowOnDefaultBranch();
  StartPlatform(GitHubOptions(std::chrono::hours(1)));
  ASSERT_TRUE(Eventually([&] { return SvcDeployment().value("run_id", 0) != 0; }));
  const std::string id = SvcDeployment()["id"];
  const std::int64_t run_id = SvcDeployment()["run_id"];
  platform_->Stop();
  platform_.reset();
  // The run finished while no platform listened: the new one asks GitHub when it starts.
  CompleteRun(run_id, "success");
  StartPlatform(GitHubOptions(std::chrono::hours(1)));
  ASSERT_TRUE(platform_->WaitIdle(std::chrono::seconds(30)));
  const nlohmann::json d = SvcDeployment();
  EXPECT_EQ(d["id"], id);
  EXPECT_EQ(d["state"], "succeeded");
  EXPECT_EQ(d["run_id"], run_id);
  EXPECT_EQ(Dispatches().size(), 1u) << "a restart must not dispatch the deployment again";
  // The log holds the first platform's lines and the second's.
  auto log = platform_->GetLog(id);
  ODMD_ASSERT_OK(log);
  EXPECT_THAT(*log, AllOf(HasSubstr("dispatching"), HasSubstr("completed (success)")));
  bool resumed = false;
  for (const auto& e : Events("deployment.resumed")) {
    resumed = resumed ||
              e["message"].get<std::string>().find(std::to_string(run_id)) != std::string::npos;
  }
  EXPECT_TRUE(resumed);
}

TEST_F(GitHubRunnerTest, ADispatchGitHubRefusesFailsTheDeploymentNamingTheWorkflow) {
  fake_.Inject("/dispatches$", 404, nlohmann::json::object(),
               {{"message", "Not Found"},
                {"documentation_url", "https://docs.github.com/rest"},
                {"status", "404"}});
  StartPlatform(GitHubOptions(std::chrono::hours(1)));
  ASSERT_TRUE(platform_->WaitIdle(std::chrono::seconds(30)));
  const nlohmann::json d = SvcDeployment();
  EXPECT_EQ(d["state"], "failed");
  EXPECT_THAT(d["reason"].get<std::string>(),
              AllOf(HasSubstr("actions/create-workflow-dispatch"), HasSubstr("acme/svc"),
                    HasSubstr("ODMD_svc-"), HasSubstr("404")));
  EXPECT_EQ(d.value("run_id", 0), 0);
  EXPECT_TRUE(Dispatches().empty());
}

// GitHub's refusals of a dispatch: each fails the deployment with a reason naming the call,
// the repository and GitHub's answer, and records no run.
struct Refusal {
  int status;
  nlohmann::json headers;
  std::string message;
  int times;
  std::string expected;  // in the deployment's reason
};

class GitHubRefusalTest : public GitHubRunnerTest, public ::testing::WithParamInterface<Refusal> {};

TEST_P(GitHubRefusalTest, FailsTheDeploymentNamingTheCallAndGitHubsAnswer) {
  const Refusal& r = GetParam();
  fake_.Inject("/dispatches$", r.status, r.headers,
               {{"message", r.message}, {"documentation_url", "https://docs.github.com/rest"}},
               r.times);
  StartPlatform(GitHubOptions(std::chrono::hours(1)));
  ASSERT_TRUE(platform_->WaitIdle(std::chrono::seconds(60)));
  const nlohmann::json d = SvcDeployment();
  EXPECT_EQ(d["state"], "failed");
  EXPECT_THAT(d["reason"].get<std::string>(), AllOf(HasSubstr("actions/create-workflow-dispatch"),
                                                    HasSubstr("acme/svc"), HasSubstr(r.expected)));
  EXPECT_EQ(d.value("run_id", 0), 0);
  EXPECT_TRUE(Dispatches().empty());
  EXPECT_TRUE(Events("deployment.dispatched").empty());
}

INSTANTIATE_TEST_SUITE_P(
    Statuses, GitHubRefusalTest,
    ::testing::Values(
        // A token GitHub stops accepting: renewed once, then the call fails.
        Refusal{401, nlohmann::json::object(), "Bad credentials", 2, "401"},
        Refusal{403, nlohmann::json::object(), "Resource not accessible by integration", 1,
                "Resource not accessible by integration"},
        Refusal{422, nlohmann::json::object(), "Unexpected inputs provided: [\"message\"]", 1,
                "Unexpected inputs provided"},
        // A rate limit that resets in an hour is not slept through: the deployment fails.
        Refusal{429, {{"retry-after", "3600"}}, "API rate limit exceeded", 1, "rate limit"}),
    [](const ::testing::TestParamInfo<Refusal>& p) {
      return "Status" + std::to_string(p.param.status);
    });

TEST_F(GitHubRunnerTest, ARevokedAppKeyFailsTheSyncAndTheDispatchNamingTheApp) {
  // A new key for the app: JWTs signed with the platform's key are refused.
  fake_.SetApp(42, ::odmd::github::testing::OtherKey().public_pem);
  StartPlatform(GitHubOptions(std::chrono::hours(1)));
  ASSERT_TRUE(platform_->WaitIdle(std::chrono::seconds(60)));
  const nlohmann::json d = SvcDeployment();
  EXPECT_EQ(d["state"], "failed");
  EXPECT_THAT(d["reason"].get<std::string>(),
              AllOf(HasSubstr("apps/create-installation-access-token"), HasSubstr("401")));
  bool told = false;
  for (const auto& e : Events("alert")) {
    const std::string m = e["message"];
    told =
        told || (m.find("could not write the workflows of svc to acme/svc") != std::string::npos &&
                 m.find("401") != std::string::npos);
  }
  EXPECT_TRUE(told) << nlohmann::json(Events("alert")).dump();
  EXPECT_TRUE(Dispatches().empty());
}

TEST_F(GitHubRunnerTest, TheSyncPutsTheWorkflowOnEveryBranchOnceAndTheGroupTokenInTheSecret) {
  StartPlatform(GitHubOptions(std::chrono::hours(1)));
  ASSERT_TRUE(Eventually([&] { return SvcDeployment().value("run_id", 0) != 0; }));
  const nlohmann::json state = fake_.State();
  const nlohmann::json& repo = state["repos"]["acme/svc"];
  auto files = gen::GenerateWorkflows(org_);
  ODMD_ASSERT_OK(files);
  std::string path, name;
  for (const gen::GeneratedFile& f : *files) {
    if (f.build_id == "svc") path = f.path, name = f.path.substr(f.path.rfind('/') + 1);
  }
  ASSERT_FALSE(path.empty());
  // main is the default branch and svc's only enver branch: the dispatch above worked.
  EXPECT_TRUE(repo["files"]["refs/heads/main"].contains(path)) << repo["files"].dump();
  name = name.substr(0, name.size() - 5);
  // GitHub keeps secret names upper-case (and looks them up ignoring case).
  EXPECT_TRUE(repo["secrets"].contains(Upper(gen::WorkflowSecretName(name))))
      << repo["secrets"].dump() << nlohmann::json(Events("alert")).dump();
  int commits = 0;
  for (const auto& e : fake_.Log())
    commits += e["path"].get<std::string>().ends_with("/git/commits");
  EXPECT_GE(commits, 1);

  // A publish that changes no workflow writes no commit and sets no secret again.
  org_.version = "1.0.1";
  const std::string before = fake_.Log().dump();
  auto published =
      platform_->PublishManifest(access::Principal::Admin(), model::WriteManifest(org_));
  ODMD_ASSERT_OK(published);
  int writes = 0;
  for (const auto& e : fake_.Log()) {
    const std::string m = e["method"];
    writes += m != "GET" && !e["path"].get<std::string>().ends_with("/access_tokens");
  }
  int writes_before = 0;
  for (const auto& e : nlohmann::json::parse(before)) {
    const std::string m = e["method"];
    writes_before += m != "GET" && !e["path"].get<std::string>().ends_with("/access_tokens");
  }
  EXPECT_EQ(writes, writes_before) << fake_.Log().dump();
}

TEST_F(GitHubRunnerTest, ADeliveryOfAnUnknownInstallationIsRefusedAndOfAnotherRepositoryIgnored) {
  StartPlatform(GitHubOptions(std::chrono::hours(1)));
  WorkflowRunEvent e = Delivery(5, "success");
  e.installation_id = 99;
  auto unknown = platform_->IngestWorkflowRun(e);
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(unknown.status().message(),
              AllOf(HasSubstr("installation 99"), HasSubstr("acme/svc (7)")));
  e = Delivery(5, "success");
  e.repository = "acme/elsewhere";
  auto elsewhere = platform_->IngestWorkflowRun(e);
  ODMD_ASSERT_OK(elsewhere);
  EXPECT_FALSE((*elsewhere)["followed"].get<bool>());
  EXPECT_THAT((*elsewhere)["reason"].get<std::string>(),
              HasSubstr("\"acme/elsewhere\" hosts no build"));
}

}  // namespace
}  // namespace odmd::reconcile
