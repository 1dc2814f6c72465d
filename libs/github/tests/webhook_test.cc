#include "odmd/github/webhook.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "odmd/testing/testdata.h"

namespace odmd::github {
namespace {

using ::testing::HasSubstr;

// GitHub's own example (docs "Validating webhook deliveries").
constexpr std::string_view kSecret = "It's a Secret to Everybody";
constexpr std::string_view kBody = "Hello, World!";
constexpr std::string_view kSignature =
    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

TEST(WebhookTest, SignatureMatchesGitHubsExample) {
  EXPECT_EQ(WebhookSignature(kSecret, kBody), kSignature);
  EXPECT_TRUE(VerifyWebhookSignature(kSecret, kBody, kSignature).ok());
}

TEST(WebhookTest, UppercaseHexIsAccepted) {
  std::string upper(kSignature);
  for (size_t i = 7; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  EXPECT_TRUE(VerifyWebhookSignature(kSecret, kBody, upper).ok());
}

TEST(WebhookTest, AChangedBodyOrWrongSecretIsRefused) {
  const Status body = VerifyWebhookSignature(kSecret, "Hello, World?", kSignature);
  EXPECT_EQ(body.code(), StatusCode::kUnauthenticated);
  EXPECT_THAT(body.message(), HasSubstr("does not match"));
  EXPECT_EQ(VerifyWebhookSignature("other", kBody, kSignature).code(),
            StatusCode::kUnauthenticated);
}

TEST(WebhookTest, MissingOrMalformedHeaderIsNamed) {
  const Status missing = VerifyWebhookSignature(kSecret, kBody, std::nullopt);
  EXPECT_EQ(missing.code(), StatusCode::kUnauthenticated);
  EXPECT_THAT(missing.message(), HasSubstr("X-Hub-Signature-256 is missing"));
  for (const std::string_view bad :
       {std::string_view("sha1=757107ea0eb2509fc211221cce984b8a37570b6d"), std::string_view(""),
        kSignature.substr(0, 40),
        std::string_view(
            "sha256=zz7107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")}) {
    const Status s = VerifyWebhookSignature(kSecret, kBody, bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(s.message(), HasSubstr("not sha256=<64 hex>")) << bad;
  }
}

TEST(WebhookTest, NoSecretConfiguredRefusesEveryDelivery) {
  const Status s = VerifyWebhookSignature("", kBody, WebhookSignature("", kBody));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("no webhook secret configured"));
}

// Real deliveries from @octokit/webhooks-examples (pinned in tools/github-fake): the events
// the GitHub runner will take (push, workflow_run, workflow_job).
TEST(WebhookTest, RealPayloadsVerifyAndATamperedOneDoesNot) {
  const std::string text = odmd::testing::ReadFileOrFail(odmd::testing::SourcePath(
      "tools/github-fake/node_modules/@octokit/webhooks-examples/api.github.com/index.json"));
  ASSERT_FALSE(text.empty()) << "run scripts/install-deps.sh (npm ci --prefix tools/github-fake)";
  const auto events = nlohmann::json::parse(text);
  int checked = 0;
  for (const auto& event : events) {
    const std::string name = event["name"];
    if (name != "push" && name != "workflow_run" && name != "workflow_job") continue;
    for (const auto& example : event["examples"]) {
      const std::string body = example.dump();
      const std::string signature = WebhookSignature("whsec", body);
      EXPECT_TRUE(VerifyWebhookSignature("whsec", body, signature).ok()) << name;
      std::string tampered = body;
      tampered[tampered.size() / 2] ^= 1;
      EXPECT_EQ(VerifyWebhookSignature("whsec", tampered, signature).code(),
                StatusCode::kUnauthenticated)
          << name;
      ++checked;
    }
  }
  EXPECT_GE(checked, 3);
}

}  // namespace
}  // namespace odmd::github
