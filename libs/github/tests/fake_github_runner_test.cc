// The fake GitHub's simulated runs: a dispatched workflow's steps execute in bash with the
// variables GitHub sets, expressions resolved, GITHUB_ENV/OUTPUT/PATH applied between steps,
// and the run ends with GitHub's conclusion and webhooks.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <iterator>

#include "fake_github_fixture.h"
#include "odmd/testing/testdata.h"
#include "webhook_receiver.h"

namespace odmd::github {
namespace {

using ::odmd::github::testing::FakeGitHub;
using ::odmd::github::testing::FakeGitHubFixture;
using ::odmd::github::testing::WebhookReceiver;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kHead[] = R"yaml(name: odmd-run
run-name: ${{ github.ref_name }} ${{ inputs.message }}
on:
  workflow_dispatch:
    inputs:
      message:
        type: string
        default: ''
concurrency:
  group: ${{ github.workflow }}-${{ github.ref }}
  cancel-in-progress: false
jobs:
  deploy:
    runs-on: ubuntu-latest
    env:
      API: ${{ vars.ODMD_API_URL }}
    defaults:
      run:
        shell: bash
    steps:
)yaml";

constexpr char kSteps[] = R"yaml(      - name: Check out the dispatched ref
        uses: actions/checkout@v4
        with:
          ref: ${{ github.ref }}
      - name: Assume the build role
        uses: aws-actions/configure-aws-credentials@v4
        with:
          aws-region: 'us-west-1'
      - name: Log in
        id: ecr
        uses: aws-actions/amazon-ecr-login@v2
      - name: Context
        id: ctx
        env:
          TOKEN: ${{ secrets.ODMD_TOKEN }}
        run: |
          set -euo pipefail
          echo "token=$TOKEN api=$API ref=$GITHUB_REF name=$GITHUB_REF_NAME repo=$GITHUB_REPOSITORY"
          echo "event=$GITHUB_EVENT_NAME wf=$GITHUB_WORKFLOW ci=$CI actions=$GITHUB_ACTIONS os=$RUNNER_OS"
          echo "sha=$GITHUB_SHA run=$GITHUB_RUN_ID"
          test "$PWD" = "$GITHUB_WORKSPACE"
          cat app.txt
          echo "aws=$AWS_ACCESS_KEY_ID region=$AWS_REGION"
          { echo "ODMD_multi<<ODMD_EOF_1"; echo "line one"; echo "line two"; echo "ODMD_EOF_1"; } >> "$GITHUB_ENV"
          echo "ODMD_single=one" >> "$GITHUB_ENV"
          echo "answer=42" >> "$GITHUB_OUTPUT"
          mkdir -p "$RUNNER_TEMP/bin"
          printf '#!/bin/sh\necho from-github-path\n' > "$RUNNER_TEMP/bin/odmd-tool"
          chmod +x "$RUNNER_TEMP/bin/odmd-tool"
          echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
      - name: Use
        env:
          ANSWER: ${{ steps.ctx.outputs.answer }}
          REGISTRY: ${{ steps.ecr.outputs.registry }}
          MSG: ${{ inputs.message }}
        run: |
          echo "answer=$ANSWER registry=$REGISTRY msg=$MSG single=$ODMD_single"
          echo "multi=$(echo "$ODMD_multi" | tr '\n' '|')"
          odmd-tool
      - name: Something else
        uses: actions/setup-node@v4
      - name: Only on failure
        if: failure()
        run: echo should-not-run
)yaml";

class FakeGitHubRunnerTest : public FakeGitHubFixture {
 protected:
  // Puts the workflow on main with app.txt and dispatches it; the run id.
  long long Dispatch(const std::string& steps, const std::string& ref = "main") {
    const std::string workflow = std::string(kHead) + steps;
    fake_->CommitFiles("acme/svc", "main",
                       {{".github/workflows/odmd-run.yml", workflow}, {"app.txt", "app\n"}});
    if (ref != "main") fake_->CommitFiles("acme/svc", ref, {{"branch.txt", ref}});
    auto run = api_->DispatchWorkflow(repo_, "odmd-run.yml", ref, {{"message", "hello"}});
    EXPECT_TRUE(run.ok() && run->has_value()) << run.status();
    return run.ok() && run->has_value() ? **run : 0;
  }

