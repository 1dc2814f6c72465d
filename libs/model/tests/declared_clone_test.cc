// A clone the contracts declare ("b..main-_b..ta"): it inherits its origin's consumers
// unless it declares its own, and its manifest text and digest stay as written.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "odmd/model/manifest.h"
#include "odmd/testing/status_matchers.h"
#include "validate_test_util.h"

namespace odmd::model {
namespace {

using fixtures::ValidOrg;
using Json = nlohmann::ordered_json;

// The valid org's manifest with a declared clone of orderSvc/b..main; `consumers` is its
// member, or absent when null.
std::string WithDeclaredClone(const Json& consumers) {
  Json doc = Json::parse(WriteManifest(ValidOrg()));
  doc.erase("digest");
  Json clone = {{"rev", "b..main-_b..ta"}, {"account", "workspace1"}, {"region", "us-west-1"}};
  if (!consumers.is_null()) clone["consumers"] = consumers;
  doc["builds"][2]["envers"].push_back(clone);
  return doc.dump(2);
}

TEST(DeclaredCloneTest, WithoutConsumersItInheritsItsOriginsAndIsWrittenWithoutThem) {
  Result<Org> org = ReadManifest(WithDeclaredClone(nullptr), nullptr);
  ODMD_ASSERT_OK(org);
  const Build& order = org->builds[2];
  ASSERT_EQ(order.envers.size(), 2u);
  EXPECT_TRUE(order.envers[1].inherits_consumers);
  EXPECT_EQ(order.envers[1].consumers, order.envers[0].consumers);
  ASSERT_EQ(order.envers[1].consumers.size(), 1u);
  // The canonical text leaves them out, and reads back to the same org (digest checked).
  const std::string text = WriteManifest(*org);
  EXPECT_EQ(Json::parse(text)["builds"][2]["envers"][1].count("consumers"), 0u);
  Result<Org> again = ReadManifest(text, nullptr);
  ODMD_ASSERT_OK(again);
  EXPECT_EQ(*again, *org);
}

TEST(DeclaredCloneTest, ItsOwnConsumersEvenNoneWin) {
  Result<Org> none = ReadManifest(WithDeclaredClone(Json::array()), nullptr);
  ODMD_ASSERT_OK(none);
  EXPECT_FALSE(none->builds[2].envers[1].inherits_consumers);
  EXPECT_TRUE(none->builds[2].envers[1].consumers.empty());
  // "None" survives the canonical form: written as [], not left out.
  EXPECT_EQ(Json::parse(WriteManifest(*none))["builds"][2]["envers"][1]["consumers"],
            Json::array());

  Json own = Json::array();
  own.push_back({{"name", "tagBus"}, {"producer", "foundation/t..v1"}, {"product", "eventBusArn"}});
  Result<Org> mine = ReadManifest(WithDeclaredClone(own), nullptr);
  ODMD_ASSERT_OK(mine);
  ASSERT_EQ(mine->builds[2].envers[1].consumers.size(), 1u);
  EXPECT_EQ(mine->builds[2].envers[1].consumers[0].producer, "foundation/t..v1");
}

TEST(DeclaredCloneTest, AStaticEnverWithoutConsumersInheritsNothing) {
  Result<Org> org = ReadManifest(WriteManifest(ValidOrg()), nullptr);
  ODMD_ASSERT_OK(org);
  for (const Build& b : org->builds) {
    for (const Enver& e : b.envers) EXPECT_FALSE(e.inherits_consumers) << b.id;
  }
}

}  // namespace
}  // namespace odmd::model
