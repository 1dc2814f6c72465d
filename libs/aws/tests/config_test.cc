// The credentials chain: environment, then the shared credentials and config files; errors
// name where it looked and never hold a secret.

#include "odmd/aws/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "odmd/testing/status_matchers.h"

namespace odmd::aws {
namespace {

using ::odmd::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

class ConfigTest : public ::testing::Test {
 protected:
  ConfigTest() {
    dir_ = std::filesystem::temp_directory_path() /
           ("odmd_aws_config_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    env_["HOME"] = dir_.string();
  }
  ~ConfigTest() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  EnvLookup Env() {
    return [this](const std::string& n) -> std::optional<std::string> {
      auto it = env_.find(n);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
  }

  std::filesystem::path dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(ConfigTest, EnvironmentWins) {
  env_ = {{"HOME", dir_.string()},
          {"AWS_ACCESS_KEY_ID", "AKENV"},
          {"AWS_SECRET_ACCESS_KEY", "env-secret"},
          {"AWS_SESSION_TOKEN", "env-token"},
          {"AWS_DEFAULT_REGION", "eu-central-1"},
          {"AWS_ENDPOINT_URL", "http://localhost:5000"},
          {"AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://localhost:6000"}};
  Write("creds", "[default]\naws_access_key_id = AKFILE\naws_secret_access_key = f\n");
  env_["AWS_SHARED_CREDENTIALS_FILE"] = (dir_ / "creds").string();
  Result<AwsConfig> c = LoadConfig(Env());
  ODMD_ASSERT_OK(c);
  EXPECT_EQ(c->credentials.access_key_id, "AKENV");
  EXPECT_EQ(c->credentials.secret_access_key, "env-secret");
  EXPECT_EQ(c->credentials.session_token, "env-token");
  EXPECT_EQ(c->region, "eu-central-1");
  EXPECT_EQ(c->EndpointFor(kSts), "http://localhost:5000/");
  EXPECT_EQ(c->EndpointFor(kSecretsManager), "http://localhost:6000/");
  env_["AWS_REGION"] = "us-west-2";
  EXPECT_EQ(LoadConfig(Env())->region, "us-west-2");
}

TEST_F(ConfigTest, SharedFilesWithProfile) {
  Write("credentials",
        "# comment\n[default]\naws_access_key_id=AKDEF\naws_secret_access_key=d\n\n"
        "[ci]\naws_access_key_id = AKCI\naws_secret_access_key = ci-secret\n"
        "aws_session_token = ci-token\n");
  Write("config", "[default]\nregion = us-east-1\n[profile ci]\nregion = ap-south-1\n");
  std::filesystem::create_directories(dir_ / ".aws");
  std::filesystem::rename(dir_ / "credentials", dir_ / ".aws" / "credentials");
  std::filesystem::rename(dir_ / "config", dir_ / ".aws" / "config");
  Result<AwsConfig> def = LoadConfig(Env());
  ODMD_ASSERT_OK(def);
  EXPECT_EQ(def->credentials.access_key_id, "AKDEF");
  EXPECT_EQ(def->region, "us-east-1");
  EXPECT_EQ(def->EndpointFor(kSts), "https://sts.us-east-1.amazonaws.com/");
  env_["AWS_PROFILE"] = "ci";
  Result<AwsConfig> ci = LoadConfig(Env());
  ODMD_ASSERT_OK(ci);
  EXPECT_EQ(ci->credentials.access_key_id, "AKCI");
  EXPECT_EQ(ci->credentials.secret_access_key, "ci-secret");
  EXPECT_EQ(ci->credentials.session_token, "ci-token");
  EXPECT_EQ(ci->region, "ap-south-1");
}

TEST_F(ConfigTest, CredentialsInTheConfigFileAndExplicitPaths) {
  Write("cfg",
        "[profile p]\nregion = eu-west-3\naws_access_key_id = AKCFG\n"
        "aws_secret_access_key = cfg-secret\n");
  env_["AWS_CONFIG_FILE"] = (dir_ / "cfg").string();
  env_["AWS_PROFILE"] = "p";
  Result<AwsConfig> c = LoadConfig(Env());
  ODMD_ASSERT_OK(c);
  EXPECT_EQ(c->credentials.access_key_id, "AKCFG");
  EXPECT_EQ(c->region, "eu-west-3");
}

TEST_F(ConfigTest, NoCredentialsNamesWhereItLooked) {
  env_["AWS_REGION"] = "us-east-1";
  env_["AWS_SECRET_ACCESS_KEY"] = "lonely-secret";  // no key id: not a credential
  Result<AwsConfig> c = LoadConfig(Env());
  EXPECT_THAT(c.status(), StatusIs(StatusCode::kUnauthenticated,
                                   HasSubstr("AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY and "
                                             "profile \"default\" of " +
                                             dir_.string() + "/.aws/credentials")));
  EXPECT_THAT(c.status().message(), Not(HasSubstr("lonely-secret")));
}

TEST_F(ConfigTest, NoRegionIsAnError) {
  env_["AWS_ACCESS_KEY_ID"] = "AK";
  env_["AWS_SECRET_ACCESS_KEY"] = "s";
  EXPECT_THAT(LoadConfig(Env()).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("no AWS region")));
}

TEST_F(ConfigTest, MalformedFileNamesFileAndLineWithoutItsContent) {
  Write("creds", "[default]\naws_access_key_id = AK\nthis-line-holds-a-secret\n");
  env_["AWS_SHARED_CREDENTIALS_FILE"] = (dir_ / "creds").string();
  env_["AWS_REGION"] = "us-east-1";
  Result<AwsConfig> c = LoadConfig(Env());
  EXPECT_THAT(c.status(), StatusIs(StatusCode::kInvalidArgument,
                                   HasSubstr((dir_ / "creds").string() + ":3: expected")));
  EXPECT_THAT(c.status().message(), Not(HasSubstr("this-line-holds-a-secret")));
}

}  // namespace
}  // namespace odmd::aws