  // Waits for the run to complete; its state.
  nlohmann::json Completed(long long id) {
    nlohmann::json run;
    EXPECT_TRUE(FakeGitHub::WaitFor([&] {
      run = fake_->Run("acme/svc", id);
      return run.is_object() && run["status"] == "completed";
    })) << run.dump();
    return run;
  }

  nlohmann::json Env(const nlohmann::json& more = nlohmann::json::object()) {
    nlohmann::json env{{"PATH", std::getenv("PATH")}, {"HOME", TempDir()}};
    env.update(more);
    return env;
  }
};

TEST_F(FakeGitHubRunnerTest, ADispatchedRunExecutesItsStepsWithGitHubsVariables) {
  WebhookReceiver hook;
  ASSERT_TRUE(hook.ok());
  fake_->SetWebhook(hook.url(), "s3cret");
  fake_->SetVariable("acme/svc", "ODMD_API_URL", "http://platform.invalid");
  ASSERT_TRUE(api_->PutRepoSecret(repo_, "ODMD_TOKEN", "tok-123").ok());
  fake_->EnableRunner({{"env", Env()},
                       {"aws", {{"AWS_ACCESS_KEY_ID", "AKIAFAKE"}}},
                       {"registry", "123.dkr.ecr.example"}});
  const long long id = Dispatch(kSteps);
  const auto run = Completed(id);
  const std::string log = fake_->RunLog("acme/svc", id);
  EXPECT_EQ(run["conclusion"], "success") << log;
  const std::string sha = run["head_sha"];
  EXPECT_THAT(log, HasSubstr("token=tok-123 api=http://platform.invalid ref=refs/heads/main "
                             "name=main repo=acme/svc"));
  EXPECT_THAT(log, HasSubstr("event=workflow_dispatch wf=odmd-run ci=true actions=true os=Linux"));
  EXPECT_THAT(log, HasSubstr("sha=" + sha + " run=" + std::to_string(id)));
  EXPECT_THAT(log, HasSubstr("\napp\n"));
  EXPECT_THAT(log, HasSubstr("aws=AKIAFAKE region=us-west-1"));
  EXPECT_THAT(log, HasSubstr("answer=42 registry=123.dkr.ecr.example msg=hello single=one"));
  EXPECT_THAT(log, HasSubstr("multi=line one|line two|"));
  EXPECT_THAT(log, HasSubstr("from-github-path"));
  EXPECT_THAT(log, HasSubstr("actions/setup-node@v4: not simulated by the fake runner; skipped"));
  EXPECT_THAT(log, HasSubstr("Only on failure: skipped"));
  EXPECT_THAT(log, Not(HasSubstr("should-not-run")));
  std::vector<std::string> steps;
  for (const auto& s : run["job"]["steps"]) steps.push_back(s["conclusion"]);
  EXPECT_THAT(steps, ElementsAre("success", "success", "success", "success", "success", "success",
                                 "skipped"));
  // The control call that put the workflow on main sent a push first.
  std::vector<std::string> events;
  ASSERT_TRUE(FakeGitHub::WaitFor([&] {
    events.clear();
    for (const auto& r : hook.Requests()) {
      const auto body = nlohmann::json::parse(r.body);
      events.push_back(r.headers.at("x-github-event") + ":" + body.value("action", ""));
    }
    return events.size() == 7;
  })) << ::testing::PrintToString(events);
  events.erase(events.begin());
  EXPECT_THAT(events, ElementsAre("workflow_run:requested", "workflow_job:queued",
                                  "workflow_run:in_progress", "workflow_job:in_progress",
                                  "workflow_job:completed", "workflow_run:completed"));
}

TEST_F(FakeGitHubRunnerTest, AFailingStepFailsTheRunAndSkipsTheRestButAlways) {
  // No HOME given: the run's own, never the fake's.
  fake_->EnableRunner({{"env", {{"PATH", std::getenv("PATH")}}}});
  const long long id = Dispatch(R"yaml(      - run: echo "before home=$HOME"
      - name: Fails
        run: |
          echo failing
          exit 3
      - name: After
        run: echo after-ran
      - name: Always
        if: always()
        run: echo always-ran
      - name: On failure
        if: ${{ failure() }}
        run: echo failure-ran
)yaml");
  const auto run = Completed(id);
  const std::string log = fake_->RunLog("acme/svc", id);
  EXPECT_EQ(run["conclusion"], "failure") << log;
  EXPECT_EQ(run["job"]["conclusion"], "failure");
  EXPECT_THAT(log, HasSubstr("/runs/" + std::to_string(id) + "/home\n"));
  EXPECT_THAT(log, HasSubstr("Process completed with exit code 3."));
  EXPECT_THAT(log, Not(HasSubstr("after-ran")));
  EXPECT_THAT(log, HasSubstr("always-ran"));
  EXPECT_THAT(log, HasSubstr("failure-ran"));
}

