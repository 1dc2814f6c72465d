// `odmd show` prints the enver's configuration: ODMD_config, the build's config under the
// enver's top-level keys, in the text and the JSON.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "odmd/cli/main.h"
#include "odmd/model/contracts.h"
#include "odmd/model/manifest.h"
#include "odmd/testing/fake_clock.h"

namespace odmd::cli {
namespace {

using ::testing::HasSubstr;

model::Org ConfiguredOrg() {
  model::Contracts c("demo", "1.0.0");
  c.AddAccount("central", "111111111111");
  auto ws = c.AddAccount("workspace1", "333333333333");
  auto repo = c.AddRepo("acme", "repo", 7);
  c.AddBuild("contracts", model::BuildKind::kContracts, repo).Branch("main", ws, "us-west-1");
  auto svc = c.AddBuild("svcA", model::BuildKind::kCdk, repo);
  svc.Config(R"({"cluster": "blue", "domains": ["a.example.com"]})");
  svc.Branch("master", ws, "us-west-1").Config(R"({"cluster": "green", "cidr": "10.1.0.0/16"})");
  svc.Branch("dev", ws, "us-west-1");
  return c.Finish();
}

class ShowConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("odmd_show_config_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    manifest_ = (dir_ / "manifest.json").string();
    std::ofstream(manifest_, std::ios::binary) << model::WriteManifest(ConfiguredOrg());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  int Run(std::vector<std::string> args) {
    args.insert(args.begin(), "odmd");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    std::ostringstream out, err;
    testing::FakeClock clock;
    int code = Main(static_cast<int>(argv.size()), argv.data(), out, err, clock);
    out_ = out.str();
    err_ = err.str();
    return code;
  }

  std::filesystem::path dir_;
  std::string manifest_;
  std::string out_, err_;
};

TEST_F(ShowConfigTest, PrintsTheConfigTheBuildScriptSees) {
  ASSERT_EQ(Run({"show", manifest_, "svcA/b..master"}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("config:                {\"cidr\":\"10.1.0.0/16\",\"cluster\":"
                              "\"green\",\"domains\":[\"a.example.com\"]}\n"));
  ASSERT_EQ(Run({"show", manifest_, "svcA/b..dev"}), 0) << err_;
  EXPECT_THAT(
      out_,
      HasSubstr("config:                {\"cluster\":\"blue\",\"domains\":[\"a.example.com\"]}\n"));
  ASSERT_EQ(Run({"show", manifest_, "contracts/b..main"}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("config:                {} (none)\n"));
}

TEST_F(ShowConfigTest, TheJsonCarriesTheConfigAsAnObject) {
  ASSERT_EQ(Run({"show", manifest_, "svcA/b..master", "--json"}), 0) << err_;
  nlohmann::json j = nlohmann::json::parse(out_);
  EXPECT_EQ(j["config"], nlohmann::json::parse(R"({"cidr": "10.1.0.0/16", "cluster": "green",
                                                   "domains": ["a.example.com"]})"));
  EXPECT_EQ(j["enverId"], "svcA/b..master");  // beside the derived names
  ASSERT_EQ(Run({"show", manifest_, "contracts/b..main", "--json"}), 0) << err_;
  EXPECT_EQ(nlohmann::json::parse(out_)["config"], nlohmann::json::object());
}

}  // namespace
}  // namespace odmd::cli
