#include "odmd/github/api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include "fake_transport.h"
#include "odmd/base/base64.h"
#include "odmd/testing/fake_clock.h"
#include "test_keys.h"

namespace odmd::github {
namespace {

using ::odmd::github::testing::AppKey;
using ::odmd::github::testing::FakeTransport;
using ::testing::HasSubstr;

// Request shapes of the typed calls (the fake GitHub checks them against the OpenAPI
// description too: fake_github_test.cc).
class ApiTest : public ::testing::Test {
 protected:
  ApiTest() {
    AppSettings s;
    s.app_id = "42";
    s.private_key_pem = AppKey().private_pem;
    client_ = std::move(GitHubClient::Create(s, transport_, clock_, [this](auto d) {
                sleeps_.push_back(d);
              })).value();
    transport_.Answer(201, R"({"token":"ghs_1","expires_at":"2026-01-01T01:00:00Z"})");
  }

  nlohmann::json Body(size_t i) { return nlohmann::json::parse(transport_.requests.at(i).body); }

  odmd::testing::FakeClock clock_;
  FakeTransport transport_;
  std::vector<std::chrono::milliseconds> sleeps_;
  std::unique_ptr<GitHubClient> client_;
  const RepoRef repo_{7, "acme", "svc"};
};

TEST_F(ApiTest, DispatchSendsRefInputsAndAsksForTheRunId) {
  transport_.Answer(200, R"({"workflow_run_id":99,"run_url":"u","html_url":"h"})");
  GitHubApi api(*client_);
  auto id = api.DispatchWorkflow(repo_, "odmd-build.yml", "feature/x", {{"message", "push"}});
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, 99);  // optional<int64_t> == 99
  EXPECT_EQ(transport_.requests[1].url,
            "https://api.github.com/repos/acme/svc/actions/workflows/odmd-build.yml/dispatches");
  EXPECT_EQ(Body(1), (nlohmann::json{{"ref", "feature/x"},
                                     {"inputs", {{"message", "push"}}},
                                     {"return_run_details", true}}));
}

TEST_F(ApiTest, ADispatchIsNeverRetriedAfterAServerErrorOrNoAnswer) {
  transport_.Answer(502, R"({"message":"Server Error"})");
  GitHubApi api(*client_);
  auto id = api.DispatchWorkflow(repo_, "odmd-build.yml", "main", {});
  EXPECT_EQ(id.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(id.status().message(), HasSubstr("actions/create-workflow-dispatch POST"));
  EXPECT_EQ(transport_.requests.size(), 2u);  // the token, one dispatch
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(ApiTest, ADispatchIsRetriedAfterARateLimit) {
  transport_.Answer(429, R"({"message":"slow down"})", {{"retry-after", "3"}});
  transport_.Answer(200, R"({"workflow_run_id":5,"run_url":"u","html_url":"h"})");
  GitHubApi api(*client_);
  auto id = api.DispatchWorkflow(repo_, "odmd-build.yml", "main", {});
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, 5);  // optional<int64_t> == 5
  ASSERT_EQ(sleeps_.size(), 1u);
  EXPECT_EQ(sleeps_[0], std::chrono::milliseconds(3000));
}

TEST(ApiEnterpriseTest, ADispatchOnEnterpriseServerDoesNotAskForRunDetails) {
  odmd::testing::FakeClock clock;
  FakeTransport transport;
  AppSettings s;
  s.api_url = "https://ghe.example.com/api/v3";
  s.app_id = "42";
  s.private_key_pem = AppKey().private_pem;
  auto client = std::move(GitHubClient::Create(s, transport, clock, [](auto) {})).value();
  transport.Answer(201, R"({"token":"ghs_1","expires_at":"2026-01-01T01:00:00Z"})");
  transport.Answer(204, "");
  GitHubApi api(*client);
  auto id = api.DispatchWorkflow({7, "acme", "svc"}, "odmd-build.yml", "main", {{"message", "m"}});
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_FALSE(id->has_value());
  EXPECT_EQ(nlohmann::json::parse(transport.requests[1].body),
            (nlohmann::json{{"ref", "main"}, {"inputs", {{"message", "m"}}}}));
}

TEST_F(ApiTest, GetRepoReadsTheDefaultBranch) {
  transport_.Answer(200, R"({"id":1,"full_name":"acme/svc","default_branch":"trunk"})");
  transport_.Answer(404, R"({"message":"Not Found"})");
  transport_.Answer(200, R"({"id":1,"full_name":"acme/svc"})");
  GitHubApi api(*client_);
  auto repo = api.GetRepo(repo_);
  ASSERT_TRUE(repo.ok()) << repo.status();
  EXPECT_EQ(repo->default_branch, "trunk");
  EXPECT_EQ(repo->full_name, "acme/svc");
  EXPECT_EQ(transport_.requests[1].method, "GET");
  EXPECT_EQ(transport_.requests[1].url, "https://api.github.com/repos/acme/svc");
  auto missing = api.GetRepo(repo_);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("repos/get GET /repos/acme/svc: 404"));
  auto malformed = api.GetRepo(repo_);
  EXPECT_EQ(malformed.status().code(), StatusCode::kInternal);
  EXPECT_THAT(malformed.status().message(), HasSubstr("no default_branch"));
}

TEST_F(ApiTest, AMissingRefOrFileIsNulloptNotAnError) {
  transport_.Answer(404, R"({"message":"Not Found"})");
  GitHubApi api(*client_);
  auto ref = api.GetRef(repo_, "heads/feature/a");
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_FALSE(ref->has_value());
  EXPECT_EQ(transport_.requests[1].url,
            "https://api.github.com/repos/acme/svc/git/ref/heads/feature/a");
  auto file = api.GetFile(repo_, ".github/workflows/a b.yml", "feature/a");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_FALSE(file->has_value());
  EXPECT_EQ(transport_.requests[2].url,
            "https://api.github.com/repos/acme/svc/contents/.github/workflows/a%20b.yml"
            "?ref=feature%2Fa");
}

TEST_F(ApiTest, GetFileDecodesWrappedBase64) {
  transport_.Answer(200, R"({"type":"file","encoding":"base64","sha":"abc",
      "content":"aGVs\nbG8K\n"})");
  GitHubApi api(*client_);
  auto file = api.GetFile(repo_, "a.txt", "main");
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE(file->has_value());
  EXPECT_EQ((*file)->content, "hello\n");
  EXPECT_EQ((*file)->sha, "abc");
}

