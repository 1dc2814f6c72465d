#include "odmd/reconcile/aws_settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "odmd/testing/status_matchers.h"

namespace odmd::reconcile {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

aws::EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

aws::EnvLookup CentralEnv() {
  return Env({{"AWS_ACCESS_KEY_ID", "AKIDCENTRAL"},
              {"AWS_SECRET_ACCESS_KEY", "central-secret-value"},
              {"AWS_REGION", "eu-west-1"},
              {"HOME", "/nonexistent-home"}});
}

Status ParseError(const std::string& text) {
  return ParseAwsSettings(text, "aws.json", CentralEnv()).status();
}

TEST(AwsSettingsTest, FullFileIsRead) {
  Result<AwsSettings> s = ParseAwsSettings(R"({
    "endpoint_url": "http://localhost:5000",
    "region": "us-east-1",
    "accounts": ["111111111111", "222222222222"],
    "products": {"ssm": false, "event_bus": "odmd-bus"},
    "secrets_manager": true
  })",
                                           "aws.json", CentralEnv());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->central.endpoint_url, "http://localhost:5000");
  EXPECT_EQ(s->central.region, "us-east-1");  // the file wins over AWS_REGION
  EXPECT_EQ(s->central.credentials.access_key_id, "AKIDCENTRAL");
  EXPECT_EQ(s->aws_accounts, (std::set<std::string>{"111111111111", "222222222222"}));
  EXPECT_TRUE(s->IsAwsAccount("111111111111"));
  EXPECT_FALSE(s->IsAwsAccount("333333333333"));
  EXPECT_FALSE(s->ssm_products);
  EXPECT_EQ(s->event_bus, "odmd-bus");
  EXPECT_TRUE(s->secrets_manager);
}

TEST(AwsSettingsTest, DefaultsComeFromTheHeaderAndTheEnvironment) {
  Result<AwsSettings> s = ParseAwsSettings(R"({"accounts": []})", "aws.json", CentralEnv());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->central.region, "eu-west-1");
  EXPECT_EQ(s->central.endpoint_url, "");
  EXPECT_TRUE(s->aws_accounts.empty());
  EXPECT_TRUE(s->ssm_products);
  EXPECT_EQ(s->event_bus, "default");
  EXPECT_FALSE(s->secrets_manager);
  Result<AwsSettings> no_events =
      ParseAwsSettings(R"({"accounts": [], "products": {"event_bus": ""}})", "f", CentralEnv());
  ASSERT_TRUE(no_events.ok()) << no_events.status();
  EXPECT_EQ(no_events->event_bus, "");
}

