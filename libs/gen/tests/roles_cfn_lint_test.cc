// Every role template odmd generates must pass cfn-lint (the CloudFormation linter,
// installed by scripts/install-deps.sh). A missing cfn-lint fails these tests naming it: a
// check that silently skips proves nothing.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "odmd/gen/roles.h"
#include "odmd/testing/shell.h"
#include "role_test_util.h"

namespace odmd::gen {
namespace {

using ::odmd::testing::Q;

namespace fs = std::filesystem;

class RolesCfnLintTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(std::system("command -v cfn-lint > /dev/null 2>&1"), 0)
        << "cfn-lint is not on PATH; install it (scripts/install-deps.sh) to lint the role "
           "templates";
    dir_ = fs::temp_directory_path() /
           ("odmd_roles_cfn_lint_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name, std::ios::binary) << content;
  }

  // Writes every template of `org` under dir_/<sub> and returns their paths, shell-quoted.
  std::string WriteTemplates(const model::Org& org, const std::string& sub) {
    Result<std::vector<GeneratedFile>> files = GenerateRoles(org);
    EXPECT_TRUE(files.ok()) << files.status();
    EXPECT_TRUE(!files.ok() || !files->empty());
    std::string args;
    if (!files.ok()) return args;
    for (const GeneratedFile& f : *files) {
      fs::path path = dir_ / sub / f.path;
      fs::create_directories(path.parent_path());
      std::ofstream(path, std::ios::binary) << f.content;
      args += " " + Q(path.string());
    }
    return args;
  }

  // Runs cfn-lint once on `args` (starting it costs seconds); output_ gets what it printed.
  int Lint(const std::string& args) {
    fs::path log = dir_ / "cfn-lint.log";
    int status = std::system(("cfn-lint" + args + " > " + Q(log.string()) + " 2>&1").c_str());
    std::ifstream in(log);
    std::ostringstream ss;
    ss << in.rdbuf();
    output_ = ss.str();
    return (status != -1 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
  }

  fs::path dir_;
  std::string output_;
};

// One cfn-lint run over the sample org's templates, a multi-stack enver's, and one broken
// template that proves the linter really lints: only the broken one may be reported.
TEST_F(RolesCfnLintTest, EveryGeneratedTemplatePassesAndABrokenOneDoesNot) {
  model::Org multi = role_test::SmallOrg();
  multi.FindBuild("svc")->envers[0].stacks = {"svc", "svc-bdd"};
  std::string args =
      WriteTemplates(role_test::SampleOrg(), "sample") + WriteTemplates(multi, "multi");
  Write("broken-role.json",
        R"({"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {}}}})");
  args += " " + Q((dir_ / "broken-role.json").string());
  EXPECT_NE(Lint(args), 0) << "cfn-lint accepted a role without a trust policy";
  EXPECT_THAT(output_, ::testing::HasSubstr("broken-role.json"));
  std::istringstream lines(output_);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_EQ(line.find((dir_ / "sample").string()), std::string::npos) << line;
    EXPECT_EQ(line.find((dir_ / "multi").string()), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace odmd::gen