TEST_F(FakeGitHubRunnerTest, ARunOverItsTimeoutIsKilledAndTimedOut) {
  fake_->EnableRunner({{"env", Env()}, {"timeout_seconds", 1}});
  const long long id = Dispatch("      - run: sleep 60\n");
  const auto run = Completed(id);
  EXPECT_EQ(run["conclusion"], "timed_out") << fake_->RunLog("acme/svc", id);
  EXPECT_THAT(fake_->RunLog("acme/svc", id), HasSubstr("exceeded its timeout"));
}

// The generated workflows' concurrency group (workflow, ref), as GitHub keeps it: one run in
// progress, a newer waiting run replaces (cancels) the one already waiting.
TEST_F(FakeGitHubRunnerTest, RunsOfOneConcurrencyGroupRunOneAtATime) {
  const std::string lock = TempDir() + "/lock";
  const std::string go = TempDir() + "/go";
  fake_->EnableRunner({{"env", Env({{"LOCK", lock}, {"GO", go}})}});
  const std::string steps = R"yaml(      - run: |
          mkdir "$LOCK" || { echo "another run holds the lock"; exit 1; }
          while [ ! -e "$GO" ]; do sleep 0.02; done
          rmdir "$LOCK"
)yaml";
  const long long first = Dispatch(steps);
  ASSERT_TRUE(FakeGitHub::WaitFor(
      [&] { return fake_->Run("acme/svc", first)["status"] == "in_progress"; }));
  auto dispatch = [&] {
    auto run = api_->DispatchWorkflow(repo_, "odmd-run.yml", "main", {});
    EXPECT_TRUE(run.ok() && run->has_value()) << run.status();
    return run.ok() && run->has_value() ? **run : 0;
  };
  const long long second = dispatch();
  EXPECT_EQ(fake_->Run("acme/svc", second)["status"], "queued");
  const long long third = dispatch();
  EXPECT_EQ(fake_->Run("acme/svc", second)["conclusion"], "cancelled");
  EXPECT_EQ(fake_->Run("acme/svc", third)["status"], "queued");
  EXPECT_EQ(fake_->Run("acme/svc", first)["status"], "in_progress");
  ASSERT_EQ(::close(::creat(go.c_str(), 0644)), 0);
  EXPECT_EQ(Completed(first)["conclusion"], "success") << fake_->RunLog("acme/svc", first);
  EXPECT_EQ(Completed(third)["conclusion"], "success") << fake_->RunLog("acme/svc", third);
  EXPECT_THAT(fake_->RunLog("acme/svc", second),
              HasSubstr("run " + std::to_string(third) + " of the concurrency group"));
}

TEST_F(FakeGitHubRunnerTest, AnExpressionTheFakeCannotResolveFailsTheRunNamingIt) {
  fake_->EnableRunner({{"env", Env()}});
  const long long id =
      Dispatch("      - env:\n          X: ${{ nosuch.value }}\n        run: true\n");
  const auto run = Completed(id);
  EXPECT_EQ(run["conclusion"], "failure");
  EXPECT_THAT(fake_->RunLog("acme/svc", id),
              HasSubstr("expression \" nosuch.value \": unknown context \"nosuch\""));
}

