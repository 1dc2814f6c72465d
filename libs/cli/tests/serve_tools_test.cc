// `odmd serve --cdk-sdk DIR` and `--tool-dir DIR`: checked before anything is created; a
// directory without a cdk CLI or a missing tool directory stops serve naming the flag.
// (What a script sees of them: SandboxTest.ToolDirsAreReadOnlyAndScriptEnv...)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "odmd/testing/testdata.h"
#include "store_cli_fixture.h"

namespace odmd::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class ServeToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    root_ = fs::temp_directory_path() / ("odmd-serve-tools-" + std::to_string(rd()));
    fs::create_directories(root_ / "sdk-without-cdk" / "node_modules");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  std::vector<std::string> Serve(std::vector<std::string> extra) {
    std::vector<std::string> args = {"serve",    "--state-dir", (root_ / "state").string(),
                                     "--listen", "127.0.0.1:0", "--sandbox",
                                     "none",     "--once"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  fs::path root_;
};

TEST_F(ServeToolsTest, ACdkSdkWithoutTheCdkCliStopsServeAndCreatesNothing) {
  const std::string sdk = (root_ / "sdk-without-cdk").string();
  Child child(Serve({"--cdk-sdk", sdk}));
  ChildResult r = child.Finish();
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("--cdk-sdk"));
  EXPECT_THAT(r.err, HasSubstr("node_modules/.bin/cdk"));
  EXPECT_THAT(r.err, HasSubstr("install-deps.sh"));
  EXPECT_FALSE(fs::exists(root_ / "state")) << "a bad --cdk-sdk created the state directory";
}

TEST_F(ServeToolsTest, AMissingToolDirStopsServeAndCreatesNothing) {
  Child child(Serve({"--tool-dir", (root_ / "absent").string()}));
  ChildResult r = child.Finish();
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("--tool-dir"));
  EXPECT_THAT(r.err, HasSubstr("absent"));
  EXPECT_FALSE(fs::exists(root_ / "state"));
}

TEST_F(ServeToolsTest, TheRepositorysCdkSdkIsAccepted) {
  // The shared install of scripts/install-deps.sh: serve starts with it and stops when idle.
  Child child(Serve({"--cdk-sdk", odmd::testing::SourcePath("sdk/cdk")}));
  ChildResult r = child.Finish();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

}  // namespace
}  // namespace odmd::cli
