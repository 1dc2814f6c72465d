// Every generated workflow of the sample org goes through a real workflow validator, the npm
// package @action-validator/cli, installed by `make deps` (npm ci --prefix tools/validators).
// A missing validator fails these tests: a check that silently skips proves nothing.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "odmd/gen/workflows.h"
#include "odmd/model/manifest.h"
#include "odmd/testing/shell.h"
#include "odmd/testing/testdata.h"

namespace odmd::gen {
namespace {

using ::odmd::testing::Q;

namespace fs = std::filesystem;

constexpr char kValidator[] = "tools/validators/node_modules/.bin/action-validator";

class ActionValidatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    validator_ = odmd::testing::SourcePath(kValidator);
    ASSERT_TRUE(fs::exists(validator_))
        << "the workflow validator is not installed at " << validator_
        << "; run `make deps` (npm ci --prefix tools/validators)";
    dir_ = fs::temp_directory_path() /
           ("odmd_action_validator_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes `content` to <dir>/<relative> and returns the path.
  std::string Write(const std::string& relative, const std::string& content) {
    fs::path path = dir_ / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  // Runs the validator on `path`; returns its exit code (-1 if it did not exit) and fills
  // `output` with what it printed.
  int Validate(const std::string& path, std::string* output) {
    fs::path log = dir_ / "validator.log";
    std::string command = Q(validator_) + " " + Q(path) + " > " + Q(log) + " 2>&1";
    int status = std::system(command.c_str());
    std::ifstream in(log, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    *output = text.str();
    return (status != -1 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
  }

  std::vector<GeneratedFile> SampleWorkflows() {
    std::string text = odmd::testing::ReadFileOrFail(
        odmd::testing::SourcePath("examples/sandbox/manifest.golden.json"));
    Result<model::Org> org = model::ReadManifest(text, nullptr);
    EXPECT_TRUE(org.ok()) << org.status().ToString();
    if (!org.ok()) return {};
    Result<std::vector<GeneratedFile>> files = GenerateWorkflows(*org);
    EXPECT_TRUE(files.ok()) << files.status().ToString();
    return files.ok() ? *std::move(files) : std::vector<GeneratedFile>{};
  }

  std::string validator_;
  fs::path dir_;
};

TEST_F(ActionValidatorTest, EveryWorkflowOfTheSampleOrgIsValid) {
  std::vector<GeneratedFile> files = SampleWorkflows();
  ASSERT_EQ(files.size(), 13u);
  for (const GeneratedFile& file : files) {
    // user-owned files too: their content is what odmd would have written.
    std::string path = Write(file.build_id + "/" + file.path, file.content);
    std::string output;
    EXPECT_EQ(Validate(path, &output), 0) << file.build_id << "/" << file.path << ":\n" << output;
  }
}

TEST_F(ActionValidatorTest, RejectsAWorkflowWithAnUnknownJobKey) {
  std::vector<GeneratedFile> files = SampleWorkflows();
  ASSERT_FALSE(files.empty());
  std::string broken = files.front().content;
  size_t at = broken.find("    runs-on: ubuntu-latest\n");
  ASSERT_NE(at, std::string::npos);
  broken.replace(at, 11, "    runz-on");
  std::string output;
  EXPECT_NE(Validate(Write(".github/workflows/broken.yaml", broken), &output), 0) << output;
  EXPECT_NE(output.find("runz-on"), std::string::npos) << output;
}

TEST_F(ActionValidatorTest, RejectsAnInputWithoutADescription) {
  std::vector<GeneratedFile> files = SampleWorkflows();
  ASSERT_FALSE(files.empty());
  std::string broken = files.front().content;
  size_t at = broken.find("        description: 'Why the platform dispatched this run'\n");
  ASSERT_NE(at, std::string::npos);
  broken.erase(at, broken.find('\n', at) + 1 - at);
  std::string output;
  EXPECT_NE(Validate(Write(".github/workflows/broken.yaml", broken), &output), 0) << output;
  EXPECT_NE(output.find("description"), std::string::npos) << output;
}

}  // namespace
}  // namespace odmd::gen
