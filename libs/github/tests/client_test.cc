#include "odmd/github/client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fake_transport.h"
#include "odmd/testing/fake_clock.h"
#include "test_keys.h"

namespace odmd::github {
namespace {

using ::odmd::github::testing::AppKey;
using ::odmd::github::testing::FakeTransport;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

// FakeClock starts at 2026-01-01T00:00:00Z.
constexpr long long kStart = 1767225600;

std::string Token(const std::string& token, const std::string& expires = "2026-01-01T01:00:00Z") {
  return R"({"token":")" + token + R"(","expires_at":")" + expires + R"("})";
}

const Call kGetRef{"git/get-ref", "GET", "/repos/o/r/git/ref/heads/main", std::nullopt};

class ClientTest : public ::testing::Test {
 protected:
  ClientTest() {
    settings_.api_url = "https://ghe.example.com/api/v3";
    settings_.app_id = "42";
    settings_.private_key_pem = AppKey().private_pem;
    settings_.private_key_file = "/keys/app.pem";
  }

  std::unique_ptr<GitHubClient> NewClient(RetryPolicy retry = {}) {
    auto c = GitHubClient::Create(
        settings_, transport_, clock_,
        [this](milliseconds d) {
          sleeps_.push_back(d);
          clock_.Advance(d);
        },
        retry);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  AppSettings settings_;
  odmd::testing::FakeClock clock_;
  FakeTransport transport_;
  std::vector<milliseconds> sleeps_;
};

TEST_F(ClientTest, AnInstallationCallGetsATokenWithTheJwtThenSendsGitHubsHeaders) {
  transport_.Answer(201, Token("ghs_one"));
  transport_.Answer(200, R"({"ref":"refs/heads/main"})");
  auto client = NewClient();
  auto r = client->AsInstallation(7, kGetRef);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body["ref"], "refs/heads/main");
  ASSERT_EQ(transport_.requests.size(), 2u);
  const HttpRequest& token = transport_.requests[0];
  EXPECT_EQ(token.method, "POST");
  EXPECT_EQ(token.url, "https://ghe.example.com/api/v3/app/installations/7/access_tokens");
  EXPECT_THAT(transport_.Header(0, "Authorization"), StartsWith("Bearer ey"));
  EXPECT_EQ(token.body, "{}");
  EXPECT_EQ(transport_.Header(0, "Content-Type"), "application/json");
  const HttpRequest& get = transport_.requests[1];
  EXPECT_EQ(get.method, "GET");
  EXPECT_EQ(get.url, "https://ghe.example.com/api/v3/repos/o/r/git/ref/heads/main");
  EXPECT_EQ(transport_.Header(1, "Authorization"), "token ghs_one");
  EXPECT_EQ(transport_.Header(1, "Accept"), "application/vnd.github+json");
  EXPECT_EQ(transport_.Header(1, "User-Agent"), "odmd");
  EXPECT_EQ(transport_.Header(1, "X-GitHub-Api-Version"), "2022-11-28");
  EXPECT_EQ(transport_.Header(1, "Content-Type"), "");
  EXPECT_EQ(get.body, "");
}

TEST_F(ClientTest, TheTokenIsCachedUntilFiveMinutesBeforeItExpires) {
  transport_.Answer(201, Token("ghs_one"));
  for (int i = 0; i < 3; ++i) transport_.Answer(200, "{}");
  transport_.Answer(201, Token("ghs_two", "2026-01-01T02:00:00Z"));
  auto client = NewClient();
  ASSERT_TRUE(client->AsInstallation(7, kGetRef).ok());
  ASSERT_TRUE(client->AsInstallation(7, kGetRef).ok());
  EXPECT_EQ(transport_.requests.size(), 3u);  // one token, two calls
  clock_.Advance(std::chrono::minutes(54));   // 6 minutes left: still used
  ASSERT_TRUE(client->AsInstallation(7, kGetRef).ok());
  EXPECT_EQ(transport_.requests.size(), 4u);
  clock_.Advance(std::chrono::minutes(2));  // 4 minutes left: renewed
  auto renewed = client->InstallationToken(7);
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_EQ(*renewed, "ghs_two");
  EXPECT_EQ(transport_.requests.size(), 5u);
  EXPECT_THAT(transport_.requests[4].url, HasSubstr("/app/installations/7/access_tokens"));
}

TEST_F(ClientTest, EachInstallationHasItsOwnToken) {
  transport_.Answer(201, Token("ghs_seven"));
  transport_.Answer(200, "{}");
  transport_.Answer(201, Token("ghs_eight"));
  transport_.Answer(200, "{}");
  auto client = NewClient();
  ASSERT_TRUE(client->AsInstallation(7, kGetRef).ok());
  ASSERT_TRUE(client->AsInstallation(8, kGetRef).ok());
  ASSERT_EQ(transport_.requests.size(), 4u);
  EXPECT_THAT(transport_.requests[2].url, HasSubstr("/app/installations/8/access_tokens"));
  EXPECT_EQ(transport_.Header(3, "Authorization"), "token ghs_eight");
}

TEST_F(ClientTest, A401DropsTheTokenAndRetriesOnceWithANewOne) {
  transport_.Answer(201, Token("ghs_old"));
  transport_.Answer(401, R"({"message":"Bad credentials"})");
  transport_.Answer(201, Token("ghs_new"));
  transport_.Answer(200, "{}");
  auto client = NewClient();
  auto r = client->AsInstallation(7, kGetRef);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(transport_.requests.size(), 4u);
  EXPECT_EQ(transport_.Header(1, "Authorization"), "token ghs_old");
  EXPECT_THAT(transport_.requests[2].url, HasSubstr("/access_tokens"));
  EXPECT_EQ(transport_.Header(3, "Authorization"), "token ghs_new");
  EXPECT_THAT(sleeps_, IsEmpty());
}

TEST_F(ClientTest, A401AfterRenewingIsAnErrorThatNamesTheCallButNoToken) {
  transport_.Answer(201, Token("ghs_old"));
  transport_.Answer(401, R"({"message":"Bad credentials"})");
  transport_.Answer(201, Token("ghs_new"));
  transport_.Answer(401, R"({"message":"Bad credentials"})");
  auto client = NewClient();
  auto r = client->AsInstallation(7, kGetRef);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(r.status().message(),
            "github git/get-ref GET /repos/o/r/git/ref/heads/main: 401 Unauthorized: "
            "\"Bad credentials\"");
  EXPECT_EQ(transport_.requests.size(), 4u);
}

TEST_F(ClientTest, ARefusedJwtNamesTheTokenCallAndTheCallItWasFor) {
  transport_.Answer(401, R"({"message":"A JSON web token could not be decoded"})");
  auto client = NewClient();
  auto r = client->AsInstallation(7, kGetRef);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  EXPECT_THAT(r.status().message(), HasSubstr("github git/get-ref GET /repos/o/r/git/ref/"));
  EXPECT_THAT(r.status().message(),
              HasSubstr("github apps/create-installation-access-token POST "
                        "/app/installations/7/access_tokens: 401 Unauthorized: \"A JSON web "
                        "token could not be decoded\""));
  EXPECT_THAT(r.status().message(), Not(HasSubstr("ey")));  // no JWT
  EXPECT_THAT(r.status().message(), Not(HasSubstr("PRIVATE")));
}

TEST_F(ClientTest, APrimaryRateLimitWaitsUntilItResets) {
  transport_.Answer(201, Token("ghs_one"));
  transport_.Answer(
      403, R"({"message":"API rate limit exceeded for installation ID 7."})",
      {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", std::to_string(kStart + 30)}});
  transport_.Answer(200, "{}");
  auto client = NewClient();
  auto r = client->AsInstallation(7, kGetRef);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(sleeps_, ElementsAre(milliseconds(31000)));
}

TEST_F(ClientTest, APrimaryRateLimitResettingLaterThanMaxWaitFailsAtOnce) {
  transport_.Answer(201, Token("ghs_one"));
  transport_.Answer(
      403, R"({"message":"API rate limit exceeded for installation ID 7."})",
      {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", std::to_string(kStart + 3600)}});
  auto client = NewClient();
  auto r = client->AsInstallation(7, kGetRef);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(r.status().message(),
              HasSubstr("github git/get-ref GET /repos/o/r/git/ref/heads/main: 403 Forbidden: "
                        "\"API rate limit exceeded for installation ID 7.\": rate limited; "
                        "retry in 3601 s"));
  EXPECT_THAT(sleeps_, IsEmpty());
}

TEST_F(ClientTest, ASecondaryLimitWaitsRetryAfterOrAMinute) {
  transport_.Answer(201, Token("ghs_one"));
  transport_.Answer(429, R"({"message":"slow down"})", {{"retry-after", "7"}});
  transport_.Answer(403, R"({"message":"You have exceeded a secondary rate limit."})");
  transport_.Answer(200, "{}");
  auto client = NewClient();
  auto r = client->AsInstallation(7, kGetRef);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(sleeps_, ElementsAre(milliseconds(7000), milliseconds(60000)));
}

TEST_F(ClientTest, AnAbsurdRetryAfterIsNotSleptAndDoesNotOverflow) {
  transport_.Answer(201, Token("ghs_one"));
  transport_.Answer(429, R"({"message":"slow down"})", {{"retry-after", "999999999999"}});
  transport_.Answer(429, R"({"message":"slow down"})",
                    {{"retry-after", "99999999999999999999999"}});
  auto client = NewClient();
  auto r = client->AsInstallation(7, kGetRef);
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  auto again = client->AsInstallation(7, kGetRef);  // not a number: a minute, then again
  EXPECT_EQ(again.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(sleeps_, ElementsAre(milliseconds(60000), milliseconds(60000), milliseconds(60000),
                                   milliseconds(60000)));
}

TEST_F(ClientTest, ARateLimitThatOutlastsTheAttemptsIsResourceExhausted) {
  transport_.Answer(201, Token("ghs_one"));
  transport_.Answer(429, R"({"message":"slow down"})", {{"retry-after", "1"}});
  auto client = NewClient({.max_attempts = 3});
  auto r = client->AsInstallation(7, kGetRef);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(sleeps_, ElementsAre(milliseconds(1000), milliseconds(1000)));
}

TEST_F(ClientTest, ServerErrorsBackOffThenFailUnavailable) {
  transport_.Answer(201, Token("ghs_one"));
  transport_.Answer(502, "bad gateway");
  auto client = NewClient({.max_attempts = 3});
  auto r = client->AsInstallation(7, kGetRef);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr(": 502 Server Error"));
  EXPECT_THAT(sleeps_, ElementsAre(milliseconds(1000), milliseconds(2000)));
}

TEST_F(ClientTest, NoAnswerIsRetriedThenNamed) {
  auto client = NewClient({.max_attempts = 2});
  auto r = client->AsApp({"apps/get-authenticated", "GET", "/app", std::nullopt});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), StartsWith("github apps/get-authenticated GET /app: "));
  EXPECT_EQ(transport_.requests.size(), 2u);
  EXPECT_THAT(sleeps_, ElementsAre(milliseconds(1000)));
}

TEST_F(ClientTest, AForbiddenCallWithoutALimitIsPermissionDenied) {
  transport_.Answer(201, Token("ghs_one"));
  transport_.Answer(403, R"({"message":"Resource not accessible by integration"})");
  auto client = NewClient();
  auto r = client->AsInstallation(7, kGetRef);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(r.status().message(), HasSubstr("Resource not accessible by integration"));
  EXPECT_THAT(sleeps_, IsEmpty());
}

TEST_F(ClientTest, A422NamesGitHubsFieldErrors) {
  transport_.Answer(201, Token("ghs_one"));
  transport_.Answer(422, R"({"message":"Validation Failed","errors":[{"resource":"Secret",
      "field":"key_id","code":"invalid"}]})");
  transport_.Answer(422, R"({"message":"Reference already exists"})");
  auto client = NewClient();
  const Call put{"actions/create-or-update-repo-secret", "PUT", "/repos/o/r/actions/secrets/X",
                 nlohmann::json::object()};
  auto r = client->AsInstallation(7, put);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(),
              HasSubstr("422 Unprocessable Entity: \"Validation Failed\" (field=key_id "
                        "code=invalid)"));
  auto again = client->AsInstallation(7, put);
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
}

