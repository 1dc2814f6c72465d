#include "odmd/github/app_settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace odmd::github {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class AppSettingsTest : public ::testing::Test {
 protected:
  AppSettingsTest() {
    dir_ = std::filesystem::temp_directory_path() /
           ("odmd_github_settings_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    Write("key.pem", "PEM-TEXT");
    Write("secret", "whsec\n");
  }
  ~AppSettingsTest() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  EnvLookup Env() {
    return [this](std::string_view name) -> std::optional<std::string> {
      const auto it = env_.find(std::string(name));
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
  }

  std::filesystem::path dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(AppSettingsTest, FlagsWinOverTheEnvironment) {
  env_ = {{"ODMD_GITHUB_APP_ID", "1"},
          {"ODMD_GITHUB_APP_KEY_FILE", "/nowhere"},
          {"ODMD_GITHUB_API_URL", "https://env.example"}};
  auto s = LoadAppSettings({"https://ghe.example.com/api/v3/", "42", (dir_ / "key.pem").string(),
                            (dir_ / "secret").string()},
                           Env());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->api_url, "https://ghe.example.com/api/v3");
  EXPECT_EQ(s->app_id, "42");
  EXPECT_EQ(s->private_key_pem, "PEM-TEXT");
  EXPECT_EQ(s->webhook_secret, "whsec");
}

TEST_F(AppSettingsTest, TheEnvironmentFillsWhatFlagsLeaveOut) {
  env_ = {{"ODMD_GITHUB_APP_ID", "9"},
          {"ODMD_GITHUB_APP_KEY_FILE", (dir_ / "key.pem").string()},
          {"ODMD_GITHUB_WEBHOOK_SECRET", "from-env"}};
  auto s = LoadAppSettings({}, Env());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->api_url, "https://api.github.com");
  EXPECT_EQ(s->app_id, "9");
  EXPECT_EQ(s->webhook_secret, "from-env");
}

TEST_F(AppSettingsTest, MissingOrUnreadableSettingsAreNamed) {
  auto no_id = LoadAppSettings({}, Env());
  EXPECT_EQ(no_id.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(no_id.status().message(), HasSubstr("--github-app-id or ODMD_GITHUB_APP_ID"));
  auto no_key = LoadAppSettings({.app_id = "1"}, Env());
  EXPECT_THAT(no_key.status().message(), HasSubstr("--github-app-key-file"));
  auto unreadable = LoadAppSettings({.app_id = "1", .private_key_file = "/nowhere/key.pem"}, Env());
  EXPECT_EQ(unreadable.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(unreadable.status().message(), HasSubstr("cannot read \"/nowhere/key.pem\""));
  auto url = LoadAppSettings({.api_url = "ftp://x", .app_id = "1"}, Env());
  EXPECT_THAT(url.status().message(), HasSubstr("is not an http(s) URL"));
}

TEST_F(AppSettingsTest, NoMessagePrintsTheKey) {
  auto bad_secret = LoadAppSettings({.app_id = "1",
                                     .private_key_file = (dir_ / "key.pem").string(),
                                     .webhook_secret_file = "/nowhere/secret"},
                                    Env());
  ASSERT_FALSE(bad_secret.ok());
  EXPECT_THAT(bad_secret.status().message(), Not(HasSubstr("PEM-TEXT")));
  EXPECT_THAT(bad_secret.status().message(), HasSubstr("github webhook secret"));
}

}  // namespace
}  // namespace odmd::github
