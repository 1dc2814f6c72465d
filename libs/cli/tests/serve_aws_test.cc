// `odmd serve --aws-config FILE`: the settings file is read before anything else (a bad one
// stops serve with an error naming the file and the key, and creates nothing), and serve
// says which accounts are AWS targets and where AWS is, never with a credential.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "store_cli_fixture.h"

namespace odmd::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

class ServeAwsConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    root_ = fs::temp_directory_path() / ("odmd-serve-aws-" + std::to_string(rd()));
    fs::create_directories(root_);
    ::setenv("AWS_ACCESS_KEY_ID", "AKIDSERVETEST", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "serve-test-secret-value", 1);
    ::setenv("AWS_REGION", "us-east-1", 1);
  }
  void TearDown() override {
    ::unsetenv("AWS_ACCESS_KEY_ID");
    ::unsetenv("AWS_SECRET_ACCESS_KEY");
    ::unsetenv("AWS_REGION");
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::string WriteConfig(const std::string& text) {
    const fs::path p = root_ / "aws.json";
    std::ofstream(p) << text;
    return p.string();
  }

  std::vector<std::string> Serve(const std::string& config) {
    return {"serve",    "--state-dir",  (root_ / "state").string(),
            "--listen", "127.0.0.1:0",  "--sandbox",
            "none",     "--aws-config", config,
            "--once"};
  }

  fs::path root_;
};

TEST_F(ServeAwsConfigTest, ABadFileStopsServeNamingTheFileAndKeyAndCreatesNothing) {
  const std::string config = WriteConfig(R"({"accounts": ["111111111111", "12"]})");
  Child child(Serve(config));
  ChildResult r = child.Finish();
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr(config));
  EXPECT_THAT(r.err, HasSubstr("\"/accounts/1\""));
  EXPECT_FALSE(fs::exists(root_ / "state")) << "a bad --aws-config created the state directory";
}

TEST_F(ServeAwsConfigTest, AMissingFileStopsServe) {
  Child child(Serve((root_ / "absent.json").string()));
  ChildResult r = child.Finish();
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("absent.json"));
  EXPECT_FALSE(fs::exists(root_ / "state"));
}

TEST_F(ServeAwsConfigTest, ServeNamesTheAwsAccountsAndTheEndpointButNoCredential) {
  // Nothing listens there: serve only says where AWS is (nothing is written: no products).
  const std::string config = WriteConfig(R"({"endpoint_url": "http://localhost:9",
      "accounts": ["222222222222", "111111111111"], "products": {"event_bus": "odmd-bus"}})");
  Child child(Serve(config));
  ChildResult r = child.Finish();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("AWS target accounts: 111111111111, 222222222222"));
  EXPECT_THAT(r.err, HasSubstr("AWS endpoint: http://localhost:9 (region us-east-1)"));
  EXPECT_THAT(r.err, HasSubstr("\"odmd-bus\""));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("serve-test-secret-value")));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("AKIDSERVETEST")));
}

}  // namespace
}  // namespace odmd::cli