TEST_F(ApiTest, GitDataCallsSendGitHubsShapes) {
  transport_.Answer(201, R"({"sha":"s1","url":"u"})");
  GitHubApi api(*client_);
  ASSERT_TRUE(api.CreateBlob(repo_, "on: workflow_dispatch\n").ok());
  EXPECT_EQ(Body(1), (nlohmann::json{{"content", Base64("on: workflow_dispatch\n")},
                                     {"encoding", "base64"}}));
  ASSERT_TRUE(api.CreateTree(repo_, "t0",
                             {{".github/workflows/a.yml", "100644", "s1"},
                              {"old.yml", "100644", std::nullopt}})
                  .ok());
  EXPECT_EQ(
      Body(2),
      (nlohmann::json{
          {"base_tree", "t0"},
          {"tree",
           {{{"path", ".github/workflows/a.yml"},
             {"mode", "100644"},
             {"type", "blob"},
             {"sha", "s1"}},
            {{"path", "old.yml"}, {"mode", "100644"}, {"type", "blob"}, {"sha", nullptr}}}}}));
  ASSERT_TRUE(api.CreateCommit(repo_, "odmd: workflows", "t1", {"p1"}).ok());
  EXPECT_EQ(Body(3),
            (nlohmann::json{{"message", "odmd: workflows"}, {"tree", "t1"}, {"parents", {"p1"}}}));
  ASSERT_TRUE(api.UpdateRef(repo_, "heads/main", "c1").ok());
  EXPECT_EQ(transport_.requests[4].method, "PATCH");
  EXPECT_EQ(Body(4), (nlohmann::json{{"sha", "c1"}, {"force", false}}));
  ASSERT_TRUE(api.CreateRef(repo_, "refs/heads/x", "c1").ok());
  EXPECT_EQ(Body(5), (nlohmann::json{{"ref", "refs/heads/x"}, {"sha", "c1"}}));
}

TEST_F(ApiTest, ListRunsPassesTheFilter) {
  transport_.Answer(200, R"({"total_count":1,"workflow_runs":[{"id":5,"status":"completed",
      "conclusion":"success","head_branch":"main","path":".github/workflows/a.yml"}]})");
  GitHubApi api(*client_);
  auto runs = api.ListWorkflowRuns(repo_, "a.yml",
                                   {.branch = "main", .event = "workflow_dispatch", .per_page = 5});
  ASSERT_TRUE(runs.ok()) << runs.status();
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].conclusion, "success");
  EXPECT_EQ(transport_.requests[1].url,
            "https://api.github.com/repos/acme/svc/actions/workflows/a.yml/runs"
            "?per_page=5&branch=main&event=workflow_dispatch");
  auto bad = api.ListWorkflowRuns(repo_, "", {.per_page = 500});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(transport_.requests.size(), 2u);
}

TEST_F(ApiTest, ABadSecretNameIsRefusedBeforeAnythingIsSent) {
  GitHubApi api(*client_);
  for (const char* name : {"GITHUB_TOKEN", "1ABC", "A-B", ""}) {
    const Status s = api.PutRepoSecret(repo_, name, "v");
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(s.message(), HasSubstr("of acme/svc")) << name;
  }
  EXPECT_TRUE(transport_.requests.empty());
}

TEST(SealSecretTest, TheRepositorysPrivateKeyOpensTheBox) {
  ASSERT_GE(sodium_init(), 0);
  unsigned char pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
  crypto_box_keypair(pk, sk);
  auto sealed =
      SealSecret(Base64(std::string_view(reinterpret_cast<char*>(pk), sizeof pk)), "s3cret");
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  const auto box = FromBase64(*sealed);
  ASSERT_TRUE(box.has_value());
  std::string plain(box->size() - crypto_box_SEALBYTES, '\0');
  ASSERT_EQ(crypto_box_seal_open(reinterpret_cast<unsigned char*>(plain.data()),
                                 reinterpret_cast<const unsigned char*>(box->data()), box->size(),
                                 pk, sk),
            0);
  EXPECT_EQ(plain, "s3cret");
  EXPECT_EQ(SealSecret("c2hvcnQ=", "x").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace odmd::github
