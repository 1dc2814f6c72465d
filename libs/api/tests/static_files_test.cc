// The web console's files (ApiOptions::static_files): served without a token, with the
// console's Content-Security-Policy; unknown paths stay 404 JSON.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "api_test_fixture.h"

namespace odmd::api {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kIndex =
    "<!doctype html><title>odmd</title><script src=app.js></script>";
constexpr std::string_view kScript = "console.log('odmd');";
constexpr char kCsp[] =
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:";

// Big enough to be worth compressing; static storage like the embedded console's.
const std::string& BigScript() {
  static const std::string* script = [] {
    auto* s = new std::string;
    for (int i = 0; i < 4000; ++i) s->append("console.log('odmd " + std::to_string(i) + "');\n");
    return s;
  }();
  return *script;
}

class StaticFilesTest : public ApiFixture {
 protected:
  void SetUp() override {
    StartServer(ApiOptions{.static_files = {
                               {"/index.html", "text/html; charset=utf-8", kIndex},
                               {"/app.js", "text/javascript; charset=utf-8", kScript},
                               {"/big.js", "text/javascript; charset=utf-8", BigScript()},
                           }});
  }
};

// Brotli at httplib's quality took ~1 s for the console's bundle on every page load: a
// browser's "gzip, deflate, br" gets gzip, and "br" alone gets the file as it is.
TEST_F(StaticFilesTest, BrowsersGetGzipNotBrotli) {
  auto client = Client();
  client->set_decompress(false);
  auto res = client->Get("/big.js", {{"Accept-Encoding", "gzip, deflate, br, zstd"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Encoding"), "gzip");
  EXPECT_LT(res->body.size(), BigScript().size());
  res = client->Get("/big.js", {{"Accept-Encoding", "br"}});
  ASSERT_TRUE(res);
  EXPECT_FALSE(res->has_header("Content-Encoding"));
  EXPECT_EQ(res->body, BigScript());
}

TEST_F(StaticFilesTest, RootIsIndexHtmlWithCsp) {
  for (const char* path : {"/", "/index.html"}) {
    auto res = Client()->Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 200) << path;
    EXPECT_EQ(res->body, kIndex) << path;
    EXPECT_EQ(res->get_header_value("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(res->get_header_value("Content-Security-Policy"), kCsp);
    EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(res->get_header_value("Cache-Control"), "no-cache");
  }
}

TEST_F(StaticFilesTest, AssetIsServedWithItsType) {
  auto res = Client()->Get("/app.js");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, kScript);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(res->get_header_value("Content-Security-Policy"), kCsp);
  EXPECT_FALSE(res->has_header("Cache-Control"));
}

TEST_F(StaticFilesTest, HeadAnswersWithoutBody) {
  auto res = Client()->Head("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(res->body.empty());
  EXPECT_EQ(res->get_header_value("Content-Security-Policy"), kCsp);
}

TEST_F(StaticFilesTest, UnknownPathsAre404Json) {
  for (const char* path : {"/missing.js", "/api/nothing", "/webhooks/gitlab"}) {
    auto res = Client()->Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 404) << path;
    EXPECT_EQ(ErrorCode(res), "NOT_FOUND") << path;
    EXPECT_THAT(ErrorMessage(res), HasSubstr(std::string("no such route: GET ") + path));
  }
  EXPECT_THAT(ErrorMessage(Client()->Get("/missing.js")),
              HasSubstr("not a file of the web console"));
}

TEST_F(StaticFilesTest, PostToAFileIsRefused) {
  auto res = Client()->Post("/index.html", "x", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_THAT(ErrorMessage(res), HasSubstr("takes GET"));
}

using NoConsoleTest = ApiFixture;

TEST_F(NoConsoleTest, RootIs404SayingThereIsNoConsole) {
  auto res = Client()->Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_THAT(ErrorMessage(res), HasSubstr("no web console"));
}

}  // namespace
}  // namespace odmd::api
