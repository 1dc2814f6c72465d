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

#include "manifest_cli_fixture.h"
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

class ShowImageTest : public ManifestCliTest {
 protected:
  model::Org TestOrg() override { return ImageOrg(); }
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
