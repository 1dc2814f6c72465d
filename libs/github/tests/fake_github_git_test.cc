// The fake GitHub's repositories are bare git repositories (a `git push` into one is what
// GitHub shows), its webhooks are GitHub's (signed, in order, droppable), and it refuses a
// workflow change without the app's `workflows` permission as GitHub does.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <regex>

#include "fake_github_fixture.h"
#include "odmd/github/webhook.h"
#include "webhook_receiver.h"

namespace odmd::github {
namespace {

using ::odmd::github::testing::FakeGitHub;
using ::odmd::github::testing::FakeGitHubFixture;
using ::odmd::github::testing::ReceivedRequest;
using ::odmd::github::testing::WebhookReceiver;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class FakeGitHubGitTest : public FakeGitHubFixture {
 protected:
  // Runs a shell command; its exit status.
  static int Sh(const std::string& command) { return std::system(command.c_str()); }
};

constexpr char kWorkflow[] =
    "name: odmd-build\non:\n  workflow_dispatch:\n    inputs:\n"
    "      message:\n        type: string\n";

TEST_F(FakeGitHubGitTest, AGitPushIntoGitDirIsVisibleThroughGetRefAndContents) {
  WebhookReceiver hook;
  ASSERT_TRUE(hook.ok());
  fake_->SetWebhook(hook.url(), "s3cret");
  const std::string before = Head();
  const std::string git_dir = fake_->GitDir("acme/svc");
  ASSERT_FALSE(git_dir.empty());
  const std::string work = TempDir() + "/clone";
  const std::string git = "git -c user.name=t -c user.email=t@example.invalid -C " + work;
  ASSERT_EQ(Sh("git clone -q " + git_dir + " " + work), 0);
  ASSERT_EQ(Sh("printf 'pushed\\n' > " + work + "/app.txt && " + git + " add app.txt && " + git +
               " commit -qm 'a pushed commit' && " + git + " push -q origin HEAD:main"),
            0);
  const std::string after = Head();
  EXPECT_NE(after, before);
  auto file = api_->GetFile(repo_, "app.txt", "main");
  ASSERT_TRUE(file.ok() && file->has_value()) << file.status();
  EXPECT_EQ((*file)->content, "pushed\n");
  auto commit = api_->GetCommit(repo_, after);
  ASSERT_TRUE(commit.ok()) << commit.status();
  EXPECT_EQ(commit->message, "a pushed commit\n");
  ASSERT_TRUE(fake_->NotifyPush("acme/svc", "refs/heads/main", before));
  ASSERT_TRUE(FakeGitHub::WaitFor([&] { return hook.Requests().size() == 1; }));
  const auto push = nlohmann::json::parse(hook.Requests()[0].body);
  EXPECT_EQ(push["ref"], "refs/heads/main");
  EXPECT_EQ(push["before"], before);
  EXPECT_EQ(push["after"], after);
  EXPECT_EQ(push["head_commit"]["id"], after);
  EXPECT_EQ(push["commits"].size(), 1u);
  EXPECT_EQ(push["installation"]["id"], 7);
  EXPECT_EQ(push["repository"]["full_name"], "acme/svc");
  EXPECT_EQ(push["repository"]["clone_url"], git_dir);
  // A ref that is not a full name, or a before that is not a sha, is refused: no delivery.
  EXPECT_FALSE(fake_->NotifyPush("acme/svc", "main", before));
  EXPECT_FALSE(fake_->NotifyPush("acme/svc", "refs/heads/main", "HEAD~1"));
  EXPECT_FALSE(fake_->NotifyPush("acme/nope", "refs/heads/main", before));
  EXPECT_EQ(fake_->Deliveries().size(), 1u);
}

TEST_F(FakeGitHubGitTest, DeliveriesAreGitHubsSignedAndInOrder) {
  WebhookReceiver hook;
  ASSERT_TRUE(hook.ok());
  fake_->SetWebhook(hook.url(), "s3cret");
  const std::string main = CommitFile(Head(), ".github/workflows/odmd-build.yml", kWorkflow);
  ASSERT_TRUE(api_->UpdateRef(repo_, "heads/main", main).ok());
  auto run = api_->DispatchWorkflow(repo_, "odmd-build.yml", "main", {{"message", "m"}});
  ASSERT_TRUE(run.ok() && run->has_value()) << run.status();
  fake_->Control("POST", "/__fake/repos/acme/svc/runs/" + std::to_string(**run),
                 {{"status", "completed"}, {"conclusion", "success"}});
  ASSERT_TRUE(FakeGitHub::WaitFor([&] { return hook.Requests().size() == 5; }))
      << hook.Requests().size();
  std::vector<std::string> seen;
  for (const ReceivedRequest& r : hook.Requests()) {
    const auto body = nlohmann::json::parse(r.body);
    seen.push_back(r.headers.at("x-github-event") + ":" + body.value("action", ""));
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/hook");
    EXPECT_EQ(r.headers.at("content-type"), "application/json");
    EXPECT_THAT(r.headers.at("user-agent"), StartsWith("GitHub-Hookshot/"));
    EXPECT_TRUE(std::regex_match(r.headers.at("x-github-delivery"),
                                 std::regex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                                            "[0-9a-f]{12}")));
    EXPECT_FALSE(r.headers.at("x-github-hook-id").empty());
    EXPECT_TRUE(VerifyWebhookSignature("s3cret", r.body, r.headers.at("x-hub-signature-256")).ok());
    EXPECT_FALSE(VerifyWebhookSignature("other", r.body, r.headers.at("x-hub-signature-256")).ok());
    EXPECT_EQ(body["installation"]["id"], 7);
    EXPECT_EQ(body["repository"]["full_name"], "acme/svc");
  }
  EXPECT_THAT(seen, ::testing::ElementsAre("push:", "workflow_run:requested", "workflow_job:queued",
                                           "workflow_job:completed", "workflow_run:completed"));
  const auto completed = nlohmann::json::parse(hook.Requests()[4].body)["workflow_run"];
  EXPECT_EQ(completed["id"], **run);
  EXPECT_EQ(completed["head_sha"], main);
  EXPECT_EQ(completed["conclusion"], "success");
  EXPECT_EQ(completed["path"], ".github/workflows/odmd-build.yml");
  const auto job = nlohmann::json::parse(hook.Requests()[3].body)["workflow_job"];
  EXPECT_EQ(job["run_id"], **run);
  EXPECT_EQ(job["conclusion"], "success");
  const auto deliveries = fake_->Deliveries();
  ASSERT_EQ(deliveries.size(), 5u);
  for (const auto& d : deliveries) {
    EXPECT_EQ(d["status"], 200) << d.dump();
    EXPECT_EQ(d["dropped"], false);
  }
}

TEST_F(FakeGitHubGitTest, PausedDeliveriesAreDroppedAndRecorded) {
  WebhookReceiver hook(500);
  ASSERT_TRUE(hook.ok());
  fake_->SetWebhook(hook.url(), "s3cret");
  fake_->PauseWebhooks(true);
  const std::string one = CommitFile(Head(), "a.txt", "a\n");
  ASSERT_TRUE(api_->UpdateRef(repo_, "heads/main", one).ok());
  fake_->PauseWebhooks(false);
  const std::string two = CommitFile(one, "b.txt", "b\n");
  ASSERT_TRUE(api_->CreateRef(repo_, "refs/heads/feature", two).ok());
  ASSERT_TRUE(FakeGitHub::WaitFor([&] {
    const auto d = fake_->Deliveries();
    return d.size() == 2 && !d[1]["status"].is_null();
  }));
  const auto deliveries = fake_->Deliveries();
  EXPECT_EQ(deliveries[0]["dropped"], true);
  EXPECT_TRUE(deliveries[0]["status"].is_null());
  EXPECT_EQ(deliveries[1]["dropped"], false);
  EXPECT_EQ(deliveries[1]["status"], 500);  // the receiver's answer is recorded
  ASSERT_EQ(hook.Requests().size(), 1u);
  const auto push = nlohmann::json::parse(hook.Requests()[0].body);
  EXPECT_EQ(push["ref"], "refs/heads/feature");
  EXPECT_EQ(push["created"], true);
  EXPECT_EQ(push["before"], std::string(40, '0'));
}

TEST_F(FakeGitHubGitTest, AWorkflowChangeWithoutTheWorkflowsPermissionIsRefused) {
  Start({{"contents", "write"}, {"actions", "write"}, {"metadata", "read"}});
  const std::string main = Head();
  const std::string with_workflow = CommitFile(main, ".github/workflows/x.yml", kWorkflow);
  const Status updated = api_->UpdateRef(repo_, "heads/main", with_workflow);
  EXPECT_FALSE(updated.ok());
  EXPECT_THAT(updated.ToString(),
              HasSubstr("refusing to allow a GitHub App to create or update workflow "
                        "`.github/workflows/x.yml` without `workflows` permission"));
  EXPECT_THAT(updated.ToString(), HasSubstr("422"));
  EXPECT_EQ(Head(), main);
  const Status created = api_->CreateRef(repo_, "refs/heads/feature", with_workflow);
  EXPECT_THAT(created.ToString(), HasSubstr("without `workflows` permission"));
  auto missing = api_->GetRef(repo_, "heads/feature");
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_FALSE(missing->has_value());
  // Anything outside .github/workflows/ is the contents permission's.
  const std::string other = CommitFile(main, "docs/x.yml", kWorkflow);
  EXPECT_TRUE(api_->UpdateRef(repo_, "heads/main", other).ok());
  EXPECT_EQ(Head(), other);
}

TEST_F(FakeGitHubGitTest, AWorkflowChangeWithTheWorkflowsPermissionIsAccepted) {
  const std::string with_workflow = CommitFile(Head(), ".github/workflows/x.yml", kWorkflow);
  EXPECT_TRUE(api_->CreateRef(repo_, "refs/heads/feature", with_workflow).ok());
  // A name git refuses is GitHub's 422, not a failure of the fake.
  EXPECT_THAT(api_->CreateRef(repo_, "refs/heads/b..feature", with_workflow).ToString(),
              HasSubstr("not a valid ref name"));
  EXPECT_TRUE(api_->UpdateRef(repo_, "heads/main", with_workflow).ok());
  EXPECT_EQ(Head(), with_workflow);
}

}  // namespace
}  // namespace odmd::github