TEST_F(ClientTest, AnETagRevalidatesAndA304IsServedFromTheCache) {
  transport_.Answer(201, Token("ghs_one"));
  transport_.Answer(200, R"({"ref":"refs/heads/main"})", {{"etag", "W/\"abc\""}});
  transport_.Answer(304, "");
  auto client = NewClient();
  auto first = client->AsInstallation(7, kGetRef);
  auto second = client->AsInstallation(7, kGetRef);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_FALSE(first->from_cache);
  EXPECT_TRUE(second->from_cache);
  EXPECT_EQ(second->body["ref"], "refs/heads/main");
  EXPECT_EQ(transport_.Header(1, "If-None-Match"), "");
  EXPECT_EQ(transport_.Header(2, "If-None-Match"), "W/\"abc\"");
}

TEST_F(ClientTest, AnUnusableKeyIsNamedByItsFile) {
  settings_.private_key_pem = "not a key";
  auto c = GitHubClient::Create(settings_, transport_, clock_, [](milliseconds) {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(), HasSubstr("github app key file \"/keys/app.pem\""));
  EXPECT_THAT(c.status().message(), Not(HasSubstr("not a key")));
}

TEST(EscapePathTest, KeepsUnreservedAndOptionallySlashes) {
  EXPECT_EQ(EscapePath("heads/feature/a b#1", true), "heads/feature/a%20b%231");
  EXPECT_EQ(EscapePath("odmd build.yml"), "odmd%20build.yml");
  EXPECT_EQ(EscapePath("a/b"), "a%2Fb");
}

}  // namespace
}  // namespace odmd::github