TEST(AwsSettingsTest, TheFilesEndpointWinsOverEveryEnvironmentEndpoint) {
  aws::EnvLookup env = Env({{"AWS_ACCESS_KEY_ID", "A"},
                            {"AWS_SECRET_ACCESS_KEY", "S"},
                            {"AWS_REGION", "eu-west-1"},
                            {"AWS_ENDPOINT_URL", "http://elsewhere:1"},
                            {"AWS_ENDPOINT_URL_SSM", "http://elsewhere:2"},
                            {"HOME", "/nonexistent-home"}});
  Result<AwsSettings> s =
      ParseAwsSettings(R"({"endpoint_url": "http://localhost:7", "accounts": []})", "f", env);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->central.EndpointFor(aws::kSsm), "http://localhost:7/");
  EXPECT_EQ(s->central.EndpointFor(aws::kEventBridge), "http://localhost:7/");
  // Without one in the file, the environment's stand.
  Result<AwsSettings> env_only = ParseAwsSettings(R"({"accounts": []})", "f", env);
  ASSERT_TRUE(env_only.ok()) << env_only.status();
  EXPECT_EQ(env_only->central.EndpointFor(aws::kSsm), "http://elsewhere:2/");
}

TEST(AwsSettingsTest, ErrorsNameTheFileAndTheKey) {
  struct Case {
    const char* text;
    const char* key;
  };
  const Case cases[] = {
      {R"({"accounts": ["12345"]})", "\"/accounts/0\""},
      {R"({"accounts": ["111111111111", "11111111111x"]})", "\"/accounts/1\""},
      {R"({"accounts": ["111111111111", "111111111111"]})", "\"/accounts/1\""},
      {R"({"accounts": "111111111111"})", "\"/accounts\""},
      {R"({"accounts": [1]})", "\"/accounts/0\""},
      {R"({})", "\"/accounts\""},
      {R"({"accounts": [], "acounts": []})", "\"/acounts\""},
      {R"({"accounts": [], "products": {"ssm": "yes"}})", "\"/products/ssm\""},
      {R"({"accounts": [], "products": {"sms": true}})", "\"/products/sms\""},
      {R"({"accounts": [], "products": {"event_bus": "a bus"}})", "\"/products/event_bus\""},
      {R"({"accounts": [], "products": []})", "\"/products\""},
      {R"({"accounts": [], "region": "EU WEST"})", "\"/region\""},
      {R"({"accounts": [], "endpoint_url": "localhost:5000"})", "\"/endpoint_url\""},
      {R"({"accounts": [], "secrets_manager": 1})", "\"/secrets_manager\""},
      {R"({"accounts": [], "accounts": ["111111111111"]})", "\"/accounts\""},
      {R"({"accounts": [], "products": {"ssm": true, "ssm": false}})", "\"/products/ssm\""},
  };
  for (const Case& c : cases) {
    Status s = ParseError(c.text);
    EXPECT_TRUE(IsInvalidArgument(s)) << c.text << " -> " << s;
    EXPECT_THAT(s.message(), HasSubstr("\"aws.json\"")) << c.text;
    EXPECT_THAT(s.message(), HasSubstr(c.key)) << c.text << " -> " << s;
  }
}

TEST(AwsSettingsTest, NotJsonOrNotAnObjectIsAnError) {
  Status s = ParseError("{\"accounts\": [");
  EXPECT_TRUE(IsInvalidArgument(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("\"aws.json\": not JSON at byte"));
  s = ParseError("[]");
  EXPECT_TRUE(IsInvalidArgument(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("must be a JSON object"));
}

TEST(AwsSettingsTest, MissingCredentialsAreAnErrorNamingTheFileNotASecret) {
  Result<AwsSettings> s = ParseAwsSettings(R"({"accounts": []})", "aws.json",
                                           Env({{"AWS_REGION", "us-east-1"},
                                                {"AWS_SECRET_ACCESS_KEY", "lonely-secret"},
                                                {"HOME", "/nonexistent-home"}}));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnauthenticated) << s.status();
  EXPECT_THAT(s.status().message(), HasSubstr("\"aws.json\""));
  EXPECT_THAT(s.status().message(), Not(HasSubstr("lonely-secret")));
}

TEST(AwsSettingsTest, NoRegionAnywhereIsAnError) {
  Result<AwsSettings> s = ParseAwsSettings(R"({"accounts": []})", "aws.json",
                                           Env({{"AWS_ACCESS_KEY_ID", "A"},
                                                {"AWS_SECRET_ACCESS_KEY", "S"},
                                                {"HOME", "/nonexistent-home"}}));
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(IsInvalidArgument(s.status())) << s.status();
  EXPECT_THAT(s.status().message(), HasSubstr("region"));
}

TEST(AwsSettingsTest, LoadReadsTheFileAndNamesAMissingOne) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("odmd-aws-settings-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "aws.json").string();
  std::ofstream(path) << R"({"accounts": ["111111111111"], "region": "us-west-2"})";
  Result<AwsSettings> s = LoadAwsSettings(path, CentralEnv());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->central.region, "us-west-2");
  Result<AwsSettings> missing = LoadAwsSettings((dir / "nope.json").string(), CentralEnv());
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("nope.json"));
  std::ofstream(path) << R"({"accounts": ["1"]})";
  Result<AwsSettings> bad = LoadAwsSettings(path, CentralEnv());
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr(path));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace odmd::reconcile
