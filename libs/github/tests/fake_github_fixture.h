#pragma once

// The fixture of the tests of the fake GitHub's repositories, webhooks and simulated runs:
// a fake with app 42 and installation 7 of acme/svc, and a GitHubApi on it. Each test ends
// asserting that GitHub would have accepted everything the client sent.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "fake_github.h"
#include "odmd/base/clock.h"
#include "odmd/github/api.h"
#include "test_keys.h"

namespace odmd::github::testing {

class FakeGitHubFixture : public ::testing::Test {
 protected:
  void SetUp() override { Start(nullptr); }

  // (Re)starts the fake; `permissions` of installation 7 (null: the default, with
  // workflows write).
  void Start(const nlohmann::json& permissions) {
    fake_ = std::make_unique<FakeGitHub>();
    ASSERT_TRUE(fake_->ok()) << fake_->error();
    fake_->SetApp(42, AppKey().public_pem);
    fake_->AddInstallation(7, "acme", {"svc"}, permissions);
    AppSettings settings;
    settings.api_url = fake_->api_url();
    settings.app_id = "42";
    settings.private_key_pem = AppKey().private_pem;
    auto client = GitHubClient::Create(settings, *transport_, clock_, [](auto) {});
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(client).value();
    api_ = std::make_unique<GitHubApi>(*client_);
  }

  void TearDown() override {
    if (fake_ && fake_->ok()) {
      EXPECT_THAT(fake_->Violations(), ::testing::IsEmpty());
    }
    if (!tmp_.empty()) std::filesystem::remove_all(tmp_);
  }

  // A fresh temporary directory, removed after the test.
  std::string TempDir() {
    if (tmp_.empty()) {
      char dir[] = "/tmp/odmd-fake-github-test-XXXXXX";
      tmp_ = ::mkdtemp(dir);
    }
    return tmp_;
  }

  // A commit on top of `parent` that sets `path` to `content`, made through the API.
  std::string CommitFile(const std::string& parent, const std::string& path,
                         const std::string& content) {
    auto commit = api_->GetCommit(repo_, parent);
    EXPECT_TRUE(commit.ok()) << commit.status();
    auto blob = api_->CreateBlob(repo_, content);
    EXPECT_TRUE(blob.ok()) << blob.status();
    auto tree = api_->CreateTree(repo_, commit->tree_sha, {{path, "100644", *blob}});
    EXPECT_TRUE(tree.ok()) << tree.status();
    auto next = api_->CreateCommit(repo_, "odmd: " + path, *tree, {parent});
    EXPECT_TRUE(next.ok()) << next.status();
    return next.ok() ? *next : "";
  }

  std::string Head(const std::string& ref = "heads/main") {
    auto sha = api_->GetRef(repo_, ref);
    return sha.ok() && sha->has_value() ? **sha : "";
  }

  std::unique_ptr<Transport> transport_ = NewCurlTransport();
  SystemClock clock_;  // the fake checks the JWT's iat/exp against its own clock
  std::unique_ptr<FakeGitHub> fake_;
  std::unique_ptr<GitHubClient> client_;
  std::unique_ptr<GitHubApi> api_;
  const RepoRef repo_{7, "acme", "svc"};
  std::string tmp_;
};

}  // namespace odmd::github::testing