TEST_F(FakeGitHubRunnerTest, RepositoryVariablesSetThroughGitHubsApiReachTheRun) {
  const std::string vars = "/repos/acme/svc/actions/variables";
  auto call = [&](const std::string& name, const std::string& method, const std::string& path,
                  std::optional<nlohmann::json> body) {
    return client_->AsInstallation(7, Call{name, method, path, std::move(body)});
  };
  auto created = call("actions/create-repo-variable", "POST", vars,
                      nlohmann::json{{"name", "ODMD_API_URL"}, {"value", "http://old.invalid"}});
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->status, 201);
  auto again = call("actions/create-repo-variable", "POST", vars,
                    nlohmann::json{{"name", "ODMD_API_URL"}, {"value", "x"}});
  EXPECT_THAT(again.status().ToString(), HasSubstr("Variable already exists"));
  auto updated = call("actions/update-repo-variable", "PATCH", vars + "/ODMD_API_URL",
                      nlohmann::json{{"value", "http://platform.invalid"}});
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->status, 204);
  auto got = call("actions/get-repo-variable", "GET", vars + "/ODMD_API_URL", std::nullopt);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->body["value"], "http://platform.invalid");
  fake_->EnableRunner({{"env", Env()}});
  const long long id = Dispatch("      - run: echo \"api=$API\"\n");
  const auto run = Completed(id);
  EXPECT_EQ(run["conclusion"], "success");
  EXPECT_THAT(fake_->RunLog("acme/svc", id), HasSubstr("api=http://platform.invalid"));
  // The run's title is its run-name as GitHub evaluates it: the ref name and the message.
  auto listed = api_->GetWorkflowRun(repo_, id);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->display_title, "main hello");
}

// A generated workflow (the image kind's golden file) runs in the fake as it is: checkout,
// AWS and ECR actions imitated, the secret opened, and "Resolve the enver context" asks the
// platform (here a receiver answering an empty context) with the workflow's token.
TEST_F(FakeGitHubRunnerTest, AGeneratedWorkflowRunsUntilThePlatformAnswersNoContext) {
  const std::string name = "ODMD_sampleSpringOpenAPI3img-ContainerImageEcrus-west-1-workspace1";
  std::ifstream in(odmd::testing::SourcePath(
      "libs/gen/testdata/workflows/sampleSpringOpenAPI3img/" + name + ".yaml"));
  ASSERT_TRUE(in) << "the image workflow golden file is missing";
  const std::string workflow((std::istreambuf_iterator<char>(in)), {});
  WebhookReceiver platform;
  ASSERT_TRUE(platform.ok());
  const std::string api = platform.url().substr(0, platform.url().rfind('/'));
  fake_->SetVariable("acme/svc", "ODMD_API_URL", api);
  ASSERT_TRUE(api_->PutRepoSecret(repo_,
                                  "ODMD_SECRETS_ODMD_sampleSpringOpenAPI3img_ContainerImageEcrus_"
                                  "west_1_workspace1",
                                  "group-token")
                  .ok());
  fake_->CommitFiles("acme/svc", "main", {{".github/workflows/" + name + ".yaml", workflow}});
  fake_->EnableRunner({{"env", Env()}, {"registry", "123.dkr.ecr.example"}});
  auto dispatched = api_->DispatchWorkflow(repo_, name + ".yaml", "main", {{"message", "push"}});
  ASSERT_TRUE(dispatched.ok() && dispatched->has_value()) << dispatched.status();
  const auto run = Completed(**dispatched);
  const std::string log = fake_->RunLog("acme/svc", **dispatched);
  EXPECT_EQ(run["conclusion"], "failure") << log;
  EXPECT_THAT(log, HasSubstr("::error::odmd: the enver context has no ODMD_build_id"));
  std::vector<std::string> steps;
  for (const auto& s : run["job"]["steps"]) steps.push_back(s["conclusion"]);
  ASSERT_GE(steps.size(), 4u);
  EXPECT_THAT(std::vector<std::string>(steps.begin(), steps.begin() + 4),
              ElementsAre("success", "success", "failure", "skipped"))
      << log;
  const auto asked = platform.Requests();
  ASSERT_EQ(asked.size(), 1u) << log;
  EXPECT_EQ(asked[0].method, "GET");
  EXPECT_THAT(asked[0].target, HasSubstr("/api/ci/context?build=sampleSpringOpenAPI3img"));
  std::string target = asked[0].target;  // curl may write %2f or %2F
  for (char& c : target) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_THAT(target, HasSubstr("ref=refs%2fheads%2fmain"));
  EXPECT_EQ(asked[0].headers.at("authorization"), "Bearer group-token");
}

TEST_F(FakeGitHubRunnerTest, WithoutTheRunnerARunStaysQueued) {
  const long long id = Dispatch("      - run: echo never\n");
  EXPECT_EQ(fake_->Run("acme/svc", id)["status"], "queued");
  EXPECT_EQ(fake_->RunLog("acme/svc", id), "");
}

}  // namespace
}  // namespace odmd::github
