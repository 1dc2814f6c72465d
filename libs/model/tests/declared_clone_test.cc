// A clone the contracts declare ("b..main-_b..ta"): it inherits its origin's consumers
// unless it declares its own, and its manifest text and digest stay as written.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "odmd/model/contracts.h"
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

namespace odmd::model {
namespace {

TEST(DeclaredCloneTest, TheContractsBuilderDeclaresOneThatReadsBackAsWritten) {
  Contracts c("clones", "1.0.0");
  auto central = c.AddAccount("central", "111111111111");
  auto repo = c.AddRepo("o", "r", 1);
  c.AddBuild("contracts", BuildKind::kContracts, repo).Branch("main", central, "us-east-1");
  auto lib = c.AddBuild("lib", BuildKind::kCdk, repo).Branch("main", central, "us-east-1");
  auto url = lib.Produces("url");
  auto svc = c.AddBuild("svc", BuildKind::kCdk, repo);
  auto master = svc.Branch("master", central, "us-east-1").CloneLimit(1);
  master.Produces("api");
  master.Consumes("url", url);
  auto ta = svc.Clone(master, "ta");
  EXPECT_EQ(ta.id(), "svc/b..master-_b..ta");
  EXPECT_TRUE(c.Validate().empty());
  const Org org = c.Finish();
  const Enver& clone = org.FindBuild("svc")->envers[1];
  EXPECT_EQ(clone.rev.str(), "b..master-_b..ta");
  ASSERT_EQ(clone.consumers.size(), 1u);  // the origin's
  ASSERT_EQ(clone.products.size(), 1u);
  Result<Org> read = ReadManifest(WriteManifest(org), nullptr);
  ODMD_ASSERT_OK(read);
  EXPECT_EQ(*read, org);
  // Its own consumer replaces the inherited ones; a second clone breaks the limit of 1.
  svc.Clone(master, "tb").Consumes("other", url);
  const Org two = c.Finish();
  EXPECT_EQ(two.FindBuild("svc")->envers[2].consumers[0].name, "other");
  std::vector<Violation> problems = c.Validate();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].rule, "R9");
}

}  // namespace
}  // namespace odmd::model
