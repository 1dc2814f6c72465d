// `odmd show` of an image enver: its container image repository (ODMD_image_repo).

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
using ::testing::Not;

model::Org ImageOrg() {
  model::Contracts c("demo", "1.0.0");
  c.AddAccount("central", "111111111111");
  auto ws = c.AddAccount("workspace1", "333333333333");
  auto repo = c.AddRepo("acme", "repo", 7);
  c.AddBuild("contracts", model::BuildKind::kContracts, repo).Branch("main", ws, "us-west-1");
  c.AddBuild("Order_Img", model::BuildKind::kImage, repo).Branch("main", ws, "us-west-1");
  c.AddBuild("svcA", model::BuildKind::kCdk, repo).Branch("master", ws, "us-west-1");
  return c.Finish();
}

class ShowImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("odmd_show_image_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    manifest_ = (dir_ / "manifest.json").string();
    std::ofstream(manifest_, std::ios::binary) << model::WriteManifest(ImageOrg());
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
  std::string out_;
  std::string err_;
};

TEST_F(ShowImageTest, ShowsTheImageRepositoryOfAnImageEnver) {
  ASSERT_EQ(Run({"show", manifest_, "Order_Img/b..main"}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("image repository:      orderimg/bmain/orderimg\n"));
  ASSERT_EQ(Run({"show", manifest_, "Order_Img/b..main", "--json"}), 0) << err_;
  EXPECT_EQ(nlohmann::json::parse(out_)["imageRepo"], "orderimg/bmain/orderimg");
}

TEST_F(ShowImageTest, OtherKindsHaveNoImageRepository) {
  ASSERT_EQ(Run({"show", manifest_, "svcA/b..master"}), 0) << err_;
  EXPECT_THAT(out_, Not(HasSubstr("image repository")));
  ASSERT_EQ(Run({"show", manifest_, "svcA/b..master", "--json"}), 0) << err_;
  EXPECT_FALSE(nlohmann::json::parse(out_).contains("imageRepo"));
}

}  // namespace
}  // namespace odmd::cli
